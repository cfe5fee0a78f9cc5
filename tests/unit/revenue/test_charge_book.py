"""The charge ledger as business state: duplicates and credits survive a new book over the state.

A new :class:`ChargeBook` over the same state is what a restart or a second process is: it must
know every charge the first one recorded, and recording a line again must change nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec

from careweave.model.revenue import ChargeLine, ChargeReason, ChargeTransactionType
from careweave.model.state import InMemoryState, StateOverlay, StateTable
from careweave.revenue import ChargeBook, LedgerOutcomeKind, PositionStatus, encounter_positions
from careweave.revenue.charge_ledger import ChargeLedger

K = LedgerOutcomeKind
DAY = dt.date(2026, 3, 9)
AT = dt.datetime(2026, 3, 10, 8, tzinfo=dt.UTC)
ITEM = "27800000"

CHARGE = ChargeLine(
    line_id="L1",
    encounter_id="E1",
    service_date=DAY,
    procedure_code="C1874",
    units=Decimal(2),
    amount=Decimal("13700.00"),
)


def line(line_id: str, **changes: Any) -> ChargeLine:
    return msgspec.structs.replace(CHARGE, line_id=line_id, **changes)


def credit(line_id: str, **changes: Any) -> ChargeLine:
    return line(line_id, transaction_type=ChargeTransactionType.CREDIT, **changes)


def test_a_duplicate_is_recognised_by_a_new_book_over_the_same_state() -> None:
    state = InMemoryState()
    assert ChargeBook(state).record(CHARGE, ITEM).kind is K.ACCEPTED
    outcome = ChargeBook(state).record(line("L2"), ITEM)
    assert outcome.kind is K.DUPLICATE and outcome.original_line_id == "L1"
    assert outcome.reason is ChargeReason.DUPLICATE_CHARGE
    # The held outcome is kept too: the same duplicate again is held again, not accepted.
    assert ChargeBook(state).record(line("L2"), ITEM).kind is K.DUPLICATE
    assert [p.line_id for p in ChargeBook(state).positions("E1")] == ["L1"]


def test_two_items_under_one_code_are_two_charges_not_a_duplicate() -> None:
    state = InMemoryState()
    book = ChargeBook(state)
    assert book.record(CHARGE, ITEM).kind is K.ACCEPTED
    assert book.record(line("L2"), "27800001").kind is K.ACCEPTED
    assert sorted(p.line_id for p in book.positions("E1")) == ["L1", "L2"]


def test_a_credit_is_netted_once_and_a_redelivery_changes_nothing() -> None:
    state = InMemoryState()
    ChargeBook(state).record(CHARGE, ITEM)
    half = credit("C1", units=Decimal(-1), amount=Decimal("-6850.00"), reverses_line_id="L1")
    outcome = ChargeBook(state).record(half, ITEM)
    assert outcome.kind is K.CREDITED and outcome.original_line_id == "L1"
    before = dict(state.rows)
    assert ChargeBook(state).record(half, ITEM).kind is K.REDELIVERED
    assert ChargeBook(state).record(CHARGE, ITEM).kind is K.REDELIVERED
    assert state.rows == before, "a re-delivered line must not rewrite the positions"
    [position] = ChargeBook(state).positions("E1")
    assert position.status is PositionStatus.PARTIALLY_CREDITED
    assert position.net_units == 1 and position.net_amount == Decimal("6850.00")
    assert ChargeBook(state).reversed_by("E1", ITEM, "C1") == "L1"
    # A second credit for more than is left is refused, after a "restart" as before it.
    refused = ChargeBook(state).record(credit("C2", units=Decimal(-2)), ITEM)
    assert refused.kind is K.REFUSED and refused.reason is ChargeReason.CREDIT_EXCEEDS_CHARGE


def test_cancelling_an_encounter_credits_every_item_once() -> None:
    state = InMemoryState()
    ChargeBook(state).record(CHARGE, ITEM)
    ChargeBook(state).record(line("L2", procedure_code="C1725", units=Decimal(1)), "27200015")
    credits = ChargeBook(state).cancel_encounter("E1", AT)
    assert sorted(c.line_id for c in credits) == ["L1:cancel", "L2:cancel"]
    assert {c.reverses_line_id for c in credits} == {"L1", "L2"}
    assert ChargeBook(state).cancel_encounter("E1", AT) == ()
    positions = ChargeBook(state).positions("E1")
    assert {p.status for p in positions} == {PositionStatus.REVERSED}


def test_a_book_over_an_overlay_changes_nothing_until_the_changes_are_applied() -> None:
    committed = InMemoryState()
    overlay = StateOverlay(committed.get)
    ChargeBook(overlay).record(CHARGE, ITEM)
    assert committed.rows == {}, "an uncommitted message leaves the ledger as it found it"
    assert ChargeBook(overlay).record(line("L2"), ITEM).kind is K.DUPLICATE
    committed.apply(overlay.changes())
    assert ChargeBook(committed).record(line("L3"), ITEM).kind is K.DUPLICATE


def test_positions_read_back_from_committed_rows_and_a_ledger_from_its_snapshot() -> None:
    state = InMemoryState()
    ChargeBook(state).record(CHARGE, ITEM)
    ChargeBook(state).record(line("L9", encounter_id="E2"), ITEM)
    rows = list(state.items(StateTable.CHARGE_POSITIONS))
    assert [key for key, _ in rows] == ["E1", "E2"]
    found = encounter_positions(rows)
    assert {e: [p.line_id for p in ps] for e, ps in found.items()} == {"E1": ["L1"], "E2": ["L9"]}
    ledger = ChargeBook(state).ledger("E1", ITEM)
    assert ChargeLedger(ledger.snapshot()).snapshot() == ledger.snapshot()
    assert found["E1"][0].key == ("E1", "C1874", (), DAY)
