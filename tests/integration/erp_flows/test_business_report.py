"""``careweave report`` against what the ERP simulator itself received (a side built by other code)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from careweave.app.report import business_report
from careweave.masterdata.cost_centers import ChartOfAccounts
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
        # Margin by service line, from careweave's stored journals, equals the same sums over the
        # journals the ERP received (its own records, read by this test, not by careweave's code).
        chart = ChartOfAccounts()
        costs = (chart.supply_expense, chart.procedure_cost, chart.professional_cost)
        erp_revenue: dict[str, Decimal] = defaultdict(Decimal)
        erp_cost: dict[str, Decimal] = defaultdict(Decimal)
        for journal in journals:
            for jl in journal.lines:
                where = jl.segments.service_line
                if jl.segments.account == chart.patient_revenue:
                    erp_revenue[where] += jl.credit - jl.debit
                elif jl.segments.account in costs:
                    erp_cost[where] += jl.debit - jl.credit
        lines = report.analytics.service_lines
        assert len(lines) >= 2 and sum(r.procedures for r in lines) > 0
        for figures in lines:
            where = figures.service_line
            assert figures.revenue == erp_revenue[where], figures
            assert figures.margin == erp_revenue[where] - erp_cost[where], figures
        assert {r.service_line for r in lines} == {k for k, v in erp_revenue.items() if v} | {
            k for k, v in erp_cost.items() if v
        }

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
    assert "By service line" in text.stdout and "Denials by payer" in text.stdout
    assert len(data["analytics"]["service_lines"]) == len(report.analytics.service_lines)
