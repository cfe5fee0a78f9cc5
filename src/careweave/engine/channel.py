"""A channel: a source, decode/filter/transform steps, and one or more destinations.

``Channel.process`` turns a received message into a :class:`Processing`: its state, the canonical
events decoded from it and one effect per destination, each with an idempotency key derived from the
message's business identity so that a replay or a re-delivery never doubles an effect. Steps are
plain functions of an :class:`Envelope`; a step that raises leaves the message stored in error, to be
fixed and replayed.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from careweave.codecs.hl7v2.header import MessageHeader
from careweave.engine.flow_api import Flow, FlowOutput
from careweave.engine.records import MessageState, NewEffect, NewEvent, NewMessage, Processing
from careweave.model.base import BusinessEvent
from careweave.model.state import BusinessState, NoBusinessState


@dataclass
class Envelope:
    """A message on its way through a channel's steps."""

    message: NewMessage
    header: MessageHeader | None = None
    decoded: Any = None
    """The decoded wire message (an HL7 ``Message``, a FHIR resource, an X12 interchange)."""
    ordering_key: str | None = None
    events: list[BusinessEvent] = field(default_factory=list)
    filtered: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    payload: bytes | None = None
    """What ``raw`` routes forward when a step rewrote the decoded message (the received bytes
    when None)."""
    destinations: frozenset[str] | None = None
    """The routes' destinations a router step chose for this message (every route when None)."""


Step = Callable[[Envelope], None]
"""A decode, filter or transform step. It mutates the envelope; it raises to put the message in error."""


@dataclass(frozen=True)
class Route:
    """How a channel hands work to one destination."""

    destination: str
    payload: str = "raw"
    """``raw``: forward the inbound message as received; ``events``: one JSON effect per event."""
    event_types: tuple[str, ...] = ()
    """With ``payload = "events"``: only these event types (all when empty)."""
    content_type: str = ""


def message_types_filter(patterns: Sequence[str]) -> Step:
    """Filter out HL7 messages whose MSH-9 (``ADT^A01``) matches none of ``patterns`` (globs)."""

    def step(envelope: Envelope) -> None:
        if envelope.header is None:
            return
        kind = f"{envelope.header.message_code()}^{envelope.header.trigger_event()}"
        if not any(fnmatch.fnmatchcase(kind, p) for p in patterns):
            envelope.filtered = True

    return step


def hl7_decode(ordering_key_path: str | None) -> Step:
    """Parse the whole HL7 message and read the ordering key (e.g. ``PID-3.1``)."""
    from careweave.codecs.hl7v2 import parse_message

    def step(envelope: Envelope) -> None:
        msg = parse_message(envelope.message.raw)
        envelope.decoded = msg
        if ordering_key_path:
            envelope.ordering_key = msg.get(ordering_key_path) or None

    return step


def _identity(message: NewMessage) -> str:
    if message.dedup_key:
        return message.dedup_key
    return hashlib.sha256(message.raw).hexdigest()[:32]


class Channel:
    """The steps and routes of one inbound interface."""

    def __init__(
        self,
        name: str,
        *,
        steps: Sequence[Step] = (),
        routes: Sequence[Route] = (),
        flows: Sequence[Flow] = (),
        content_type: str = "application/octet-stream",
    ) -> None:
        self.name = name
        self.steps = list(steps)
        self.routes = list(routes)
        self.flows = list(flows)
        self.content_type = content_type

    @property
    def stateful(self) -> bool:
        """True when flows run here: the message is then processed inside its store transaction."""
        return bool(self.flows)

    def process(
        self,
        message: NewMessage,
        header: MessageHeader | None = None,
        state: BusinessState | None = None,
    ) -> Processing:
        """Run the steps and build the effects; errors become an ERROR state, never an exception.

        ``state`` is the business state of the transaction committing the message; flows read and
        change it. Changes count only if the processing is stored without error (the store's rule).
        """
        envelope = Envelope(message=message, header=header)
        try:
            for step in self.steps:
                step(envelope)
                if envelope.filtered:
                    return Processing(
                        state=MessageState.FILTERED, ordering_key=envelope.ordering_key
                    )
            # Not ``state or ...``: an overlay with no change yet is empty, hence falsy.
            out = FlowOutput(state=state if state is not None else NoBusinessState())
            for event in envelope.events:
                for flow in self.flows:
                    if flow.wants(event):
                        flow.run(event, out)
            events = tuple(_stored_event(e) for e in [*envelope.events, *out.events])
            effects = tuple(
                e
                for route in self.routes
                if envelope.destinations is None or route.destination in envelope.destinations
                for e in self._effects(route, envelope)
            )
            effects += tuple(out.effects)
        except Exception as exc:  # a step or flow bug must not lose the message: store it in error
            return Processing(
                state=MessageState.ERROR,
                error=f"{type(exc).__name__}: {exc}",
                error_code=getattr(exc, "hl7_code", "207"),
            )
        return Processing(
            state=MessageState.PARKED if out.cases else MessageState.PROCESSED,
            ordering_key=envelope.ordering_key,
            events=events,
            effects=effects,
            cases=tuple(out.cases),
        )

    def _effects(self, route: Route, envelope: Envelope) -> list[NewEffect]:
        message = envelope.message
        if route.payload == "raw":
            return [
                NewEffect(
                    destination=route.destination,
                    idempotency_key=f"{self.name}:{_identity(message)}",
                    payload=message.raw if envelope.payload is None else envelope.payload,
                    content_type=route.content_type or message.content_type,
                    ordering_key=envelope.ordering_key,
                )
            ]
        wanted = set(route.event_types)
        return [
            NewEffect(
                destination=route.destination,
                idempotency_key=event.idempotency_key,
                payload=msgspec.json.encode(event),
                content_type="application/json",
                ordering_key=event.ordering_key() or envelope.ordering_key,
            )
            for event in envelope.events
            if not wanted or type(event).__name__ in wanted
        ]


def _stored_event(event: BusinessEvent) -> NewEvent:
    return NewEvent(
        event_type=type(event).__name__,
        idempotency_key=event.idempotency_key,
        payload=msgspec.json.encode(event),
    )
