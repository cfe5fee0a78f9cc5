"""The reconciliation proves the money: each planted bug is caught and named, a clean day passes.

Each test runs a small sandbox revenue day (40 encounters: EHR -> engine -> RCM -> 837 ->
clearinghouse -> 835 -> finance-posting -> ERP simulator) with one bug planted in careweave's own
code, then asserts that the reconciliation (ERP trial balance and journals vs the raw 837/835 totals
vs the platform's A/R) fails and names the claim, journal or entity and the amount.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from typer.testing import CliRunner

from careweave.cli.app import app
from careweave.connectors.base import Receipt
from careweave.connectors.erp import ErpDestination
from careweave.flows import claim_submission, claims, finance_posting
from careweave.flows.finance_posting import FinancePostingFlow
from careweave.masterdata.entities import PayeeEntities
from careweave.model.erp import JournalRequest
from careweave.model.finance import ClaimDenied, ClaimPaid, ContractualAdjustmentPosted
from careweave.model.records import Effect
from careweave.revenue.books import Break
from careweave.revenue.reconciliation import ReconciliationReport, render_report
from careweave.sandbox.revenue_day import RevenueDayConfig, run_revenue_day

ENCOUNTERS = 40
CENT = Decimal("0.01")
pytestmark = pytest.mark.timeout(180)


async def run_day(folder: Path) -> ReconciliationReport:
    day = await run_revenue_day(RevenueDayConfig(encounters=ENCOUNTERS, seed=7), folder)
    assert day.dead_effects == []
    return day.report


def breaks(report: ReconciliationReport, check: str, about: str = "") -> list[Break]:
    return [b for b in report.breaks if b.check == check and about in f"{b.subject} {b.detail}"]


class Victim:
    """The one posting a plant changes: chosen once, by its idempotency key, so a retried
    message is planted the same way."""

    def __init__(self, wanted: Callable[[Any], bool]) -> None:
        self.wanted = wanted
        self.key: str | None = None
        self.event: Any = None

    def hit(self, event: Any) -> bool:
        if self.key is None and self.wanted(event):
            self.key, self.event = event.idempotency_key, event
        return bool(event.idempotency_key == self.key)


def plant_accounts(
    monkeypatch: pytest.MonkeyPatch, victim: Victim, accounts: Callable[[Any], tuple[str, str]]
) -> None:
    original = finance_posting.accounts_for

    def planted(event: Any, chart: Any) -> tuple[str, str] | None:
        return accounts(chart) if victim.hit(event) else original(event, chart)

    monkeypatch.setattr(finance_posting, "accounts_for", planted)


def plant_event(
    monkeypatch: pytest.MonkeyPatch, victim: Victim, change: Callable[[Any, Any], Any]
) -> None:
    original = FinancePostingFlow.run

    def planted(self: FinancePostingFlow, event: Any, out: Any) -> None:
        original(self, change(self, event) if victim.hit(event) else event, out)

    monkeypatch.setattr(FinancePostingFlow, "run", planted)


async def test_a_clean_day_reconciles(tmp_path: Path) -> None:
    report = await run_day(tmp_path / "day")
    assert report.reconciled, render_report(report)
    books = report.books
    assert books.claims_billed == books.claims_remitted == books.receivables > 20
    assert books.journals > 2 * books.claims_remitted
    assert {row.name for row in books.trial_balance} >= {
        "cash", "insurance A/R", "patient A/R", "denials pending", "contractual allowance",
    }  # fmt: skip
    assert all(row.balance == row.expected for row in books.trial_balance)
    assert "RECONCILED" in render_report(report)


async def test_a_contractual_adjustment_posted_as_patient_responsibility_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = Victim(lambda e: isinstance(e, ContractualAdjustmentPosted))
    plant_accounts(monkeypatch, victim, lambda c: (c.patient_ar, c.insurance_ar))
    report = await run_day(tmp_path / "day")

    claim, amount = victim.event.claim_id, victim.event.amount
    assert not report.reconciled
    named = {(b.account, b.amount) for b in breaks(report, "gl", claim)}
    assert named == {("12200", amount), ("48000", -amount)}
    assert {b.amount for b in breaks(report, "trial-balance", "12200 patient A/R")} == {amount}
    assert {b.amount for b in breaks(report, "totals", "contractual adjustments")} == {-amount}
    assert "NOT RECONCILED" in render_report(report) and claim in render_report(report)


async def test_a_posting_to_the_wrong_entity_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def elsewhere(flow: FinancePostingFlow, event: Any) -> Any:
        assert isinstance(flow.payees, PayeeEntities)
        right = flow.payees.entity(event.entity)
        wrong = min(e for e in flow.payees.by_payee.values() if e != right)
        victim.right, victim.wrong = right, wrong  # type: ignore[attr-defined]
        return msgspec.structs.replace(event, entity=wrong)  # an unmapped payee books as itself

    victim = Victim(lambda e: isinstance(e, ClaimPaid) and e.amount > 0)
    plant_event(monkeypatch, victim, elsewhere)
    report = await run_day(tmp_path / "day")

    claim, amount = victim.event.claim_id, victim.event.amount
    right, wrong = victim.right, victim.wrong  # type: ignore[attr-defined]
    found = {(b.entity, b.account, b.amount) for b in breaks(report, "gl", claim)}
    assert found == {
        (right, "10100", -amount), (wrong, "10100", amount),  # cash missing here, booked there
        (right, "12000", amount), (wrong, "12000", -amount),  # and insurance A/R alike
    }  # fmt: skip
    tb = {(b.entity, b.amount) for b in breaks(report, "trial-balance", "10100 cash")}
    assert tb == {(right, -amount), (wrong, amount)}


async def test_a_journal_lost_before_delivery_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ErpDestination.deliver
    lost: list[Effect] = []

    async def planted(self: ErpDestination, effect: Effect) -> Receipt:
        if not lost and effect.idempotency_key.startswith("journal:835:adj:"):
            lost.append(effect)
        if lost and effect.idempotency_key == lost[0].idempotency_key:
            return Receipt(status=201, response="JE-NEVER")  # acknowledged, never booked
        return await original(self, effect)

    monkeypatch.setattr(ErpDestination, "deliver", planted)
    report = await run_day(tmp_path / "day")

    journal = msgspec.json.decode(lost[0].payload or b"", type=JournalRequest)
    claim = journal.description.split(" claim ")[1]
    amount = journal.lines[0].debit
    missing = breaks(report, "gl", f"claim {claim}")
    assert {b.amount for b in missing} == {-amount, amount}  # a debit and insurance A/R's credit
    assert all(f"835 amounts no journal posted: {-(b.amount or 0)}" in b.detail for b in missing)
    assert breaks(report, "trial-balance") and breaks(report, "totals")


async def test_a_charge_billed_twice_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = claims.claim_from_account
    doubled: list[tuple[str, Decimal]] = []

    def planted(account: Any) -> Any:
        claim = original(account)
        if not doubled:
            doubled.append((claim.claim_id, claim.lines[0].charge))
        if claim.claim_id == doubled[0][0]:
            claim = msgspec.structs.replace(claim, lines=(*claim.lines, claim.lines[0]))
        return claim

    monkeypatch.setattr(claim_submission, "claim_from_account", planted)
    report = await run_day(tmp_path / "day")

    claim, charge = doubled[0]
    [billed] = breaks(report, "billed", f"claim {claim}")
    assert billed.amount == charge and "encounter" in billed.subject
    assert "837 CLM02" in billed.detail
    # The payer settled the doubled claim: the platform's A/R for it no longer balances.
    assert any(b.amount == -charge for b in breaks(report, "receivable", f"claim {claim}"))
    assert any(b.amount == -charge for b in breaks(report, "totals", "insurance A/R relieved"))


async def test_one_cent_rounded_away_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = Victim(lambda e: isinstance(e, ClaimPaid) and e.amount > 1)
    plant_event(
        monkeypatch, victim, lambda _f, e: msgspec.structs.replace(e, amount=e.amount - CENT)
    )
    report = await run_day(tmp_path / "day")

    claim = victim.event.claim_id
    found = {(b.account, b.amount) for b in breaks(report, "gl", claim)}
    assert found == {("10100", -CENT), ("12000", CENT)}
    assert {b.amount for b in breaks(report, "trial-balance")} == {-CENT, CENT}
    assert {b.amount for b in breaks(report, "totals", "payments (CLP04)")} == {-CENT}


async def test_a_denial_posted_as_payment_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = Victim(lambda e: isinstance(e, ClaimDenied))
    plant_accounts(monkeypatch, victim, lambda c: (c.cash, c.insurance_ar))
    report = await run_day(tmp_path / "day")

    claim, amount = victim.event.claim_id, victim.event.amount
    found = {(b.account, b.amount) for b in breaks(report, "gl", claim)}
    assert found == {("10100", amount), ("12300", -amount)}
    assert {b.amount for b in breaks(report, "totals", "payments (CLP04)")} == {amount}
    assert {b.amount for b in breaks(report, "totals", "denied, pending")} == {-amount}


def test_every_co45_as_patient_responsibility_to_a_nonexistent_entity_fails_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two bugs of the issue together: the command names them and exits 1."""
    original = finance_posting.accounts_for

    def as_patient(event: Any, chart: Any) -> tuple[str, str] | None:
        if isinstance(event, ContractualAdjustmentPosted):
            return chart.patient_ar, chart.insurance_ar
        return original(event, chart)

    monkeypatch.setattr(finance_posting, "accounts_for", as_patient)
    monkeypatch.setattr(PayeeEntities, "entity", lambda self, payee: "ZZ99")
    result = CliRunner().invoke(
        app, ["revenue", "reconcile", "--encounters", str(ENCOUNTERS), "--data-dir",
              str(tmp_path / "day")],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "NOT RECONCILED" in result.output
    assert "[trial-balance] entity ZZ99" in result.output and "12200 patient A/R" in result.output
    assert "[gl] claim " in result.output and "ZZ99" in result.output
    assert "48000 contractual allowance: 835 " in result.output
