"""The ERP books of a simulated EHR scenario: item master, crosswalk, locations, cost centers.

Built from the scenario's own enterprise and catalog, so the flows and the ERP simulator agree on
what exists; ``crosswalk_missing`` leaves codes out of the crosswalk (the ERP still knows the item
under its own number, which is what makes a GTIN suggestion possible). Stock, ledger and periods
are not here: they are business state in the engine's store (``careweave.erp.stored`` reads them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from careweave.flows.services import FlowServices
from careweave.masterdata import (
    CodeKind,
    CostCenterAssignment,
    CostCenterMap,
    CrosswalkEntry,
    InventoryLocation,
    ItemCrosswalk,
    LocationDirectory,
    MasterItem,
    ParLevel,
    PhysicianDirectory,
    PhysicianGroup,
    StandardCost,
    StandardCostTable,
)
from careweave.sandbox.ehr import EhrScenario
from careweave.sandbox.ehr.chargemaster import PROCEDURES
from careweave.sandbox.ehr.organization import Specialty, UnitKind
from careweave.sandbox.erp import ErpState
from careweave.sandbox.erp.records import ItemRecord, LocationKind, LocationRecord
from careweave.sandbox.erp.wire import InventoryTransactionIn

SINCE = dt.date(2020, 1, 1)
OPENING_STOCK = 30
PAR, REORDER_POINT = 30, 27
SERVICE_LINES = {
    UnitKind.CATH_LAB: "CARD",
    UnitKind.MED_SURG: "MED",
    UnitKind.CRITICAL_CARE: "CRIT",
    UnitKind.EMERGENCY: "EMER",
    UnitKind.CLINIC: "AMB",
}
LOCATION_KINDS = {UnitKind.CATH_LAB: "cath_lab", UnitKind.CLINIC: "clinic"}


def erp_item_number(ehr_code: str) -> str:
    """The ERP's own number for a catalog item (deliberately not the EHR code)."""
    return f"IT-{ehr_code[2:]}"


@dataclass
class ScenarioBooks:
    """Everything the ERP flows need, for one scenario."""

    crosswalk: ItemCrosswalk
    locations: LocationDirectory
    cost_centers: CostCenterMap
    physicians: PhysicianDirectory
    standard_costs: StandardCostTable
    opening: dict[tuple[str, str], int] = field(default_factory=dict)
    """Opening on hand per (location, item): what the ERP simulator is seeded with."""

    def services(self) -> FlowServices:
        """The domain services the ERP flows are built with."""
        return FlowServices(
            crosswalk=self.crosswalk,
            locations=self.locations,
            opening_stock=self.opening,
            cost_centers=self.cost_centers,
            physicians=self.physicians,
            standard_costs=self.standard_costs,
        )


def build_books(
    scenario: EhrScenario,
    *,
    crosswalk_missing: frozenset[str] = frozenset(),
    opening_stock: int = OPENING_STOCK,
    par: int = PAR,
    reorder_point: int = REORDER_POINT,
) -> ScenarioBooks:
    """Master data for ``scenario``; codes in ``crosswalk_missing`` are left out of the crosswalk.

    Every item starts with ``opening_stock`` at every location, with the same ``par`` and
    ``reorder_point``.
    """
    items = [
        MasterItem(
            item_number=erp_item_number(i.ehr_item_code),
            description=i.description,
            standard_cost=i.unit_cost,
            uom=i.unit_of_measure,
            gtin=i.gtin,
            manufacturer=i.manufacturer,
            catalog_number=i.catalog_number,
            consigned=i.consigned,
            vendor=i.manufacturer,
        )
        for i in scenario.catalog.items
    ]
    entries = [
        CrosswalkEntry(
            kind=CodeKind.EHR,
            code=i.ehr_item_code,
            item_number=erp_item_number(i.ehr_item_code),
            effective_from=SINCE,
        )
        for i in scenario.catalog.items
        if i.ehr_item_code not in crosswalk_missing
    ]
    locations: list[InventoryLocation] = []
    assignments: list[CostCenterAssignment] = []
    for facility in scenario.system.facilities:
        for unit in facility.units:
            entity, cost_center = unit.cost_center.split("-", 1)
            locations.append(
                InventoryLocation(
                    location_id=f"{facility.code}-{cost_center}",
                    entity=facility.entity,
                    facility=facility.code,
                    point_of_care=unit.code,
                    cost_center=unit.cost_center,
                    kind=LOCATION_KINDS.get(unit.kind, "other"),
                )
            )
            assignments.append(
                CostCenterAssignment(
                    entity=entity,
                    department=unit.cost_center,
                    cost_center=cost_center,
                    service_line=SERVICE_LINES[unit.kind],
                    effective_from=SINCE,
                )
            )
    group = scenario.system.physician_group
    group_unit = group.units[0].cost_center.split("-", 1)[1]
    cardiologists = {
        p.npi: PhysicianGroup(code="RBPG", entity=group.entity, cost_center=group_unit)
        for p in scenario.system.providers
        if p.specialty in (Specialty.INTERVENTIONAL_CARDIOLOGY, Specialty.ELECTROPHYSIOLOGY)
    }
    costs = [
        StandardCost(
            procedure_code=t.charge.procedure_code,
            facility_cost=(t.charge.price * Decimal("0.31")).quantize(Decimal("0.01")),
            professional_cost=(t.charge.price * Decimal("0.045")).quantize(Decimal("0.01")),
        )
        for t in PROCEDURES.values()
    ]
    pars = [
        ParLevel(
            location_id=loc.location_id,
            item_number=item.item_number,
            par=par,
            reorder_point=reorder_point,
        )
        for loc in locations
        for item in items
    ]
    stock = {
        (loc.location_id, item.item_number): opening_stock for loc in locations for item in items
    }
    return ScenarioBooks(
        crosswalk=ItemCrosswalk(items, entries),
        locations=LocationDirectory(locations, pars),
        cost_centers=CostCenterMap(assignments),
        physicians=PhysicianDirectory(cardiologists),
        standard_costs=StandardCostTable(costs),
        opening=stock,
    )


def seed_erp(state: ErpState, books: ScenarioBooks) -> None:
    """The ERP simulator's item master, locations and opening stock, matching ``books``."""
    for item in books.crosswalk.items():
        state.put_item(
            ItemRecord(
                item.item_number,
                item.description,
                item.uom,
                item.standard_cost,
                item.gtin,
                item.manufacturer,
                item.catalog_number,
                item.consigned,
            )
        )
    for loc in books.locations.locations():
        kind: LocationKind = "cath_lab" if loc.kind == "cath_lab" else "other"
        state.add_location(
            LocationRecord(loc.location_id, loc.location_id, kind, loc.facility, loc.entity)
        )
        for item in books.crosswalk.items():
            quantity = books.opening.get((loc.location_id, item.item_number), 0)
            if quantity > 0:
                state.record_transaction(
                    InventoryTransactionIn(
                        "receipt", item.item_number, loc.location_id, quantity, reference="opening"
                    )
                )
