"""Builders for the store contract suite: messages, processings, effects, outcomes, a test codec."""

from __future__ import annotations

import datetime as dt

from careweave.engine.store.codec import PlainCodec
from careweave.model.records import (
    AttemptOutcome,
    DeliveryAttempt,
    Effect,
    EffectOutcome,
    MessageState,
    NewEffect,
    NewEvent,
    NewMessage,
    Processing,
)

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
WORKER = "worker-a"


def message(
    *,
    channel: str = "adt-in",
    dedup_key: str | None = None,
    raw: bytes = b"MSH|^~\\&|EHR|NORTH|CW|RCM|20250301120000||ADT^A01|MSG1|P|2.5\r",
    received_at: dt.datetime = NOW,
    trace_id: str = "trace-1",
) -> NewMessage:
    """An inbound message as a source connector would hand it over."""
    return NewMessage(
        channel=channel,
        raw=raw,
        content_type="x-application/hl7-v2+er7",
        sender="10.0.0.7",
        received_at=received_at,
        trace_id=trace_id,
        dedup_key=dedup_key,
    )


def effect(
    idempotency_key: str,
    *,
    destination: str = "rcm",
    ordering_key: str | None = None,
    payload: bytes = b'{"charge": 1}',
) -> NewEffect:
    """One outbound effect."""
    return NewEffect(
        destination=destination,
        idempotency_key=idempotency_key,
        payload=payload,
        content_type="application/json",
        ordering_key=ordering_key,
    )


def processed(*effects: NewEffect, events: tuple[NewEvent, ...] = ()) -> Processing:
    """A processing that yielded ``effects``."""
    return Processing(state=MessageState.PROCESSED, events=events, effects=effects)


def outcome(
    claimed: Effect,
    result: AttemptOutcome,
    *,
    worker: str = WORKER,
    at: dt.datetime = NOW,
    next_attempt_at: dt.datetime | None = None,
    error: str | None = None,
) -> EffectOutcome:
    """A worker's verdict on an effect it claimed."""
    return EffectOutcome(
        attempt=DeliveryAttempt(
            effect_id=claimed.id,
            attempt=claimed.attempts,
            started_at=at,
            finished_at=at + dt.timedelta(milliseconds=20),
            outcome=result,
            status=200 if result is AttemptOutcome.DELIVERED else 503,
            response="ok" if result is AttemptOutcome.DELIVERED else None,
            error=error,
        ),
        worker=worker,
        next_attempt_at=next_attempt_at,
    )


class XorCodec(PlainCodec):
    """A stand-in for encryption at rest: stored bytes differ from the payload, reversibly (text
    and keys stay as they are)."""

    def __init__(self, key: int = 0x5A) -> None:
        self.key = key

    def seal(self, data: bytes) -> bytes:
        """XOR every byte, and mark the result so that a missed ``open`` shows."""
        return b"X1" + bytes(b ^ self.key for b in data)

    def open(self, stored: bytes) -> bytes:
        """Undo :meth:`seal`."""
        assert stored.startswith(b"X1"), "payload was not sealed by XorCodec"
        return bytes(b ^ self.key for b in stored[2:])
