"""The SQLite store's read queries, run on its reader connection (never behind a commit)."""

from __future__ import annotations

import sqlite3
from typing import Any

from careweave.engine.store import cases_sql, rows
from careweave.engine.store.codec import PayloadCodec
from careweave.exceptions import NotFoundError
from careweave.model.records import (
    DeliveryAttempt,
    Effect,
    EffectState,
    InboundMessage,
    Lineage,
    MessageQuery,
    StoredEvent,
)


def get_message(conn: sqlite3.Connection, codec: PayloadCodec, message_id: int) -> InboundMessage:
    """One message with its raw content; NotFoundError if absent."""
    row = conn.execute(f"{rows.MESSAGE_SELECT} WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"message {message_id} does not exist")
    return rows.message_from_row(row, codec)


def list_messages(
    conn: sqlite3.Connection,
    codec: PayloadCodec,
    query: MessageQuery,
    where: str,
    params: list[Any],
) -> list[InboundMessage]:
    """Messages matching ``where``, newest first, without raw content."""
    cur = conn.execute(
        f"{rows.MESSAGE_SELECT_NO_RAW} {where} ORDER BY id DESC LIMIT ?", (*params, query.limit)
    )
    return [rows.message_from_row(r, codec) for r in cur]


def lineage(conn: sqlite3.Connection, codec: PayloadCodec, message: InboundMessage) -> Lineage:
    """Everything derived from ``message``."""
    mid = message.id
    events = [
        rows.event_from_row(r, codec)
        for r in conn.execute(f"{rows.EVENT_SELECT} WHERE message_id = ? ORDER BY id", (mid,))
    ]
    effects = [
        rows.effect_from_row(r, codec)
        for r in conn.execute(f"{rows.EFFECT_SELECT} WHERE message_id = ? ORDER BY id", (mid,))
    ]
    ids = [e.id for e in effects]
    attempts: list[DeliveryAttempt] = []
    if ids:
        marks = ",".join("?" * len(ids))
        attempts = [
            rows.attempt_from_row(r, codec)
            for r in conn.execute(
                f"{rows.ATTEMPT_SELECT} WHERE effect_id IN ({marks}) ORDER BY id", ids
            )
        ]
    replays = [
        rows.replay_from_row(r, codec)
        for r in conn.execute(f"{rows.REPLAY_SELECT} WHERE message_id = ? ORDER BY id", (mid,))
    ]
    return Lineage(
        message=message,
        events=events,
        effects=effects,
        attempts=attempts,
        replays=replays,
        case_ids=cases_sql.case_ids_for_message(conn, mid, mark="?"),
    )


def list_events(
    conn: sqlite3.Connection, codec: PayloadCodec, event_type: str, after_id: int, limit: int
) -> list[StoredEvent]:
    """Events of one type with ids above ``after_id``, oldest first."""
    cur = conn.execute(
        f"{rows.EVENT_SELECT} WHERE event_type = ? AND id > ? ORDER BY id LIMIT ?",
        (event_type, after_id, limit),
    )
    return [rows.event_from_row(r, codec) for r in cur]


def list_effects(
    conn: sqlite3.Connection,
    codec: PayloadCodec,
    *,
    destination: str | None,
    state: EffectState | None,
    limit: int,
) -> list[Effect]:
    """Effects, oldest first."""
    clauses: list[str] = []
    params: list[Any] = []
    if destination is not None:
        clauses.append("destination = ?")
        params.append(destination)
    if state is not None:
        clauses.append("state = ?")
        params.append(state.value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    cur = conn.execute(f"{rows.EFFECT_SELECT} {where} ORDER BY id LIMIT ?", (*params, limit))
    return [rows.effect_from_row(r, codec) for r in cur]


def queue_depths(conn: sqlite3.Connection) -> dict[str, int]:
    """Open effects per destination (the ``effects_open`` partial index answers it)."""
    return {
        str(destination): int(n)
        for destination, n in conn.execute(
            "SELECT destination, COUNT(*) FROM effects"
            " WHERE state IN ('pending', 'in_flight') GROUP BY destination"
        )
    }


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Message and effect counts by state, and the duplicates received."""
    out: dict[str, int] = {}
    for state, n in conn.execute("SELECT state, COUNT(*) FROM messages GROUP BY state"):
        out[f"messages.{state}"] = n
    for state, n in conn.execute("SELECT state, COUNT(*) FROM effects GROUP BY state"):
        out[f"effects.{state}"] = n
    (dups,) = conn.execute("SELECT COALESCE(SUM(duplicates), 0) FROM messages").fetchone()
    out["messages.duplicates"] = int(dups)
    return out
