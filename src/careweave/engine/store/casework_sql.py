"""The exception workflow on a DB-API connection (SQLite): assign, discard, correct, notify.

Each function runs inside its caller's transaction, like :mod:`cases_sql`; ``mark`` is the
dialect's placeholder and ``t`` turns a datetime into the dialect's time value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from careweave.engine.store import cases_sql
from careweave.engine.store.cases_sql import Cursor
from careweave.engine.store.casework_rows import (
    CLAIM_AGAIN,
    CLAIM_NEW,
    DUE,
    FINISH,
    due_params,
    notified_detail,
)
from careweave.exceptions import NotFoundError, ValidationError
from careweave.model.casework import (
    DueNotification,
    NotificationChannel,
    NotificationKind,
    NotificationOutcome,
    NotificationState,
)
from careweave.model.records import CaseState

ToTime = Callable[[dt.datetime], Any]


def case_state(cur: Cursor, case_id: int, *, mark: str) -> CaseState:
    """A case's state; NotFoundError when it does not exist."""
    row = cur.execute(f"SELECT state FROM exception_cases WHERE id = {mark}", [case_id]).fetchone()
    if row is None:
        raise NotFoundError(f"exception case {case_id} does not exist")
    return CaseState(row[0])


def require_open(cur: Cursor, case_id: int, *, doing: str, mark: str) -> None:
    """ValidationError unless the case is open."""
    state = case_state(cur, case_id, mark=mark)
    if state is not CaseState.OPEN:
        raise ValidationError(f"exception case {case_id} is {state.value}: cannot {doing} it")


def assign(
    cur: Cursor,
    case_id: int,
    *,
    assignee: str | None,
    actor: str,
    now: dt.datetime,
    mark: str,
    t: ToTime,
) -> None:
    """Give an open case to someone (None: to nobody), audited."""
    require_open(cur, case_id, doing="assign", mark=mark)
    cur.execute(
        f"UPDATE exception_cases SET assignee = {mark} WHERE id = {mark}", [assignee, case_id]
    )
    detail = f"to {assignee}" if assignee else "unassigned"
    cases_sql.add_event(
        cur, case_id, action="assigned", actor=actor, detail=detail, now=now, mark=mark, t=t
    )


def discard(
    cur: Cursor, case_id: int, *, actor: str, reason: str, now: dt.datetime, mark: str, t: ToTime
) -> None:
    """Close an open case without replaying what it holds, with the reason (audited)."""
    require_open(cur, case_id, doing="discard", mark=mark)
    cur.execute(
        f"UPDATE exception_cases SET state = 'discarded', resolved_at = {mark}, "
        f"resolution = {mark} WHERE id = {mark}",
        [t(now), reason, case_id],
    )
    cases_sql.add_event(
        cur, case_id, action="discarded", actor=actor, detail=reason, now=now, mark=mark, t=t
    )


def require_correctable(cur: Cursor, case_id: int, message_id: int, *, mark: str) -> None:
    """ValidationError unless the case is open and the message is still parked on it."""
    require_open(cur, case_id, doing="correct a message of", mark=mark)
    if message_id not in cases_sql.message_ids(cur, case_id, mark=mark):
        raise ValidationError(f"message {message_id} is not parked on exception case {case_id}")


