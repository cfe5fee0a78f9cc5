"""Exception-case persistence shared by the SQL backends (DB-API style connections).

Both backends call these functions inside their own transactions; ``mark`` is the placeholder of
the dialect (``?`` or ``%s``) and ``t`` converts a datetime to the dialect's time value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import msgspec

from careweave.engine.store.casework_rows import NOTIFICATION_SELECT, notification_from_row
from careweave.engine.store.rows import as_time
from careweave.exceptions import NotFoundError, ValidationError
from careweave.model.casework import CaseSeverity
from careweave.model.records import CaseEvent, CaseState, ExceptionCase, NewCase

CASE_SELECT = (
    "SELECT id, case_key, reason_code, owning_team, summary, suggested_fix, details, state, "
    "opened_at, sla_due_at, resolved_at, resolution, severity, assignee FROM exception_cases"
)

PARKED_ON = (
    "SELECT DISTINCT cm.message_id FROM case_messages cm JOIN messages m ON m.id = cm.message_id "
    "WHERE cm.case_id = {m} AND m.state <> 'superseded' ORDER BY cm.message_id"
)
"""The messages still parked on a case (one replaced by a corrected copy no longer is)."""


class Cursor(Protocol):
    """The part of a DB-API cursor (or sqlite3 connection) these functions use."""

    def execute(self, sql: Any, params: Any = ..., /) -> Any:
        """Run one statement."""
        ...


def case_from_row(row: Sequence[Any], message_ids: list[int] | None = None) -> ExceptionCase:
    """Build an :class:`ExceptionCase` from a ``CASE_SELECT`` row."""
    return ExceptionCase(
        id=int(row[0]),
        case_key=row[1],
        reason_code=row[2],
        owning_team=row[3],
        summary=row[4],
        suggested_fix=row[5],
        details=msgspec.json.decode(row[6], type=list[str]),
        state=CaseState(row[7]),
        opened_at=as_time(row[8]),
        sla_due_at=as_time(row[9]),
        resolved_at=as_time(row[10]) if row[10] is not None else None,
        resolution=row[11],
        severity=CaseSeverity(row[12]),
        assignee=row[13],
        message_ids=message_ids or [],
    )


def _fetchone(cur: Cursor, sql: str, params: Sequence[Any]) -> Any:
    return cur.execute(sql, params).fetchone()


def open_or_join(
    cur: Cursor,
    case: NewCase,
    now: dt.datetime,
    *,
    mark: str,
    t: Callable[[dt.datetime], Any],
) -> tuple[int, bool]:
    """The open case of ``case.case_key``, opened now when there is none: ``(id, opened)``."""
    m = mark
    row = _fetchone(
        cur,
        f"SELECT id FROM exception_cases WHERE case_key = {m} AND state = 'open'",
        [case.case_key],
    )
    if row is not None:
        return int(row[0]), False
    due = now + dt.timedelta(hours=case.sla_hours)
    row = _fetchone(
        cur,
        "INSERT INTO exception_cases (case_key, reason_code, owning_team, summary, "
        "suggested_fix, details, state, opened_at, sla_due_at, severity) "
        f"VALUES ({m}, {m}, {m}, {m}, {m}, {m}, 'open', {m}, {m}, {m}) RETURNING id",
        [
            case.case_key,
            case.reason_code,
            case.owning_team,
            case.summary,
            case.suggested_fix,
            msgspec.json.encode(list(case.details)).decode(),
            t(now),
            t(due),
            case.severity.value,
        ],
    )
    case_id = int(row[0])
    _event(cur, case_id, now, "opened", "careweave", case.summary, mark=m, t=t)
    return case_id, True


def park(
    cur: Cursor,
    message_id: int,
    cases: Sequence[NewCase],
    now: dt.datetime,
    *,
    mark: str,
    t: Callable[[dt.datetime], Any],
) -> list[int]:
    """Open (or join) each case and park the message on it; returns the case ids."""
    ids: list[int] = []
    m = mark
    for case in cases:
        case_id, _opened = open_or_join(cur, case, now, mark=m, t=t)
        linked = _fetchone(
            cur,
            f"SELECT 1 FROM case_messages WHERE case_id = {m} AND message_id = {m} "
            f"AND payload_reference = {m}",
            [case_id, message_id, case.payload_reference],
        )
        if linked is None:
            cur.execute(
                f"INSERT INTO case_messages (case_id, message_id, payload_reference) VALUES ({m}, {m}, {m})",
                [case_id, message_id, case.payload_reference],
            )
            _event(
                cur,
                case_id,
                now,
                "linked",
                "careweave",
                f"message {message_id} {case.payload_reference}".strip(),
                mark=m,
                t=t,
            )
        ids.append(case_id)
    return ids


def _event(
    cur: Cursor,
    case_id: int,
    at: dt.datetime,
    action: str,
    actor: str,
    detail: str,
    *,
    mark: str,
    t: Callable[[dt.datetime], Any],
) -> None:
    m = mark
    cur.execute(
        f"INSERT INTO case_events (case_id, at, action, actor, detail) VALUES ({m}, {m}, {m}, {m}, {m})",
        [case_id, t(at), action, actor, detail],
    )


def add_event(
    cur: Cursor,
    case_id: int,
    *,
    action: str,
    actor: str,
    detail: str,
    now: dt.datetime,
    mark: str,
    t: Callable[[dt.datetime], Any],
) -> None:
    """Append to a case's audit trail; NotFoundError when the case does not exist."""
    if _fetchone(cur, f"SELECT 1 FROM exception_cases WHERE id = {mark}", [case_id]) is None:
        raise NotFoundError(f"exception case {case_id} does not exist")
    _event(cur, case_id, now, action, actor, detail, mark=mark, t=t)


