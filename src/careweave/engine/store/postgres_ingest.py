"""Writing a group-commit batch of ingested messages to PostgreSQL in one transaction.

Message ids are drawn from the sequence first, so that every row of the batch is known before the
insert and the one ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` tells which were new. Repeats
of a ``(channel, dedup_key)`` (earlier in the database, or earlier in the same batch) are counted on
the first message and answered with its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import psycopg

from careweave.engine.store import phi_fields, postgres_cases, rows
from careweave.engine.store import postgres_sql as q
from careweave.engine.store.codec import PayloadCodec
from careweave.exceptions import StoreError
from careweave.model.records import IngestResult, NewMessage, Processing


class SealedIngest(msgspec.Struct, frozen=True):
    """A message and its processing with every payload already through the codec."""

    message: NewMessage
    processing: Processing
    raw: bytes
    event_payloads: tuple[bytes, ...]
    effect_payloads: tuple[bytes, ...]


def seal(message: NewMessage, processing: Processing, codec: PayloadCodec) -> SealedIngest:
    """Pass every payload of an ingest, and its keys and error text, through ``codec`` (done by the
    caller, off the batch)."""
    message = phi_fields.message(codec, message)
    processing = phi_fields.processing(codec, processing)
    return SealedIngest(
        message,
        processing,
        codec.seal(message.raw),
        tuple(codec.seal(e.payload) for e in processing.events),
        tuple(codec.seal(f.payload) for f in processing.effects),
    )


DedupKey = tuple[str, str]


def _columns(items: Sequence[SealedIngest], ids: Sequence[int]) -> dict[str, list[Any]]:
    names = [
        "id",
        "channel",
        "content_type",
        "sender",
        "received_at",
        "trace_id",
        "dedup_key",
        "state",
        "error",
        "ordering_key",
        "raw",
        "duplicates",
        "ev_message",
        "ev_type",
        "ev_key",
        "ev_payload",
        "ev_created",
        "ef_message",
        "ef_destination",
        "ef_key",
        "ef_ordering",
        "ef_content_type",
        "ef_payload",
        "ef_created",
        "ef_trace",
    ]
    cols: dict[str, list[Any]] = {name: [] for name in names}
    for item, message_id in zip(items, ids, strict=True):
        m, p = item.message, item.processing
        for name, value in (
            ("id", message_id),
            ("channel", m.channel),
            ("content_type", m.content_type),
            ("sender", m.sender),
            ("received_at", m.received_at),
            ("trace_id", m.trace_id),
            ("dedup_key", m.dedup_key),
            ("state", p.state.value),
            ("error", p.error),
            ("ordering_key", p.ordering_key),
            ("raw", item.raw),
            ("duplicates", 0),
        ):
            cols[name].append(value)
        for event, payload in zip(p.events, item.event_payloads, strict=True):
            cols["ev_message"].append(message_id)
            cols["ev_type"].append(event.event_type)
            cols["ev_key"].append(event.idempotency_key)
            cols["ev_payload"].append(payload)
            cols["ev_created"].append(m.received_at)
        for effect, payload in zip(p.effects, item.effect_payloads, strict=True):
            cols["ef_message"].append(message_id)
            cols["ef_destination"].append(effect.destination)
            cols["ef_key"].append(effect.idempotency_key)
            cols["ef_ordering"].append(effect.ordering_key)
            cols["ef_content_type"].append(effect.content_type)
            cols["ef_payload"].append(payload)
            cols["ef_created"].append(m.received_at)
            cols["ef_trace"].append(m.trace_id)
    return cols


async def write_batch(
    conn: psycopg.AsyncConnection[Any], items: Sequence[SealedIngest]
) -> list[IngestResult]:
    """Store ``items`` in one transaction; duplicates answer with the first message's id.

    Raises the driver's error if any row fails; the caller then retries item by item.
    """
    # Within the batch only the first of a repeated dedup key is offered to the INSERT.
    first_of: dict[DedupKey, int] = {}
    offered: list[int] = []
    for index, item in enumerate(items):
        m = item.message
        if m.dedup_key is None:
            offered.append(index)
            continue
        key = (m.channel, m.dedup_key)
        if key not in first_of:
            first_of[key] = index
            offered.append(index)
    async with conn.transaction():
        cur = await conn.execute(q.MESSAGE_IDS, {"n": len(offered)})
        ids = sorted(int(r[0]) for r in await cur.fetchall())
        cur = await conn.execute(q.INGEST, _columns([items[i] for i in offered], ids))
        inserted = {int(r[0]) for r in await cur.fetchall()}
        id_of = dict(zip(offered, ids, strict=True))
        for index in offered:
            item = items[index]
            if item.processing.cases and id_of[index] in inserted:
                await postgres_cases.park(
                    conn, id_of[index], item.processing.cases, item.message.received_at
                )
        repeats: dict[DedupKey, int] = {}
        for index, item in enumerate(items):
            m = item.message
            if m.dedup_key is None:
                continue
            key = (m.channel, m.dedup_key)
            if index != first_of[key] or id_of[index] not in inserted:
                repeats[key] = repeats.get(key, 0) + 1
        originals: dict[DedupKey, IngestResult] = {}
        if repeats:
            keys = list(repeats)
            cur = await conn.execute(
                q.COUNT_DUPLICATES,
                {
                    "channel": [k[0] for k in keys],
                    "dedup_key": [k[1] for k in keys],
                    "n": [repeats[k] for k in keys],
                },
            )
            for row in await cur.fetchall():
                originals[(row[1], row[2])] = IngestResult(
                    int(row[0]), True, rows.message_state(row[3])
                )
    results: list[IngestResult] = []
    for index, item in enumerate(items):
        m = item.message
        if m.dedup_key is None or (
            index == first_of[(m.channel, m.dedup_key)] and id_of[index] in inserted
        ):
            results.append(IngestResult(id_of[index], False, item.processing.state))
            continue
        original = originals.get((m.channel, m.dedup_key))
        if original is None:  # the conflicting row vanished: nothing in careweave deletes messages
            raise StoreError(f"message {m.channel}/{m.dedup_key} conflicts with a missing row")
        results.append(original)
    return results


def describe(message: NewMessage, exc: BaseException) -> StoreError:
    """The error one message of a batch failed with, naming the message."""
    key = f" dedup key {message.dedup_key!r}" if message.dedup_key else ""
    return StoreError(
        f"cannot store message on channel {message.channel!r}{key} "
        f"(trace {message.trace_id}): {exc}"
    )
