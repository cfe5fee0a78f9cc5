"""The billed-once check finds each kind of break, by name and amount, and passes what agrees.

The books' checks (GL, trial balance, 837/835 totals, platform A/R) are in
tests/unit/revenue/test_books.py and, against a running day, test_books_mutations.py.
"""

from __future__ import annotations

from decimal import Decimal

from careweave.revenue.books import BooksReport, reconcile_books
from careweave.revenue.reconciliation import (
    ChargeFact,
    ClaimLineFact,
    UnbilledAccount,
    reconcile,
    render_report,
)
from careweave.revenue.x12_totals import read_totals


def no_books() -> BooksReport:
    return reconcile_books(read_totals([], [], {}), [], [], [])


def charge(key: str, amount: str, encounter: str = "E1") -> ChargeFact:
    return ChargeFact(line_key=key, encounter_id=encounter, entity="RBH01", amount=Decimal(amount))


def line(key: str, amount: str, claim: str = "C1", encounter: str = "E1") -> ClaimLineFact:
    return ClaimLineFact(
        claim_id=claim, line_key=key, amount=Decimal(amount), entity="RBH01", encounter_id=encounter
    )


def test_charges_billed_once_reconcile() -> None:
    charges = [
        charge("L1", "70.00"),
        charge("L2", "30.00"),
        charge("L3", "25.00", "E2"),
        ChargeFact(line_key="L4", encounter_id="E1", entity="RBH01", amount=Decimal("5.00")),
        ChargeFact(
            line_key="L4C", encounter_id="E1", entity="RBH01", amount=Decimal("5.00"),
            transaction="credit", reverses="L4",
        ),
    ]  # fmt: skip
    lines = [line("L1", "70.00"), line("L2", "30.00")]
    unbilled = [UnbilledAccount(encounter_id="E2", reason="no coverage")]
    report = reconcile(charges, lines, unbilled, no_books())
    assert report.reconciled, render_report(report)
    assert report.charges_captured == 4 and report.credits_captured == 1
    assert report.charges_reversed == 1
    assert report.captured_net == Decimal("125.00")
    assert report.billed_amount == Decimal("100.00") and report.unbilled_amount == Decimal("25.00")
    assert report.unbilled_reasons == {"no coverage": 1}
    assert "RECONCILED" in render_report(report)


def test_a_charge_billed_twice_or_never_is_named() -> None:
    charges = [charge("L1", "70.00"), charge("L2", "30.00")]
    lines = [line("L1", "70.00"), line("L1", "70.00", claim="C2")]
    report = reconcile(charges, lines, [], no_books())
    found = {(b.check, b.subject, b.amount) for b in report.breaks}
    assert ("billed-once", "charge L1 (encounter E1)", Decimal("70.00")) in found
    assert ("billed-once", "charge L2 (encounter E1)", Decimal("-30.00")) in found
    assert not report.reconciled
    assert "NOT RECONCILED" in render_report(report)


def test_a_reversed_charge_on_a_claim_and_a_line_never_captured_are_named() -> None:
    charges = [
        charge("L1", "70.00"),
        ChargeFact(
            line_key="L1C", encounter_id="E1", entity="RBH01", amount=Decimal("70.00"),
            transaction="credit", reverses="L1",
        ),
    ]  # fmt: skip
    report = reconcile(charges, [line("L1", "70.00"), line("GHOST", "1.00")], [], no_books())
    details = {b.subject: b.detail for b in report.breaks}
    assert "reversed charge" in details["charge L1 (encounter E1)"]
    assert "never captured" in details["charge GHOST (encounter E1)"]


def test_a_claim_line_billing_another_amount_is_named() -> None:
    report = reconcile([charge("L1", "100.00")], [line("L1", "99.99")], [], no_books())
    [found, _totals] = report.breaks
    assert found.subject == "charge L1 (encounter E1)" and found.amount == Decimal("-0.01")
    assert "claim C1 line 99.99 != charge 100.00" in found.detail
