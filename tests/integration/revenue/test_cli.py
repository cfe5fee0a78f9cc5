"""``careweave revenue reconcile`` runs a small sandbox day and prints the reconciliation."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from careweave.cli.app import app


def test_revenue_reconcile_prints_a_reconciled_report_and_keeps_the_837s(tmp_path: Path) -> None:
    folder = tmp_path / "day"
    result = CliRunner().invoke(
        app, ["revenue", "reconcile", "--encounters", "40", "--data-dir", str(folder)]
    )
    assert result.exit_code == 0, result.output
    assert "careweave revenue reconciliation" in result.output
    assert "RECONCILED: every charge billed once" in result.output
    assert "ERP trial balance" in result.output and "10100 cash" in result.output
    written = sorted(p.name for p in (folder / "837").iterdir())
    assert any("837P" in name for name in written) and any("837I" in name for name in written)
    # The claim register and the control numbers are business state in the engine's database.
    assert not (folder / "claims.db").exists() and not (folder / "x12-control.db").exists()
    with contextlib.closing(sqlite3.connect(folder / "careweave.db")) as db:
        assert db.execute("SELECT count(*) FROM claims").fetchone()[0] > 0
        [(numbers,)] = db.execute(
            "SELECT value FROM control_numbers WHERE key LIKE '%|interchange'"
        )
    assert int(numbers) == len(written)
