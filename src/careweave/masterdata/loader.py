"""Master data described by an ``[erp]`` TOML: the older form of the settings' ``[masterdata]``.

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

The settings' ``[masterdata]`` section supersedes it (:mod:`careweave.masterdata.files`, which
reads the same files, the same way); ``careweave crosswalk`` and ``careweave erp`` still take this
file until they build on the application. Paths are relative to the TOML file; rows that do not
load are warnings naming the file and the line; a missing required file or column is a
:class:`~careweave.exceptions.ConfigError`.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from careweave.config import MasterDataConfig
from careweave.exceptions import ConfigError
from careweave.flows.services import FlowServices
from careweave.masterdata.cost_centers import CostCenterMap, PhysicianDirectory, StandardCostTable
from careweave.masterdata.crosswalk_file import CrosswalkFile
from careweave.masterdata.files import load_master_data
from careweave.masterdata.items import ItemCrosswalk
from careweave.masterdata.locations import LocationDirectory

_KEYS = {
    "item_master": "items",
    "crosswalk": "crosswalk",
    "locations": "locations",
    "par_levels": "par_levels",
    "on_hand": "on_hand",
    "cost_centers": "cost_centers",
    "standard_costs": "standard_costs",
    "physicians": "physicians",
}
"""``[erp]`` key -> ``[masterdata]`` key."""
_REQUIRED = (
    "item_master",
    "crosswalk",
    "locations",
    "par_levels",
    "cost_centers",
    "standard_costs",
)


@dataclass
class ErpMasterData:
    """The domain services the ERP flows take, by the names the flows ask for."""

    crosswalk: ItemCrosswalk
    crosswalk_file: CrosswalkFile
    locations: LocationDirectory
    cost_centers: CostCenterMap
    standard_costs: StandardCostTable
    physicians: PhysicianDirectory
    destination: str = "erp"
    opening: dict[tuple[str, str], int] = field(default_factory=dict)
    """On-hand quantities stock positions start from (``on_hand.csv``); the positions themselves
    are business state in the store."""
    warnings: list[str] = field(default_factory=list)

    def services(self) -> FlowServices:
        """The domain services the ERP flows are built with."""
        return FlowServices(
            crosswalk=self.crosswalk,
            locations=self.locations,
            opening_stock=self.opening,
            cost_centers=self.cost_centers,
            standard_costs=self.standard_costs,
            physicians=self.physicians,
            erp_destination=self.destination,
        )


def load_erp_master_data(config_path: Path, *, on: dt.date) -> ErpMasterData:
    """Load every master file the TOML names, as in effect on ``on``."""
    try:
        settings = tomllib.loads(config_path.read_text(encoding="utf-8")).get("erp", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{config_path}: {exc}") from exc
    for key in _REQUIRED:
        if settings.get(key) is None:
            raise ConfigError(f"{config_path}: [erp] {key} is required")
    files = {_KEYS[k]: str(v) for k, v in settings.items() if k in _KEYS}
    try:
        config = msgspec.convert(files, MasterDataConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{config_path}: [erp] {exc}") from exc
    data = load_master_data(
        config,
        base_dir=config_path.parent,
        on=on,
        source=str(config_path),
        section="erp",
    )
    # The required keys above make these present.
    assert data.crosswalk is not None and data.crosswalk_file is not None
    assert data.locations is not None and data.cost_centers is not None
    assert data.standard_costs is not None
    return ErpMasterData(
        crosswalk=data.crosswalk,
        crosswalk_file=data.crosswalk_file,
        locations=data.locations,
        cost_centers=data.cost_centers,
        standard_costs=data.standard_costs,
        physicians=data.physicians or PhysicianDirectory({}),
        destination=str(settings.get("destination", "erp")),
        opening=dict(data.opening_stock),
        warnings=list(data.warnings),
    )
