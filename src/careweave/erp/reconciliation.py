"""Revenue-cycle totals against the general ledger, per entity, day and service line.

The revenue cycle says what was charged (every captured charge line, credits negative); the GL says
what patient revenue was posted. Each (entity, day, service line) where the two differ is a break.
A break is *explained* when restating journals that were moved out of a closed period to the day
they belong to makes it vanish; every other break is unexplained and needs a person.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from careweave.erp.ledger import ZERO, LedgerLine
from careweave.erp.periods import LatePosting

BreakKey = tuple[str, dt.date, str]
"""(entity, day, service line)."""


class RevenueCycleLine(msgspec.Struct, frozen=True, kw_only=True):
    """One charge line as the revenue cycle counts it."""

    entity: str
    day: dt.date
    service_line: str
    amount: Decimal
    """Signed: a credit is negative."""
    reference: str = ""


class Break(msgspec.Struct, frozen=True, kw_only=True):
    """A difference between the revenue cycle and the GL for one entity, day and service line."""

    entity: str
    day: dt.date
    service_line: str
    revenue_cycle: Decimal
    general_ledger: Decimal
    explanation: str | None = None
    """Why the break is expected (a late posting moved to the next period); None: unexplained."""

    @property
    def difference(self) -> Decimal:
        """Revenue cycle minus GL."""
        return self.revenue_cycle - self.general_ledger


class Reconciliation(msgspec.Struct, frozen=True, kw_only=True):
    """Every compared key, and the breaks among them."""

    compared: int
    revenue_cycle_total: Decimal
    general_ledger_total: Decimal
    breaks: list[Break]

    @property
    def unexplained(self) -> list[Break]:
        """Breaks nobody has a reason for."""
        return [b for b in self.breaks if b.explanation is None]


def revenue_cycle_totals(lines: Iterable[RevenueCycleLine]) -> dict[BreakKey, Decimal]:
    """Charge totals per (entity, day, service line)."""
    totals: dict[BreakKey, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        totals[(line.entity, line.day, line.service_line)] += line.amount
    return dict(totals)


def gl_revenue_totals(
    lines: Iterable[LedgerLine], revenue_account: str, *, restate: dict[str, dt.date] | None = None
) -> dict[BreakKey, Decimal]:
    """Posted patient revenue (credits positive) per (entity, day, service line).

    ``restate`` maps a journal key to the day it belongs to (a late posting's original date).
    """
    moved = restate or {}
    totals: dict[BreakKey, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.account != revenue_account:
            continue
        day = moved.get(line.journal_key, line.posting_date)
        totals[(line.entity, day, line.service_line)] -= line.amount
    return dict(totals)


def reconcile(
    revenue_cycle: Iterable[RevenueCycleLine],
    ledger: Iterable[LedgerLine],
    *,
    revenue_account: str,
    late_postings: Iterable[LatePosting] = (),
) -> Reconciliation:
    """Compare the two sides and list every break, explained or not."""
    ledger_lines = list(ledger)
    late = list(late_postings)
    rc = revenue_cycle_totals(revenue_cycle)
    gl = gl_revenue_totals(ledger_lines, revenue_account)
    restated = gl_revenue_totals(
        ledger_lines, revenue_account, restate={p.journal_key: p.original_date for p in late}
    )
    breaks: list[Break] = []
    keys = sorted(set(rc) | set(gl) | set(restated))
    for key in keys:
        rc_amount, gl_amount = rc.get(key, ZERO), gl.get(key, ZERO)
        if rc_amount == gl_amount:
            continue
        explanation = None
        if rc_amount == restated.get(key, ZERO):
            day = key[1]
            moved = [p for p in late if p.original_date == day] or [
                p for p in late if p.posting_date == day
            ]
            reasons = sorted({p.reason for p in moved})
            explanation = f"{len(moved)} late posting(s): " + "; ".join(reasons)
        breaks.append(
            Break(
                entity=key[0],
                day=key[1],
                service_line=key[2],
                revenue_cycle=rc_amount,
                general_ledger=gl_amount,
                explanation=explanation,
            )
        )
    return Reconciliation(
        compared=len(keys),
        revenue_cycle_total=sum(rc.values(), ZERO),
        general_ledger_total=sum(gl.values(), ZERO),
        breaks=breaks,
    )
