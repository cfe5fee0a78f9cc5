"""Loading master data from the files a TOML names: good rows load, bad rows are named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from careweave.exceptions import ConfigError
from careweave.masterdata.loader import load_erp_master_data

FILES = {
    "items.csv": (
        "item_number,description,uom,standard_cost,effective_from,effective_to,gtin,consigned\n"
        "STENT-1,Stent 3.0x15,EA,1290.00,2024-01-01,2025-03-31,00884521031251,N\n"
        "STENT-1,Stent 3.0x15 (new cost),EA,1310.00,2025-04-01,,,N\n"
        "PACER-1,Pacemaker,EA,6100.00,2024-01-01,,,Y\n"
        "BAD-1,Broken,EACH,-5,2024-01-01,,,N\n"
    ),
    "crosswalk.csv": "kind,code,item_number,effective_from\nehr,CV10421,STENT-1,2024-01-01\n",
    "locations.csv": (
        "location_id,entity,facility,point_of_care,cost_center,kind\n"
        "RBMC-7481,RBH01,RBMC,RBMC CATH LAB,RBH01-7481,cath_lab\n"
    ),
    "par_levels.csv": "location_id,item_number,par,reorder_point\nRBMC-7481,STENT-1,10,four\n",
    "cost_centers.csv": (
        "entity,department_code,cost_center,effective_from,service_line\n"
        "RBH01,RBH01-7481,7481,2020-01-01,CARD\n"
    ),
    "standard_costs.csv": "procedure_code,facility_cost\n92928,8000.00\n",
    "on_hand.csv": "location_id,item_number,quantity\nRBMC-7481,STENT-1,12\nRBMC-7481,PACER-1,x\n",
}
TOML = (
    '[erp]\nitem_master = "items.csv"\ncrosswalk = "crosswalk.csv"\n'
    'locations = "locations.csv"\npar_levels = "par_levels.csv"\n'
    'cost_centers = "cost_centers.csv"\nstandard_costs = "standard_costs.csv"\n'
    'on_hand = "on_hand.csv"\n'
)


def write(folder: Path, toml: str = TOML) -> Path:
    for name, text in FILES.items():
        (folder / name).write_text(text)
    path = folder / "erp.toml"
    path.write_text(toml)
    return path


def test_master_data_loads_as_of_a_date_and_names_each_bad_row(tmp_path: Path) -> None:
    data = load_erp_master_data(write(tmp_path), on=dt.date(2025, 3, 3))
    stent = data.crosswalk.item("STENT-1")
    assert stent is not None and str(stent.standard_cost) == "1290.00"
    april = load_erp_master_data(write(tmp_path), on=dt.date(2025, 4, 2))
    april_stent = april.crosswalk.item("STENT-1")
    assert april_stent is not None and str(april_stent.standard_cost) == "1310.00"
    pacer = data.crosswalk.item("PACER-1")
    assert pacer is not None and pacer.consigned
    assert data.crosswalk.item("BAD-1") is None
    assert any(w.startswith("items.csv line 5:") for w in data.warnings)
    assert any(w.startswith("par_levels.csv line 2:") and "four" in w for w in data.warnings)
    assert data.locations.get("RBMC-7481") is not None
    assert data.cost_centers.lookup("RBH01-7481", dt.date(2025, 3, 3)) is not None
    cost = data.standard_costs.get("92928")
    assert cost is not None and str(cost.professional_cost) == "0.00"
    services = data.services()
    assert services.crosswalk is data.crosswalk and services.locations is data.locations
    assert services.cost_centers is data.cost_centers and services.physicians is data.physicians
    # Opening stock is read-only master data the flows start positions from.
    assert services.opening_stock == {("RBMC-7481", "STENT-1"): 12}
    assert any(w.startswith("on_hand.csv line 3:") for w in data.warnings)


def test_a_missing_file_or_setting_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="item_master is required"):
        load_erp_master_data(write(tmp_path, "[erp]\n"), on=dt.date(2025, 3, 3))
    broken = TOML.replace('"locations.csv"', '"nowhere.csv"')
    with pytest.raises(ConfigError, match=r"locations = 'nowhere\.csv': no such file"):
        load_erp_master_data(write(tmp_path, broken), on=dt.date(2025, 3, 3))
    with pytest.raises(ConfigError, match=r"erp\.toml"):
        load_erp_master_data(write(tmp_path, "[erp\n"), on=dt.date(2025, 3, 3))
