"""Revenue-cycle reconciliation: charges billed once, and the books proved against the payers.

Two questions, each answered with counts, amounts and the breaks by name:

1. *Billed once.* Every charge careweave captured and did not reverse is on exactly one claim line
   of its claim register, or on an account the platform could not bill yet (self-pay, no
   coverage), named with its reason; no claim line bills a charge never captured; and captured
   net = billed + unbilled.
2. *The books prove the money* (:mod:`careweave.revenue.books`): the ERP's ledger and trial
   balance, the totals read from the raw 837 and 835 files and the revenue-cycle platform's
   accounts receivable agree per claim, per entity and day and per period, to the cent.

The inputs are plain facts (the caller reads them from the platform, the claim register, the
files and the ERP), so the same functions serve the sandbox day, a CLI run and a test.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from decimal import Decimal

import msgspec

from careweave.revenue.books import BooksReport, Break

ZERO = Decimal(0)


class ChargeFact(msgspec.Struct, frozen=True, kw_only=True):
    """A charge or credit careweave captured and routed to the platform."""

    line_key: str
    encounter_id: str
    entity: str
    amount: Decimal
    """Positive for both; ``transaction`` says which."""
    transaction: str = "charge"
    reverses: str = ""


class ClaimLineFact(msgspec.Struct, frozen=True, kw_only=True):
    """A service line of a submitted claim and the charge it bills."""

    claim_id: str
    line_key: str
    amount: Decimal
    entity: str
    encounter_id: str


class UnbilledAccount(msgspec.Struct, frozen=True, kw_only=True):
    """An account left off claims, and why (self-pay, no coverage, still open)."""

    encounter_id: str
    reason: str


class ReconciliationReport(msgspec.Struct, frozen=True, kw_only=True):
    """Billed once, and the three-way books."""

    charges_captured: int
    credits_captured: int
    captured_net: Decimal
    charges_reversed: int
    claim_lines: int
    claims: int
    billed_amount: Decimal
    unbilled_lines: int
    unbilled_amount: Decimal
    unbilled_reasons: dict[str, int]
    books: BooksReport
    billing_breaks: tuple[Break, ...] = ()

    @property
    def breaks(self) -> tuple[Break, ...]:
        """Every break, billing first."""
        return (*self.billing_breaks, *self.books.breaks)

    @property
    def reconciled(self) -> bool:
        """Whether every check passed, to the cent."""
        return not self.breaks


def _billing(
    charges: Sequence[ChargeFact],
    lines: Sequence[ClaimLineFact],
    unbilled: Sequence[UnbilledAccount],
    out: list[Break],
) -> dict[str, object]:
    def add(subject: str, amount: Decimal, detail: str) -> None:
        out.append(Break(check="billed-once", subject=subject, amount=amount, detail=detail))

    by_key = {c.line_key: c for c in charges if c.transaction == "charge"}
    reversed_keys = {c.reverses for c in charges if c.transaction == "credit" and c.reverses}
    for credit in (c for c in charges if c.transaction == "credit"):
        original = by_key.get(credit.reverses)
        if original is None:
            add(
                credit.line_key,
                credit.amount,
                f"credit reverses unknown charge {credit.reverses!r}",
            )
        elif original.amount != credit.amount:
            add(credit.line_key, credit.amount - original.amount,
                f"credit {credit.amount} != charge {original.amount}")  # fmt: skip
    on_claims = collections.Counter(line.line_key for line in lines)
    reasons = {u.encounter_id: u.reason for u in unbilled}
    unbilled_lines, unbilled_amount = 0, ZERO
    reason_counts: collections.Counter[str] = collections.Counter()
    for key, charge in by_key.items():
        times = on_claims.get(key, 0)
        where = f"charge {key} (encounter {charge.encounter_id})"
        if key in reversed_keys:
            if times:
                add(where, charge.amount * times, f"reversed charge is on {times} claim line(s)")
            continue
        if times == 1:
            continue
        if times == 0 and charge.encounter_id in reasons:
            unbilled_lines += 1
            unbilled_amount += charge.amount
            reason_counts[reasons[charge.encounter_id]] += 1
            continue
        add(where, charge.amount * (times - 1), f"captured charge is on {times} claim lines")
    for line in lines:
        billed_charge = by_key.get(line.line_key)
        where = f"charge {line.line_key} (encounter {line.encounter_id})"
        if billed_charge is None:
            add(where, line.amount, f"claim {line.claim_id} bills a charge never captured")
        elif billed_charge.amount != line.amount:
            add(where, line.amount - billed_charge.amount,
                f"claim {line.claim_id} line {line.amount} != charge {billed_charge.amount}")  # fmt: skip
    captured_net = sum((c.amount for c in by_key.values()), ZERO) - sum(
        (c.amount for c in charges if c.transaction == "credit"), ZERO
    )
    billed = sum((line.amount for line in lines), ZERO)
    if captured_net != billed + unbilled_amount:
        add("totals", billed + unbilled_amount - captured_net,
            f"captured net {captured_net} != billed {billed} + unbilled {unbilled_amount}")  # fmt: skip
    return {
        "charges_captured": len(by_key),
        "credits_captured": len(charges) - len(by_key),
        "captured_net": captured_net,
        "charges_reversed": len(reversed_keys & set(by_key)),
        "claim_lines": len(lines),
        "claims": len({line.claim_id for line in lines}),
        "billed_amount": billed,
        "unbilled_lines": unbilled_lines,
        "unbilled_amount": unbilled_amount,
        "unbilled_reasons": dict(reason_counts),
    }


def reconcile(
    charges: Sequence[ChargeFact],
    claim_lines: Sequence[ClaimLineFact],
    unbilled: Sequence[UnbilledAccount],
    books: BooksReport,
) -> ReconciliationReport:
    """Check that captured charges are billed once; carry the books' comparison along."""
    breaks: list[Break] = []
    billing = _billing(charges, claim_lines, unbilled, breaks)
    return ReconciliationReport(
        **billing,  # type: ignore[arg-type]
        books=books,
        billing_breaks=tuple(breaks),
    )


