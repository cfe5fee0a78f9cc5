"""A message on its way through a channel's steps, and the step type that changes it.

Defined in the model so that mappings, connectors' decode steps and flows' steps share it without
importing the engine, which runs the steps (:class:`careweave.engine.channel.Channel`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from careweave.model.base import BusinessEvent
from careweave.model.records import NewMessage


class WireHeader(Protocol):
    """What a step may read of the header a source read before decoding (an HL7 MSH:
    :class:`careweave.codecs.hl7v2.header.MessageHeader`)."""

    def message_code(self) -> str:
        """The message code (MSH-9.1, ``ADT``)."""
        ...

    def trigger_event(self) -> str:
        """The trigger event (MSH-9.2, ``A01``), or empty."""
        ...


@dataclass
class Envelope:
    """A message on its way through a channel's steps."""

    message: NewMessage
    header: WireHeader | None = None
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
