"""Row <-> record mapping shared by the SQL backends (same columns, same order, any dialect)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from careweave.engine.store.codec import PayloadCodec
from careweave.engine.store.phi_fields import opened_key, opened_text
from careweave.model.records import (
    AttemptOutcome,
    DeliveryAttempt,
    Effect,
    EffectOutcome,
    EffectState,
    InboundMessage,
    MessageQuery,
    MessageState,
    Replay,
    ReplayStage,
    StoredEvent,
)

_MESSAGE_COLUMNS = (
    "id, channel, content_type, sender, received_at, trace_id, dedup_key, state, error, "
    "ordering_key, duplicates"
)
MESSAGE_SELECT = f"SELECT {_MESSAGE_COLUMNS}, raw FROM messages"
MESSAGE_SELECT_NO_RAW = f"SELECT {_MESSAGE_COLUMNS}, NULL FROM messages"
EVENT_SELECT = "SELECT id, message_id, event_type, idempotency_key, payload, created_at FROM events"
EFFECT_SELECT = (
    "SELECT id, message_id, destination, idempotency_key, ordering_key, content_type, payload, "
    "state, attempts, created_at, next_attempt_at, last_error, trace_id FROM effects"
)
ATTEMPT_SELECT = (
    "SELECT effect_id, attempt, started_at, finished_at, outcome, status, response, error "
    "FROM attempts"
)
REPLAY_SELECT = "SELECT id, message_id, effect_id, stage, reason, requested_at FROM replays"


def as_time(value: Any) -> dt.datetime:
    """A stored time (epoch seconds in SQLite, timestamptz in PostgreSQL) as an aware datetime."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(float(value), dt.UTC)


def _open(codec: PayloadCodec, value: bytes | memoryview | None) -> bytes | None:
    if value is None:
        return None
    return codec.open(bytes(value))


def message_state(value: str) -> MessageState:
    """Parse a stored message state."""
    return MessageState(value)


def message_from_row(row: Sequence[Any], codec: PayloadCodec) -> InboundMessage:
    """Build an :class:`InboundMessage` from a ``MESSAGE_SELECT`` row."""
    return InboundMessage(
        id=int(row[0]),
        channel=row[1],
        content_type=row[2],
        sender=row[3],
        received_at=as_time(row[4]),
        trace_id=row[5],
        dedup_key=None if row[6] is None else codec.open_dedup_key(row[6]),
        state=MessageState(row[7]),
        error=opened_text(codec, row[8]),
        ordering_key=opened_key(codec, row[9]),
        duplicates=int(row[10]),
        raw=_open(codec, row[11]),
    )


def event_from_row(row: Sequence[Any], codec: PayloadCodec) -> StoredEvent:
    """Build a :class:`StoredEvent` from an ``EVENT_SELECT`` row."""
    return StoredEvent(
        id=int(row[0]),
        message_id=int(row[1]),
        event_type=row[2],
        idempotency_key=codec.open_key(row[3]),
        payload=_open(codec, row[4]),
        created_at=as_time(row[5]),
    )


def effect_from_row(row: Sequence[Any], codec: PayloadCodec) -> Effect:
    """Build an :class:`Effect` from an ``EFFECT_SELECT`` row."""
    return Effect(
        id=int(row[0]),
        message_id=int(row[1]),
        destination=row[2],
        idempotency_key=codec.open_key(row[3]),
        ordering_key=opened_key(codec, row[4]),
        content_type=row[5],
        payload=_open(codec, row[6]),
        state=EffectState(row[7]),
        attempts=int(row[8]),
        created_at=as_time(row[9]),
        next_attempt_at=as_time(row[10]),
        last_error=opened_text(codec, row[11]),
        trace_id=row[12],
    )


def attempt_from_row(row: Sequence[Any], codec: PayloadCodec) -> DeliveryAttempt:
    """Build a :class:`DeliveryAttempt` from an ``ATTEMPT_SELECT`` row."""
    return DeliveryAttempt(
        effect_id=int(row[0]),
        attempt=int(row[1]),
        started_at=as_time(row[2]),
        finished_at=as_time(row[3]),
        outcome=AttemptOutcome(row[4]),
        status=row[5],
        response=opened_text(codec, row[6]),
        error=opened_text(codec, row[7]),
    )


def replay_from_row(row: Sequence[Any], codec: PayloadCodec) -> Replay:
    """Build a :class:`Replay` from a ``REPLAY_SELECT`` row."""
    return Replay(
        id=int(row[0]),
        message_id=int(row[1]),
        effect_id=row[2],
        stage=ReplayStage(row[3]),
        reason=codec.open_text(row[4]),
        requested_at=as_time(row[5]),
    )


def next_state(outcome: EffectOutcome) -> tuple[EffectState, dt.datetime | None]:
    """The effect state an attempt's outcome leads to, and when it is next due."""
    match outcome.attempt.outcome:
        case AttemptOutcome.DELIVERED:
            return EffectState.DELIVERED, None
        case AttemptOutcome.RETRY:
            return EffectState.PENDING, outcome.next_attempt_at or outcome.attempt.finished_at
        case AttemptOutcome.DEAD:
            return EffectState.DEAD, None


def message_filter(
    query: MessageQuery,
    mark: str,
    time_param: Callable[[dt.datetime], Any],
    codec: PayloadCodec,
) -> tuple[str, list[Any]]:
    """A WHERE clause and its parameters for ``query`` (``mark`` is the dialect's placeholder).

    ``query.text`` is looked for through ``codec``: a substring of the dedup key when it is stored
    in clear, the whole key or its control id when it is sealed; ``query.ordering_key`` whole,
    sealed as the store seals it.
    """
    clauses: list[str] = []
    params: list[Any] = []
    if query.channel is not None:
        clauses.append(f"channel = {mark}")
        params.append(query.channel)
    if query.state is not None:
        clauses.append(f"state = {mark}")
        params.append(query.state.value)
    if query.since is not None:
        clauses.append(f"received_at >= {mark}")
        params.append(time_param(query.since))
    if query.until is not None:
        clauses.append(f"received_at < {mark}")
        params.append(time_param(query.until))
    if query.text:
        terms = codec.search_terms(query.text)
        clauses.append("(" + " OR ".join(f"dedup_key LIKE {mark}" for _ in terms) + ")")
        params.extend(terms)
    if query.ordering_key:
        # Stored through the codec's deterministic key seal (phi_fields.processing): seal the term.
        clauses.append(f"ordering_key = {mark}")
        params.append(codec.seal_key(query.ordering_key))
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params
