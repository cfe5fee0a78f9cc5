"""The audit log on PostgreSQL: appends serialised across every process sharing the database.

``append`` takes a transaction-level advisory lock, then reads the head: a second engine (or the
CLI) appending at the same moment waits for the first to commit and follows its entry, so the
chain never forks. Called inside a store method's own transaction, the entry commits (or rolls
back) with the change it records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from careweave.engine.store.audit_sql import (
    AUDIT_INSERT,
    AUDIT_SELECT,
    HEAD_SELECT,
    entry_from_row,
    next_entry,
)
from careweave.model.audit import AuditEntry, StoredAuditEntry

Connection = psycopg.AsyncConnection[Any]

AUDIT_LOCK = (0x0CA4E, 0xA0D17)
"""The advisory lock key (two int4 halves) serialising audit appends."""


async def append(conn: Connection, entry: AuditEntry, *, at: dt.datetime | None = None) -> int:
    """Append ``entry`` on the connection's open transaction; returns its ``seq``."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", AUDIT_LOCK)
    head = await (await conn.execute(HEAD_SELECT)).fetchone()
    stored = next_entry(head, entry, at or dt.datetime.now(dt.UTC))
    await conn.execute(
        AUDIT_INSERT.format(m="%s").encode(),
        (
            stored.seq,
            stored.at,
            stored.actor,
            stored.action,
            stored.subject,
            Jsonb(stored.detail),
            stored.prev_hash,
            stored.hash,
        ),
    )
    return stored.seq


async def entries(conn: Connection, *, after_seq: int, limit: int) -> list[StoredAuditEntry]:
    """Up to ``limit`` entries after ``after_seq``, in chain order."""
    cur = await conn.execute(
        f"{AUDIT_SELECT} WHERE seq > %s ORDER BY seq LIMIT %s".encode(), (after_seq, limit)
    )
    return [entry_from_row(r) for r in await cur.fetchall()]
