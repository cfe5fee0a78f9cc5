"""One reader per master-data file: its CSV columns and the domain object its rows become.

Every reader goes through :func:`careweave.masterdata.csv_import.read_rows`: a header without a
required column refuses the file (:class:`~careweave.exceptions.CsvError`), a bad row is a warning
naming the file, the line and the reason, and the valid rows load. A row naming something another file does
not have (a par level at an unknown location, coverage by an unknown payer) is a bad row too.
The formats, with an example each, are in docs/configuration.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from careweave.masterdata.billing import CoverageTable, FacilityBilling
from careweave.masterdata.cost_centers import (
    ChartOfAccounts,
    CostCenterAssignment,
    PhysicianGroup,
    StandardCost,
)
from careweave.masterdata.csv_fields import (
    parse_bool,
    parse_code,
    parse_cost,
    parse_date,
    parse_item_number,
    parse_text,
)
from careweave.masterdata.csv_import import Column, RowRejected, import_item_master, read_rows
from careweave.masterdata.entities import LegalEntity, PayeeEntities
from careweave.masterdata.items import MasterItem
from careweave.masterdata.locations import InventoryLocation, ParLevel
from careweave.masterdata.payers import FeeScheduleRate, Payer, PayerDirectory
from careweave.model.rcm import RcmCoverage
from careweave.model.revenue import ClaimForm

T = TypeVar("T")


def _count(value: str) -> int:
    text = value.strip()
    if not text.lstrip("-").isdigit():
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


def _digits(length: int, what: str) -> Callable[[str], str]:
    pattern = re.compile(rf"\d{{{length}}}")

    def parse(value: str) -> str:
        text = value.strip().replace("-", "")
        if not pattern.fullmatch(text):
            raise ValueError(f"{value.strip()!r} is not {what} ({length} digits)")
        return text

    return parse


def _state(value: str) -> str:
    text = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ValueError(f"{value.strip()!r} is not a two-letter state code")
    return text


def _claim_form(value: str) -> ClaimForm:
    try:
        return ClaimForm(value.strip().lower())
    except ValueError:
        raise ValueError(f"{value.strip()!r} is not institutional or professional") from None


_ID = parse_item_number  # "printable, no spaces": EHR departments and ERP locations carry dashes
_NPI = _digits(10, "an NPI")
_ACCOUNT_ROLES = frozenset(ChartOfAccounts.__struct_fields__)

LOCATIONS = (
    Column("location_id", _ID), Column("entity", parse_code),
    Column("facility", parse_text), Column("point_of_care", parse_text),
    Column("cost_center", _ID), Column("kind", parse_code, required=False),
)  # fmt: skip
PAR_LEVELS = (
    Column("location_id", _ID), Column("item_number", _ID),
    Column("par", _count), Column("reorder_point", _count),
)  # fmt: skip
ON_HAND = (Column("location_id", _ID), Column("item_number", _ID), Column("quantity", _count))
COST_CENTERS = (
    Column("entity", parse_code), Column("department_code", _ID), Column("cost_center", _ID),
    Column("effective_from", parse_date), Column("service_line", parse_code, required=False),
    Column("physician_group", parse_code, required=False),
    Column("effective_to", parse_date, required=False),
)  # fmt: skip
STANDARD_COSTS = (
    Column("procedure_code", parse_code), Column("facility_cost", parse_cost),
    Column("professional_cost", parse_cost, required=False),
)  # fmt: skip
PHYSICIANS = (
    Column("npi", parse_code), Column("group", parse_code),
    Column("entity", parse_code), Column("cost_center", parse_code),
)  # fmt: skip
PROVIDERS = (Column("provider_id", _ID), Column("npi", _NPI))
PAYERS = (
    Column("payer_id", _ID), Column("name", parse_text),
    Column("claim_filing", parse_code, required=False),
)  # fmt: skip
FEE_SCHEDULES = (
    Column("payer_id", _ID), Column("procedure_code", parse_code), Column("allowed", parse_cost),
)  # fmt: skip
ENTITIES = (
    Column("entity", parse_code), Column("name", parse_text), Column("npi", _NPI),
    Column("tax_id", _digits(9, "a tax id")), Column("address_line", parse_text),
    Column("city", parse_text), Column("state", _state),
    Column("postal_code", _digits(9, "a ZIP+4 code")),
)  # fmt: skip
GL_ACCOUNTS = (Column("role", parse_code), Column("account", parse_code))
BILLING = (
    Column("facility", _ID), Column("entity", parse_code), Column("claim_form", _claim_form),
    Column("office_place_of_service", _digits(2, "a place of service"), required=False),
    Column("final_on_charge", parse_bool, required=False),
)  # fmt: skip
REVENUE_CODES = (Column("charge_code", _ID), Column("revenue_code", _digits(4, "a revenue code")))
PAYEES = (Column("payee", _ID), Column("entity", parse_code))
COVERAGE = (
    Column("patient_id", _ID), Column("payer_id", _ID), Column("member_id", _ID),
    Column("group_number", parse_text, required=False),
    Column("claim_filing", parse_code, required=False),
    Column("payer_name", parse_text, required=False),
)  # fmt: skip


def read_table(
    path: Path,
    name: str,
    columns: Sequence[Column],
    build: Callable[[dict[str, Any]], T],
    warnings: list[str],
) -> list[T]:
    """The records of a file; each rejected row becomes a warning ``{name} line {n}: {reason}``."""
    report = read_rows(path, columns, lambda _line, cells: build(cells))
    warnings.extend(f"{name} line {r.line}: {r.reason}" for r in report.rejected)
    return report.accepted


def _known(value: str, known: Collection[str] | None, column: str, where: str) -> str:
    if known is not None and value not in known:
        raise RowRejected(f"{column} {value!r} is not in {where}", column)
    return value


def read_items(path: Path, name: str, on: dt.date, warnings: list[str]) -> list[MasterItem]:
    """The item master (``careweave.masterdata.csv_import`` format), each item as in effect on ``on``."""
    report = import_item_master(path)
    warnings.extend(f"{name} line {r.line}: {r.reason}" for r in report.rejected)
    current: dict[str, MasterItem] = {}
    for row in sorted(report.accepted, key=lambda r: r.effective_from):
        if row.effective_from <= on and (row.effective_to is None or on <= row.effective_to):
            current[row.item_number] = MasterItem(
                item_number=row.item_number, description=row.description,
                standard_cost=row.standard_cost, uom=row.uom, gtin=row.gtin,
                manufacturer=row.manufacturer, catalog_number=row.catalog_number,
                consigned=row.consigned, vendor=row.manufacturer or "",
            )  # fmt: skip
    return list(current.values())


def read_locations(path: Path, name: str, warnings: list[str]) -> list[InventoryLocation]:
    """ERP stocking locations and the clinical places they serve."""
    return read_table(
        path,
        name,
        LOCATIONS,
        lambda c: InventoryLocation(kind=c.pop("kind", "other"), **c),
        warnings,
    )


def read_par_levels(
    path: Path, name: str, locations: Collection[str], warnings: list[str]
) -> list[ParLevel]:
    """Par and reorder point per location and item (the location must be in ``locations``)."""

    def build(c: dict[str, Any]) -> ParLevel:
        _known(c["location_id"], locations, "location_id", "the locations file")
        return ParLevel(**c)

    return read_table(path, name, PAR_LEVELS, build, warnings)


def read_on_hand(
    path: Path, name: str, locations: Collection[str] | None, warnings: list[str]
) -> dict[tuple[str, str], int]:
    """Opening on-hand per (location, item): where stock positions start from."""

    def build(c: dict[str, Any]) -> tuple[str, str, int]:
        _known(c["location_id"], locations, "location_id", "the locations file")
        return c["location_id"], c["item_number"], c["quantity"]

    rows = read_table(path, name, ON_HAND, build, warnings)
    return {(location, item): quantity for location, item, quantity in rows}


def read_cost_centers(path: Path, name: str, warnings: list[str]) -> list[CostCenterAssignment]:
    """Effective-dated department -> entity, cost center, service line, physician group."""
    return read_table(
        path, name, COST_CENTERS,
        lambda c: CostCenterAssignment(
            entity=c["entity"], department=c["department_code"], cost_center=c["cost_center"],
            service_line=c.get("service_line", "000"),
            physician_group=c.get("physician_group", "000"),
            effective_from=c["effective_from"], effective_to=c.get("effective_to"),
        ),
        warnings,
    )  # fmt: skip


def read_standard_costs(path: Path, name: str, warnings: list[str]) -> list[StandardCost]:
    """Facility and professional standard cost per procedure code."""
    return read_table(
        path, name, STANDARD_COSTS,
        lambda c: StandardCost(
            procedure_code=c["procedure_code"], facility_cost=c["facility_cost"],
            professional_cost=c.get("professional_cost", Decimal("0.00")),
        ),
        warnings,
    )  # fmt: skip


def read_physicians(path: Path, name: str, warnings: list[str]) -> dict[str, PhysicianGroup]:
    """Physician group (and employing entity, cost center) by NPI."""
    rows = read_table(
        path, name, PHYSICIANS,
        lambda c: (c["npi"], PhysicianGroup(code=c["group"], entity=c["entity"],
                                            cost_center=c["cost_center"])),
        warnings,
    )  # fmt: skip
    return dict(rows)


def read_providers(path: Path, name: str, warnings: list[str]) -> dict[str, str]:
    """NPI by the EHR's local provider id (for charges that send only the local id)."""
    return dict(read_table(path, name, PROVIDERS, lambda c: (c["provider_id"], c["npi"]), warnings))


