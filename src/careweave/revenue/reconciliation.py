"""Revenue-cycle reconciliation: charges to claim lines, remittances to GL postings, to the cent.

Three questions, each answered with counts, amounts and the exceptions by name:

1. *Billed once.* Every charge captured and not reversed is on exactly one claim line, or on an
   account the platform could not bill yet (self-pay, no coverage), named with its reason; no
   claim line bills a charge that was never captured; and captured net = billed + unbilled.
2. *Posted once.* Every payment and adjustment the 835s carry was posted to the GL exactly once,
   with the same amount, and the GL holds nothing the 835s did not carry.
3. *Totals agree.* Per entity and remittance day, the 835 totals by kind (paid, contractual,
   patient responsibility, denied, written off, provider-level) equal the GL's; per claim, paid +
   adjustments = the claim's charge as billed.

The inputs are plain facts (the caller reads them from the platform, the claim register, the 835
files and the GL), so the same function serves the sandbox day, a CLI run and a test.
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

import msgspec

from careweave.model.finance import (
    ClaimAdjustmentPosting,
    ClaimPaid,
    ProviderLevelAdjustment,
    RemittanceEvent,
    RemittanceReceived,
)

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


class Mismatch(msgspec.Struct, frozen=True, kw_only=True):
    """One thing that does not reconcile, named."""

    check: str
    subject: str
    detail: str


class TotalsRow(msgspec.Struct, frozen=True, kw_only=True):
    """835 and GL totals of one kind for one entity and day."""

    entity: str
    day: dt.date | None
    kind: str
    remitted: Decimal
    posted: Decimal

    @property
    def difference(self) -> Decimal:
        """Posted minus remitted."""
        return self.posted - self.remitted


class ReconciliationReport(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to the three questions."""

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
    remittance_postings: int
    gl_postings: int
    totals: tuple[TotalsRow, ...]
    claims_remitted: int
    mismatches: tuple[Mismatch, ...]

    @property
    def reconciled(self) -> bool:
        """Whether every check passed, to the cent."""
        return not self.mismatches


def _kind(event: RemittanceEvent) -> str:
    name = type(event).__name__
    return {
        "ClaimPaid": "paid",
        "ContractualAdjustmentPosted": "contractual",
        "PatientResponsibilityAssigned": "patient_responsibility",
        "ClaimDenied": "denied",
        "WriteOffPosted": "written_off",
        "ProviderLevelAdjustment": "provider_level",
        "RemittanceReceived": "cash_received",
    }.get(name, name)


def _amount(event: RemittanceEvent) -> Decimal:
    if isinstance(event, RemittanceReceived):
        return event.payment_amount
    if isinstance(event, ClaimPaid | ClaimAdjustmentPosting | ProviderLevelAdjustment):
        return event.amount
    return ZERO


def _billing(
    charges: Sequence[ChargeFact],
    lines: Sequence[ClaimLineFact],
    unbilled: Sequence[UnbilledAccount],
    out: list[Mismatch],
) -> dict[str, object]:
    by_key = {c.line_key: c for c in charges if c.transaction == "charge"}
    reversed_keys = {c.reverses for c in charges if c.transaction == "credit" and c.reverses}
    for credit in (c for c in charges if c.transaction == "credit"):
        original = by_key.get(credit.reverses)
        if original is None:
            out.append(Mismatch(check="billed-once", subject=credit.line_key,
                                detail=f"credit reverses unknown charge {credit.reverses!r}"))  # fmt: skip
        elif original.amount != credit.amount:
            out.append(Mismatch(check="billed-once", subject=credit.line_key,
                                detail=f"credit {credit.amount} != charge {original.amount}"))  # fmt: skip
    on_claims = collections.Counter(line.line_key for line in lines)
    reasons = {u.encounter_id: u.reason for u in unbilled}
    unbilled_lines, unbilled_amount = 0, ZERO
    reason_counts: collections.Counter[str] = collections.Counter()
    for key, charge in by_key.items():
        times = on_claims.get(key, 0)
        if key in reversed_keys:
            if times:
                out.append(Mismatch(check="billed-once", subject=key,
                                    detail=f"reversed charge is on {times} claim line(s)"))  # fmt: skip
            continue
        if times == 1:
            continue
        if times == 0 and charge.encounter_id in reasons:
            unbilled_lines += 1
            unbilled_amount += charge.amount
            reason_counts[reasons[charge.encounter_id]] += 1
            continue
        out.append(Mismatch(check="billed-once", subject=key,
                            detail=f"captured charge is on {times} claim lines"))  # fmt: skip
    for line in lines:
        billed_charge = by_key.get(line.line_key)
        if billed_charge is None:
            out.append(Mismatch(check="billed-once", subject=line.line_key,
                                detail=f"claim {line.claim_id} bills a charge never captured"))  # fmt: skip
        elif billed_charge.amount != line.amount:
            detail = f"claim line {line.amount} != charge {billed_charge.amount}"
            out.append(Mismatch(check="billed-once", subject=line.line_key, detail=detail))
    captured_net = sum((c.amount for c in by_key.values()), ZERO) - sum(
        (c.amount for c in charges if c.transaction == "credit"), ZERO
    )
    billed = sum((line.amount for line in lines), ZERO)
    if captured_net != billed + unbilled_amount:
        out.append(Mismatch(check="billed-once", subject="totals",
                            detail=f"captured net {captured_net} != billed {billed} + unbilled "
                                   f"{unbilled_amount}"))  # fmt: skip
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


