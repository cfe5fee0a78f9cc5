"""Master data from files under version control, described by one TOML file.

::

    [erp]
    destination = "erp"                     # the engine destination the ERP flows send to
    item_master = "items.csv"               # careweave.erp.csv_import item master format
    crosswalk = "crosswalk.csv"             # careweave.masterdata.crosswalk_file format
    locations = "locations.csv"             # location_id,entity,facility,point_of_care,cost_center,kind
    par_levels = "par_levels.csv"           # location_id,item_number,par,reorder_point
    on_hand = "on_hand.csv"                 # location_id,item_number,quantity (optional)
    cost_centers = "cost_centers.csv"       # entity,department_code,cost_center,effective_from,...
    standard_costs = "standard_costs.csv"   # procedure_code,facility_cost,professional_cost
    physicians = "physicians.csv"           # npi,group,entity,cost_center (optional)

Paths are relative to the TOML file. Rows that do not load are returned as warnings naming the file,
the line and the reason (the valid rows load, as the item-master import does); a missing required
file or column is a :class:`~careweave.exceptions.ConfigError`.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from careweave.erp.csv_fields import (
    parse_code,
    parse_cost,
    parse_date,
    parse_item_number,
    parse_text,
)
from careweave.erp.csv_import import (
    Column,
    ImportReport,
    import_item_master,
    read_rows,
)
from careweave.erp.inventory import InventoryPosition
from careweave.erp.ledger import LedgerBook
from careweave.erp.periods import PeriodCalendar
from careweave.exceptions import CareweaveError, ConfigError
from careweave.flows.services import FlowServices
from careweave.masterdata.cost_centers import (
    CostCenterAssignment,
    CostCenterMap,
    PhysicianDirectory,
    PhysicianGroup,
    StandardCost,
    StandardCostTable,
)
from careweave.masterdata.crosswalk_file import CrosswalkFile
from careweave.masterdata.items import ItemCrosswalk, MasterItem
from careweave.masterdata.locations import InventoryLocation, LocationDirectory, ParLevel

T = TypeVar("T")


def _count(value: str) -> int:
    text = value.strip()
    if not text.lstrip("-").isdigit():
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


# Ids are "printable, no spaces": EHR departments and ERP locations carry dashes (RBH01-7481).
_ID = parse_item_number
_LOCATION = (
    Column("location_id", _ID), Column("entity", parse_code),
    Column("facility", parse_text), Column("point_of_care", parse_text),
    Column("cost_center", _ID), Column("kind", parse_code, required=False),
)  # fmt: skip
_PAR = (
    Column("location_id", _ID), Column("item_number", _ID),
    Column("par", _count), Column("reorder_point", _count),
)  # fmt: skip
_ON_HAND = (
    Column("location_id", _ID), Column("item_number", _ID), Column("quantity", _count),
)  # fmt: skip
_COST_CENTER = (
    Column("entity", parse_code), Column("department_code", _ID), Column("cost_center", _ID),
    Column("effective_from", parse_date), Column("service_line", parse_code, required=False),
    Column("physician_group", parse_code, required=False),
    Column("effective_to", parse_date, required=False),
)  # fmt: skip
_STANDARD_COST = (
    Column("procedure_code", parse_code), Column("facility_cost", parse_cost),
    Column("professional_cost", parse_cost, required=False),
)  # fmt: skip
_PHYSICIAN = (
    Column("npi", parse_code), Column("group", parse_code),
    Column("entity", parse_code), Column("cost_center", parse_code),
)  # fmt: skip


@dataclass
class ErpMasterData:
    """The domain services the ERP flows take, by the names the flows ask for."""

    crosswalk: ItemCrosswalk
    crosswalk_file: CrosswalkFile
    locations: LocationDirectory
    position: InventoryPosition
    cost_centers: CostCenterMap
    standard_costs: StandardCostTable
    physicians: PhysicianDirectory
    destination: str = "erp"
    opening: dict[tuple[str, str], int] = field(default_factory=dict)
    """On-hand quantities the position started from (``on_hand.csv``)."""
    calendar: PeriodCalendar = field(default_factory=PeriodCalendar)
    ledger: LedgerBook = field(default_factory=LedgerBook)
    warnings: list[str] = field(default_factory=list)

    def services(self) -> FlowServices:
        """The domain services the ERP flows are built with."""
        return FlowServices(
            crosswalk=self.crosswalk,
            locations=self.locations,
            cost_centers=self.cost_centers,
            standard_costs=self.standard_costs,
            physicians=self.physicians,
            erp_destination=self.destination,
        )


def _rows(report: ImportReport[T], name: str, warnings: list[str]) -> list[T]:
    warnings.extend(f"{name} line {r.line}: {r.reason}" for r in report.rejected)
    return report.accepted


def _table(
    path: Path, columns: Sequence[Column], build: Callable[[dict[str, Any]], T], warnings: list[str]
) -> list[T]:
    report = read_rows(path, columns, lambda _line, cells: build(cells))
    return _rows(report, path.name, warnings)


def load_erp_master_data(config_path: Path, *, on: dt.date) -> ErpMasterData:
    """Load every master file the TOML names, as in effect on ``on``."""
    try:
        settings = tomllib.loads(config_path.read_text(encoding="utf-8")).get("erp", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{config_path}: {exc}") from exc
    base = config_path.parent

    def optional(key: str) -> Path | None:
        value = settings.get(key)
        if value is None:
            return None
        found = base / str(value)
        if not found.exists():
            raise ConfigError(f"{config_path}: [erp] {key} = {value!r}: no such file")
        return found

    def required(key: str) -> Path:
        if (found := optional(key)) is None:
            raise ConfigError(f"{config_path}: [erp] {key} is required")
        return found

    warnings: list[str] = []
    try:
        return _load(settings, required, optional, warnings, on)
    except CareweaveError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{config_path}: {exc}") from exc


def _load(
    settings: dict[str, Any],
    required: Callable[[str], Path],
    optional: Callable[[str], Path | None],
    warnings: list[str],
    on: dt.date,
) -> ErpMasterData:
    items_path = required("item_master")
    rows = _rows(import_item_master(items_path), items_path.name, warnings)
    current: dict[str, MasterItem] = {}
    for row in sorted(rows, key=lambda r: r.effective_from):
        if row.effective_from <= on and (row.effective_to is None or on <= row.effective_to):
            current[row.item_number] = MasterItem(
                item_number=row.item_number, description=row.description,
                standard_cost=row.standard_cost, uom=row.uom, gtin=row.gtin,
                manufacturer=row.manufacturer, catalog_number=row.catalog_number,
                consigned=row.consigned, vendor=row.manufacturer or "",
            )  # fmt: skip
    crosswalk_file = CrosswalkFile(required("crosswalk"))
    locations = _table(
        required("locations"),
        _LOCATION,
        lambda c: InventoryLocation(kind=c.pop("kind", "other"), **c),
        warnings,
    )
    pars = _table(required("par_levels"), _PAR, lambda c: ParLevel(**c), warnings)
    stock: dict[tuple[str, str], int] = {}
    if (on_hand := optional("on_hand")) is not None:
        for loc, item, qty in _table(
            on_hand, _ON_HAND, lambda c: (c["location_id"], c["item_number"], c["quantity"]),
            warnings,
        ):  # fmt: skip
            stock[(loc, item)] = qty
    centers = _table(
        required("cost_centers"),
        _COST_CENTER,
        lambda c: CostCenterAssignment(
            entity=c["entity"], department=c["department_code"], cost_center=c["cost_center"],
            service_line=c.get("service_line", "000"),
            physician_group=c.get("physician_group", "000"),
            effective_from=c["effective_from"], effective_to=c.get("effective_to"),
        ),
        warnings,
    )  # fmt: skip
    costs = _table(
        required("standard_costs"),
        _STANDARD_COST,
        lambda c: StandardCost(
            procedure_code=c["procedure_code"], facility_cost=c["facility_cost"],
            professional_cost=c.get("professional_cost", Decimal("0.00")),
        ),
        warnings,
    )  # fmt: skip
    members: dict[str, PhysicianGroup] = {}
    if (physicians := optional("physicians")) is not None:
        for npi, group in _table(
            physicians, _PHYSICIAN,
            lambda c: (c["npi"], PhysicianGroup(code=c["group"], entity=c["entity"],
                                                cost_center=c["cost_center"])),
            warnings,
        ):  # fmt: skip
            members[npi] = group
    return ErpMasterData(
        crosswalk=ItemCrosswalk(current.values(), crosswalk_file.load()),
        crosswalk_file=crosswalk_file,
        locations=LocationDirectory(locations, pars),
        position=InventoryPosition(stock),
        opening=stock,
        cost_centers=CostCenterMap(centers),
        standard_costs=StandardCostTable(costs),
        physicians=PhysicianDirectory(members),
        destination=str(settings.get("destination", "erp")),
        warnings=warnings,
    )
