"""``/v1/catalog`` and the API groups' lifecycle, on a served application whose settings deprecate
one group and retire another (``[api.lifecycle]``).

A deprecated group's routes answer as before with ``Deprecation`` (RFC 9745), ``Sunset`` (RFC 8594)
and a ``Link`` to the successor; a retired group's answer 410 Gone, token or not; the catalog
shows both, and is the document ``careweave catalog --json`` prints for the same settings file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from careweave.cli.app import app
from careweave.gateway.api.catalog_routes import API_GROUPS
from tests.integration.api.site import ROOT, Site, settings_text, start_site, stop_site

LIFECYCLE = """
[api.lifecycle]
messages = { state = "deprecated", sunset = "2027-06-30", successor = "/v2/messages", deprecated_on = 2026-01-15 }
patient-identity = { state = "retired", successor = "/v2/patients/match" }
"""  # noqa: E501
SUNSET = "Wed, 30 Jun 2027 23:59:59 GMT"
DEPRECATED_ON = int(dt.datetime(2026, 1, 15, tzinfo=dt.UTC).timestamp())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    served = start_site(tmp_path_factory.mktemp("catalog"), extra=LIFECYCLE)
    try:
        yield served
    finally:
        stop_site(served)


def test_a_deprecated_groups_routes_answer_with_deprecation_sunset_and_successor(
    site: Site,
) -> None:
    answer = httpx.get(
        f"{site.base_url}/v1/messages", headers=site.headers("read-only"), timeout=30
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["deprecation"] == f"@{DEPRECATED_ON}"
    assert answer.headers["sunset"] == SUNSET
    assert answer.headers["link"] == '</v2/messages>; rel="successor-version"'
    # Its errors say so too: a client that never got a token learns the route is going.
    refused = httpx.get(f"{site.base_url}/v1/messages", timeout=30)
    assert refused.status_code == 401
    assert refused.headers["sunset"] == SUNSET
    # Another group's routes carry none of it.
    cases = httpx.get(f"{site.base_url}/v1/cases", headers=site.headers("read-only"), timeout=30)
    assert cases.status_code == 200
    assert not {"deprecation", "sunset", "link"} & set(cases.headers)


def test_a_retired_groups_routes_are_gone_with_or_without_a_token(site: Site) -> None:
    body = {"records": [{"id": "a", "family": "X"}, {"id": "b", "family": "X"}]}
    for headers in (site.headers("integration-admin"), {}):
        answer = httpx.post(
            f"{site.base_url}/v1/patients/match", json=body, headers=headers, timeout=30
        )
        assert answer.status_code == 410, answer.text
        assert "retired" in answer.json()["detail"]
        assert "/v2/patients/match" in answer.json()["detail"]


def test_the_catalog_shows_each_groups_lifecycle(site: Site) -> None:
    answer = httpx.get(f"{site.base_url}/v1/catalog", headers=site.headers("finance"), timeout=30)
    assert answer.status_code == 200, answer.text
    apis = {g["name"]: g for g in answer.json()["apis"]}
    assert set(apis) == {g.name for g in API_GROUPS}
    assert apis["messages"]["lifecycle"] == "deprecated"
    assert apis["messages"]["sunset"] == "2027-06-30"
    assert apis["messages"]["successor"] == "/v2/messages"
    assert apis["patient-identity"]["lifecycle"] == "retired"
    assert apis["cases"]["lifecycle"] == "active"
    catalog = {(r["method"], r["path"]): r["scopes"] for r in apis["catalog"]["routes"]}
    assert catalog == {("GET", "/v1/catalog"): ["catalog:read"]}
    lineage = {r["path"] for r in apis["messages"]["routes"]}
    assert "/v1/messages/{message_id}" in lineage
    assert "/v1/deadletters/{destination}/replay" in lineage


def test_the_served_catalog_is_the_one_the_command_prints(site: Site, tmp_path: Path) -> None:
    folder = tmp_path / "settings"
    folder.mkdir()
    (folder / "masterdata").symlink_to(ROOT / "examples" / "health-system" / "masterdata")
    config = folder / "careweave.toml"
    config.write_text(settings_text(tmp_path / "data", extra=LIFECYCLE))
    printed = CliRunner().invoke(app, ["catalog", "--config", str(config), "--json"])
    assert printed.exit_code == 0, printed.output
    served = httpx.get(
        f"{site.base_url}/v1/catalog", headers=site.headers("auditor"), timeout=30
    ).json()
    assert json.loads(printed.stdout) == served
    assert [c["name"] for c in served["channels"]] == ["ehr", "fhir"]
    assert served["channels"][1]["source"]["address"].endswith("/fhir")
