"""The EHR's cardiology supply and implant catalog, which the ERP item master is built from.

Every item has an EHR item code (what the EHR sends in ZSU-2), a manufacturer and its catalog
number, a GTIN-14 with a valid GS1 check digit, the HCPCS Level II device code billed with it, the
revenue code of its charge line, a charge price and an acquisition cost. Manufacturers and their GS1
company prefixes are fictional: the numbers are well-formed, not registered.

:meth:`ItemCatalog.erp_items` leaves out a seeded fraction of the items: the codes the EHR uses that the
ERP item master does not know, which is the flagship scenario's "item mismatch".
"""

from __future__ import annotations

import enum
import random
from decimal import Decimal

import msgspec

from careweave.sandbox.ehr.checkdigits import make_gtin14


class ItemCategory(enum.StrEnum):
    """Kinds of cath-lab supplies."""

    STENT = "stent"
    BALLOON = "balloon"
    PACEMAKER = "pacemaker"
    LEAD = "lead"
    GUIDE_CATHETER = "guide_catheter"
    DIAGNOSTIC_CATHETER = "diagnostic_catheter"
    GUIDEWIRE = "guidewire"
    SHEATH = "sheath"
    CLOSURE_DEVICE = "closure_device"


class CatalogItem(msgspec.Struct, frozen=True, kw_only=True):
    """One supply item as the EHR's supply catalog knows it."""

    ehr_item_code: str
    description: str
    category: ItemCategory
    manufacturer: str
    catalog_number: str
    """The manufacturer's catalog (reference) number."""
    gtin: str
    hcpcs: str
    """HCPCS Level II device code (C-code) billed on the supply charge line."""
    revenue_code: str
    """NUBC revenue code of the charge line: 0278 implants, 0272 sterile supplies."""
    charge_code: str
    """The EHR's chargemaster (CDM) code for this item."""
    price: Decimal
    """Charge per unit, in USD."""
    unit_cost: Decimal
    """Acquisition cost per unit, in USD."""
    implantable: bool
    serialized: bool
    """Tracked by serial number (implants); otherwise by lot only."""
    consigned: bool
    """Vendor-owned stock: use triggers a bill-only purchase order."""
    unit_of_measure: str = "EA"


class ItemCatalog(msgspec.Struct, frozen=True):
    """The EHR supply catalog and the subset the ERP item master holds."""

    items: tuple[CatalogItem, ...]
    missing_from_erp: frozenset[str]
    """EHR item codes deliberately absent from the ERP item master."""

    def erp_items(self) -> tuple[CatalogItem, ...]:
        """The items the ERP item master is built from (the catalog minus the mismatches)."""
        return tuple(i for i in self.items if i.ehr_item_code not in self.missing_from_erp)

    def by_category(self, category: ItemCategory) -> tuple[CatalogItem, ...]:
        """Items of one category, in catalog order."""
        return tuple(i for i in self.items if i.category is category)

    def get(self, ehr_item_code: str) -> CatalogItem:
        """The item with this EHR item code; KeyError when unknown."""
        for item in self.items:
            if item.ehr_item_code == ehr_item_code:
                return item
        raise KeyError(ehr_item_code)


class _Maker(msgspec.Struct, frozen=True):
    name: str
    gs1_prefix: str
    catalog_prefix: str


_MAKERS = (
    _Maker("MERIDIAN CARDIO", "0884521", "MC"),
    _Maker("HALCYON MEDICAL", "0761330", "HM"),
    _Maker("CORVIS DEVICES", "0855490", "CVD"),
)


