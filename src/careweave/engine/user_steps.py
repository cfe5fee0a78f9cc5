"""User-written channel steps: filters, transforms and routers, plain Python functions.

A channel's settings name them (``steps = [{ kind = "filter", call = "site_rules:drop_test" }]``,
``router = "site_rules:by_facility"``; resolved by :mod:`careweave.app.user_code`). Each function
takes one :class:`StepContext` and returns:

- a filter: ``True`` to keep the message, ``False`` to store it as FILTERED (and acknowledge it);
- a transform: ``None`` when it changed the message or the events in place, a list of events to
  replace the events, or an object of the decoded message's type to replace the decoded message;
- a router: the names of the channel's destinations that get the message (one name or several).

Whatever a function raises, or a value of the wrong kind it returns, is a :class:`StepError`
naming the step: the channel stores the message in ERROR with that text (an HL7 sender gets an
AE), never crashing the listener. A transform that changes an HL7 message changes what ``raw``
destinations forward, and the ordering key is read again from the changed message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from careweave.codecs.hl7v2.message import Message
from careweave.exceptions import StepError
from careweave.model.base import BusinessEvent
from careweave.model.envelope import Envelope, Step

UserFunction = Callable[["StepContext"], Any]
"""A user-written step: a function of one :class:`StepContext`."""


class StepContext:
    """What a user-written step receives: one message on its way through a channel."""

    __slots__ = ("_envelope", "destinations")

    def __init__(self, envelope: Envelope, destinations: tuple[str, ...]) -> None:
        self._envelope = envelope
        self.destinations = destinations
        """The channel's destinations a router may choose (those with ``raw`` or ``events``
        payloads), in settings order."""

    @property
    def message(self) -> Any:
        """The decoded message: an HL7 ``Message`` for ``format = "hl7v2"`` (read and write it by
        path: ``message.get("PID-3.1")``, ``message.set("PID-3.1", "0012345")``), the format's own
        object for the others, None for ``raw``."""
        return self._envelope.decoded

    @property
    def events(self) -> list[BusinessEvent]:
        """The canonical events so far (empty before the mapping): a list to change in place."""
        return self._envelope.events

    @property
    def attributes(self) -> dict[str, str]:
        """Values a step leaves for the steps after it and the router (not stored)."""
        return self._envelope.attributes

    @property
    def channel(self) -> str:
        """The channel's name."""
        return self._envelope.message.channel

    @property
    def raw(self) -> bytes:
        """The message as received."""
        return self._envelope.message.raw

    @property
    def received_at(self) -> dt.datetime:
        """When the message was received (UTC)."""
        return self._envelope.message.received_at

    @property
    def sender(self) -> str:
        """Who sent it (``host:port`` for MLLP)."""
        return self._envelope.message.sender

    @property
    def message_type(self) -> str:
        """MSH-9's code and trigger (``ADT^A01``); empty for a message that is not HL7."""
        header = self._envelope.header
        return f"{header.message_code()}^{header.trigger_event()}" if header is not None else ""


def _call(kind: str, call: str, function: UserFunction, context: StepContext) -> Any:
    try:
        return function(context)
    except Exception as exc:  # the user's bug becomes the message's error, with the step named
        raise StepError(f"{kind} {call} raised {type(exc).__name__}: {exc}") from exc


def user_filter(call: str, function: UserFunction, destinations: Sequence[str] = ()) -> Step:
    """A step keeping the message when ``function`` returns True, filtering it on False."""
    routed = tuple(destinations)

    def step(envelope: Envelope) -> None:
        keep = _call("filter", call, function, StepContext(envelope, routed))
        if not isinstance(keep, bool):
            raise StepError(
                f"filter {call} returned {type(keep).__name__}, not a bool "
                "(True keeps the message, False filters it)"
            )
        envelope.filtered = not keep

    return step


def user_transform(
    call: str,
    function: UserFunction,
    destinations: Sequence[str] = (),
    *,
    ordering_key: str | None = None,
) -> Step:
    """A step letting ``function`` change the decoded message or the events.

    ``ordering_key``: the path read again from an HL7 message the function changed.
    """
    routed = tuple(destinations)

    def step(envelope: Envelope) -> None:
        result = _call("transform", call, function, StepContext(envelope, routed))
        if isinstance(result, list | tuple):
            if bad := [type(e).__name__ for e in result if not isinstance(e, BusinessEvent)]:
                raise StepError(f"transform {call} returned a list holding {bad[0]}, not events")
            envelope.events[:] = result
        elif result is not None:
            decoded = envelope.decoded
            if decoded is None or not isinstance(result, type(decoded)):
                allowed = "None or a list of events"
                if decoded is not None:
                    allowed += f" or a {type(decoded).__name__}"
                raise StepError(
                    f"transform {call} returned {type(result).__name__}; it returns {allowed}"
                )
            envelope.decoded = result
        if isinstance(envelope.decoded, Message):
            encoded = envelope.decoded.encode()
            envelope.payload = None if encoded == envelope.message.raw else encoded
            if ordering_key:
                envelope.ordering_key = envelope.decoded.get(ordering_key) or None

    return step


def user_router(call: str, function: UserFunction, destinations: Sequence[str]) -> Step:
    """A step sending the message's routes only to the destinations ``function`` names."""
    routed = tuple(destinations)

    def step(envelope: Envelope) -> None:
        result = _call("router", call, function, StepContext(envelope, routed))
        chosen = [result] if isinstance(result, str) else result
        if not isinstance(chosen, list | tuple | set | frozenset) or not all(
            isinstance(name, str) for name in chosen
        ):
            raise StepError(
                f"router {call} returned {type(result).__name__}; a router returns a destination "
                "name or a list of them"
            )
        if unknown := sorted(set(chosen) - set(routed)):
            raise StepError(
                f"router {call} chose {unknown}, not among this channel's routed destinations "
                f"{list(routed)}"
            )
        envelope.destinations = frozenset(chosen)

    return step
