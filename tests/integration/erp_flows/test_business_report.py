"""``careweave report`` against what the ERP simulator itself received (a side built by other code)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from careweave.app.report import business_report
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.erp_books import build_books
from tests.integration.erp_flows.harness import erp_day


async def test_the_report_agrees_with_the_erp_and_reads_the_store(tmp_path: Path) -> None:
    scenario = generate_scenario(
        EhrScenarioConfig(seed=5, days=1, encounters_per_day=25, item_mismatch_rate=0.0)
    )
    async with erp_day(tmp_path, build_books(scenario)) as day:
        for message in scenario.well_formed():
            await day.engine.receive_hl7("ehr", message.raw)
        await day.settle()
        report = await business_report(day.store)
        state = day.simulator.state

        journals = state.journals()
        assert report.delivered["journals"].count == len(journals) > 0
        assert report.delivered["journals"].amount == sum(
            (line.debit for j in journals for line in j.lines), Decimal(0)
        )
        moves = [t for t in state.transactions() if t.reference != "opening"]
        assert report.delivered["inventory movements"].count == len(moves) > 0
        assert report.delivered["inventory movements"].quantity == sum(
            -t.quantity if t.transaction_type == "issue" else t.quantity for t in moves
        )
        orders = state.purchase_orders()
        assert report.delivered["purchase orders"].count == len(orders)
        assert report.delivered["purchase orders"].amount == sum(
            (line.unit_cost * line.quantity for po in orders for line in po.lines), Decimal(0)
        )
        assert report.pending == 0 and report.dead == 0
        # careweave's stock view (from its own store) equals the ERP's on-hand for what moved.
        for row in report.stock:
            assert row.on_hand == state.on_hand(row.item, row.location), row
        # The ledger balances: every entity's debits equal its credits across accounts.
        by_entity: dict[str, Decimal] = {}
        for line in report.ledger:
            by_entity[line.entity] = by_entity.get(line.entity, Decimal(0)) + line.balance
        assert by_entity and all(total == 0 for total in by_entity.values())

    # The CLI reads the same from the file the engine left (read-only, no engine needed).
    settings = tmp_path / "careweave.toml"
    settings.write_text(f'[engine]\ndata_dir = "{tmp_path}"\n')
    (tmp_path / "cw.db").rename(tmp_path / "careweave.db")
    result = subprocess.run(
        [sys.executable, "-m", "careweave", "report", "--config", str(settings), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["delivered"]["journals"]["count"] == report.delivered["journals"].count
    assert Decimal(data["delivered"]["journals"]["amount"]) == report.delivered["journals"].amount
    assert len(data["stock"]) == len(report.stock)
    text = subprocess.run(
        [sys.executable, "-m", "careweave", "report", "--config", str(settings)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert text.returncode == 0, text.stderr
    assert "journals" in text.stdout and "Ledger balances" in text.stdout
