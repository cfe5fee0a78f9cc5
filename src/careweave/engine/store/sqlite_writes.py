"""The SQLite store's write jobs, each run inside the writer thread's group-commit transaction."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence

from careweave.engine.store import cases_sql
from careweave.exceptions import NotFoundError
from careweave.model.records import Processing, ReplayStage

OPEN_STATES = "('pending', 'in_flight')"
"""The effect states still waiting for delivery, as an SQL list."""

SealedEvent = tuple[str, str, bytes]
"""Event type, idempotency key, sealed payload."""
SealedEffect = tuple[str, str, str | None, str, bytes]
"""Destination, idempotency key, ordering key, content type, sealed payload."""


def epoch(value: dt.datetime) -> float:
    """A time as SQLite stores it: UTC epoch seconds."""
    return value.timestamp()


def insert_derived(
    conn: sqlite3.Connection,
    message_id: int,
    trace_id: str,
    now_ts: float,
    events: list[SealedEvent],
    effects: list[SealedEffect],
) -> None:
    """Insert a message's events and pending effects."""
    if events:
        conn.executemany(
            "INSERT INTO events (message_id, event_type, idempotency_key, payload, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(message_id, t, k, p, now_ts) for t, k, p in events],
        )
    if effects:
        conn.executemany(
            "INSERT INTO effects (message_id, destination, idempotency_key, ordering_key, "
            "content_type, payload, state, attempts, created_at, next_attempt_at, trace_id) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
            [(message_id, d, k, o, c, p, now_ts, now_ts, trace_id) for d, k, o, c, p in effects],
        )


def requeue(
    conn: sqlite3.Connection, effect_ids: Sequence[int], *, reason: str, now_ts: float
) -> int:
    """Put dead or delivered effects back to pending with a fresh attempt budget; record replays."""
    count = 0
    for effect_id in effect_ids:
        row = conn.execute(
            "SELECT message_id FROM effects WHERE id = ? AND state IN ('dead', 'delivered')",
            (effect_id,),
        ).fetchone()
        if row is None:
            continue
        conn.execute(
            "UPDATE effects SET state = 'pending', attempts = 0, next_attempt_at = ?, "
            "locked_by = NULL, locked_until = NULL WHERE id = ?",
            (now_ts, effect_id),
        )
        conn.execute(
            "INSERT INTO replays (message_id, effect_id, stage, reason, requested_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (row[0], effect_id, ReplayStage.DELIVER.value, reason, now_ts),
        )
        count += 1
    return count


def reprocess(
    conn: sqlite3.Connection,
    message_id: int,
    processing: Processing,
    events: list[SealedEvent],
    effects: list[SealedEffect],
    *,
    reason: str,
    now: dt.datetime,
) -> int:
    """Store a new decoding of a message; queue only effects not already queued or delivered."""
    now_ts = epoch(now)
    row = conn.execute("SELECT trace_id FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"message {message_id} does not exist")
    # Effects already queued or delivered are not sent again; dead ones get a new effect.
    known = {
        (r[0], r[1])
        for r in conn.execute(
            "SELECT destination, idempotency_key FROM effects WHERE message_id = ? "
            "AND state IN ('pending', 'in_flight', 'delivered')",
            (message_id,),
        )
    }
    fresh = [f for f in effects if (f[0], f[1]) not in known]
    conn.execute(
        "UPDATE messages SET state = ?, error = ?, ordering_key = ? WHERE id = ?",
        (processing.state.value, processing.error, processing.ordering_key, message_id),
    )
    insert_derived(conn, message_id, row[0], now_ts, events, fresh)
    if processing.cases:
        cases_sql.park(conn, message_id, processing.cases, now, mark="?", t=epoch)
    conn.execute(
        "INSERT INTO replays (message_id, effect_id, stage, reason, requested_at) "
        "VALUES (?, NULL, ?, ?, ?)",
        (message_id, ReplayStage.DECODE.value, reason, now_ts),
    )
    return len(fresh)


def prune(conn: sqlite3.Connection, channel: str, *, cutoff: float, now_ts: float) -> int:
    """Retention: drop the content of finished messages received before ``cutoff``."""
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT m.id FROM messages m WHERE m.channel = ? AND m.received_at < ? "
            "AND m.raw IS NOT NULL AND NOT EXISTS (SELECT 1 FROM effects e "
            f"WHERE e.message_id = m.id AND e.state IN {OPEN_STATES})",
            (channel, cutoff),
        )
    ]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        conn.execute(
            f"UPDATE messages SET raw = NULL, pruned_at = ? WHERE id IN ({marks})",
            (now_ts, *chunk),
        )
        conn.execute(f"UPDATE events SET payload = NULL WHERE message_id IN ({marks})", chunk)
        conn.execute(f"UPDATE effects SET payload = NULL WHERE message_id IN ({marks})", chunk)
    return len(ids)
