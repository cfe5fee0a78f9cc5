"""``careweave demo`` runs end to end: real sockets, real SQLite, the ERP simulator, a crosswalk fix."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from careweave.cli import app


def test_demo_sends_stores_delivers_parks_and_replays(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--data-dir", str(data), "--encounters", "60"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    out = result.output

    def count(label: str) -> int:
        match = re.search(rf"{re.escape(label)}\s*│\s*(\d+)", out)
        assert match, f"{label!r} missing from the summary:\n{out}"
        return int(match.group(1))

    sent = count("messages sent")
    assert sent > 100
    assert count("dead letters") == 0
    assert count("ERP inventory movements") > 0
    assert "ERP journals (all balanced)" in out
    assert count("stock positions moved (careweave's = the ERP's)") > 0
    assert (
        count("stored and processed")
        + count("stored, parked on a supply-chain case")
        + count("stored, in error (fix and replay)")
        == sent
    )
    assert "fixed the crosswalk once" in out
    assert (data / "careweave.db").exists() and (data / "demo.toml").exists()