def supersede(
    cur: Cursor,
    case_id: int,
    original_id: int,
    corrected_id: int,
    *,
    actor: str,
    now: dt.datetime,
    mark: str,
    t: ToTime,
) -> bool:
    """Mark the original superseded by its corrected copy, both lineages and the case audited;
    close the case when nothing is left parked on it. Returns True when it was closed."""
    m = mark
    cur.execute(f"UPDATE messages SET state = 'superseded' WHERE id = {m}", [original_id])
    for message_id, reason in (
        (original_id, f"payload edited by {actor}: superseded by message {corrected_id}"),
        (corrected_id, f"payload edited by {actor}: corrects message {original_id}"),
    ):
        cur.execute(
            "INSERT INTO replays (message_id, effect_id, stage, reason, requested_at) "
            f"VALUES ({m}, NULL, 'decode', {m}, {m})",
            [message_id, reason, t(now)],
        )
    cases_sql.add_event(
        cur,
        case_id,
        action="edited",
        actor=actor,
        detail=f"message {original_id} replaced by corrected message {corrected_id}",
        now=now,
        mark=m,
        t=t,
    )
    if cases_sql.message_ids(cur, case_id, mark=m):
        return False
    resolution = f"payload edited by {actor}"
    cur.execute(
        f"UPDATE exception_cases SET state = 'resolved', resolved_at = {m}, resolution = {m} "
        f"WHERE id = {m} AND state = 'open'",
        [t(now), resolution, case_id],
    )
    cases_sql.add_event(
        cur, case_id, action="resolved", actor=actor, detail=resolution, now=now, mark=m, t=t
    )
    return True


def due(
    cur: Cursor,
    channels: Sequence[NotificationChannel],
    *,
    now: dt.datetime,
    limit: int,
    mark: str,
    t: ToTime,
) -> list[DueNotification]:
    """Notifications due now on ``channels``, by case."""
    found: list[DueNotification] = []
    for channel in channels:
        rows = cur.execute(DUE.format(m=mark), due_params(channel.value, t(now), limit)).fetchall()
        found.extend(
            DueNotification(case_id=int(r[0]), channel=channel, kind=NotificationKind(r[1]))
            for r in rows
        )
    return sorted(found, key=lambda d: (d.case_id, d.channel, d.kind))[:limit]


def claim(
    cur: Cursor,
    due_one: DueNotification,
    *,
    worker: str,
    now: dt.datetime,
    lease: float,
    mark: str,
    t: ToTime,
) -> int | None:
    """Claim a notification before sending it: its attempt number, or None when another
    notifier has it (or it needs nothing more)."""
    key = [due_one.case_id, due_one.channel.value, due_one.kind.value]
    until = t(now + dt.timedelta(seconds=lease))
    row = cur.execute(CLAIM_NEW.format(m=mark), [*key, worker, until, t(now)]).fetchone()
    if row is None:
        row = cur.execute(
            CLAIM_AGAIN.format(m=mark), [worker, until, *key, t(now), t(now)]
        ).fetchone()
    return None if row is None else int(row[0])


def finish(
    cur: Cursor,
    due_one: DueNotification,
    outcome: NotificationOutcome,
    *,
    worker: str,
    now: dt.datetime,
    mark: str,
    t: ToTime,
) -> bool:
    """Record what became of a claimed notification (audited when sent or abandoned); False when
    the claim was lost meanwhile."""
    sent = outcome.state is NotificationState.SENT
    result = cur.execute(
        FINISH.format(m=mark),
        [
            outcome.state.value,
            outcome.target,
            outcome.error,
            t(outcome.next_attempt_at) if outcome.next_attempt_at else None,
            t(now) if sent else None,
            due_one.case_id,
            due_one.channel.value,
            due_one.kind.value,
            worker,
        ],
    )
    if result.rowcount == 0:
        return False
    audit = finish_audit(due_one, outcome)
    if audit is not None:
        action, detail = audit
        cases_sql.add_event(
            cur,
            due_one.case_id,
            action=action,
            actor="careweave",
            detail=detail,
            now=now,
            mark=mark,
            t=t,
        )
    return True


def finish_audit(due_one: DueNotification, outcome: NotificationOutcome) -> tuple[str, str] | None:
    """The audit line a finished notification leaves: (action, detail), or None."""
    if outcome.state is NotificationState.SENT:
        return "notified", notified_detail(due_one.kind, due_one.channel, outcome.target)
    if outcome.state is NotificationState.ABANDONED:
        return (
            "notify-failed",
            f"{due_one.kind.value} notice by {due_one.channel.value} abandoned: {outcome.error}",
        )
    return None