CHECK_ORDER = {
    check: n
    for n, check in enumerate(
        ("x12", "trial-balance", "totals", "billed-once", "billed", "receivable", "gl")
    )
}


def render_report(report: ReconciliationReport, *, limit: int = 20) -> str:
    """The report as text, ending with RECONCILED or the breaks (all of the files' and the trial
    balance's, the first ``limit`` of each other check)."""
    books = report.books
    lines = [
        "careweave revenue reconciliation",
        f"charges captured        {report.charges_captured:>8}",
        f"credits captured        {report.credits_captured:>8}   reversing {report.charges_reversed}",
        f"captured net            {report.captured_net:>14}",
        f"billed on claims        {report.claim_lines:>8} lines on {report.claims} claims  "
        f"{report.billed_amount:>14}",
        f"not billed (named)      {report.unbilled_lines:>8} lines  {report.unbilled_amount:>14}  "
        + ", ".join(f"{r}: {n}" for r, n in sorted(report.unbilled_reasons.items())),
        "",
        "books: ERP general ledger vs the 837/835 files vs the revenue-cycle platform's A/R",
        f"837 claims              {books.claims_billed:>8}   billed {books.billed_amount:>14}",
        f"835 claims              {books.claims_remitted:>8}   on {books.checks} checks",
        f"GL journals             {books.journals:>8}",
        f"platform receivables    {books.receivables:>8}   open (no 835 yet) {books.open_claims}"
        f" claims {books.open_amount}",
        "",
        "ERP trial balance, remittance accounts, against what the 835s call for",
        f"{'entity':<8} {'period':<7} {'account':<34} {'debits':>13} {'credits':>13} "
        f"{'balance':>13} {'835':>13}",
    ]
    for tb in books.trial_balance:
        lines.append(
            f"{tb.entity:<8} {tb.period:<7} {tb.account + ' ' + tb.name:<34} {tb.debits:>13} "
            f"{tb.credits:>13} {tb.balance:>13} {tb.expected:>13}"
        )
    lines += [
        "",
        "per entity and remittance day: the 835s, the GL and the platform",
        f"{'entity':<8} {'day':<10} {'measure':<30} {'835':>13} {'GL':>13} {'platform':>13}",
    ]
    for row in books.totals:
        rcm = "" if row.rcm is None else str(row.rcm)
        lines.append(
            f"{row.entity:<8} {row.day!s:<10} {row.measure:<30} {row.x12:>13} {row.gl:>13} "
            f"{rcm:>13}"
        )
    lines.append("")
    breaks = report.breaks
    if not breaks:
        lines.append(
            "RECONCILED: every charge billed once; GL, trial balance, 837/835 totals and platform "
            "A/R agree to the cent"
        )
        return "\n".join(lines)
    counts = collections.Counter(b.check for b in breaks)
    lines.append(
        f"NOT RECONCILED: {len(breaks)} break(s) ("
        + ", ".join(f"{check} {n}" for check, n in sorted(counts.items()))
        + ")"
    )
    # The summary levels first (files, trial balance, totals), then claims and journals; the
    # files' and the trial balance's breaks are few and all shown.
    for check in sorted(counts, key=lambda c: (CHECK_ORDER.get(c, len(CHECK_ORDER)), c)):
        found = [b for b in breaks if b.check == check]
        shown = len(found) if check in ("x12", "trial-balance") else limit
        for one in found[:shown]:
            amount = "" if one.amount is None else f" {one.amount:+}"
            lines.append(f"  [{one.check}] {one.subject}{amount}: {one.detail}")
        if len(found) > shown:
            lines.append(f"  [{check}] ... and {len(found) - shown} more")
    return "\n".join(lines)
