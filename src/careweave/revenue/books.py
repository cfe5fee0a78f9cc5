"""The books proved against the payers' files: GL trial balance vs raw 837/835 totals vs RCM A/R.

Three sides, each built by its own system from what it received:

- the ERP's general ledger: the journals it accepted (:class:`GlLine`, one per journal line) and
  its trial balance (:class:`TrialBalanceFact`);
- the payers' files, read by :mod:`careweave.revenue.x12_totals` (not by the 835 mapping the
  posting flows use): what each claim billed (CLM02), what the payer paid (CLP04) and adjusted (CAS
  by group and reason), provider-level adjustments (PLB) and check totals (BPR02);
- the revenue-cycle platform's accounts receivable per claim (:class:`ReceivableFact`): what it
  billed, the payments and adjustments it applied, its balances.

What the ledger should hold is derived from the 835s alone, with the reconciliation's own reading
of the adjustment codes and the chart of accounts (:mod:`careweave.revenue.remittance_ledger`); a
GL line is tied to its claim by its journal's description.

Every difference is a :class:`Break` naming the claim (and its encounter), the journal or the
entity and day, and the amount. Checks: the files' own arithmetic (``x12``); per claim and account,
GL vs 835 (``gl``); per entity, account and period, trial balance vs 835 (``trial-balance``); per
claim, RCM billed vs 837 vs 835 charge (``billed``); per claim, RCM payments, adjustments and
balance vs 835 (``receivable``); per entity, day and measure, 835 vs GL vs RCM (``totals``).
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

import msgspec

from careweave.masterdata.cost_centers import ChartOfAccounts
from careweave.revenue.remittance_ledger import (
    Kind,
    LedgerKey,
    account_names,
    adjustment_kind,
    expected_items,
    expected_ledger,
    reference,
)
from careweave.revenue.x12_totals import CasAmount, RemittedClaim, X12Totals

ZERO = Decimal("0.00")


class Break(msgspec.Struct, frozen=True, kw_only=True):
    """One thing that does not reconcile: which check, what it is about, by how much."""

    check: str
    subject: str
    """The claim (and encounter), journal, entity and day or file concerned."""
    detail: str
    amount: Decimal | None = None
    """The difference (the other side minus the 835's), when it is an amount."""
    entity: str = ""
    """The legal entity, when the break is in its books."""
    account: str = ""
    """The GL account, when the break is in one."""


class GlLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a journal the ERP accepted."""

    journal_id: str
    external_id: str
    description: str
    entity: str
    account: str
    day: dt.date
    debit: Decimal
    credit: Decimal


class TrialBalanceFact(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the ERP's trial balance."""

    entity: str
    account: str
    period: str
    debits: Decimal
    credits: Decimal
    balance: Decimal


class ReceivablePosting(msgspec.Struct, frozen=True, kw_only=True):
    """A payer's outcome the platform applied to a claim."""

    trace: str
    day: dt.date
    paid: Decimal
    adjustments: tuple[CasAmount, ...]


class ReceivableFact(msgspec.Struct, frozen=True, kw_only=True):
    """The platform's receivable of one billed claim (no encounter: unapplied postings)."""

    claim_id: str
    encounter_id: str
    entity: str
    billed: Decimal
    insurance_balance: Decimal
    patient_balance: Decimal
    postings: tuple[ReceivablePosting, ...] = ()


class TotalsRow(msgspec.Struct, frozen=True, kw_only=True):
    """One measure for one entity and day, as the 835s, the GL and the platform state it."""

    entity: str
    day: dt.date | None
    measure: str
    x12: Decimal
    gl: Decimal
    rcm: Decimal | None = None
    """None where the platform does not state the measure."""


class TrialBalanceLine(msgspec.Struct, frozen=True, kw_only=True):
    """A remittance account of the ERP's trial balance, and the balance the 835s call for."""

    entity: str
    account: str
    name: str
    period: str
    debits: Decimal
    credits: Decimal
    balance: Decimal
    expected: Decimal


class BooksReport(msgspec.Struct, frozen=True, kw_only=True):
    """The three sides compared: counts, totals per entity and day, and every break."""

    claims_billed: int
    billed_amount: Decimal
    claims_remitted: int
    checks: int
    journals: int
    receivables: int
    open_claims: int
    """Billed claims no 835 has settled yet (open insurance A/R, not a break)."""
    open_amount: Decimal
    trial_balance: tuple[TrialBalanceLine, ...]
    totals: tuple[TotalsRow, ...]
    breaks: tuple[Break, ...]


class _Claims:
    """Claim -> encounter, to name both in a break."""

    def __init__(self, receivables: Sequence[ReceivableFact]) -> None:
        self._encounters = {r.claim_id: r.encounter_id for r in receivables if r.encounter_id}

    def name(self, claim_id: str) -> str:
        encounter = self._encounters.get(claim_id)
        return f"claim {claim_id} (encounter {encounter})" if encounter else f"claim {claim_id}"


def _gl_breaks(
    x12: X12Totals, gl: Sequence[GlLine], chart: ChartOfAccounts, claims: _Claims
) -> list[Break]:
    expected = expected_items(x12, chart)
    journals: dict[LedgerKey, dict[str, Decimal]] = collections.defaultdict(
        lambda: collections.defaultdict(lambda: ZERO)
    )
    for line in gl:
        trace, claim = reference(line.description)
        key: LedgerKey = (line.entity, line.day, trace, claim, line.account)
        journals[key][line.journal_id] += line.debit - line.credit
    names = account_names(chart)
    breaks = []
    for key in sorted(set(expected) | set(journals), key=lambda k: tuple(map(str, k))):
        entity, day, trace, claim, account = key
        items, posted = expected.get(key, []), journals.get(key, {})
        want, got = sum(items, ZERO), sum(posted.values(), ZERO)
        if want == got:
            continue
        if claim:
            subject = claims.name(claim)
        elif trace:
            subject = f"PLB of trace {trace}"
        else:
            subject = f"journal {', '.join(sorted(posted))}"
        # Which amounts have no counterpart: an 835 amount no journal carries, a journal no 835
        # amount explains (a multiset difference, so equal amounts pair off).
        missing = collections.Counter(items) - collections.Counter(posted.values())
        unexplained = collections.Counter(posted.values()) - collections.Counter(items)
        detail = (
            f"{entity} {day} trace {trace or '-'} {account} {names.get(account, 'other')}: "
            f"835 {want} GL {got}"
        )
        if missing:
            detail += f"; 835 amounts no journal posted: {', '.join(map(str, missing.elements()))}"
        if unexplained:
            extra = [f"{j} {a}" for j, a in sorted(posted.items()) if a in unexplained]
            detail += f"; journals no 835 amount explains: {', '.join(extra)}"
        breaks.append(
            Break(check="gl", subject=subject, amount=got - want, entity=entity, account=account,
                  detail=detail)
        )  # fmt: skip
    return breaks


def _trial_balance(
    x12: X12Totals, trial_balance: Sequence[TrialBalanceFact], chart: ChartOfAccounts
) -> tuple[list[TrialBalanceLine], list[Break]]:
    names = account_names(chart)
    expected: dict[tuple[str, str, str], Decimal] = collections.defaultdict(lambda: ZERO)
    for (entity, day, _trace, _claim, account), amount in expected_ledger(x12, chart).items():
        expected[(entity, f"{day:%Y-%m}" if day else "-", account)] += amount
    actual = {(r.entity, r.period, r.account): r for r in trial_balance}
    lines, breaks = [], []
    for key in sorted(set(expected) | {k for k in actual if k[2] in names}):
        entity, period, account = key
        want = expected.get(key, ZERO)
        row = actual.get(key)
        got = row.balance if row else ZERO
        lines.append(
            TrialBalanceLine(
                entity=entity, account=account, name=names.get(account, "other"), period=period,
                debits=row.debits if row else ZERO, credits=row.credits if row else ZERO,
                balance=got, expected=want,
            )
        )  # fmt: skip
        if want != got:
            breaks.append(
                Break(
                    check="trial-balance",
                    subject=f"entity {entity} {period} {account} {names.get(account, 'other')}",
                    amount=got - want,
                    entity=entity,
                    account=account,
                    detail=f"trial balance {got}, the 835s call for {want}",
                )
            )
    return lines, breaks


def _billed_breaks(
    x12: X12Totals, receivables: Sequence[ReceivableFact], claims: _Claims
) -> list[Break]:
    breaks = []
    billed: dict[str, list[Decimal]] = collections.defaultdict(list)
    for claim in x12.billed:
        billed[claim.claim_id].append(claim.billed)
    platform = {r.claim_id: r for r in receivables if r.encounter_id}

    def add(claim_id: str, amount: Decimal | None, detail: str) -> None:
        breaks.append(Break(check="billed", subject=claims.name(claim_id), amount=amount,
                            detail=detail))  # fmt: skip

    for claim_id, amounts in sorted(billed.items()):
        if len(amounts) > 1:
            add(claim_id, sum(amounts[1:], ZERO), f"on {len(amounts)} 837 claims: {amounts}")
        found = platform.get(claim_id)
        if found is None:
            add(claim_id, amounts[0], f"837 bills {amounts[0]}, the platform billed no such claim")
        elif found.billed != amounts[0]:
            add(claim_id, amounts[0] - found.billed,
                f"837 CLM02 {amounts[0]} != platform billed {found.billed}")  # fmt: skip
    for claim_id, found in sorted(platform.items()):
        if claim_id not in billed:
            add(claim_id, -found.billed, f"platform billed {found.billed}, on no 837")
    for remitted in x12.remitted:
        if remitted.status == "22":
            continue  # a reversal repeats the charge it takes back
        if remitted.claim_id not in billed:
            add(remitted.claim_id, remitted.charge,
                f"835 trace {remitted.trace} remits a claim no 837 billed")  # fmt: skip
        elif remitted.charge != billed[remitted.claim_id][0]:
            add(remitted.claim_id, remitted.charge - billed[remitted.claim_id][0],
                f"835 CLP03 {remitted.charge} != 837 CLM02 {billed[remitted.claim_id][0]}")  # fmt: skip
    return breaks


def _by_group(adjustments: Iterable[CasAmount]) -> dict[str, Decimal]:
    found: dict[str, Decimal] = collections.defaultdict(lambda: ZERO)
    for cas in adjustments:
        found[cas.group] += cas.amount
    return {group: amount for group, amount in found.items() if amount}


def _receivable_breaks(
    remitted_by_claim: dict[str, list[RemittedClaim]],
    receivables: Sequence[ReceivableFact],
    claims: _Claims,
) -> list[Break]:
    breaks = []
    for found in receivables:
        subject = claims.name(found.claim_id)

        def add(amount: Decimal, detail: str, subject: str = subject) -> None:
            breaks.append(Break(check="receivable", subject=subject, amount=amount, detail=detail))

        paid = sum((p.paid for p in found.postings), ZERO)
        if not found.encounter_id:
            add(paid, "posted by the platform to no billed claim (unapplied)")
            continue
        remits = remitted_by_claim.get(found.claim_id, [])
        paid_835 = sum((r.paid for r in remits), ZERO)
        if paid != paid_835:
            add(paid - paid_835, f"platform payments {paid} != 835 CLP04 {paid_835}")
        groups = _by_group(cas for p in found.postings for cas in p.adjustments)
        groups_835 = _by_group(cas for r in remits for cas in r.adjustments)
        for group in sorted(set(groups) | set(groups_835)):
            mine, theirs = groups.get(group, ZERO), groups_835.get(group, ZERO)
            if mine != theirs:
                add(mine - theirs, f"platform {group} adjustments {mine} != 835 {theirs}")
        applied = paid + sum(groups.values(), ZERO)
        if found.insurance_balance != found.billed - applied:
            add(
                found.insurance_balance - (found.billed - applied),
                f"platform balance {found.insurance_balance} != billed {found.billed} - "
                f"payments and adjustments {applied}",
            )
        elif remits and found.insurance_balance:
            add(
                found.insurance_balance,
                f"settled by the 835s, the platform still shows {found.insurance_balance} owed "
                "by the payer",
            )
    return breaks


PAYMENTS = "payments (CLP04)"
CONTRACTUAL = "contractual adjustments"
PATIENT = "patient responsibility (PR)"
DENIED = "denied, pending"
WRITTEN_OFF = "written off"
RELIEVED = "insurance A/R relieved"
PROVIDER = "provider-level (PLB)"
CHECKS = "check payments (BPR02)"
_KIND_MEASURES = {
    Kind.CONTRACTUAL: CONTRACTUAL,
    Kind.PATIENT: PATIENT,
    Kind.DENIED: DENIED,
    Kind.WRITTEN_OFF: WRITTEN_OFF,
}
_Sums = dict[tuple[str, dt.date | None, str], Decimal]


def _x12_measures(x12: X12Totals) -> _Sums:
    sums: _Sums = collections.defaultdict(lambda: ZERO)
    for claim in x12.remitted:
        sums[(claim.entity, claim.day, PAYMENTS)] += claim.paid
        sums[(claim.entity, claim.day, RELIEVED)] += claim.paid + claim.adjusted
        for cas in claim.adjustments:
            measure = _KIND_MEASURES[adjustment_kind(cas.group, cas.reason)]
            sums[(claim.entity, claim.day, measure)] += cas.amount
    for plb in x12.provider_adjustments:
        sums[(plb.entity, plb.day, PROVIDER)] += plb.amount
    for check in x12.payments:
        sums[(check.entity, check.day, CHECKS)] += check.amount
    return sums


def _gl_measures(gl: Iterable[GlLine], chart: ChartOfAccounts) -> _Sums:
    by_account = {
        chart.contractual_allowance: CONTRACTUAL,
        chart.patient_ar: PATIENT,
        chart.denials_pending: DENIED,
        chart.denial_write_off: WRITTEN_OFF,
        chart.provider_level_adjustment: PROVIDER,
    }
    sums: _Sums = collections.defaultdict(lambda: ZERO)
    for line in gl:
        signed = line.debit - line.credit
        if line.account == chart.cash:
            sums[(line.entity, line.day, CHECKS)] += signed
            if reference(line.description)[1]:
                sums[(line.entity, line.day, PAYMENTS)] += signed
        elif line.account == chart.insurance_ar:
            sums[(line.entity, line.day, RELIEVED)] -= signed
        elif line.account in by_account:
            sums[(line.entity, line.day, by_account[line.account])] += signed
    return sums


def _rcm_measures(receivables: Iterable[ReceivableFact]) -> _Sums:
    sums: _Sums = collections.defaultdict(lambda: ZERO)
    for found in receivables:
        for n, posting in enumerate(found.postings):
            sums[(found.entity, posting.day, PAYMENTS)] += posting.paid
            patient = sum((c.amount for c in posting.adjustments if c.group == "PR"), ZERO)
            sums[(found.entity, posting.day, PATIENT)] += patient
            if n == 0:
                sums[(found.entity, posting.day, RELIEVED)] += found.billed
    return sums


def _totals(
    x12: X12Totals,
    gl: Sequence[GlLine],
    receivables: Sequence[ReceivableFact],
    chart: ChartOfAccounts,
) -> tuple[list[TotalsRow], list[Break]]:
    sides = _x12_measures(x12), _gl_measures(gl, chart), _rcm_measures(receivables)
    order = {m: n for n, m in enumerate(
        (PAYMENTS, CONTRACTUAL, PATIENT, DENIED, WRITTEN_OFF, RELIEVED, PROVIDER, CHECKS)
    )}  # fmt: skip
    keys = sorted(set().union(*sides), key=lambda k: (k[0], str(k[1]), order[k[2]]))
    rows, breaks = [], []
    for key in keys:
        entity, day, measure = key
        x12_amount, gl_amount = sides[0].get(key, ZERO), sides[1].get(key, ZERO)
        stated = measure in (PAYMENTS, PATIENT, RELIEVED)
        rcm_amount = sides[2].get(key, ZERO) if stated else None
        if not (x12_amount or gl_amount or rcm_amount):
            continue
        rows.append(TotalsRow(entity=entity, day=day, measure=measure, x12=x12_amount,
                              gl=gl_amount, rcm=rcm_amount))  # fmt: skip
        subject = f"entity {entity} {day} {measure}"
        if gl_amount != x12_amount:
            breaks.append(Break(check="totals", subject=subject, amount=gl_amount - x12_amount,
                                detail=f"GL {gl_amount} != 835 {x12_amount}", entity=entity))  # fmt: skip
        if rcm_amount is not None and rcm_amount != x12_amount:
            breaks.append(Break(check="totals", subject=subject, amount=rcm_amount - x12_amount,
                                detail=f"platform {rcm_amount} != 835 {x12_amount}",
                                entity=entity))  # fmt: skip
    return rows, breaks


def reconcile_books(
    x12: X12Totals,
    gl: Sequence[GlLine],
    trial_balance: Sequence[TrialBalanceFact],
    receivables: Sequence[ReceivableFact],
    chart: ChartOfAccounts | None = None,
) -> BooksReport:
    """Compare the three sides; see the module docstring for what is checked."""
    chart = chart or ChartOfAccounts()
    claims = _Claims(receivables)
    remitted_by_claim: dict[str, list[RemittedClaim]] = collections.defaultdict(list)
    for remitted in x12.remitted:
        remitted_by_claim[remitted.claim_id].append(remitted)
    breaks = [
        Break(check="x12", subject=problem.partition(":")[0], detail=problem)
        for problem in x12.problems
    ]
    breaks += _billed_breaks(x12, receivables, claims)
    breaks += _gl_breaks(x12, gl, chart, claims)
    balances, balance_breaks = _trial_balance(x12, trial_balance, chart)
    breaks += balance_breaks
    breaks += _receivable_breaks(remitted_by_claim, receivables, claims)
    totals, total_breaks = _totals(x12, gl, receivables, chart)
    open_claims = [r for r in receivables if r.encounter_id and r.claim_id not in remitted_by_claim]
    return BooksReport(
        claims_billed=len({c.claim_id for c in x12.billed}),
        billed_amount=sum((c.billed for c in x12.billed), ZERO),
        claims_remitted=len(remitted_by_claim),
        checks=len(x12.payments),
        journals=len({line.journal_id for line in gl}),
        receivables=sum(1 for r in receivables if r.encounter_id),
        open_claims=len(open_claims),
        open_amount=sum((r.billed for r in open_claims), ZERO),
        trial_balance=tuple(balances),
        totals=tuple(totals),
        breaks=(*breaks, *total_breaks),
    )
