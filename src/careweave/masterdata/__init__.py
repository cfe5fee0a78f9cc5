"""Domain services (master data): item crosswalk, locations and par levels, cost centers."""

from careweave.masterdata.cost_centers import (
    ChartOfAccounts,
    CostCenterAssignment,
    CostCenterMap,
    PhysicianDirectory,
    PhysicianGroup,
    ProjectAllocation,
    ProjectAllocations,
    StandardCost,
    StandardCostTable,
)
from careweave.masterdata.crosswalk_file import CrosswalkFile, format_crosswalk, parse_crosswalk
from careweave.masterdata.items import (
    CodeKind,
    CrosswalkEntry,
    ItemCrosswalk,
    ItemMatch,
    MasterItem,
    Suggestion,
)
from careweave.masterdata.locations import InventoryLocation, LocationDirectory, ParLevel

__all__ = [
    "ChartOfAccounts",
    "CodeKind",
    "CostCenterAssignment",
    "CostCenterMap",
    "CrosswalkEntry",
    "CrosswalkFile",
    "InventoryLocation",
    "ItemCrosswalk",
    "ItemMatch",
    "LocationDirectory",
    "MasterItem",
    "ParLevel",
    "PhysicianDirectory",
    "PhysicianGroup",
    "ProjectAllocation",
    "ProjectAllocations",
    "StandardCost",
    "StandardCostTable",
    "Suggestion",
    "format_crosswalk",
    "parse_crosswalk",
]
