"""A channel: a source, decode/filter/transform steps, and one or more destinations.

``Channel.process`` turns a received message into a :class:`Processing`: its state, the canonical
events decoded from it and one effect per destination, each with an idempotency key derived from the
message's business identity so that a replay or a re-delivery never doubles an effect. Steps are
plain functions of an :class:`~careweave.model.envelope.Envelope` (defined in the model, so that
mappings and flows share it without importing the engine); a step that raises leaves the message
stored in error, to be fixed and replayed.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from careweave.codecs.hl7v2.header import MessageHeader
from careweave.model.base import BusinessEvent
from careweave.model.envelope import Envelope, Step
from careweave.model.flow import Flow, FlowOutput
from careweave.model.records import MessageState, NewEffect, NewEvent, NewMessage, Processing
from careweave.model.state import BusinessState, NoBusinessState
from careweave.observability import tracing


@dataclass(frozen=True)
class Route:
    """How a channel hands work to one destination."""

    destination: str
    payload: str = "raw"
    """``raw``: forward the inbound message as received; ``events``: one JSON effect per business
    event, the channel's mapped events and then the events its flows derived (``out.emit``)."""
    event_types: tuple[str, ...] = ()
    """With ``payload = "events"``: only these event types (all when empty)."""
    content_type: str = ""


def message_types_filter(patterns: Sequence[str]) -> Step:
    """Filter out HL7 messages whose MSH-9 (``ADT^A01``) matches none of ``patterns`` (globs)."""

    def accept(envelope: Envelope) -> None:
        if envelope.header is None:
            return
        kind = f"{envelope.header.message_code()}^{envelope.header.trigger_event()}"
        if not any(fnmatch.fnmatchcase(kind, p) for p in patterns):
            envelope.filtered = True

    return accept


def hl7_decode(ordering_key_path: str | None) -> Step:
    """Parse the whole HL7 message and read the ordering key (e.g. ``PID-3.1``)."""
    from careweave.codecs.hl7v2 import parse_message

    def decode(envelope: Envelope) -> None:
        msg = parse_message(envelope.message.raw)
        envelope.decoded = msg
        if ordering_key_path:
            envelope.ordering_key = msg.get(ordering_key_path) or None

    return decode


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
        traced = tracing.enabled()
        try:
            for step in self.steps:
                if traced:
                    with tracing.span(_step_name(step), channel=self.name):
                        step(envelope)
                else:
                    step(envelope)
                if envelope.filtered:
                    return Processing(
                        state=MessageState.FILTERED, ordering_key=envelope.ordering_key
                    )
            # Not ``state or ...``: an overlay with no change yet is empty, hence falsy.
            out = FlowOutput(state=state if state is not None else NoBusinessState())
            if traced and self.flows:
                with tracing.span("flows", channel=self.name):
                    self._run_flows_traced(envelope, out)
            else:
                for event in envelope.events:
                    for flow in self.flows:
                        if flow.wants(event):
                            flow.run(event, out)
            events = tuple(_stored_event(e) for e in [*envelope.events, *out.events])
            effects = tuple(
                e
                for route in self.routes
                if envelope.destinations is None or route.destination in envelope.destinations
                for e in self._effects(route, envelope, out.events)
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

    def _run_flows_traced(self, envelope: Envelope, out: FlowOutput) -> None:
        for event in envelope.events:
            for flow in self.flows:
                if flow.wants(event):
                    name = getattr(flow, "name", "") or type(flow).__name__
                    with tracing.span(f"flow {name}", event=type(event).__name__):
                        flow.run(event, out)

    def _effects(
        self, route: Route, envelope: Envelope, derived: Sequence[BusinessEvent]
    ) -> list[NewEffect]:
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
            for event in [*envelope.events, *derived]
            if not wanted or type(event).__name__ in wanted
        ]


def _step_name(step: Step) -> str:
    """A step's span name: its function's name, or the factory's for a closure named ``step``."""
    name = getattr(step, "__name__", "") or type(step).__name__
    if name != "step":
        return name
    qualname = getattr(step, "__qualname__", "")
    return qualname.split(".<locals>", 1)[0].rsplit(".", 1)[-1] or name


def _stored_event(event: BusinessEvent) -> NewEvent:
    return NewEvent(
        event_type=type(event).__name__,
        idempotency_key=event.idempotency_key,
        payload=msgspec.json.encode(event),
    )
