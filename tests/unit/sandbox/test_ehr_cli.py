import datetime as dt
import json

import typer
from typer.testing import CliRunner

from careweave.sandbox.ehr import EhrScenarioConfig
from careweave.sandbox.ehr.__main__ import main, scenario_with_count


def test_count_cuts_a_coherent_prefix_of_exactly_that_size():
    scenario = scenario_with_count(EhrScenarioConfig(seed=2, encounters_per_day=10), 137)
    assert len(scenario.messages) == 137
    times = [m.event_time for m in scenario.messages]
    assert times == sorted(times, key=dt.datetime.fromisoformat)


def test_cli_writes_messages_manifest_and_catalog(tmp_path):
    app = typer.Typer()
    app.command()(main)
    out = tmp_path / "feed"
    args = ["--seed", "1", "--count", "60", "--out", str(out), "--malformed-rate", "0.1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.hl7"))
    assert len(files) == 60
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [m["file"] for m in manifest] == [f.name for f in files]
    assert any(m["malformed"] for m in manifest)
    assert (out / files[0].name).read_bytes().startswith((b"MSH", b"MHS", b"MSG", b"msh", b"GET"))
    items = json.loads((out / "items.json").read_text())
    assert items["items"] and "missing_from_erp" in items
    again = tmp_path / "again"
    CliRunner().invoke(app, [*args[:-4], "--out", str(again), "--malformed-rate", "0.1"])
    assert [f.read_bytes() for f in files] == [(again / f.name).read_bytes() for f in files]
