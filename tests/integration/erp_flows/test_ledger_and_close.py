"""Journals, periods, reconciliation breaks, the unbilled accrual and the close-cycle report."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from careweave.erp.close import close_report, unbilled_accruals
from careweave.erp.ledger import JournalBuilder, LedgerBook, cents, ledger_lines, posted_journals
from careweave.erp.periods import Period, PeriodCalendar, closed_periods
from careweave.erp.reconciliation import RevenueCycleLine, reconcile
from careweave.exceptions import MappingError, ValidationError
from careweave.flows import FlowOutput
from careweave.flows.month_end_close import (
    MonthEndCloseFlow,
    PeriodCloseRequested,
    decode_close_request,
)
from careweave.masterdata import ChartOfAccounts
from careweave.model.envelope import Envelope
from careweave.model.erp import GlSegments
from careweave.model.records import NewMessage
from careweave.model.state import InMemoryState, StateTable

C = ChartOfAccounts()
MARCH_3 = dt.date(2025, 3, 3)


def revenue_journal(key: str, entity: str, day: dt.date, amount: str) -> JournalBuilder:
    b = JournalBuilder()
    b.debit(GlSegments(entity, "7481", C.unbilled_ar, "CARD"), Decimal(amount))
    b.credit(GlSegments(entity, "7481", C.patient_revenue, "CARD"), Decimal(amount))
    return b


def test_a_journal_must_balance_for_every_entity_it_touches() -> None:
    b = JournalBuilder()
    b.debit(GlSegments("RBH01", "7481", C.professional_cost), Decimal("100.005"))
    b.credit(GlSegments("RBPG04", "5100", C.intercompany_revenue), Decimal("100.005"))
    with pytest.raises(ValidationError, match=r"entity RBH01 is out of balance by 100\.01 USD"):
        b.build("j1", "RBH01", MARCH_3, "cross-entity without due-to/due-from")
    b.credit(GlSegments("RBH01", "7481", C.due_to_affiliate), Decimal("100.005"))
    b.debit(GlSegments("RBPG04", "5100", C.due_from_affiliate), Decimal("100.005"))
    journal = b.build("j1", "RBH01", MARCH_3, "paired")
    assert {line.debit + line.credit for line in journal.lines} == {Decimal("100.01")}
    assert cents(Decimal("0.005")) == Decimal("0.01")
    empty = JournalBuilder()
    empty.debit(GlSegments("RBH01", "1", "2"), Decimal(0))
    assert empty.empty


def test_the_ledger_book_records_a_journal_once_and_sums_balances_through_a_period() -> None:
    state = InMemoryState()
    book = LedgerBook(state)
    march = revenue_journal("a", "RBH01", MARCH_3, "10").build("a", "RBH01", MARCH_3, "")
    april = revenue_journal("b", "RBH01", dt.date(2025, 4, 2), "5").build(
        "b", "RBH01", dt.date(2025, 4, 2), ""
    )
    assert book.record(march) and book.record(april)
    assert not book.record(march)
    assert book.balance("RBH01", C.unbilled_ar, through=Period(2025, 2)) == 0
    assert book.balance("RBH01", C.unbilled_ar, through=Period(2025, 3)) == Decimal("10.00")
    assert book.balance("RBH01", C.unbilled_ar, through=Period(2025, 4)) == Decimal("15.00")
    assert book.balance("RBH01", C.patient_revenue) == Decimal("-15.00")
    assert book.balance("RBH01", C.unbilled_ar, currency="CAD") == 0
    assert book.entities() == ["RBH01"]
    stored = posted_journals(state.items(StateTable.LEDGER_JOURNALS))
    assert [p.journal for p in stored] == [march, april]


def test_periods_parse_roll_over_and_skip_every_closed_one() -> None:
    assert Period.parse("2025-12").next() == Period(2026, 1)
    assert Period(2024, 2).last_day == dt.date(2024, 2, 29)
    with pytest.raises(ValidationError, match="'2025-13' is not YYYY-MM"):
        Period.parse("2025-13")
    state = InMemoryState()
    calendar = PeriodCalendar(state)
    calendar.close(Period(2025, 3), requested_by="controller")
    assert calendar.posting_date(dt.date(2025, 2, 28), "j0") == (dt.date(2025, 2, 28), None)
    calendar.close(Period(2025, 4))
    day, late = calendar.posting_date(MARCH_3, "j1")
    assert day == dt.date(2025, 5, 1)
    assert late is not None and (late.journal_key, late.original_date) == ("j1", MARCH_3)
    assert "2025-03 is closed; posted in 2025-05" in late.reason
    # Closing twice keeps the first close's record.
    assert calendar.close(Period(2025, 3), requested_by="someone else").requested_by == "controller"
    closed = closed_periods(state.items(StateTable.PERIODS))
    assert [c.period for c in closed] == ["2025-03", "2025-04"]


def test_reconciliation_lists_unexplained_and_explained_breaks() -> None:
    calendar = PeriodCalendar(InMemoryState())
    calendar.close(Period(2025, 3))
    on_time = revenue_journal("a", "RBH01", MARCH_3, "100").build("a", "RBH01", MARCH_3, "")
    late_day, moved_out = calendar.posting_date(dt.date(2025, 3, 30), "late")
    assert moved_out is not None
    late = revenue_journal("late", "LCH02", late_day, "40").build("late", "LCH02", late_day, "")
    rc = [
        RevenueCycleLine(entity="RBH01", day=MARCH_3, service_line="CARD", amount=Decimal("100")),
        RevenueCycleLine(entity="RBH01", day=MARCH_3, service_line="MED", amount=Decimal("7")),
        RevenueCycleLine(
            entity="LCH02", day=dt.date(2025, 3, 30), service_line="CARD", amount=Decimal("40")
        ),
    ]
    lines = ledger_lines(on_time) + ledger_lines(late)
    result = reconcile(rc, lines, revenue_account=C.patient_revenue, late_postings=[moved_out])
    by_key = {(b.entity, b.day, b.service_line): b for b in result.breaks}
    missing = by_key[("RBH01", MARCH_3, "MED")]
    assert missing.explanation is None and missing.difference == Decimal("7")
    assert [b.service_line for b in result.unexplained] == ["MED"]
    moved = by_key[("LCH02", dt.date(2025, 3, 30), "CARD")]
    assert moved.explanation is not None and "2025-03 is closed" in moved.explanation
    assert by_key[("LCH02", dt.date(2025, 4, 1), "CARD")].explanation is not None
    assert result.revenue_cycle_total == Decimal("147") and result.general_ledger_total == 140


def test_close_accrues_unbilled_revenue_locks_the_period_and_reports() -> None:
    state = InMemoryState()
    book, calendar = LedgerBook(state), PeriodCalendar(state)
    book.record(revenue_journal("a", "RBH01", MARCH_3, "250").build("a", "RBH01", MARCH_3, ""))
    book.record(revenue_journal("b", "LCH02", MARCH_3, "80").build("b", "LCH02", MARCH_3, ""))
    flow = MonthEndCloseFlow()
    request = PeriodCloseRequested(idempotency_key="close:2025-03", period="2025-03")
    out = FlowOutput(state=state)
    flow.run(request, out)
    keys = sorted(e.idempotency_key for e in out.effects)
    assert keys == [
        "journal:unbilled-accrual:LCH02:2025-03",
        "journal:unbilled-accrual:RBH01:2025-03",
        "journal:unbilled-reversal:LCH02:2025-03",
        "journal:unbilled-reversal:RBH01:2025-03",
    ]
    assert calendar.is_closed(Period(2025, 3))
    closed = calendar.closed(Period(2025, 3))
    assert closed is not None and sorted(closed.journals) == keys
    posted = [
        book.journal(f"journal:unbilled-{kind}:RBH01:2025-03") for kind in ("accrual", "reversal")
    ]
    assert [j.posting_date for j in posted if j] == [dt.date(2025, 3, 31), dt.date(2025, 4, 1)]
    # Once accrued, the period has nothing left to accrue: a replayed close posts nothing new and
    # sends the first close's journals again.
    assert unbilled_accruals(book, Period(2025, 3), C, ["RBH01"]) == []
    before = dict(state.rows)
    again = FlowOutput(state=state)
    flow.run(request, again)
    assert again.effects == out.effects and state.rows == before
    assert book.balance("RBH01", C.accrued_unbilled, through=Period(2025, 3)) == 250
    assert book.balance("RBH01", C.accrued_unbilled, through=Period(2025, 4)) == 0
    late = revenue_journal("late-1", "RBH01", MARCH_3, "5")
    assert book.post(late, "late-1", "RBH01", dt.date(2025, 3, 31), "late", calendar=calendar)
    report = close_report(
        posted_journals(state.items(StateTable.LEDGER_JOURNALS)), Period(2025, 3), C
    )
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    entity_rows = {r["entity"]: r for r in rows if r["section"] == "entity"}
    assert entity_rows["RBH01"]["amount"] == "250.00"
    assert [r["key"] for r in rows if r["section"] == "late_posting"] == ["late-1"]
    text = report.to_text()
    assert "RBH01: 2 journal(s), debits 500.00 = credits 500.00" in text
    assert "late-1: 2025-03-31 -> 2025-04-01" in text


def test_a_close_request_decodes_into_an_event_and_a_bad_one_is_named() -> None:
    def envelope(raw: bytes) -> Envelope:
        return Envelope(
            message=NewMessage(
                channel="close",
                raw=raw,
                content_type="application/json",
                received_at=dt.datetime(2025, 4, 1, tzinfo=dt.UTC),
                trace_id="t",
            )
        )

    good = envelope(b'{"period": "2025-03", "requested_by": "controller"}')
    decode_close_request(good)
    (event,) = good.events
    assert isinstance(event, PeriodCloseRequested)
    assert (event.period, event.idempotency_key) == ("2025-03", "close:2025-03")
    with pytest.raises(MappingError, match="close request"):
        decode_close_request(envelope(b'{"when": 1}'))
    with pytest.raises(ValidationError, match="not YYYY-MM"):
        decode_close_request(envelope(b'{"period": "March"}'))
