"""Flows: the process layer. A flow reacts to canonical events and emits effects and exception cases.

A flow is a class with one ``run`` method; it never sees a wire format. It runs inside the channel's
processing, so what it emits is committed in the same transaction as the message that caused it, and
a replay re-runs it with today's master data (that is how fixing a crosswalk entry releases every
transaction parked on it). Whatever a flow needs (item crosswalk, cost-center map, fee schedules) is
given to it when it is built, never looked up globally.
"""

from __future__ import annotations

import abc
from typing import ClassVar

from careweave.model.base import BusinessEvent
from careweave.model.flow import FlowOutput


class BaseFlow(abc.ABC):
    """A process flow."""

    name: ClassVar[str] = ""
    """Registry name (``supply-to-replenish``)."""
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = ()
    """Event types the flow runs for."""

    def wants(self, event: BusinessEvent) -> bool:
        """True when the flow runs for ``event``."""
        return isinstance(event, self.handles)

    def warm_up(self) -> None:
        """Load what the first message would otherwise wait for (code lists); run in a thread.

        The composition root calls it in the background once the engine has started, so a large
        list loads while the first messages are still on their way rather than inside the commit of
        the first one that needs it. Nothing to load by default.
        """
        return

    @abc.abstractmethod
    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """React to one event; raise a CareweaveError to put the whole message in error."""
