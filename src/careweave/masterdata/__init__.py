"""Domain services (master data): item crosswalk, locations and par levels, cost centers, payers,
legal entities. The settings' ``[masterdata]`` files load into them (:mod:`careweave.masterdata.files`)."""

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
from careweave.masterdata.entities import EntityDirectory, LegalEntity
from careweave.masterdata.items import (
    CodeKind,
    CrosswalkEntry,
    ItemCrosswalk,
    ItemMatch,
    MasterItem,
    Suggestion,
)
from careweave.masterdata.locations import InventoryLocation, LocationDirectory, ParLevel
from careweave.masterdata.payers import FeeScheduleRate, Payer, PayerDirectory

__all__ = [
    "ChartOfAccounts",
    "CodeKind",
    "CostCenterAssignment",
    "CostCenterMap",
    "CrosswalkEntry",
    "CrosswalkFile",
    "EntityDirectory",
    "FeeScheduleRate",
    "InventoryLocation",
    "ItemCrosswalk",
    "ItemMatch",
    "LegalEntity",
    "LocationDirectory",
    "MasterItem",
    "ParLevel",
    "Payer",
    "PayerDirectory",
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
