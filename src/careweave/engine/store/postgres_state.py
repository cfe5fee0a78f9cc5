"""Processing messages with flows inside the PostgreSQL transaction that stores them.

A batch of such messages is one transaction: it takes a transaction-level advisory lock first, so
business-state transactions of every process sharing the database run one after another and each
reads what the previous one committed (two processes consuming one day end with one ledger and one
stock position). Flows are synchronous code; they run in a worker thread while the event loop
serves their reads on the transaction's connection, so a flow reads committed state plus every
change made earlier in the same batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import psycopg

from careweave.engine.store import phi_fields, state_sql
from careweave.engine.store.base import Processor
from careweave.engine.store.codec import PayloadCodec
from careweave.model.records import IngestResult, MessageState, NewMessage, Processing
from careweave.model.state import Change, StateOverlay, StateTable

Connection = psycopg.AsyncConnection[Any]

STATE_LOCK = (0x0CA4E, 0x57A7E)
"""The advisory lock key (two int4 halves) serialising business-state transactions."""

StatefulIngest = tuple[NewMessage, Processor]


async def lock_state(conn: Connection) -> None:
    """Take the business-state lock until the end of the transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", STATE_LOCK)


async def read_value(conn: Connection, table: StateTable, key: str) -> bytes | None:
    """One value of a business-state table, as the connection's transaction sees it."""
    cur = await conn.execute(state_sql.select_value(table, "%s"), (key,))
    row = await cur.fetchone()
    return None if row is None else bytes(row[0])


async def write_changes(conn: Connection, changes: Sequence[Change], codec: PayloadCodec) -> None:
    """Write buffered business-state changes, their values sealed by ``codec``, on ``conn``."""
    puts, deletes = state_sql.grouped(phi_fields.sealed_changes(codec, list(changes)))
    async with conn.cursor() as cur:
        for table, values in puts.items():
            await cur.executemany(state_sql.upsert(table, "%s"), values)
        for table, keys in deletes.items():
            await cur.executemany(state_sql.delete(table, "%s"), keys)


def thread_reader(
    conn: Connection, loop: asyncio.AbstractEventLoop, codec: PayloadCodec
) -> StateOverlay:
    """An overlay whose reads, made from a worker thread, run on ``conn`` in ``loop``.

    It sees values opened through ``codec``; its changes are sealed by :func:`write_changes`.
    """

    def read(table: StateTable, key: str) -> bytes | None:
        stored = asyncio.run_coroutine_threadsafe(read_value(conn, table, key), loop).result()
        return phi_fields.opened_value(codec, stored)

    return StateOverlay(read)


async def existing_messages(
    conn: Connection, items: Sequence[StatefulIngest]
) -> dict[tuple[str, str], tuple[int, str]]:
    """Messages of the batch already stored (id and state by channel and dedup key)."""
    keys = [(m.channel, m.dedup_key) for m, _p in items if m.dedup_key is not None]
    if not keys:
        return {}
    cur = await conn.execute(
        "SELECT m.channel, m.dedup_key, m.id, m.state FROM messages m "
        "JOIN unnest(%s::text[], %s::text[]) AS k(channel, dedup_key) "
        "ON m.channel = k.channel AND m.dedup_key = k.dedup_key",
        ([k[0] for k in keys], [k[1] for k in keys]),
    )
    return {(r[0], r[1]): (int(r[2]), str(r[3])) for r in await cur.fetchall()}


def process_batch(
    items: Sequence[StatefulIngest],
    batch: StateOverlay,
    stored: dict[tuple[str, str], tuple[int, str]],
) -> list[Processing | None]:
    """Run each new message's processing in order over the batch's state (in a worker thread).

    A message already stored, or repeated earlier in the batch, is not processed (None). A message
    whose processing ends in error leaves the batch's state as it found it.
    """
    seen: set[tuple[str, str]] = set()
    out: list[Processing | None] = []
    for message, process in items:
        if message.dedup_key is not None:
            key = (message.channel, message.dedup_key)
            if key in stored or key in seen:
                out.append(None)
                continue
            seen.add(key)
        own = StateOverlay(batch.get)
        processing = process(own)
        if processing.state is not MessageState.ERROR:
            batch.merge(own.changes())
        out.append(processing)
    return out


def duplicate_processing(result: IngestResult) -> Processing:
    """What a repeated message answers with: the first one's state."""
    return Processing(state=result.state)


def placeholder(processing: Processing | None) -> Processing:
    """The processing written for a message that is a repeat (nothing derived from it)."""
    return processing if processing is not None else Processing(state=MessageState.PROCESSED)
