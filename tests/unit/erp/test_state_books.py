"""The ERP repositories over business state: stock, ledger, periods.

Each runs against an :class:`InMemoryState` (state as committed) and against a :class:`StateOverlay`
(state as a flow sees it inside its message's transaction), whose committed reads are made to raise
once the work is done: a repeat must be answered from the overlay's buffered writes, and nothing
reaches the committed state until the overlay's changes are applied, as a store commit would.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from careweave.erp.inventory import InventoryBook, StockPosition, stock_positions
from careweave.erp.ledger import JournalBuilder, LedgerBook, account_balances, posted_journals
from careweave.erp.periods import Period, PeriodCalendar, closed_periods
from careweave.erp.stored import balance_totals
from careweave.masterdata import ChartOfAccounts
from careweave.model.erp import GlSegments
from careweave.model.state import InMemoryState, StateOverlay, StateTable

C = ChartOfAccounts()
LOC, ITEM = "CATH-1", "IT-100"
OPENING = {(LOC, ITEM): 5}


class Committed:
    """Committed state whose reads can be switched off, to prove a repeat never reaches it."""

    def __init__(self) -> None:
        self.state = InMemoryState()
        self.closed = False

    def read(self, table: StateTable, key: str) -> bytes | None:
        if self.closed:
            raise AssertionError(f"read of committed {table}/{key}: the overlay should answer")
        return self.state.get(table, key)


def revenue(key: str, entity: str, day: dt.date, amount: str) -> JournalBuilder:
    builder = JournalBuilder()
    builder.debit(GlSegments(entity, "7481", C.unbilled_ar, "CARD"), Decimal(amount))
    builder.credit(GlSegments(entity, "7481", C.patient_revenue, "CARD"), Decimal(amount))
    return builder


def test_stock_starts_from_the_opening_figures_and_applies_each_movement_once() -> None:
    state = InMemoryState()
    book = InventoryBook(state, OPENING)
    assert book.position(LOC, ITEM) == StockPosition(on_hand=5) and state.rows == {}
    first = book.apply("k1", LOC, ITEM, -2)
    assert book.apply("k1", LOC, ITEM, -2) == first == book.movement("k1")
    assert (first.on_hand_after, book.on_hand(LOC, ITEM)) == (3, 3)
    assert book.order("r1", LOC, ITEM, 4) and not book.order("r1", LOC, ITEM, 4)
    assert book.on_order(LOC, ITEM) == 4
    receipt = book.apply("receipt:po1", LOC, ITEM, 4)
    assert (receipt.on_hand_after, receipt.on_order_after) == (7, 0)
    # Another book over the same state (the next message, a restart) reads the same position.
    assert InventoryBook(state, OPENING).position(LOC, ITEM) == StockPosition(on_hand=7, on_order=0)
    assert InventoryBook(state).on_hand("ELSEWHERE", ITEM) == 0
    rows = list(state.items(StateTable.INVENTORY_POSITIONS))
    assert stock_positions(rows, {**OPENING, ("OR-2", ITEM): 9}) == {
        (LOC, ITEM): StockPosition(on_hand=7),
        ("OR-2", ITEM): StockPosition(on_hand=9),
    }


def test_stock_changes_are_buffered_until_the_commit_and_a_repeat_reads_the_buffer() -> None:
    committed = Committed()
    overlay = StateOverlay(committed.read)
    book = InventoryBook(overlay, OPENING)
    moved = book.apply("inventory:s1", LOC, ITEM, -1)
    book.order("requisition:1", LOC, ITEM, 6)
    assert committed.state.rows == {}  # nothing written before the commit
    committed.closed = True
    assert book.apply("inventory:s1", LOC, ITEM, -1) == moved
    assert not book.order("requisition:1", LOC, ITEM, 6)
    assert book.position(LOC, ITEM) == StockPosition(on_hand=4, on_order=6)
    committed.state.apply(overlay.changes())
    committed.closed = False
    assert InventoryBook(committed.state, OPENING).position(LOC, ITEM) == StockPosition(
        on_hand=4, on_order=6
    )


def test_a_discarded_overlay_leaves_stock_and_ledger_as_they_were() -> None:
    committed = Committed()
    InventoryBook(committed.state, OPENING).apply("k0", LOC, ITEM, -1)
    before = dict(committed.state.rows)
    overlay = StateOverlay(committed.read)
    InventoryBook(overlay, OPENING).apply("k1", LOC, ITEM, -3)
    LedgerBook(overlay).record(revenue("j", "RBH01", dt.date(2025, 3, 3), "9").build(
        "j", "RBH01", dt.date(2025, 3, 3), ""
    ))  # fmt: skip
    assert len(overlay) > 0 and committed.state.rows == before  # the message failed: no commit
    assert InventoryBook(committed.state, OPENING).on_hand(LOC, ITEM) == 4


@pytest.mark.parametrize("buffered", [False, True])
def test_the_ledger_records_each_journal_once_and_moves_balances_per_period(
    buffered: bool,
) -> None:
    committed = Committed()
    overlay = StateOverlay(committed.read)
    state = overlay if buffered else committed.state
    book = LedgerBook(state)
    march = revenue("a", "RBH01", dt.date(2025, 3, 3), "10").build(
        "a", "RBH01", dt.date(2025, 3, 3), ""
    )
    april = revenue("b", "LCH02", dt.date(2025, 4, 2), "5").build(
        "b", "LCH02", dt.date(2025, 4, 2), ""
    )
    assert book.record(march) and book.record(april)
    if buffered:
        assert committed.state.rows == {}
        committed.closed = True
    assert not book.record(march)  # a replay
    assert book.journal("a") == march
    assert book.balance("RBH01", C.unbilled_ar, through=Period(2025, 2)) == 0
    assert book.balance("RBH01", C.unbilled_ar, through=Period(2025, 3)) == Decimal("10.00")
    assert book.balance("LCH02", C.patient_revenue) == Decimal("-5.00")
    assert book.entities() == ["LCH02", "RBH01"]
    if buffered:
        committed.state.apply(overlay.changes())
        committed.closed = False
    assert LedgerBook(committed.state).journal("zz") is None
    rows = committed.state
    assert [
        p.journal.business_key for p in posted_journals(rows.items(StateTable.LEDGER_JOURNALS))
    ] == [
        "a",
        "b",
    ]
    assert balance_totals(account_balances(rows.items(StateTable.LEDGER_BALANCES))) == {
        ("LCH02", C.patient_revenue, "USD"): Decimal("-5.00"),
        ("LCH02", C.unbilled_ar, "USD"): Decimal("5.00"),
        ("RBH01", C.patient_revenue, "USD"): Decimal("-10.00"),
        ("RBH01", C.unbilled_ar, "USD"): Decimal("10.00"),
    }


def test_posting_dates_a_journal_by_the_calendar_once_and_keeps_its_move() -> None:
    committed = Committed()
    overlay = StateOverlay(committed.read)
    book, calendar = LedgerBook(overlay), PeriodCalendar(overlay)
    calendar.close(Period(2025, 3), requested_by="controller", journals=["x"])
    day = dt.date(2025, 3, 30)
    late = book.post(
        revenue("k", "RBH01", day, "40"), "k", "RBH01", day, "charge", calendar=calendar
    )
    assert late is not None and late.posting_date == dt.date(2025, 4, 1)
    assert late.description == "charge (late: 2025-03-30 is in a closed period)"
    assert book.post(JournalBuilder(), "empty", "RBH01", day, "", calendar=calendar) is None
    calendar.close(Period(2025, 4))  # the calendar moved on; a replay keeps the first decision
    committed.closed = True
    again = book.post(revenue("k", "RBH01", day, "40"), "k", "RBH01", day, "x", calendar=calendar)
    assert again == late
    posted = book.posted("k")
    assert posted is not None and posted.late is not None
    assert posted.late.reason == "period 2025-03 is closed; posted in 2025-04"
    assert committed.state.rows == {}
    committed.state.apply(overlay.changes())
    committed.closed = False
    closed = closed_periods(committed.state.items(StateTable.PERIODS))
    assert [(c.period, c.requested_by, c.journals) for c in closed] == [
        ("2025-03", "controller", ["x"]),
        ("2025-04", "", []),
    ]
    assert PeriodCalendar(committed.state).is_closed(Period(2025, 4))
    assert not PeriodCalendar(committed.state).is_closed(Period(2025, 5))
