"""The ``[masterdata]`` section: every file loads into its domain service; mistakes are named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from careweave.config import parse_settings
from careweave.exceptions import ConfigError
from careweave.flows.services import FlowServices
from careweave.masterdata.config import MasterDataConfig
from careweave.masterdata.files import load_master_data
from careweave.model.care import Encounter, EncounterClass, Location, Provider
from careweave.model.identity import Identifier
from careweave.model.revenue import ClaimForm
from tests.unit.masterdata.sample_files import FILES, KEYS, write_masterdata

DAY = dt.date(2025, 3, 3)


def config_of(folder: Path, section: str) -> MasterDataConfig:
    return parse_settings(section, source="cw.toml").masterdata


def test_every_file_loads_into_its_service(tmp_path: Path) -> None:
    data = load_master_data(
        config_of(tmp_path, write_masterdata(tmp_path)), base_dir=tmp_path, on=dt.date(2026, 1, 1)
    )
    assert data.warnings == ()
    # items as of [masterdata] as_of (2025-03-03: the old cost), crosswalk
    assert data.crosswalk is not None
    stent = data.crosswalk.item("STENT-1")
    assert stent is not None and stent.standard_cost == Decimal("1290.00")
    assert [e.item_number for e in data.crosswalk.entries()] == ["STENT-1"]
    assert data.crosswalk_file is not None and data.crosswalk_file.path.name == "crosswalk.csv"
    # locations, par levels, opening on-hand
    assert data.locations is not None
    assert data.locations.get("RBMC-7481") is not None
    par = data.locations.par("RBMC-7481", "STENT-1")
    assert par is not None and (par.par, par.reorder_point) == (10, 4)
    assert data.opening_stock == {("RBMC-7481", "STENT-1"): 7}
    # cost centers, standard costs, physicians
    assert data.cost_centers is not None
    center = data.cost_centers.lookup("RBH01-7481", DAY)
    assert center is not None and center.service_line == "CARD"
    assert data.standard_costs is not None
    cost = data.standard_costs.get("92928")
    assert cost is not None and cost.professional_cost == Decimal("950.00")
    assert data.physicians is not None
    group = data.physicians.group_of("1234567893")
    assert group is not None and group.entity == "RBPG"
    # payers and fee schedules
    assert data.payers is not None
    medicare = data.payers.get("00435")
    assert medicare is not None and medicare.claim_filing == "MA"
    assert data.payers.allowed("00435", "92928") == Decimal("980.00")
    assert data.payers.allowed("60054", "92928") is None
    # entities, chart of accounts
    assert data.entities is not None
    provider = data.entities.billing_providers()["RBH01"]
    assert (provider.npi, provider.tax_id, provider.address.postal_code) == (
        "1679576722",
        "391234567",
        "549010001",
    )
    assert data.chart is not None
    assert (data.chart.cash, data.chart.supply_expense, data.chart.inventory) == (
        "10150",
        "61500",
        "13000",  # a role the file does not name keeps the default account
    )
    # billing references (facilities, revenue codes, providers), payees, coverage
    assert data.billing is not None
    encounter = Encounter(
        encounter_class=EncounterClass.INPATIENT, location=Location(facility="RBMC")
    )
    facility = data.billing.facility(encounter)
    assert facility is not None and facility.claim_form is ClaimForm.INSTITUTIONAL
    assert data.billing.revenue_code("27800123") == "0278"
    local = Provider(identifier=Identifier(value="E1001"))
    assert data.billing.npi(local) == "1234567893"
    assert data.payees is not None and data.payees.entity("1679576722") == "RBH01"
    assert data.coverage is not None
    coverage = data.coverage.coverage_for("E100200")
    assert coverage is not None
    assert (coverage.payer_name, coverage.claim_filing) == ("MEDICARE PART A", "MA")
    # and the flow services carry all of it
    services = FlowServices.from_master_data(data)
    assert services.crosswalk is data.crosswalk and services.payers is data.payers
    assert services.opening_stock == data.opening_stock and services.chart is data.chart
    assert services.billing is data.billing and services.coverage is data.coverage


def test_what_is_not_named_stays_none(tmp_path: Path) -> None:
    section = write_masterdata(tmp_path, skip=("items", "crosswalk", "coverage", "gl_accounts"))
    data = load_master_data(config_of(tmp_path, section), base_dir=tmp_path, on=DAY)
    assert data.crosswalk is None and data.coverage is None and data.chart is None
    assert data.locations is not None


@pytest.mark.parametrize(
    ("name", "content", "warning"),
    [
        (
            "par_levels.csv",
            "location_id,item_number,par,reorder_point\nRBMC-7481,PACER-1,2,1\n"
            "RBMC-7481,STENT-1,10,four\n",
            "md/par_levels.csv line 3: reorder_point: 'four' is not a whole number",
        ),
        (
            "on_hand.csv",
            "location_id,item_number,quantity\nNOWHERE-1,STENT-1,7\n",
            "md/on_hand.csv line 2: location_id 'NOWHERE-1' is not in the locations file",
        ),
        (
            "gl_accounts.csv",
            "role,account\ncash,10150\npetty_cash,10160\n",
            "md/gl_accounts.csv line 3: role 'petty_cash' is not an account role",
        ),
        (
            "coverage.csv",
            "patient_id,payer_id,member_id\nE1,00435,M1\nE2,99999,M2\n",
            "md/coverage.csv line 3: payer_id '99999' is not in the payers file",
        ),
        (
            "entities.csv",
            FILES["entities.csv"] + "RBH02,Riverbend Clinics,123,391234568,1 Main,Riverbend,WI,"
            "549010001\n",
            "md/entities.csv line 3: npi: '123' is not an NPI (10 digits)",
        ),
        (
            "billing.csv",
            "facility,entity,claim_form\nRBMC,RBH01,institutional\nRBCG,RBH09,professional\n",
            "md/billing.csv line 3: entity 'RBH09' is not in the entities file",
        ),
    ],
)
def test_a_bad_row_is_a_warning_naming_file_and_line_and_the_rest_loads(
    tmp_path: Path, name: str, content: str, warning: str
) -> None:
    section = write_masterdata(tmp_path)
    (tmp_path / "md" / name).write_text(content)
    data = load_master_data(config_of(tmp_path, section), base_dir=tmp_path, on=DAY)
    assert len(data.warnings) == 1, data.warnings
    assert data.warnings[0].startswith(warning), data.warnings


def test_the_good_rows_of_a_file_with_a_bad_row_load(tmp_path: Path) -> None:
    section = write_masterdata(tmp_path)
    (tmp_path / "md" / "coverage.csv").write_text(
        "patient_id,payer_id,member_id\nE1,00435,M1\nE2,99999,M2\n"
    )
    data = load_master_data(config_of(tmp_path, section), base_dir=tmp_path, on=DAY)
    assert data.coverage is not None
    assert data.coverage.coverage_for("E1") is not None
    assert data.coverage.coverage_for("E2") is None


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    section = write_masterdata(tmp_path).replace('"md/locations.csv"', '"md/nowhere.csv"')
    with pytest.raises(ConfigError) as err:
        load_master_data(config_of(tmp_path, section), base_dir=tmp_path, on=DAY, source="cw.toml")
    message = str(err.value)
    assert message.startswith("cw.toml: [masterdata] locations = 'md/nowhere.csv': no such file")
    assert str(tmp_path / "md" / "nowhere.csv") in message


def test_a_file_without_a_required_column_is_refused_whole(tmp_path: Path) -> None:
    section = write_masterdata(tmp_path)
    (tmp_path / "md" / "payees.csv").write_text("payee,company\n1679576722,RBH01\n")
    with pytest.raises(ConfigError, match=r"\[masterdata\] payees = 'md/payees.csv': line 1: "):
        load_master_data(config_of(tmp_path, section), base_dir=tmp_path, on=DAY)


def test_a_file_another_needs_is_required_by_the_settings() -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings('[masterdata]\ncrosswalk = "crosswalk.csv"\n', source="cw.toml")
    assert str(err.value) == (
        "cw.toml: crosswalk needs items: name its file too - at `$.masterdata`"
    )
    with pytest.raises(ConfigError, match="unknown field `item_master`"):
        parse_settings('[masterdata]\nitem_master = "items.csv"\n')


def test_every_key_of_the_section_is_a_file_kind_of_the_samples() -> None:
    # The sample set (and docs/configuration.md, which shows the same) covers every key.
    keys = set(MasterDataConfig.__struct_fields__) - {"as_of", "watch_interval"}
    assert keys == set(KEYS)
