"""Denial work items: aging by a fake clock and the appeal state machine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest

from careweave.engine.clock import ManualClock
from careweave.exceptions import ValidationError
from careweave.model.finance import ClaimDenied, WriteOffOrigin
from careweave.model.revenue import AppealState, DenialCategory
from careweave.revenue.denial_work import (
    ALLOWED_TRANSITIONS,
    AppealPolicy,
    age_days,
    aging_bucket,
    appeal_deadline,
    is_appeal_overdue,
    open_work_item,
    opens_work_item,
    transition,
    write_off_posting,
)

S = AppealState

DENIAL = ClaimDenied(
    idempotency_key="835:adj:PAYER1:EFT123:CLM1:1:1",
    entity="RHS-HOSP1",
    payer_id="PAYER1",
    trace_number="EFT123",
    remitted_on=dt.date(2026, 1, 15),
    claim_id="CLM1",
    line_number=1,
    amount=Decimal("812.40"),
    group_code="CO",
    carc="197",
    adjustment_index=1,
    category=DenialCategory.AUTHORIZATION,
    owner_team="utilization-management",
    suggested_action="Find the authorization.",
)


def at(day: int, month: int = 3) -> ManualClock:
    return ManualClock(dt.datetime(2026, month, day, 9, 0, tzinfo=dt.UTC))


def test_work_item_copies_the_denial():
    item = open_work_item(DENIAL)
    assert item.item_id == DENIAL.idempotency_key
    assert item.state is S.OPEN
    assert item.owner_team == "utilization-management"
    assert item.amount == Decimal("812.40")
    assert item.denied_on == dt.date(2026, 1, 15)


def test_reversed_denial_opens_no_work_item():
    reversal = msgspec.structs.replace(DENIAL, amount=Decimal("-812.40"))
    assert not opens_work_item(reversal)
    with pytest.raises(ValidationError, match="reverses an earlier denial"):
        open_work_item(reversal)


def test_denial_without_date_is_rejected():
    with pytest.raises(ValidationError, match="no remittance date"):
        open_work_item(msgspec.structs.replace(DENIAL, remitted_on=None))


@pytest.mark.parametrize(
    ("clock_day", "clock_month", "days", "bucket"),
    [(15, 1, 0, "0-30"), (14, 2, 30, "0-30"), (15, 2, 31, "31-60"), (16, 3, 60, "31-60")],
)
def test_aging(clock_day, clock_month, days, bucket):
    item = open_work_item(DENIAL)
    assert age_days(item, at(clock_day, clock_month)) == days
    assert aging_bucket(days) == bucket


def test_aging_buckets_beyond_sixty():
    assert [aging_bucket(d) for d in (61, 90, 91, 400)] == ["61-90", "61-90", "91+", "91+"]


def test_appeal_deadline_and_overdue():
    item = open_work_item(DENIAL)
    policy = AppealPolicy(appeal_window_days=60)
    assert appeal_deadline(item, policy) == dt.date(2026, 3, 16)
    assert not is_appeal_overdue(item, policy, at(16))
    assert is_appeal_overdue(item, policy, at(17))
    appealed = transition(item, S.APPEALED, by="um1", clock=at(1))
    assert not is_appeal_overdue(appealed, policy, at(17))


def test_appeal_won():
    item = open_work_item(DENIAL)
    item = transition(item, S.APPEALED, by="um1", clock=at(1), note="retro auth obtained")
    item = transition(item, S.WON, by="um1", clock=at(20))
    assert item.state is S.WON
    assert [(s.state, s.at.day, s.by) for s in item.history] == [
        (S.APPEALED, 1, "um1"),
        (S.WON, 20, "um1"),
    ]
    assert item.history[0].note == "retro auth obtained"
    assert ALLOWED_TRANSITIONS[S.WON] == frozenset()


def test_lost_appeal_can_go_to_the_next_level_then_be_written_off():
    item = open_work_item(DENIAL)
    for state in (S.APPEALED, S.LOST, S.APPEALED, S.LOST, S.WRITTEN_OFF):
        item = transition(item, state, by="um1", clock=at(5))
    assert item.state is S.WRITTEN_OFF
    assert len(item.history) == 5


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ((), S.WON),
        ((), S.LOST),
        ((S.APPEALED, S.WON), S.WRITTEN_OFF),
        ((S.WRITTEN_OFF,), S.APPEALED),
        ((S.APPEALED,), S.OPEN),
    ],
)
def test_illegal_transitions_are_refused(path, bad):
    item = open_work_item(DENIAL)
    for state in path:
        item = transition(item, state, by="x", clock=at(1))
    with pytest.raises(ValidationError, match=f"cannot go from {item.state} to {bad}"):
        transition(item, bad, by="x", clock=at(2))


def test_write_off_posting():
    item = open_work_item(DENIAL)
    with pytest.raises(ValidationError, match="not written off"):
        write_off_posting(item)
    item = transition(item, S.WRITTEN_OFF, by="dm", clock=at(3))
    posting = write_off_posting(item)
    assert posting.origin is WriteOffOrigin.DENIAL_RESOLUTION
    assert posting.amount == DENIAL.amount
    assert posting.idempotency_key == f"{DENIAL.idempotency_key}:written-off"
    assert posting.occurred_at == at(3).now()
    assert (posting.claim_id, posting.line_number, posting.carc) == ("CLM1", 1, "197")
    assert write_off_posting(item) == posting
