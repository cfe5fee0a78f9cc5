"""Small canonical events and master data for the ERP-side unit tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from careweave.masterdata import (
    CodeKind,
    CrosswalkEntry,
    InventoryLocation,
    ItemCrosswalk,
    LocationDirectory,
    MasterItem,
    ParLevel,
)
from careweave.model.care import Code, Encounter, Location
from careweave.model.identity import Identifier, PatientIdentity
from careweave.model.supplies import SupplyUsed

MARCH = dt.date(2025, 3, 3)
CENTRAL = dt.timezone(dt.timedelta(hours=-6))
STENT = MasterItem(
    item_number="STENT-DES-3015",
    description="STENT CORONARY DES 3.00X15MM",
    standard_cost=Decimal("1290.00"),
    gtin="00884521031256",
    manufacturer="MERIDIAN CARDIO",
    catalog_number="MC-30150",
    consigned=False,
    vendor="MERIDIAN CARDIO",
)
PACER = MasterItem(
    item_number="PACER-DC-01",
    description="PACEMAKER DUAL CHAMBER MRI RATE RESP",
    standard_cost=Decimal("6100.00"),
    gtin="00884521039993",
    manufacturer="MERIDIAN CARDIO",
    catalog_number="MC-77001",
    consigned=True,
    vendor="MERIDIAN CARDIO",
)
WIRE = MasterItem(
    item_number="GW-014-190",
    description="GUIDEWIRE CORONARY 0.014IN 190CM WORKHORSE",
    standard_cost=Decimal("64.00"),
    gtin="00761330038889",
    catalog_number="HM-20056",
)
CATH_LAB = InventoryLocation(
    location_id="RBMC-7481",
    entity="RBH01",
    facility="RBMC",
    point_of_care="RBMC CATH LAB",
    cost_center="RBH01-7481",
)


def crosswalk(*entries: CrosswalkEntry) -> ItemCrosswalk:
    return ItemCrosswalk([STENT, PACER, WIRE], entries)


def ehr_entry(code: str, item: str, since: dt.date = dt.date(2024, 1, 1)) -> CrosswalkEntry:
    return CrosswalkEntry(kind=CodeKind.EHR, code=code, item_number=item, effective_from=since)


def directory(par: int = 10, reorder_point: int = 8) -> LocationDirectory:
    pars = [
        ParLevel(
            location_id=CATH_LAB.location_id,
            item_number=i.item_number,
            par=par,
            reorder_point=reorder_point,
        )
        for i in (STENT, PACER, WIRE)
    ]
    return LocationDirectory([CATH_LAB], pars)


def supply(code: str = "CV10421", **facts: Any) -> SupplyUsed:
    """A supply line used in the RBMC cath lab on 3 March 2025."""
    values: dict[str, Any] = {
        "idempotency_key": f"supply:RBMC|V1:ft1=1:{code}",
        "occurred_at": dt.datetime(2025, 3, 3, 10, 0, tzinfo=CENTRAL),
        "patient": PatientIdentity(
            identifiers=(Identifier(value="MRN1", system="RBH", type="MR"),)
        ),
        "encounter": Encounter(
            visit_number=Identifier(value="V1", system="RBMC"),
            location=Location(facility="RBMC", point_of_care="RBMC CATH LAB", room="CL01"),
        ),
        "line_id": "ft1=1",
        "item": Code(code=code, system="EHRITEM", display="STENT CORONARY DES 3.00X15MM"),
        "quantity": Decimal(1),
    }
    values.update(facts)
    return SupplyUsed(**values)