def read_payers(path: Path, name: str, warnings: list[str]) -> list[Payer]:
    """Payers: id, name and SBR09 claim filing indicator."""
    return read_table(path, name, PAYERS, lambda c: Payer(**c), warnings)


def read_fee_schedules(
    path: Path, name: str, payers: Collection[str], warnings: list[str]
) -> list[FeeScheduleRate]:
    """Allowed amount per unit by payer and procedure (the payer must be in ``payers``)."""

    def build(c: dict[str, Any]) -> FeeScheduleRate:
        _known(c["payer_id"], payers, "payer_id", "the payers file")
        return FeeScheduleRate(**c)

    return read_table(path, name, FEE_SCHEDULES, build, warnings)


def read_entities(path: Path, name: str, warnings: list[str]) -> list[LegalEntity]:
    """Legal entities with their billing provider identity."""
    return read_table(path, name, ENTITIES, lambda c: LegalEntity(**c), warnings)


def read_gl_accounts(path: Path, name: str, warnings: list[str]) -> ChartOfAccounts:
    """The chart of accounts: each row gives the natural account of one posting role."""

    def build(c: dict[str, Any]) -> tuple[str, str]:
        if c["role"] not in _ACCOUNT_ROLES:
            raise RowRejected(
                f"role {c['role']!r} is not an account role; known: {sorted(_ACCOUNT_ROLES)}",
                "role",
            )
        return c["role"], c["account"]

    return ChartOfAccounts(**dict(read_table(path, name, GL_ACCOUNTS, build, warnings)))


