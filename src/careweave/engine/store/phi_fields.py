"""What the store writes in place of the fields that may hold PHI, through its codec.

Payloads are sealed where they are written (``codec.seal``); this module covers the rest of a
record on its way in: a message's dedup key and error text, the ordering and idempotency keys of
its events and effects, its cases' text, a delivery attempt's response and error, and business-state
values. Keys are sealed deterministically (``seal_key``) because the store compares them in SQL:
the unique dedup index, an effect's ordering key (per-patient order: it is often the MRN), the
idempotency keys of a reprocessed message. Rows are read back through
:mod:`careweave.engine.store.rows` and :func:`opened_case`. With a codec that seals no fields
(:class:`~careweave.engine.store.codec.PlainCodec`) every function returns its input.
"""

from __future__ import annotations

import msgspec

from careweave.engine.store.codec import PayloadCodec
from careweave.model.records import EffectOutcome, ExceptionCase, NewCase, NewMessage, Processing
from careweave.model.state import Change


def _text(codec: PayloadCodec, value: str | None) -> str | None:
    return None if value is None else codec.seal_text(value)


def _key(codec: PayloadCodec, value: str | None) -> str | None:
    return None if value is None else codec.seal_key(value)


def _open_text(codec: PayloadCodec, value: str | None) -> str | None:
    return None if value is None else codec.open_text(value)


def message(codec: PayloadCodec, new: NewMessage) -> NewMessage:
    """``new`` with its dedup key as stored (its raw bytes are sealed where they are written)."""
    if new.dedup_key is None or not codec.seals_fields:
        return new
    return msgspec.structs.replace(new, dedup_key=codec.seal_dedup_key(new.dedup_key))


def processing(codec: PayloadCodec, done: Processing) -> Processing:
    """``done`` with its error, ordering key, its events' and effects' keys and its cases' text as
    stored."""
    if not codec.seals_fields:  # the hot path without a key: no copies
        return done
    return msgspec.structs.replace(
        done,
        error=_text(codec, done.error),
        ordering_key=_key(codec, done.ordering_key),
        events=tuple(
            msgspec.structs.replace(e, idempotency_key=codec.seal_key(e.idempotency_key))
            for e in done.events
        ),
        effects=tuple(
            msgspec.structs.replace(
                f,
                idempotency_key=codec.seal_key(f.idempotency_key),
                ordering_key=_key(codec, f.ordering_key),
            )
            for f in done.effects
        ),
        cases=tuple(_case(codec, c) for c in done.cases),
    )


def _case(codec: PayloadCodec, case: NewCase) -> NewCase:
    """A case's free text as stored; its key stays clear (a work-queue key built from codes and
    line ids, compared when the next message parks on it)."""
    return msgspec.structs.replace(
        case,
        summary=codec.seal_text(case.summary),
        suggested_fix=codec.seal_text(case.suggested_fix),
        details=tuple(codec.seal_text(d) for d in case.details),
    )


def sealed_case(codec: PayloadCodec, case: NewCase) -> NewCase:
    """A case opened outside a message (an SLA breach), its text sealed as a message's cases are."""
    return _case(codec, case)


def opened_case(codec: PayloadCodec, case: ExceptionCase) -> ExceptionCase:
    """A stored case read back: its summary, fix, details, resolution and audit trail opened."""
    if not codec.seals_fields:
        return case
    return msgspec.structs.replace(
        case,
        summary=codec.open_text(case.summary),
        suggested_fix=codec.open_text(case.suggested_fix),
        details=[codec.open_text(d) for d in case.details],
        resolution=_open_text(codec, case.resolution),
        audit=[msgspec.structs.replace(e, detail=codec.open_text(e.detail)) for e in case.audit],
    )


def outcome(codec: PayloadCodec, result: EffectOutcome) -> EffectOutcome:
    """``result`` with its attempt's response and error as stored (they can quote a payload)."""
    if not codec.seals_fields:
        return result
    attempt = msgspec.structs.replace(
        result.attempt,
        response=_text(codec, result.attempt.response),
        error=_text(codec, result.attempt.error),
    )
    return msgspec.structs.replace(result, attempt=attempt)


def opened_text(codec: PayloadCodec, value: str | None) -> str | None:
    """A stored text column read back (None stays None)."""
    return _open_text(codec, value)


def opened_key(codec: PayloadCodec, value: str | None) -> str | None:
    """A stored key column read back (None stays None)."""
    return None if value is None else codec.open_key(value)


def sealed_changes(codec: PayloadCodec, changes: list[Change]) -> list[Change]:
    """Business-state changes with their values sealed (claims and encounters hold PHI).

    Keys stay as they are: they are business keys (encounter and account numbers, journal keys,
    item codes) that the flows look rows up by and reports list.
    """
    return [(t, k, None if v is None else codec.seal(v)) for t, k, v in changes]


def opened_value(codec: PayloadCodec, value: bytes | None) -> bytes | None:
    """A stored business-state value read back (None: no row)."""
    return None if value is None else codec.open(value)
