"""Demo books of the flagship scenario: two hospitals, their supply locations, implants."""

from __future__ import annotations

from decimal import Decimal

from careweave.masterdata.gtin import with_check_digit
from careweave.sandbox.erp.records import (
    CostCenterRecord,
    ItemRecord,
    LocationKind,
    LocationRecord,
)
from careweave.sandbox.erp.state import ErpState
from careweave.sandbox.erp.wire import InventoryTransactionIn

_KINDS: tuple[tuple[LocationKind, str], ...] = (
    ("or", "OR"),
    ("cath_lab", "Cath Lab"),
    ("central_supply", "CS"),
)
# Entity "10" is the flagship hospital, "20" the community hospital.
_FACILITIES = (("10", "MAIN", "Main Campus"), ("20", "NRTH", "North Community"))
_ITEMS = (
    (
        "STENT-DES-3015",
        "Drug-eluting coronary stent 3.0 x 15 mm",
        "0088454",
        "CardioVasc Inc",
        "DES-3015",
        "EA",
        "1450.00",
        True,
    ),
    (
        "PACER-DC-01",
        "Dual-chamber pacemaker",
        "0088455",
        "RhythmWorks",
        "DC-01",
        "EA",
        "4200.00",
        True,
    ),
    (
        "GW-014-190",
        "Guidewire 0.014 in x 190 cm",
        "0061234",
        "WireCo",
        "GW014190",
        "EA",
        "85.50",
        False,
    ),
    (
        "SUT-3-0-BX",
        "Suture 3-0 absorbable, box of 12",
        "0070011",
        "Sutura",
        "S30-12",
        "BX",
        "42.00",
        False,
    ),
)


def seed_demo_books(state: ErpState) -> None:
    """Fill an empty ERP with the locations, cost centers, items and stock of the demo."""
    for entity, code, name in _FACILITIES:
        for kind, label in _KINDS:
            state.add_location(
                LocationRecord(
                    f"{code}-{label.upper().replace(' ', '')}",
                    f"{name} {label}",
                    kind,
                    code,
                    entity,
                )
            )
        for cc, cc_name, line in (
            ("4010", "Cardiac Cath Lab", "CARD"),
            ("4020", "Surgical Services", "SURG"),
            ("8400", "Central Supply", None),
        ):
            state.add_cost_center(CostCenterRecord(cc, cc_name, entity, line))
    for number, desc, gtin_body, maker, catalog, uom, cost, consigned in _ITEMS:
        gtin = with_check_digit("0" + gtin_body.ljust(12, "1"))
        state.put_item(
            ItemRecord(number, desc, uom, Decimal(cost), gtin, maker, catalog, consigned)
        )
        for location in ("MAIN-CATHLAB", "MAIN-CS", "NRTH-CS"):
            state.record_transaction(
                InventoryTransactionIn("receipt", number, location, 10, reference="opening")
            )
