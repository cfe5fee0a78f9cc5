"""``careweave catalog`` on the example health system, and ``check``'s governance pass: an
interface without an owner or an SLA is refused by ``check`` (exit 2, its path named), never by
``run`` or the application build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careweave.app import check_application
from careweave.cli.app import app
from careweave.config import load_settings
from careweave.gateway.api.catalog_routes import API_GROUPS

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "health-system"
SECRETS = {
    f"CAREWEAVE_API_{name}_SECRET": "s"
    for name in ("ADMIN", "SUPPLY", "REVENUE", "FINANCE", "AUDITOR", "READONLY", "NOSCOPE")
}


def example_copy(folder: Path) -> Path:
    """The example's settings and master data in ``folder`` (a test may change the copy)."""
    shutil.copytree(EXAMPLE / "masterdata", folder / "masterdata")
    config = folder / "careweave.toml"
    config.write_text((EXAMPLE / "careweave.toml").read_text())
    return config


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_the_catalog_lists_every_interface_of_the_example_with_owner_and_sla() -> None:
    config = EXAMPLE / "careweave.toml"
    code, out, err = invoke("catalog", "--config", str(config), "--json")
    assert code == 0, err
    catalog = json.loads(out)
    settings = load_settings(config)
    assert [c["name"] for c in catalog["channels"]] == [c.name for c in settings.channels]
    destinations = [d.name for c in settings.channels for d in c.destinations]
    assert [d["name"] for d in catalog["destinations"]] == destinations
    assert {g["name"] for g in catalog["apis"]} == {g.name for g in API_GROUPS}
    for kind in ("channels", "destinations", "apis"):
        for entry in catalog[kind]:
            assert entry["owner"] and entry["sla"], (kind, entry["name"])
            assert entry["phi"] in ("none", "limited", "full")
            assert entry["lifecycle"] == "active"
    ehr = catalog["channels"][0]
    assert "ADT^A01" in ehr["message_types"] and "DFT^P03" in ehr["message_types"]
    assert ehr["feeds"] == ["archive", "erp", "revenue-cycle"]  # its own and its flows'
    assert {"items", "locations", "billing"} <= set(ehr["master_data"])
    erp = next(d for d in catalog["destinations"] if d["name"] == "erp")
    assert erp["connector"] == "erp" and erp["target"] == "http://127.0.0.1:27590"
    assert "supply-to-replenish" in erp["fed_by"]
    messages = next(g for g in catalog["apis"] if g["name"] == "messages")
    replay = {(r["method"], r["path"]): r["scopes"] for r in messages["routes"]}
    assert replay[("POST", "/v1/messages/{message_id}/replay")] == ["messages:replay"]
    oauth = next(g for g in catalog["apis"] if g["name"] == "oauth")
    assert all(r["scopes"] == [] for r in oauth["routes"])


def test_the_catalog_is_written_as_markdown(tmp_path: Path) -> None:
    out_file = tmp_path / "catalog.md"
    code, out, err = invoke(
        "catalog", "--config", str(EXAMPLE / "careweave.toml"), "--markdown", str(out_file)
    )
    assert code == 0, err
    assert f"wrote {out_file}" in " ".join(out.split())
    text = out_file.read_text()
    for heading in ("## Channels", "## Flows", "## Destinations", "## API groups"):
        assert heading in text
    assert "| ehr | mllp 127.0.0.1:27575 |" in text
    assert "| POST | /v1/cases/{case_id}/resolve | cases:write |" in text


def test_connector_credentials_stay_out_of_the_catalog(tmp_path: Path) -> None:
    config = example_copy(tmp_path)
    text = config.read_text().replace(
        "# Month-end close requests",
        "[[channels.destinations]]\n"
        'name = "partner"\nowner = "integration-team"\nsla = "within 1 min"\n'
        'connector = { type = "http", url = "https://user:pw@partner.example.org/in?token=abc" }'
        "\n\n# Month-end close requests",
    )
    config.write_text(text)
    code, out, err = invoke("catalog", "--config", str(config), "--json")
    assert code == 0, err
    assert "pw@" not in out and "abc" not in out
    (partner,) = [d for d in json.loads(out)["destinations"] if d["name"] == "partner"]
    assert partner["target"].endswith("partner.example.org/in?token=redacted")


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ('owner = "finance"\n', "$.channels[1].owner"),
        ('sla = "each 837 file written once, within 30 min of its claim run"\n',
         "$.channels[3].destinations[0].sla"),
    ],
)  # fmt: skip
def test_check_refuses_an_interface_without_owner_or_sla(
    tmp_path: Path, line: str, path: str
) -> None:
    config = example_copy(tmp_path)
    text = config.read_text()
    assert text.count(line) == 1
    config.write_text(text.replace(line, ""))
    code, _out, err = invoke("check", "--config", str(config), env=SECRETS)
    assert code == 2
    errors = [e for e in err.splitlines() if e.strip()]
    assert len(errors) == 1 and errors[0].startswith(f"error: {config}: "), err
    assert f"at `{path}`" in errors[0]
    assert "Traceback" not in err


async def test_run_and_the_application_build_do_not_require_owners(tmp_path: Path) -> None:
    config = example_copy(tmp_path)
    config.write_text(config.read_text().replace('owner = "finance"\n', ""))
    settings = load_settings(config)
    warnings = await check_application(settings, settings_dir=tmp_path, env=SECRETS)
    assert all("owner" not in w for w in warnings)
    # The catalog still lists the interface, without an owner (that is what check refuses).
    code, out, err = invoke("catalog", "--config", str(config), "--json")
    assert code == 0, err
    close = next(c for c in json.loads(out)["channels"] if c["name"] == "close")
    assert close["owner"] == ""


def test_check_names_a_lifecycle_for_a_group_the_api_does_not_have(tmp_path: Path) -> None:
    config = example_copy(tmp_path)
    config.write_text(
        config.read_text() + '\n[api.lifecycle]\nmesages = { state = "deprecated" }\n'
    )
    for command in ("check", "catalog"):
        code, _out, err = invoke(command, "--config", str(config), env=SECRETS)
        assert code == 2, (command, err)
        assert "unknown API group 'mesages'" in err and "at `$.api.lifecycle.mesages`" in err
