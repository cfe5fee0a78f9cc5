"""The master data a settings file's ``[masterdata]`` section names, loaded into domain services.

::

    [masterdata]
    items = "masterdata/items.csv"
    crosswalk = "masterdata/crosswalk.csv"
    locations = "masterdata/locations.csv"
    par_levels = "masterdata/par_levels.csv"

Paths are relative to the settings file. A named file that is missing, or whose header lacks a
required column, is a :class:`~careweave.exceptions.ConfigError` naming the key and the file; a bad
row is a warning naming the file and the line, and the valid rows load. What is not named stays
None, and a flow that needs it refuses to be built: the composition root hands the loaded data to
the flows as ``careweave.flows.services.FlowServices.from_master_data(data)``, whose ``need``
names what is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from careweave.exceptions import ConfigError, CsvError
from careweave.masterdata import tables
from careweave.masterdata.billing import BillingReferences, CoverageTable
from careweave.masterdata.config import MasterDataConfig
from careweave.masterdata.cost_centers import (
    ChartOfAccounts,
    CostCenterMap,
    PhysicianDirectory,
    StandardCostTable,
)
from careweave.masterdata.crosswalk_file import CrosswalkFile
from careweave.masterdata.entities import EntityDirectory, PayeeEntities
from careweave.masterdata.items import CrosswalkEntry, ItemCrosswalk
from careweave.masterdata.locations import LocationDirectory
from careweave.masterdata.payers import PayerDirectory

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class MasterData:
    """Loaded master data; None where the settings name no file."""

    crosswalk: ItemCrosswalk | None = None
    crosswalk_file: CrosswalkFile | None = None
    """The crosswalk's file, where a fix made in the work queue is saved."""
    locations: LocationDirectory | None = None
    opening_stock: dict[tuple[str, str], int] = field(default_factory=dict)
    cost_centers: CostCenterMap | None = None
    standard_costs: StandardCostTable | None = None
    physicians: PhysicianDirectory | None = None
    chart: ChartOfAccounts | None = None
    payers: PayerDirectory | None = None
    entities: EntityDirectory | None = None
    billing: BillingReferences | None = None
    payees: PayeeEntities | None = None
    coverage: CoverageTable | None = None
    warnings: tuple[str, ...] = ()
    """Each row that did not load: ``{file} line {n}: {reason}``."""


def load_master_data(
    config: MasterDataConfig,
    *,
    base_dir: Path,
    on: dt.date,
    source: str | None = None,
    section: str = "masterdata",
) -> MasterData:
    """Load every file ``config`` names (relative to ``base_dir``), the item master as of ``on``.

    ``source`` (the settings file) and ``section`` (its table) name where a mistake is.
    """
    prefix = f"{source}: [{section}]" if source else f"[{section}]"
    files = config.files()
    paths: dict[str, Path] = {}
    for key, value in files.items():
        path = base_dir / value
        if not path.is_file():
            raise ConfigError(f"{prefix} {key} = {value!r}: no such file ({path})")
        paths[key] = path
    warnings: list[str] = []

    def read(key: str, reader: Callable[[Path, str], T]) -> T | None:
        if key not in paths:
            return None
        try:
            return reader(paths[key], files[key])
        except CsvError as exc:
            raise ConfigError(f"{prefix} {key} = {files[key]!r}: {exc}") from exc

    def table(key: str, reader: Callable[..., T], *context: Any) -> T | None:
        return read(key, lambda path, name: reader(path, name, *context, warnings))

    crosswalk = None
    items = table("items", tables.read_items, config.as_of or on)
    crosswalk_file = CrosswalkFile(paths["crosswalk"]) if "crosswalk" in paths else None
    if items is not None:
        entries: list[CrosswalkEntry] = []
        if (cw_file := crosswalk_file) is not None:
            entries = read("crosswalk", lambda _path, _name: cw_file.load()) or []
        crosswalk = ItemCrosswalk(items, entries)
    locations = table("locations", tables.read_locations)
    location_ids = {loc.location_id for loc in locations} if locations is not None else None
    pars = table("par_levels", tables.read_par_levels, location_ids) or []
    opening = table("on_hand", tables.read_on_hand, location_ids) or {}
    centers = table("cost_centers", tables.read_cost_centers)
    costs = table("standard_costs", tables.read_standard_costs)
    physicians = table("physicians", tables.read_physicians)
    payer_rows = table("payers", tables.read_payers)
    payers = None
    if payer_rows is not None:
        ids = {p.payer_id for p in payer_rows}
        payers = PayerDirectory(
            payer_rows, table("fee_schedules", tables.read_fee_schedules, ids) or []
        )
    entity_rows = table("entities", tables.read_entities)
    entities = EntityDirectory(entity_rows) if entity_rows is not None else None
    codes = entities.codes() if entities is not None else None
    facilities = table("billing", tables.read_billing, codes)
    billing = None
    if facilities is not None:
        billing = BillingReferences(
            facilities=facilities,
            revenue_codes=table("revenue_codes", tables.read_revenue_codes) or {},
            provider_npis=table("providers", tables.read_providers) or {},
        )
    return MasterData(
        crosswalk=crosswalk,
        crosswalk_file=crosswalk_file,
        locations=LocationDirectory(locations, pars) if locations is not None else None,
        opening_stock=opening,
        cost_centers=CostCenterMap(centers) if centers is not None else None,
        standard_costs=StandardCostTable(costs) if costs is not None else None,
        physicians=PhysicianDirectory(physicians) if physicians is not None else None,
        chart=table("gl_accounts", tables.read_gl_accounts),
        payers=payers,
        entities=entities,
        billing=billing,
        payees=table("payees", tables.read_payees, codes),
        coverage=table("coverage", tables.read_coverage, payers),
        warnings=tuple(warnings),
    )
