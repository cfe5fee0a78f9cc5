"""Issue 4, acceptance 3 and 2 (first half): a sandbox day of 2,000 encounters, reconciled.

The EHR simulator sends the day over MLLP into the real engine (SQLite); patient-to-billing sends
the charges to the revenue-cycle platform simulator over HTTP; a claim run bills the ready accounts
as 837P/837I to the clearinghouse simulator; its 999, 277CA and 835 files come back in on an x12
channel and are posted as journals to the ERP simulator's general ledger, and the platform applies the
payers' outcomes to its A/R. The reconciliation must say that every charge is on exactly one claim
line (or on an account named as not billable), and that the ERP's journals and trial balance, the
totals read from the raw 837 and 835 files and the platform's A/R agree per claim, per entity and
day and per period, to the cent; every 837 file the day wrote must validate with pyx12 with zero
errors.

Figures on the 2-core machine (seed 7, 2026-12): 10,580 charges and 236 credits, 2,855 claims with
10,036 lines on 171 checks, 20,496 journals posted to the ERP simulator one HTTP request each;
about 120 s alone, 210 s with other test runs sharing the machine (then ~65 s MLLP ingest with the
flows, ~85 s posting the journals, 4 s reading and reconciling the three sides).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from careweave.revenue.reconciliation import render_report
from careweave.sandbox.revenue_day import RevenueDayConfig, run_revenue_day
from tests.unit.x12.pyx12_oracle import pyx12_errors

ENCOUNTERS = 2000


@pytest.mark.timeout(400)
async def test_a_sandbox_day_of_2000_encounters_reconciles_to_the_cent(tmp_path: Path) -> None:
    day = await run_revenue_day(RevenueDayConfig(encounters=ENCOUNTERS, seed=7), tmp_path / "day")
    report = day.report
    print(render_report(report))
    print(f"timings: {day.timings}")

    assert report.reconciled, render_report(report)
    assert report.breaks == ()
    # The day is the size the acceptance asks for, and most of it was billed and paid.
    assert day.messages > 5 * ENCOUNTERS
    assert report.charges_captured > 4 * ENCOUNTERS
    assert report.claims > 0.75 * ENCOUNTERS
    assert report.claim_lines > 0.8 * report.charges_captured
    books = report.books
    assert books.claims_billed == books.claims_remitted == books.receivables == report.claims
    assert books.open_claims == 0 and books.billed_amount == report.billed_amount
    assert books.journals > 2 * report.claims
    assert {row.name for row in books.trial_balance} >= {
        "cash", "insurance A/R", "patient A/R", "denials pending", "contractual allowance",
        "provider-level adjustments",
    }  # fmt: skip
    # What was not billed is named: self-pay patients have no coverage to bill.
    assert set(report.unbilled_reasons) <= {"no coverage or patient demographics"}
    assert report.captured_net == report.billed_amount + report.unbilled_amount
    # Nothing was lost on the way: no dead letters, every ready account went out.
    assert day.dead_effects == []
    assert day.claim_run.problems == ()
    # Denials became work items for their teams.
    assert any(reason.startswith("DENIAL_") for reason in day.cases_by_reason)

    kinds = {f.kind for f in day.claim_run.files}
    assert kinds == {"professional", "institutional"}
    for number, text in enumerate(day.files_837):
        path = tmp_path / f"claims-{number}.x12"
        path.write_text(text)
        assert pyx12_errors(path) == [], f"837 file {number} ({day.claim_run.files[number].name})"
