"""Exception cases on PostgreSQL: the async twin of ``cases_sql`` (same tables, same rules).

``cases_sql`` drives DB-API cursors synchronously; the PostgreSQL store runs on an async
connection and parks messages inside its own ingest transaction, hence these few functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec
import psycopg

from careweave.engine.store.cases_sql import CASE_SELECT, PARKED_ON, case_from_row
from careweave.engine.store.casework_rows import NOTIFICATION_SELECT, notification_from_row
from careweave.engine.store.rows import as_time
from careweave.exceptions import NotFoundError, ValidationError
from careweave.model.records import CaseEvent, CaseState, ExceptionCase, NewCase

Connection = psycopg.AsyncConnection[Any]


async def _one(conn: Connection, query: str, params: Sequence[Any]) -> Any:
    cur = await conn.execute(query.encode(), params)
    return await cur.fetchone()


async def _event(
    conn: Connection, case_id: int, at: dt.datetime, action: str, actor: str, detail: str
) -> None:
    await conn.execute(
        "INSERT INTO case_events (case_id, at, action, actor, detail) VALUES (%s, %s, %s, %s, %s)",
        (case_id, at, action, actor, detail),
    )


async def open_or_join(conn: Connection, case: NewCase, now: dt.datetime) -> tuple[int, bool]:
    """The open case of ``case.case_key``, opened now when there is none: ``(id, opened)``."""
    # The row lock makes two processes opening one new key join a single case: the second
    # waits on the unique open-key index and then finds the first's row.
    row = await _one(
        conn,
        "SELECT id FROM exception_cases WHERE case_key = %s AND state = 'open' FOR UPDATE",
        (case.case_key,),
    )
    if row is not None:
        return int(row[0]), False
    row = await _one(
        conn,
        "INSERT INTO exception_cases (case_key, reason_code, owning_team, summary, "
        "suggested_fix, details, state, opened_at, sla_due_at, severity) "
        "VALUES (%s, %s, %s, %s, %s, %s, 'open', %s, %s, %s) "
        "ON CONFLICT (case_key) WHERE state = 'open' DO NOTHING RETURNING id",
        (
            case.case_key,
            case.reason_code,
            case.owning_team,
            case.summary,
            case.suggested_fix,
            msgspec.json.encode(list(case.details)).decode(),
            now,
            now + dt.timedelta(hours=case.sla_hours),
            case.severity.value,
        ),
    )
    if row is None:  # opened by another transaction meanwhile: join it
        row = await _one(
            conn,
            "SELECT id FROM exception_cases WHERE case_key = %s AND state = 'open'",
            (case.case_key,),
        )
        return int(row[0]), False
    await _event(conn, int(row[0]), now, "opened", "careweave", case.summary)
    return int(row[0]), True


async def park(
    conn: Connection, message_id: int, cases: Sequence[NewCase], now: dt.datetime
) -> list[int]:
    """Open (or join) each case and park the message on it; returns the case ids."""
    ids: list[int] = []
    for case in cases:
        case_id, _opened = await open_or_join(conn, case, now)
        linked = await _one(
            conn,
            "INSERT INTO case_messages (case_id, message_id, payload_reference) "
            "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING case_id",
            (case_id, message_id, case.payload_reference),
        )
        if linked is not None:
            detail = f"message {message_id} {case.payload_reference}".strip()
            await _event(conn, case_id, now, "linked", "careweave", detail)
        ids.append(case_id)
    return ids


async def message_ids(conn: Connection, case_id: int) -> list[int]:
    """Ids of the messages parked on a case, oldest first."""
    cur = await conn.execute(PARKED_ON.format(m="%s").encode(), (case_id,))
    return [int(r[0]) for r in await cur.fetchall()]


async def case_ids_for_message(conn: Connection, message_id: int) -> list[int]:
    """Cases a message is parked on."""
    cur = await conn.execute(
        "SELECT DISTINCT case_id FROM case_messages WHERE message_id = %s ORDER BY case_id",
        (message_id,),
    )
    return [int(r[0]) for r in await cur.fetchall()]


async def list_cases(
    conn: Connection,
    *,
    state: CaseState | None,
    team: str | None,
    case_key: str | None,
    limit: int,
    overdue_at: dt.datetime | None = None,
) -> list[ExceptionCase]:
    """Cases, oldest first, with their message ids (``overdue_at``: only those open past their
    SLA then)."""
    clauses: list[str] = []
    params: list[Any] = []
    if overdue_at is not None:
        clauses.append("state = 'open' AND sla_due_at < %s")
        params.append(overdue_at)
    for column, value in (
        ("case_key", case_key),
        ("state", state.value if state else None),
        ("owning_team", team),
    ):
        if value is not None:
            clauses.append(f"{column} = %s")
            params.append(value)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    cur = await conn.execute(
        f"{CASE_SELECT}{where} ORDER BY id LIMIT %s".encode(), (*params, limit)
    )
    found = await cur.fetchall()
    return [case_from_row(r, await message_ids(conn, int(r[0]))) for r in found]


async def get_case(conn: Connection, case_id: int) -> ExceptionCase:
    """One case with messages and audit trail."""
    row = await _one(conn, f"{CASE_SELECT} WHERE id = %s", (case_id,))
    if row is None:
        raise NotFoundError(f"exception case {case_id} does not exist")
    cur = await conn.execute(
        "SELECT at, action, actor, detail FROM case_events WHERE case_id = %s ORDER BY id",
        (case_id,),
    )
    audit = [
        CaseEvent(at=as_time(r[0]), action=r[1], actor=r[2], detail=r[3])
        for r in await cur.fetchall()
    ]
    case = case_from_row(row, await message_ids(conn, case_id))
    cur = await conn.execute(NOTIFICATION_SELECT.format(m="%s").encode(), (case_id,))
    notifications = [notification_from_row(r) for r in await cur.fetchall()]
    return msgspec.structs.replace(case, audit=audit, notifications=notifications)


async def resolve(
    conn: Connection, case_id: int, *, actor: str, resolution: str, now: dt.datetime
) -> list[int]:
    """Close an open case (audited); returns its parked message ids."""
    row = await _one(conn, "SELECT state FROM exception_cases WHERE id = %s FOR UPDATE", (case_id,))
    if row is None:
        raise NotFoundError(f"exception case {case_id} does not exist")
    if row[0] == CaseState.DISCARDED.value:
        raise ValidationError(f"exception case {case_id} was discarded: it has nothing to replay")
    if row[0] == CaseState.OPEN.value:
        await conn.execute(
            "UPDATE exception_cases SET state = 'resolved', resolved_at = %s, resolution = %s "
            "WHERE id = %s",
            (now, resolution, case_id),
        )
        await _event(conn, case_id, now, "resolved", actor, resolution)
    return await message_ids(conn, case_id)


async def add_event(
    conn: Connection, case_id: int, *, action: str, actor: str, detail: str, now: dt.datetime
) -> None:
    """Append to a case's audit trail; NotFoundError when the case does not exist."""
    if await _one(conn, "SELECT 1 FROM exception_cases WHERE id = %s", (case_id,)) is None:
        raise NotFoundError(f"exception case {case_id} does not exist")
    await _event(conn, case_id, now, action, actor, detail)