def _definitions() -> list[tuple[ItemCategory, str, str, str, Decimal, Decimal, int]]:
    """(category, description, hcpcs, revenue code, price, cost, maker index) for every item."""
    rows: list[tuple[ItemCategory, str, str, str, Decimal, Decimal, int]] = []
    for diameter in ("2.50", "3.00", "3.50", "4.00"):
        for length in ("12", "18", "28"):
            rows.append(
                (
                    ItemCategory.STENT,
                    f"STENT CORONARY DES {diameter}X{length}MM",
                    "C1874",
                    "0278",
                    Decimal("6850.00"),
                    Decimal("1290.00"),
                    0 if diameter in ("2.50", "3.50") else 1,
                )
            )
    rows.append(
        (ItemCategory.STENT, "STENT CORONARY BMS 3.00X15MM", "C1876", "0278",
         Decimal("3200.00"), Decimal("540.00"), 2)
    )  # fmt: skip
    for size in ("2.50X15MM", "3.00X15MM", "3.50X12MM NC"):
        rows.append(
            (ItemCategory.BALLOON, f"BALLOON PTCA {size}", "C1725", "0272",
             Decimal("1450.00"), Decimal("210.00"), 1)
        )  # fmt: skip
    rows += [
        (ItemCategory.PACEMAKER, "PACEMAKER DUAL CHAMBER MRI RATE RESP", "C1785", "0278",
         Decimal("24800.00"), Decimal("6100.00"), 0),
        (ItemCategory.PACEMAKER, "PACEMAKER SINGLE CHAMBER MRI RATE RESP", "C1786", "0278",
         Decimal("18900.00"), Decimal("4700.00"), 2),
        (ItemCategory.LEAD, "LEAD PACING ACTIVE FIX 52CM ATRIAL", "C1898", "0278",
         Decimal("4200.00"), Decimal("890.00"), 0),
        (ItemCategory.LEAD, "LEAD PACING ACTIVE FIX 58CM VENTRICULAR", "C1898", "0278",
         Decimal("4200.00"), Decimal("890.00"), 0),
        (ItemCategory.GUIDE_CATHETER, "CATHETER GUIDE 6F EBU 3.5", "C1887", "0272",
         Decimal("780.00"), Decimal("96.00"), 1),
        (ItemCategory.GUIDE_CATHETER, "CATHETER GUIDE 6F JR4", "C1887", "0272",
         Decimal("780.00"), Decimal("96.00"), 1),
        (ItemCategory.DIAGNOSTIC_CATHETER, "CATHETER DIAGNOSTIC 5F JL4", "C1887", "0272",
         Decimal("310.00"), Decimal("38.00"), 2),
        (ItemCategory.DIAGNOSTIC_CATHETER, "CATHETER DIAGNOSTIC 5F JR4", "C1887", "0272",
         Decimal("310.00"), Decimal("38.00"), 2),
        (ItemCategory.GUIDEWIRE, "GUIDEWIRE CORONARY 0.014IN 190CM WORKHORSE", "C1769", "0272",
         Decimal("420.00"), Decimal("64.00"), 1),
        (ItemCategory.GUIDEWIRE, "GUIDEWIRE 0.035IN J-TIP 150CM", "C1769", "0272",
         Decimal("120.00"), Decimal("11.00"), 2),
        (ItemCategory.SHEATH, "SHEATH INTRODUCER 6F RADIAL", "C1894", "0272",
         Decimal("260.00"), Decimal("29.00"), 2),
        (ItemCategory.SHEATH, "SHEATH INTRODUCER PEEL-AWAY 7F", "C1894", "0272",
         Decimal("290.00"), Decimal("35.00"), 0),
        (ItemCategory.CLOSURE_DEVICE, "CLOSURE DEVICE VASCULAR 6F", "C1760", "0272",
         Decimal("1150.00"), Decimal("175.00"), 1),
    ]  # fmt: skip
    return rows


def build_item_catalog(seed: int, mismatch_rate: float) -> ItemCatalog:
    """The cardiology catalog; ``mismatch_rate`` of its codes (seeded choice) are not in the ERP.

    The items themselves do not depend on the seed, so an ERP item master built for one scenario
    keeps matching; only which codes are missing from it does.
    """
    items: list[CatalogItem] = []
    for n, (category, description, hcpcs, revenue, price, cost, maker_index) in enumerate(
        _definitions()
    ):
        maker = _MAKERS[maker_index]
        implant = category in (ItemCategory.STENT, ItemCategory.PACEMAKER, ItemCategory.LEAD)
        items.append(
            CatalogItem(
                ehr_item_code=f"CV{10400 + n * 7:05d}",
                description=description,
                category=category,
                manufacturer=maker.name,
                catalog_number=f"{maker.catalog_prefix}-{(n * 7919) % 90000 + 10000}",
                gtin=make_gtin14(maker.gs1_prefix, 3000 + n * 37),
                hcpcs=hcpcs,
                revenue_code=revenue,
                charge_code=f"2780{n:04d}" if revenue == "0278" else f"2720{n:04d}",
                price=price,
                unit_cost=cost,
                implantable=implant,
                serialized=category in (ItemCategory.PACEMAKER, ItemCategory.LEAD),
                consigned=category in (ItemCategory.PACEMAKER, ItemCategory.LEAD),
            )
        )
    rng = random.Random(f"{seed}:item-mismatch")
    count = round(len(items) * mismatch_rate)
    missing = frozenset(i.ehr_item_code for i in rng.sample(items, count))
    return ItemCatalog(items=tuple(items), missing_from_erp=missing)
