"""Which simulators a settings file points at, and the simulators themselves on real sockets."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import httpx
import pytest

from careweave.config import load_settings, parse_settings
from careweave.connectors.fhir_client.config import FhirClientConfig
from careweave.connectors.fhir_client.smart import client_assertion, load_private_key
from careweave.exceptions import ConfigError
from careweave.masterdata.files import load_master_data
from careweave.sandbox.ehr_fhir import generate_client_key
from careweave.sandbox.ehr_fhir.auth import ASSERTION_TYPE
from careweave.sandbox.erp import ErpState
from careweave.sandbox.stack import SandboxStack, plan_simulators, seed_erp_master_data
from tests.integration.engine.helpers import free_port

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "health-system"


def destination(name: str, connector: str) -> str:
    return f"""
[[channels.destinations]]
name = "{name}"
connector = {connector}
"""


def test_the_example_points_at_the_revenue_cycle_platform_and_the_erp() -> None:
    specs = plan_simulators(load_settings(EXAMPLE / "careweave.toml", {}))
    assert [(s.kind, s.host, s.port, s.users) for s in specs] == [
        ("revenue-cycle", "127.0.0.1", 27580, ("destination revenue-cycle",)),
        ("erp", "127.0.0.1", 27590, ("destination erp",)),
    ]
    assert [c.client_id for c in specs[1].erp] == ["careweave"]


def test_only_plain_http_on_loopback_is_served_and_one_address_is_one_simulator() -> None:
    text = (
        '[[channels]]\nname = "in"\nsource = { type = "http", port = 27001 }\n'
        + destination("a", '{ type = "http", url = "http://localhost:27002/a" }')
        + destination("b", '{ type = "http", url = "http://localhost:27002/b" }')
        + destination("remote", '{ type = "http", url = "http://rcm.example.org/charges" }')
        + destination("tls", '{ type = "http", url = "https://127.0.0.1:27003/x" }')
        + destination("self", '{ type = "http", url = "http://127.0.0.1:27001/fhir" }')
    )
    specs = plan_simulators(parse_settings(text))
    assert [(s.kind, s.port, s.users) for s in specs] == [
        ("http", 27002, ("destination a", "destination b"))
    ]
    clash = text + destination(
        "rcm", '{ type = "rcm", base_url = "http://localhost:27002" }'
    ).replace("[[channels.destinations]]", '[[channels.destinations]]\npayload = "none"')
    with pytest.raises(ConfigError, match="need different simulators"):
        plan_simulators(parse_settings(clash))


def test_the_erp_is_seeded_with_the_settings_master_data() -> None:
    settings = load_settings(EXAMPLE / "careweave.toml", {})
    master = load_master_data(settings.masterdata, base_dir=EXAMPLE, on=dt.date(2025, 3, 3))
    state = ErpState()
    seed_erp_master_data(state, master)
    assert master.crosswalk is not None and master.locations is not None
    assert len(state.items()) == len(master.crosswalk.items()) == 29
    assert {loc.location_id for loc in state.locations()} == {
        loc.location_id for loc in master.locations.locations()
    }
    assert master.opening_stock
    for (location, item), quantity in master.opening_stock.items():
        assert state.on_hand(item, location) == quantity


def test_the_ehr_fhir_simulator_knows_the_settings_client_key(tmp_path: Path) -> None:
    key = generate_client_key("ES384", key_id="cw-test")
    (tmp_path / "client.pem").write_bytes(key.private_pem)
    port = free_port()
    fhir = FhirClientConfig(
        base_url=f"http://127.0.0.1:{port}/fhir",
        token_url=f"http://127.0.0.1:{port}/token",
        client_id="careweave",
        private_key_path=str(tmp_path / "client.pem"),
        key_id="cw-test",
        algorithm="ES384",
    )
    text = (
        f'[[channels]]\nname = "fhir"\nformat = "fhir"\n'
        f'source = {{ type = "http", port = {free_port()}, ehr = {{ base_url = "{fhir.base_url}", '
        f'token_url = "{fhir.token_url}", client_id = "careweave", '
        f'private_key_path = "{fhir.private_key_path}", key_id = "cw-test", algorithm = "ES384" }} }}\n'
    )
    specs = plan_simulators(parse_settings(text))
    assert [(s.kind, s.port) for s in specs] == [("ehr-fhir", port)]
    with SandboxStack(specs):
        assertion = client_assertion(fhir, load_private_key(fhir.private_key_path), time.time())
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": fhir.scope,
        }
        answer = httpx.post(fhir.token_url, data=form, timeout=10)
        assert answer.status_code == 200, answer.text
        token = answer.json()["access_token"]
        patients = httpx.get(
            f"{fhir.base_url}/Patient", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert patients.status_code == 200 and patients.json()["total"] > 0
        assert httpx.get(f"{fhir.base_url}/Patient", timeout=10).status_code == 401
