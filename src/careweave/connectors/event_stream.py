"""What the event-stream destinations (``nats``, ``bus``) share: an effect read as a business event.

A ``payload = "events"`` route makes one effect per business event: its payload is the event's JSON,
tagged with the event's type (``{"type": "ChargeCaptured", ...}``, see
:class:`~careweave.model.base.BusinessEvent`), and its idempotency key is the event's business key.
A stream publishes it under that type and deduplicates by that key.

:func:`redelivery_horizon` bounds how long after its first publish an effect can be published again
by a worker run under a given policy; a stream's deduplication window must be longer, or a late
re-delivery is stored twice.
"""

from __future__ import annotations

import re

import msgspec

from careweave.connectors.policy import WorkerPolicy
from careweave.exceptions import PermanentDeliveryError
from careweave.model.records import Effect

SUBJECT_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
"""One token of a NATS subject (and of an event type): no dot, wildcard or space."""


class StreamedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A business event as an event stream carries it."""

    event_type: str
    """The event's class name (``ChargeCaptured``)."""
    key: str
    """Its business key (the effect's idempotency key): the same event always has the same key."""
    payload: bytes
    """The event as JSON."""
    trace_id: str = ""
    """The trace of the inbound message it came from."""


class _Tagged(msgspec.Struct):
    type: str


_TAGGED = msgspec.json.Decoder(_Tagged)


def streamed_event(effect: Effect) -> StreamedEvent:
    """The business event ``effect`` carries; PermanentDeliveryError when it carries none."""
    try:
        event_type = _TAGGED.decode(effect.payload or b"").type
    except msgspec.DecodeError:
        raise PermanentDeliveryError(
            f"effect {effect.id} ({effect.content_type}) is not a business event: an event stream "
            'takes the events of a payload = "events" route, not a flow\'s effects'
        ) from None
    if not SUBJECT_TOKEN.fullmatch(event_type):
        raise PermanentDeliveryError(
            f"effect {effect.id}: event type {event_type!r} cannot name a stream subject"
        )
    return StreamedEvent(
        event_type=event_type,
        key=effect.idempotency_key,
        payload=effect.payload or b"",
        trace_id=effect.trace_id,
    )


def redelivery_horizon(worker: WorkerPolicy, attempt_timeout: float) -> float:
    """Seconds after an effect's first publish within which any re-publish of it falls.

    Retries: every wait at its longest (``max_backoff`` and jitter), every attempt taking
    ``attempt_timeout``, until ``max_attempts`` or ``max_age`` stops them, whichever comes first.
    A crash adds one ``lease`` (an in-flight effect is claimed again once its lease runs out) but
    not the time the engine stays down: an engine restarted later re-publishes later.
    """
    retry = worker.retry
    waits: list[float] = []
    wait = retry.initial_backoff
    for _ in range(retry.max_attempts - 1):
        waits.append(min(retry.max_backoff, wait) * (1 + retry.jitter))
        wait = min(retry.max_backoff, wait * retry.multiplier)
    by_attempts = sum(waits) + retry.max_attempts * attempt_timeout
    by_age = retry.max_age + max(waits, default=0.0) + attempt_timeout
    return min(by_attempts, by_age) + worker.lease


def window_warnings(worker: WorkerPolicy, window: float, attempt_timeout: float) -> list[str]:
    """A warning when ``worker`` can re-publish an effect after a ``window``-second dedup window."""
    horizon = redelivery_horizon(worker, attempt_timeout)
    if horizon <= window:
        return []
    return [
        f"the worker may publish an event again up to {horizon:.0f} s after its first publish "
        f"(worker.retry and worker.lease), longer than duplicate_window = {window:g} s: a "
        "re-publish after the window is stored twice; raise duplicate_window or lower "
        "worker.retry.max_attempts / max_age"
    ]
