"""The exception workflow on PostgreSQL: the async twin of :mod:`casework_sql` (same SQL, same rules).

Row locks (``FOR UPDATE`` on the case) serialise two operators working one case from two hosts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import psycopg

from careweave.engine.store import postgres_cases
from careweave.engine.store.casework_rows import (
    CLAIM_AGAIN,
    CLAIM_NEW,
    DUE,
    FINISH,
    NOTIFICATION_SELECT,
    due_params,
    notification_from_row,
)
from careweave.engine.store.casework_sql import finish_audit
from careweave.exceptions import NotFoundError, ValidationError
from careweave.model.casework import (
    CaseNotification,
    DueNotification,
    NotificationChannel,
    NotificationKind,
    NotificationOutcome,
)
from careweave.model.records import CaseState

Connection = psycopg.AsyncConnection[Any]
M = "%s"


async def _one(conn: Connection, query: str, params: Sequence[Any]) -> Any:
    cur = await conn.execute(query.encode(), params)
    return await cur.fetchone()


async def require_open(conn: Connection, case_id: int, *, doing: str) -> None:
    """Lock the case; ValidationError unless it is open, NotFoundError when it does not exist."""
    row = await _one(conn, "SELECT state FROM exception_cases WHERE id = %s FOR UPDATE", [case_id])
    if row is None:
        raise NotFoundError(f"exception case {case_id} does not exist")
    if row[0] != CaseState.OPEN.value:
        raise ValidationError(f"exception case {case_id} is {row[0]}: cannot {doing} it")


async def assign(
    conn: Connection, case_id: int, *, assignee: str | None, actor: str, now: dt.datetime
) -> None:
    """Give an open case to someone (None: to nobody), audited."""
    await require_open(conn, case_id, doing="assign")
    await conn.execute(
        "UPDATE exception_cases SET assignee = %s WHERE id = %s", (assignee, case_id)
    )
    detail = f"to {assignee}" if assignee else "unassigned"
    await postgres_cases.add_event(
        conn, case_id, action="assigned", actor=actor, detail=detail, now=now
    )


async def discard(
    conn: Connection, case_id: int, *, actor: str, reason: str, now: dt.datetime
) -> None:
    """Close an open case without replaying what it holds, with the reason (audited)."""
    await require_open(conn, case_id, doing="discard")
    await conn.execute(
        "UPDATE exception_cases SET state = 'discarded', resolved_at = %s, resolution = %s "
        "WHERE id = %s",
        (now, reason, case_id),
    )
    await postgres_cases.add_event(
        conn, case_id, action="discarded", actor=actor, detail=reason, now=now
    )


async def require_correctable(conn: Connection, case_id: int, message_id: int) -> None:
    """Lock the case; ValidationError unless it is open and the message still parked on it."""
    await require_open(conn, case_id, doing="correct a message of")
    if message_id not in await postgres_cases.message_ids(conn, case_id):
        raise ValidationError(f"message {message_id} is not parked on exception case {case_id}")


async def supersede(
    conn: Connection,
    case_id: int,
    original_id: int,
    corrected_id: int,
    *,
    actor: str,
    now: dt.datetime,
) -> bool:
    """As :func:`casework_sql.supersede`: returns True when the case was closed."""
    await conn.execute("UPDATE messages SET state = 'superseded' WHERE id = %s", (original_id,))
    for message_id, reason in (
        (original_id, f"payload edited by {actor}: superseded by message {corrected_id}"),
        (corrected_id, f"payload edited by {actor}: corrects message {original_id}"),
    ):
        await conn.execute(
            "INSERT INTO replays (message_id, effect_id, stage, reason, requested_at) "
            "VALUES (%s, NULL, 'decode', %s, %s)",
            (message_id, reason, now),
        )
    detail = f"message {original_id} replaced by corrected message {corrected_id}"
    await postgres_cases.add_event(
        conn, case_id, action="edited", actor=actor, detail=detail, now=now
    )
    if await postgres_cases.message_ids(conn, case_id):
        return False
    resolution = f"payload edited by {actor}"
    await conn.execute(
        "UPDATE exception_cases SET state = 'resolved', resolved_at = %s, resolution = %s "
        "WHERE id = %s AND state = 'open'",
        (now, resolution, case_id),
    )
    await postgres_cases.add_event(
        conn, case_id, action="resolved", actor=actor, detail=resolution, now=now
    )
    return True


async def notifications(conn: Connection, case_id: int) -> list[CaseNotification]:
    """What a case's team was told."""
    cur = await conn.execute(NOTIFICATION_SELECT.format(m=M).encode(), (case_id,))
    return [notification_from_row(r) for r in await cur.fetchall()]


async def due(
    conn: Connection, channels: Sequence[NotificationChannel], *, now: dt.datetime, limit: int
) -> list[DueNotification]:
    """Notifications due now on ``channels``, by case."""
    found: list[DueNotification] = []
    for channel in channels:
        cur = await conn.execute(DUE.format(m=M).encode(), due_params(channel.value, now, limit))
        found.extend(
            DueNotification(case_id=int(r[0]), channel=channel, kind=NotificationKind(r[1]))
            for r in await cur.fetchall()
        )
    return sorted(found, key=lambda d: (d.case_id, d.channel, d.kind))[:limit]


async def claim(
    conn: Connection, due_one: DueNotification, *, worker: str, now: dt.datetime, lease: float
) -> int | None:
    """Claim a notification before sending it (see :func:`casework_sql.claim`)."""
    key = [due_one.case_id, due_one.channel.value, due_one.kind.value]
    until = now + dt.timedelta(seconds=lease)
    row = await _one(conn, CLAIM_NEW.format(m=M), [*key, worker, until, now])
    if row is None:
        row = await _one(conn, CLAIM_AGAIN.format(m=M), [worker, until, *key, now, now])
    return None if row is None else int(row[0])


async def finish(
    conn: Connection,
    due_one: DueNotification,
    outcome: NotificationOutcome,
    *,
    worker: str,
    now: dt.datetime,
) -> bool:
    """Record what became of a claimed notification (see :func:`casework_sql.finish`)."""
    sent = outcome.state.value == "sent"
    cur = await conn.execute(
        FINISH.format(m=M).encode(),
        (
            outcome.state.value,
            outcome.target,
            outcome.error,
            outcome.next_attempt_at,
            now if sent else None,
            due_one.case_id,
            due_one.channel.value,
            due_one.kind.value,
            worker,
        ),
    )
    if cur.rowcount == 0:
        return False
    audit = finish_audit(due_one, outcome)
    if audit is not None:
        action, detail = audit
        await postgres_cases.add_event(
            conn, due_one.case_id, action=action, actor="careweave", detail=detail, now=now
        )
    return True