def message_ids(cur: Cursor, case_id: int, *, mark: str) -> list[int]:
    """Ids of the messages parked on a case, oldest first."""
    rows = cur.execute(PARKED_ON.format(m=mark), [case_id]).fetchall()
    return [int(r[0]) for r in rows]


def list_cases(
    cur: Cursor,
    *,
    state: CaseState | None,
    team: str | None,
    limit: int,
    mark: str,
    case_key: str | None = None,
    overdue_at: Any = None,
) -> list[ExceptionCase]:
    """Cases, oldest first, with their message ids (``overdue_at``: only cases open past their
    SLA at that time, in the dialect's time value)."""
    clauses, params = [], []
    if overdue_at is not None:
        clauses.append(f"state = 'open' AND sla_due_at < {mark}")
        params.append(overdue_at)
    if case_key is not None:
        clauses.append(f"case_key = {mark}")
        params.append(case_key)
    if state is not None:
        clauses.append(f"state = {mark}")
        params.append(state.value)
    if team is not None:
        clauses.append(f"owning_team = {mark}")
        params.append(team)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = cur.execute(
        f"{CASE_SELECT}{where} ORDER BY id LIMIT {mark}", [*params, limit]
    ).fetchall()
    return [case_from_row(r, message_ids(cur, int(r[0]), mark=mark)) for r in rows]


def get_case(cur: Cursor, case_id: int, *, mark: str) -> ExceptionCase:
    """One case with messages and audit trail."""
    row = _fetchone(cur, f"{CASE_SELECT} WHERE id = {mark}", [case_id])
    if row is None:
        raise NotFoundError(f"exception case {case_id} does not exist")
    audit = [
        CaseEvent(at=as_time(r[0]), action=r[1], actor=r[2], detail=r[3])
        for r in cur.execute(
            f"SELECT at, action, actor, detail FROM case_events WHERE case_id = {mark} ORDER BY id",
            [case_id],
        ).fetchall()
    ]
    case = case_from_row(row, message_ids(cur, case_id, mark=mark))
    notifications = [
        notification_from_row(r)
        for r in cur.execute(NOTIFICATION_SELECT.format(m=mark), [case_id]).fetchall()
    ]
    return msgspec.structs.replace(case, audit=audit, notifications=notifications)


def resolve(
    cur: Cursor,
    case_id: int,
    *,
    actor: str,
    resolution: str,
    now: dt.datetime,
    mark: str,
    t: Callable[[dt.datetime], Any],
) -> list[int]:
    """Close an open case; returns its parked message ids."""
    m = mark
    row = _fetchone(cur, f"SELECT state FROM exception_cases WHERE id = {m}", [case_id])
    if row is None:
        raise NotFoundError(f"exception case {case_id} does not exist")
    if row[0] == CaseState.DISCARDED.value:
        raise ValidationError(f"exception case {case_id} was discarded: it has nothing to replay")
    if row[0] == CaseState.OPEN.value:
        cur.execute(
            f"UPDATE exception_cases SET state = 'resolved', resolved_at = {m}, resolution = {m} "
            f"WHERE id = {m}",
            [t(now), resolution, case_id],
        )
        _event(cur, case_id, now, "resolved", actor, resolution, mark=m, t=t)
    return message_ids(cur, case_id, mark=m)


def case_ids_for_message(cur: Cursor, message_id: int, *, mark: str) -> list[int]:
    """Cases a message is parked on."""
    rows = cur.execute(
        f"SELECT DISTINCT case_id FROM case_messages WHERE message_id = {mark} ORDER BY case_id",
        [message_id],
    ).fetchall()
    return [int(r[0]) for r in rows]
