"""The exception workflow's store contract, on every backend: severity, assignee, comments, discard,
payload corrections and the notification bookkeeping (each notice claimed once, retried, settled)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import pytest

from careweave.engine.store.base import BaseStore
from careweave.exceptions import NotFoundError, ValidationError
from careweave.model.casework import (
    CaseSeverity,
    DueNotification,
    NotificationChannel,
    NotificationKind,
    NotificationOutcome,
    NotificationState,
)
from careweave.model.records import (
    CaseState,
    MessageQuery,
    MessageState,
    NewCase,
    Processing,
    ReplayStage,
)
from careweave.model.state import BusinessState, StateTable
from tests.integration.store.builders import NOW, effect, message
from tests.integration.store.conftest import StoreFactory

HOUR = dt.timedelta(hours=1)
WEBHOOK, EMAIL = NotificationChannel.WEBHOOK, NotificationChannel.EMAIL
OPENED, ESCALATED, RESOLVED = (
    NotificationKind.OPENED,
    NotificationKind.ESCALATED,
    NotificationKind.RESOLVED,
)
SENT = NotificationOutcome(state=NotificationState.SENT, target="https://hooks.example.org/cw")


def miss(code: str, *, severity: CaseSeverity = CaseSeverity.NORMAL) -> Processing:
    return Processing(
        state=MessageState.PARKED,
        cases=(
            NewCase(
                case_key=f"item-miss:{code}",
                reason_code="ITEM_NOT_IN_MASTER",
                owning_team="supply-chain",
                summary=f"EHR item {code} is not in the ERP item master",
                suggested_fix="map it in the item crosswalk",
                payload_reference="line-1",
                sla_hours=4,
                severity=severity,
            ),
        ),
    )


async def park(store: BaseStore, code: str, trace: str, **kwargs: CaseSeverity) -> int:
    result = await store.ingest(message(trace_id=trace), miss(code, **kwargs))
    return result.message_id


async def the_case(store: BaseStore, code: str) -> int:
    (case,) = await store.list_cases(state=None, case_key=f"item-miss:{code}")
    return case.id


# -- severity, assignee, comments, discard ----------------------------------------------------------


async def test_severity_assignee_and_comments_are_kept_and_audited(store: BaseStore) -> None:
    await park(store, "A-1", "a", severity=CaseSeverity.CRITICAL)
    await park(store, "B-2", "b")
    critical, normal = await store.list_cases()
    assert (critical.severity, normal.severity) == (CaseSeverity.CRITICAL, CaseSeverity.NORMAL)
    assert critical.assignee is None

    await store.assign_case(critical.id, assignee="ana", actor="lead", now=NOW + HOUR)
    await store.comment_case(critical.id, actor="ana", text="vendor asked", now=NOW + 2 * HOUR)
    await store.assign_case(critical.id, assignee=None, actor="ana", now=NOW + 3 * HOUR)
    await store.assign_case(critical.id, assignee="raj", actor="ana", now=NOW + 3 * HOUR)
    case = await store.get_case(critical.id)
    assert case.assignee == "raj"
    assert [(e.action, e.actor, e.detail) for e in case.audit[2:]] == [
        ("assigned", "lead", "to ana"),
        ("comment", "ana", "vendor asked"),
        ("assigned", "ana", "unassigned"),
        ("assigned", "ana", "to raj"),
    ]
    assert [(c.actor, c.detail, c.at) for c in case.comments] == [
        ("ana", "vendor asked", NOW + 2 * HOUR)
    ]
    with pytest.raises(ValidationError, match="needs some text"):
        await store.comment_case(critical.id, actor="ana", text="  ", now=NOW)
    with pytest.raises(NotFoundError):
        await store.assign_case(424242, assignee="ana", actor="lead", now=NOW)


async def test_a_discarded_case_is_closed_with_its_reason_and_replays_nothing(
    store: BaseStore,
) -> None:
    parked = await park(store, "A-1", "a")
    case_id = await the_case(store, "A-1")
    await store.discard_case(case_id, actor="ana", reason="test patient", now=NOW + HOUR)
    case = await store.get_case(case_id)
    assert case.state is CaseState.DISCARDED
    assert (case.resolution, case.resolved_at) == ("test patient", NOW + HOUR)
    assert case.audit[-1].action == "discarded" and case.audit[-1].detail == "test patient"
    assert (await store.get_message(parked)).state is MessageState.PARKED  # left as it was
    assert await store.list_cases() == []
    assert [c.id for c in await store.list_cases(state=CaseState.DISCARDED)] == [case_id]
    with pytest.raises(ValidationError, match="discarded: it has nothing to replay"):
        await store.resolve_case(case_id, actor="ana", resolution="x", now=NOW)
    with pytest.raises(ValidationError, match="is discarded: cannot discard"):
        await store.discard_case(case_id, actor="ana", reason="again", now=NOW)
    with pytest.raises(ValidationError, match="cannot assign"):
        await store.assign_case(case_id, assignee="raj", actor="ana", now=NOW)
    await store.comment_case(case_id, actor="raj", text="agreed", now=NOW + 2 * HOUR)  # still open
    assert (await store.get_case(case_id)).comments[-1].detail == "agreed"


async def test_overdue_cases_are_listed_at_a_given_time(store: BaseStore) -> None:
    await park(store, "A-1", "a")  # due at NOW + 4 h
    assert await store.list_cases(overdue_at=NOW + 4 * HOUR) == []
    (overdue,) = await store.list_cases(overdue_at=NOW + 5 * HOUR)
    await store.resolve_case(overdue.id, actor="ana", resolution="mapped", now=NOW + HOUR)
    assert await store.list_cases(state=None, overdue_at=NOW + 5 * HOUR) == []


# -- payload corrections ------------------------------------------------------------------------


def processes_to(processing: Processing) -> Callable[[BusinessState], Processing]:
    """A processing that also writes business state (rolled back if the correction fails)."""

    def process(state: BusinessState) -> Processing:
        state.put(StateTable.INVENTORY_POSITIONS, "loc/item", b'{"on_hand": 3}')
        return processing

    return process


async def test_a_corrected_copy_supersedes_the_original_and_settles_the_case(
    store: BaseStore,
) -> None:
    first, second = await park(store, "A-1", "a"), await park(store, "A-1", "b")
    case_id = await the_case(store, "A-1")
    fixed = Processing(state=MessageState.PROCESSED, effects=(effect("inv:1", destination="erp"),))
    new = message(raw=b"MSH|corrected 1\r", trace_id="a", received_at=NOW + HOUR)
    correction, processing = await store.correct_message(
        case_id, first, new, processes_to(fixed), actor="ana", now=NOW + HOUR
    )
    assert processing == fixed
    assert (correction.original_id, correction.state, correction.case_closed) == (
        first,
        "processed",
        False,
    )
    assert (await store.get_message(first)).state is MessageState.SUPERSEDED
    stored = await store.get_message(correction.message_id)
    assert (stored.raw, stored.state, stored.dedup_key) == (
        b"MSH|corrected 1\r",
        MessageState.PROCESSED,
        None,
    )
    # Business state written by the corrected copy's processing, in the same commit.
    assert await store.get_state(StateTable.INVENTORY_POSITIONS, "loc/item") == b'{"on_hand": 3}'
    assert [e.idempotency_key for e in (await store.lineage(stored.id)).effects] == ["inv:1"]
    # Each lineage names the other, as a replay.
    (replay,) = (await store.lineage(first)).replays
    assert replay.stage is ReplayStage.DECODE
    assert replay.reason == f"payload edited by ana: superseded by message {stored.id}"
    (replay,) = (await store.lineage(stored.id)).replays
    assert replay.reason == f"payload edited by ana: corrects message {first}"
    case = await store.get_case(case_id)
    assert case.state is CaseState.OPEN and case.message_ids == [second]
    assert case.audit[-1].action == "edited"

    # The last parked message corrected: the case is resolved, and a resolve replays nothing.
    new = message(raw=b"MSH|corrected 2\r", trace_id="b", received_at=NOW + 2 * HOUR)
    correction, _ = await store.correct_message(
        case_id, second, new, processes_to(fixed), actor="ana", now=NOW + 2 * HOUR
    )
    assert correction.case_closed
    case = await store.get_case(case_id)
    assert (case.state, case.resolution, case.message_ids) == (
        CaseState.RESOLVED,
        "payload edited by ana",
        [],
    )
    assert await store.resolve_case(case_id, actor="ana", resolution="x", now=NOW) == []
    counts = await store.counts()
    assert counts["messages.superseded"] == 2 and counts["messages.processed"] == 2
    listed = await store.list_messages(MessageQuery(state=MessageState.SUPERSEDED))
    assert sorted(m.id for m in listed) == [first, second]


async def test_a_correction_that_parks_again_keeps_the_case_open(store: BaseStore) -> None:
    first = await park(store, "A-1", "a")
    case_id = await the_case(store, "A-1")
    new = message(raw=b"MSH|still wrong\r", trace_id="a", received_at=NOW + HOUR)
    correction, _ = await store.correct_message(
        case_id, first, new, processes_to(miss("A-1")), actor="ana", now=NOW + HOUR
    )
    assert (correction.state, correction.case_closed) == ("parked", False)
    case = await store.get_case(case_id)
    assert case.state is CaseState.OPEN and case.message_ids == [correction.message_id]


async def test_a_correction_is_refused_whole_when_it_cannot_apply(store: BaseStore) -> None:
    first = await park(store, "A-1", "a")
    other = await park(store, "B-2", "b")
    case_id = await the_case(store, "A-1")
    new = message(raw=b"MSH|x\r", trace_id="a", received_at=NOW + HOUR)
    failing = Processing(state=MessageState.ERROR, error="PID-3 is empty")
    with pytest.raises(ValidationError, match=r"fails too \(PID-3 is empty\); nothing was stored"):
        await store.correct_message(
            case_id, first, new, processes_to(failing), actor="ana", now=NOW
        )
    fine = processes_to(Processing(state=MessageState.PROCESSED))
    with pytest.raises(ValidationError, match=f"message {other} is not parked on exception case"):
        await store.correct_message(case_id, other, new, fine, actor="ana", now=NOW)
    with pytest.raises(NotFoundError):
        await store.correct_message(424242, first, new, fine, actor="ana", now=NOW)
    await store.discard_case(case_id, actor="ana", reason="duplicate order", now=NOW)
    with pytest.raises(ValidationError, match="is discarded"):
        await store.correct_message(case_id, first, new, fine, actor="ana", now=NOW)
    # Nothing of the refused attempts was kept.
    assert (await store.counts()).get("messages.processed", 0) == 0
    assert (await store.get_message(first)).state is MessageState.PARKED
    assert await store.get_state(StateTable.INVENTORY_POSITIONS, "loc/item") is None


# -- notifications --------------------------------------------------------------------------------


async def due(store: BaseStore, now: dt.datetime = NOW) -> list[tuple[int, str, str]]:
    found = await store.due_notifications(channels=[WEBHOOK, EMAIL], now=now)
    return [(d.case_id, d.channel.value, d.kind.value) for d in found]


async def send_all(store: BaseStore, now: dt.datetime, worker: str = "n1") -> int:
    sent = 0
    for d in await store.due_notifications(channels=[WEBHOOK, EMAIL], now=now):
        assert await store.claim_notification(d, worker=worker, now=now, lease=60) is not None
        assert await store.finish_notification(d, SENT, worker=worker, now=now)
        sent += 1
    return sent


async def test_each_notice_is_due_once_in_order_open_escalate_close(store: BaseStore) -> None:
    await park(store, "A-1", "a")
    case_id = await the_case(store, "A-1")
    assert await due(store) == [(case_id, "email", "opened"), (case_id, "webhook", "opened")]
    assert await send_all(store, NOW) == 2
    assert await due(store) == []
    assert await due(store, NOW + 4 * HOUR) == []  # due at the SLA, escalated only past it
    later = NOW + 5 * HOUR
    assert await due(store, later) == [
        (case_id, "email", "escalated"),
        (case_id, "webhook", "escalated"),
    ]
    assert await send_all(store, later) == 2
    assert await due(store, later + HOUR) == []
    await store.resolve_case(case_id, actor="ana", resolution="mapped", now=later)
    assert await due(store, later) == [
        (case_id, "email", "resolved"),
        (case_id, "webhook", "resolved"),
    ]
    assert await send_all(store, later) == 2
    assert await due(store, later + 100 * HOUR) == []
    case = await store.get_case(case_id)
    assert [(n.channel, n.kind, n.state, n.attempts) for n in case.notifications] == [
        (EMAIL, OPENED, NotificationState.SENT, 1),
        (WEBHOOK, OPENED, NotificationState.SENT, 1),
        (EMAIL, ESCALATED, NotificationState.SENT, 1),
        (WEBHOOK, ESCALATED, NotificationState.SENT, 1),
        (EMAIL, RESOLVED, NotificationState.SENT, 1),
        (WEBHOOK, RESOLVED, NotificationState.SENT, 1),
    ]
    assert case.notifications[0].sent_at == NOW
    notified = [e.detail for e in case.audit if e.action == "notified"]
    assert notified[0] == "opened notice sent by email to https://hooks.example.org/cw"
    assert len(notified) == 6


async def test_a_case_closed_before_it_was_announced_is_never_announced(store: BaseStore) -> None:
    await park(store, "A-1", "a")
    case_id = await the_case(store, "A-1")
    await store.discard_case(case_id, actor="ana", reason="test patient", now=NOW)
    assert await due(store, NOW + 100 * HOUR) == []


async def test_a_notice_is_claimed_once_and_a_failure_retried_when_due(store: BaseStore) -> None:
    await park(store, "A-1", "a")
    case_id = await the_case(store, "A-1")
    hook = DueNotification(case_id=case_id, channel=WEBHOOK, kind=OPENED)
    assert await store.claim_notification(hook, worker="n1", now=NOW, lease=60) == 1
    assert await store.claim_notification(hook, worker="n2", now=NOW, lease=60) is None
    assert (case_id, "webhook", "opened") not in await due(store)  # held by n1
    failed = NotificationOutcome(
        state=NotificationState.FAILED,
        target="https://hooks.example.org/cw",
        error="503 Service Unavailable",
        next_attempt_at=NOW + dt.timedelta(seconds=30),
    )
    assert not await store.finish_notification(hook, failed, worker="n2", now=NOW)  # not its claim
    assert await store.finish_notification(hook, failed, worker="n1", now=NOW)
    assert (case_id, "webhook", "opened") not in await due(store, NOW + dt.timedelta(seconds=29))
    retry_at = NOW + dt.timedelta(seconds=30)
    assert (case_id, "webhook", "opened") in await due(store, retry_at)
    assert await store.claim_notification(hook, worker="n2", now=retry_at, lease=60) == 2
    # n2 dies holding it: once the claim expires, another notifier takes it over.
    assert await store.claim_notification(hook, worker="n3", now=retry_at, lease=60) is None
    expired = retry_at + dt.timedelta(seconds=61)
    assert (case_id, "webhook", "opened") in await due(store, expired)
    assert await store.claim_notification(hook, worker="n3", now=expired, lease=60) == 3
    assert not await store.finish_notification(hook, SENT, worker="n2", now=expired)
    given_up = NotificationOutcome(
        state=NotificationState.ABANDONED, target="https://x", error="400 Bad Request"
    )
    assert await store.finish_notification(hook, given_up, worker="n3", now=expired)
    case = await store.get_case(case_id)
    (notice,) = case.notifications
    assert (notice.state, notice.attempts, notice.last_error, notice.sent_at) == (
        NotificationState.ABANDONED,
        3,
        "400 Bad Request",
        None,
    )
    assert case.audit[-1].action == "notify-failed"
    assert case.audit[-1].detail == "opened notice by webhook abandoned: 400 Bad Request"
    # An abandoned opening notice still lets the escalation follow.
    assert (case_id, "webhook", "escalated") in await due(store, NOW + 5 * HOUR)


async def test_two_notifiers_racing_claim_each_notice_once(stores: StoreFactory) -> None:
    first = await stores.open()
    # PostgreSQL: a second store on the same schema, as another process; SQLite: one process.
    second = await stores.open() if stores.backend == "postgres" else first
    for n in range(20):
        await park(first, f"C-{n}", f"t{n}")
    found = await first.due_notifications(channels=[WEBHOOK, EMAIL], now=NOW)
    assert len(found) == 40

    async def claim_all(store: BaseStore, worker: str) -> list[DueNotification]:
        won = []
        for d in found:
            if await store.claim_notification(d, worker=worker, now=NOW, lease=60) is not None:
                won.append(d)
        return won

    a, b = await asyncio.gather(claim_all(first, "n1"), claim_all(second, "n2"))
    assert len(a) + len(b) == 40
    assert {(d.case_id, d.channel) for d in a}.isdisjoint({(d.case_id, d.channel) for d in b})
