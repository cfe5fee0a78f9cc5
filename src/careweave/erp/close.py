"""The month-end close: unbilled revenue accrual, the period lock, and the close-cycle report.

At period end the unbilled A/R still open (charges captured, not yet billed) is accrued by a journal
dated the period's last day and reversed on the next period's first day, so the period's statements
show it and the next period starts clean. The report lists, per entity, what careweave posted into
the period, the accrual, every late posting moved out of it and every reconciliation break; it is
written as CSV (for the controller's workbook) and as text (for the close checklist). It is built
from the journals the store holds (``posted_journals(await store.state_rows(LEDGER_JOURNALS))``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from careweave.erp.ledger import ZERO, JournalBuilder, LedgerBook, PostedJournal
from careweave.erp.periods import LatePosting, Period
from careweave.erp.reconciliation import Reconciliation
from careweave.masterdata.cost_centers import ChartOfAccounts
from careweave.model.erp import GlSegments, JournalRequest


def unbilled_accruals(
    book: LedgerBook, period: Period, chart: ChartOfAccounts, entities: Iterable[str] = ()
) -> list[JournalRequest]:
    """The accrual (period end) and reversal (next period start) journals of each entity."""
    journals: list[JournalRequest] = []
    cc = chart.revenue_cycle_cost_center
    for entity in sorted(set(entities) or set(book.entities())):
        unbilled = book.balance(entity, chart.unbilled_ar, through=period)
        if unbilled == 0:
            continue
        accrue = JournalBuilder()
        accrue.debit(GlSegments(entity, cc, chart.accrued_unbilled), unbilled, "unbilled accrual")
        accrue.credit(GlSegments(entity, cc, chart.unbilled_ar), unbilled, "unbilled accrual")
        journals.append(
            accrue.build(
                f"journal:unbilled-accrual:{entity}:{period.key}",
                entity,
                period.last_day,
                f"unbilled revenue accrual {period.key}",
            )
        )
        reverse = JournalBuilder()
        reverse.debit(GlSegments(entity, cc, chart.unbilled_ar), unbilled, "accrual reversal")
        reverse.credit(GlSegments(entity, cc, chart.accrued_unbilled), unbilled, "accrual reversal")
        journals.append(
            reverse.build(
                f"journal:unbilled-reversal:{entity}:{period.key}",
                entity,
                period.next().first_day,
                f"reversal of unbilled revenue accrual {period.key}",
            )
        )
    return journals


class EntityClose(msgspec.Struct, frozen=True, kw_only=True):
    """One entity's figures for the period."""

    entity: str
    journals: int
    debits: Decimal
    credits: Decimal
    unbilled_accrued: Decimal


class CloseCycleReport(msgspec.Struct, frozen=True, kw_only=True):
    """What the close of one period found."""

    period: str
    entities: list[EntityClose]
    late_postings: list[LatePosting]
    reconciliation: Reconciliation | None = None

    def to_csv(self) -> str:
        """One row per finding: ``section,entity,date,key,amount,detail``."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("section", "entity", "date", "key", "amount", "detail"))
        for e in self.entities:
            detail = f"debits {e.debits} credits {e.credits}"
            writer.writerow(
                ("entity", e.entity, self.period, e.journals, e.unbilled_accrued, detail)
            )
        for p in self.late_postings:
            writer.writerow(("late_posting", "", p.original_date, p.journal_key, "", p.reason))
        for b in self.reconciliation.breaks if self.reconciliation else []:
            writer.writerow(
                (
                    "break",
                    b.entity,
                    b.day,
                    b.service_line,
                    b.difference,
                    b.explanation or "UNEXPLAINED",
                )
            )
        return out.getvalue()

    def to_text(self) -> str:
        """The report as a readable checklist."""
        lines = [f"Close cycle {self.period}", ""]
        for e in self.entities:
            lines.append(
                f"  {e.entity}: {e.journals} journal(s), debits {e.debits} = credits {e.credits}, "
                f"unbilled accrued {e.unbilled_accrued}"
            )
        lines.append(f"Late postings moved to the next period: {len(self.late_postings)}")
        lines += [
            f"  {p.journal_key}: {p.original_date} -> {p.posting_date}" for p in self.late_postings
        ]
        if self.reconciliation is not None:
            r = self.reconciliation
            lines.append(
                f"Reconciliation: {r.compared} entity/day/service line(s), revenue cycle "
                f"{r.revenue_cycle_total}, GL {r.general_ledger_total}, {len(r.breaks)} break(s), "
                f"{len(r.unexplained)} unexplained"
            )
            for b in r.breaks:
                why = b.explanation or "UNEXPLAINED"
                lines.append(f"  {b.entity} {b.day} {b.service_line}: {b.difference} ({why})")
        return "\n".join(lines) + "\n"


def close_report(
    posted: Iterable[PostedJournal],
    period: Period,
    chart: ChartOfAccounts,
    *,
    reconciliation: Reconciliation | None = None,
) -> CloseCycleReport:
    """The report of a period from the journals careweave posted (and the moves that dated them)."""
    everything = list(posted)
    late_postings = [p.late for p in everything if p.late is not None]
    per_entity: dict[str, EntityClose] = {}
    journals = [
        p.journal
        for p in everything
        if period.first_day <= p.journal.posting_date <= period.last_day
    ]
    for entity in sorted({line.segments.entity for j in journals for line in j.lines}):
        mine = [j for j in journals if any(ln.segments.entity == entity for ln in j.lines)]
        lines = [ln for j in mine for ln in j.lines if ln.segments.entity == entity]
        accrued = sum(
            (
                ln.debit
                for j in mine
                if j.business_key.startswith("journal:unbilled-accrual:")
                for ln in j.lines
                if ln.segments.account == chart.accrued_unbilled
            ),
            ZERO,
        )
        per_entity[entity] = EntityClose(
            entity=entity,
            journals=len(mine),
            debits=sum((ln.debit for ln in lines), ZERO),
            credits=sum((ln.credit for ln in lines), ZERO),
            unbilled_accrued=accrued,
        )
    late = [p for p in late_postings if period.first_day <= p.original_date <= period.last_day]
    return CloseCycleReport(
        period=period.key,
        entities=list(per_entity.values()),
        late_postings=late,
        reconciliation=reconciliation,
    )
