"""``careweave crosswalk add`` / ``list`` on the files alone (no engine)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from careweave.cli.app import app
from careweave.masterdata import CrosswalkFile
from tests.unit.masterdata.test_loader import write


def test_add_appends_a_version_to_the_file_and_list_shows_it(tmp_path: Path) -> None:
    toml = write(tmp_path)
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["crosswalk", "add", "CV99999", "PACER-1", "--erp", str(toml), "--actor", "jdoe",
         "--effective", "2025-03-01"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "version 1" in added.output
    entries = CrosswalkFile(tmp_path / "crosswalk.csv").load()
    assert [(e.code, e.item_number, e.added_by, e.source) for e in entries][-1] == (
        "CV99999", "PACER-1", "jdoe", "cli",
    )  # fmt: skip
    listed = runner.invoke(
        app, ["crosswalk", "list", "--erp", str(toml), "--code", "cv99999", "--json"]
    )
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output.splitlines()[-1])
    assert row["item_number"] == "PACER-1" and row["effective_from"] == "2025-03-01"

    fresh = runner.invoke(app, ["crosswalk", "add", "CV55555", "STENT-1", "--erp", str(toml)])
    assert fresh.exit_code == 0, fresh.output
    assert "from 1900-01-01" in fresh.output  # a new code: parked work of any day resolves

    unknown = runner.invoke(app, ["crosswalk", "add", "CV1", "NOPE", "--erp", str(toml)])
    assert unknown.exit_code == 1 and "NOPE" in unknown.output
    bad_date = runner.invoke(
        app, ["crosswalk", "add", "CV1", "PACER-1", "--erp", str(toml), "--effective", "3/1"]
    )
    assert bad_date.exit_code == 1 and "--effective" in bad_date.output