def read_billing(
    path: Path, name: str, entities: Collection[str] | None, warnings: list[str]
) -> dict[str, FacilityBilling]:
    """How each sending facility bills: entity, claim form, office place of service."""

    def build(c: dict[str, Any]) -> tuple[str, FacilityBilling]:
        _known(c["entity"], entities, "entity", "the entities file")
        billing = FacilityBilling(
            c["entity"],
            c["claim_form"],
            office_place_of_service=c.get("office_place_of_service", "11"),
            final_on_charge=c.get("final_on_charge", False),
        )
        return c["facility"], billing

    return dict(read_table(path, name, BILLING, build, warnings))


def read_revenue_codes(path: Path, name: str, warnings: list[str]) -> dict[str, str]:
    """UB-04 revenue code by chargemaster code."""
    return dict(
        read_table(
            path, name, REVENUE_CODES, lambda c: (c["charge_code"], c["revenue_code"]), warnings
        )
    )


def read_payees(
    path: Path, name: str, entities: Collection[str] | None, warnings: list[str]
) -> PayeeEntities:
    """Legal entity by 835 payee (billing provider NPI or TIN)."""

    def build(c: dict[str, Any]) -> tuple[str, str]:
        return c["payee"], _known(c["entity"], entities, "entity", "the entities file")

    return PayeeEntities(dict(read_table(path, name, PAYEES, build, warnings)))


def read_coverage(
    path: Path, name: str, payers: PayerDirectory | None, warnings: list[str]
) -> CoverageTable:
    """Primary coverage by patient id; payer name and claim filing default to the payer's."""

    def build(c: dict[str, Any]) -> tuple[str, RcmCoverage]:
        payer = payers.get(c["payer_id"]) if payers is not None else None
        if payers is not None and payer is None:
            raise RowRejected(f"payer_id {c['payer_id']!r} is not in the payers file", "payer_id")
        payer_name = c.get("payer_name") or (payer.name if payer else None)
        if payer_name is None:
            raise RowRejected("payer_name is required without a payers file", "payer_name")
        coverage = RcmCoverage(
            payer_id=c["payer_id"],
            payer_name=payer_name,
            member_id=c["member_id"],
            group_number=c.get("group_number", ""),
            claim_filing=c.get("claim_filing") or (payer.claim_filing if payer else "CI"),
        )
        return c["patient_id"], coverage

    return CoverageTable(by_patient=dict(read_table(path, name, COVERAGE, build, warnings)))
