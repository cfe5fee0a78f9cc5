"""The reconciliation finds each kind of break, by name, and passes books that agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from careweave.model.finance import (
    ClaimPaid,
    ContractualAdjustmentPosted,
    RemittanceEvent,
    RemittanceReceived,
)
from careweave.revenue.reconciliation import (
    ChargeFact,
    ClaimLineFact,
    UnbilledAccount,
    reconcile,
    render_report,
)

DAY = dt.date(2025, 3, 20)


def charge(key: str, amount: str, encounter: str = "E1") -> ChargeFact:
    return ChargeFact(line_key=key, encounter_id=encounter, entity="RBH01", amount=Decimal(amount))


def line(key: str, amount: str, claim: str = "C1", encounter: str = "E1") -> ClaimLineFact:
    return ClaimLineFact(
        claim_id=claim, line_key=key, amount=Decimal(amount), entity="RBH01", encounter_id=encounter
    )


def remittance(
    claim: str = "C1", paid: str = "60.00", contractual: str = "40.00"
) -> list[RemittanceEvent]:
    received = RemittanceReceived(
        idempotency_key="835:remittance:P1:T1", payment_amount=Decimal(paid), entity="RBH01",
        payer_id="P1", trace_number="T1", remitted_on=DAY, payment_method="ACH", payee_id="N1",
        claim_count=1,
    )  # fmt: skip
    payment = ClaimPaid(
        idempotency_key=f"835:paid:P1:T1:{claim}", claim_id=claim, amount=Decimal(paid),
        entity="RBH01", payer_id="P1", trace_number="T1", remitted_on=DAY, claim_status="1",
        charge_amount=Decimal("100.00"),
    )  # fmt: skip
    adjustment = ContractualAdjustmentPosted(
        idempotency_key=f"835:adj:P1:T1:{claim}:claim:1", claim_id=claim,
        amount=Decimal(contractual), entity="RBH01", payer_id="P1", trace_number="T1",
        remitted_on=DAY, group_code="CO", carc="45", adjustment_index=1,
    )  # fmt: skip
    return [received, payment, adjustment]


def test_books_that_agree_reconcile() -> None:
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
    events = remittance()
    report = reconcile(charges, lines, unbilled, events, events)
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
    report = reconcile(charges, lines, [], [], [])
    subjects = {(m.check, m.subject) for m in report.mismatches}
    assert ("billed-once", "L1") in subjects
    assert ("billed-once", "L2") in subjects
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
    report = reconcile(charges, [line("L1", "70.00"), line("GHOST", "1.00")], [], [], [])
    details = {m.subject: m.detail for m in report.mismatches}
    assert "reversed charge" in details["L1"]
    assert "never captured" in details["GHOST"]


def test_a_posting_missing_doubled_or_changed_is_named() -> None:
    remitted = remittance()
    received, paid, contractual = remitted
    changed = ContractualAdjustmentPosted(
        **{
            **{f: getattr(contractual, f) for f in contractual.__struct_fields__},
            "amount": Decimal("41"),
        }
    )
    report = reconcile([], [line("L1", "100.00")], [], remitted, [received, received, changed])
    details = [(m.check, m.subject, m.detail) for m in report.mismatches]
    assert ("posted-once", received.idempotency_key, "posted 2 times") in details
    assert ("posted-once", paid.idempotency_key, "on an 835, never posted") in details
    assert any(s == contractual.idempotency_key and "41" in d for _c, s, d in details)
    assert any(c == "totals" for c, _s, _d in details)


def test_a_claim_whose_payment_and_adjustments_miss_its_charge_is_named() -> None:
    events = remittance(paid="60.00", contractual="39.99")
    report = reconcile([charge("L1", "100.00")], [line("L1", "100.00")], [], events, events)
    [mismatch] = report.mismatches
    assert mismatch.subject == "C1" and "99.99" in mismatch.detail