def _postings(
    remitted: Sequence[RemittanceEvent], posted: Sequence[RemittanceEvent], out: list[Mismatch]
) -> tuple[TotalsRow, ...]:
    expected = {e.idempotency_key: e for e in remitted}
    seen: collections.Counter[str] = collections.Counter(e.idempotency_key for e in posted)
    for key, times in seen.items():
        if times > 1:
            out.append(Mismatch(check="posted-once", subject=key, detail=f"posted {times} times"))
        if key not in expected:
            out.append(Mismatch(check="posted-once", subject=key, detail="posted, not on any 835"))
    posted_by_key = {e.idempotency_key: e for e in posted}
    for key, event in expected.items():
        found = posted_by_key.get(key)
        if found is None:
            out.append(Mismatch(check="posted-once", subject=key, detail="on an 835, never posted"))
        elif _amount(found) != _amount(event):
            out.append(Mismatch(check="posted-once", subject=key,
                                detail=f"posted {_amount(found)} != remitted {_amount(event)}"))  # fmt: skip
    totals: dict[tuple[str, dt.date | None, str], list[Decimal]] = {}
    for index, events in ((0, remitted), (1, posted)):
        for event in events:
            sums = totals.setdefault((event.entity, event.remitted_on, _kind(event)), [ZERO, ZERO])
            sums[index] += _amount(event)
    rows = tuple(
        TotalsRow(entity=e, day=d, kind=k, remitted=v[0], posted=v[1])
        for (e, d, k), v in sorted(totals.items(), key=lambda i: (i[0][0], str(i[0][1]), i[0][2]))
    )
    for row in rows:
        if row.difference:
            out.append(Mismatch(check="totals", subject=f"{row.entity} {row.day} {row.kind}",
                                detail=f"835 {row.remitted} != GL {row.posted}"))  # fmt: skip
    return rows


def _claims_balance(
    remitted: Sequence[RemittanceEvent], lines: Sequence[ClaimLineFact], out: list[Mismatch]
) -> int:
    billed: dict[str, Decimal] = collections.defaultdict(lambda: ZERO)
    for line in lines:
        billed[line.claim_id] += line.amount
    settled: dict[str, Decimal] = collections.defaultdict(lambda: ZERO)
    for event in remitted:
        if isinstance(event, ClaimPaid | ClaimAdjustmentPosting):
            settled[event.claim_id] += event.amount
    for claim_id, amount in settled.items():
        if claim_id not in billed:
            out.append(Mismatch(check="totals", subject=claim_id, detail="remitted, never billed"))
        elif amount != billed[claim_id]:
            detail = f"paid + adjustments {amount} != billed {billed[claim_id]}"
            out.append(Mismatch(check="totals", subject=claim_id, detail=detail))
    return len(settled)


def reconcile(
    charges: Sequence[ChargeFact],
    claim_lines: Sequence[ClaimLineFact],
    unbilled: Sequence[UnbilledAccount],
    remitted: Iterable[RemittanceEvent],
    posted: Iterable[RemittanceEvent],
) -> ReconciliationReport:
    """Reconcile captured charges, claims, 835 postings and the GL; see the module docstring.

    ``remitted`` is what the 835 files carry (their finance events, each once); ``posted`` is
    what the GL applied (one event per posting it applied, repeats included).
    """
    mismatches: list[Mismatch] = []
    remitted, posted = list(remitted), list(posted)
    billing = _billing(charges, claim_lines, unbilled, mismatches)
    totals = _postings(remitted, posted, mismatches)
    claims_remitted = _claims_balance(remitted, claim_lines, mismatches)
    return ReconciliationReport(
        **billing,  # type: ignore[arg-type]
        remittance_postings=len(remitted),
        gl_postings=len(posted),
        totals=totals,
        claims_remitted=claims_remitted,
        mismatches=tuple(mismatches),
    )


def render_report(report: ReconciliationReport) -> str:
    """The report as text, ending with RECONCILED or the count of what does not reconcile."""
    lines = [
        "careweave revenue reconciliation",
        f"charges captured        {report.charges_captured:>8}",
        f"credits captured        {report.credits_captured:>8}   reversing {report.charges_reversed}",
        f"captured net            {report.captured_net:>14}",
        f"billed on claims        {report.claim_lines:>8} lines on {report.claims} claims  "
        f"{report.billed_amount:>14}",
        f"not billed (named)      {report.unbilled_lines:>8} lines  {report.unbilled_amount:>14}  "
        + ", ".join(f"{r}: {n}" for r, n in sorted(report.unbilled_reasons.items())),
        f"835 postings            {report.remittance_postings:>8}   GL postings {report.gl_postings}",
        f"claims remitted         {report.claims_remitted:>8}",
        "",
        f"{'entity':<10} {'day':<10} {'kind':<24} {'835':>14} {'GL':>14} {'diff':>8}",
    ]
    for row in report.totals:
        lines.append(
            f"{row.entity:<10} {row.day!s:<10} {row.kind:<24} {row.remitted:>14} "
            f"{row.posted:>14} {row.difference:>8}"
        )
    lines.append("")
    if report.reconciled:
        lines.append("RECONCILED: every charge billed once, every posting once, totals to the cent")
    else:
        lines.append(f"NOT RECONCILED: {len(report.mismatches)} mismatch(es)")
        lines.extend(f"  [{m.check}] {m.subject}: {m.detail}" for m in report.mismatches[:50])
    return "\n".join(lines)
