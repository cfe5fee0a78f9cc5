"""In-process event bus: business events to subscribers in the same process (tests, the console).

::

    [[channels.destinations]]
    name = "live"
    payload = "events"
    connector = { type = "bus" }

A subscriber takes the destination's bus from the running engine and reads from its
subscription::

    bus = event_bus(application.engine.workers["live"].connector)
    async with bus.subscribe(["ChargeCaptured"]) as events:
        event = await events.get()

Events come from the outbox like any destination's effects; the bus remembers the last
``remember`` keys and drops an event it already published (a re-delivery within the process). It
keeps nothing: a subscriber sees the events published while it is subscribed, and a process that
dies takes its subscribers with it. Events for analytics across processes go to ``nats``.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterable
from types import TracebackType
from typing import Annotated, ClassVar

import msgspec

from careweave.connectors.base import BaseDestination, ConnectorConfig, Receipt
from careweave.connectors.event_stream import StreamedEvent, streamed_event
from careweave.exceptions import ConfigError
from careweave.model.records import Effect


class EventBusConfig(
    msgspec.Struct,
    ConnectorConfig,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="bus",
    tag_field="type",
):
    """The in-process event bus as a destination."""

    events_only: ClassVar[bool] = True

    remember: Annotated[int, msgspec.Meta(ge=0)] = 10_000
    """How many recent event keys the bus keeps to drop a re-delivered event."""


class Subscription:
    """The events one subscriber receives, in publish order (an unbounded queue)."""

    def __init__(self, bus: EventBus, event_types: frozenset[str]) -> None:
        self._bus = bus
        self.event_types = event_types
        """The types received (every type when empty)."""
        self._queue: asyncio.Queue[StreamedEvent] = asyncio.Queue()

    def wants(self, event: StreamedEvent) -> bool:
        """True when the subscriber receives ``event``."""
        return not self.event_types or event.event_type in self.event_types

    def put(self, event: StreamedEvent) -> None:
        """Queue an event for the subscriber."""
        self._queue.put_nowait(event)

    async def get(self) -> StreamedEvent:
        """The next event, waiting for one."""
        return await self._queue.get()

    def pending(self) -> list[StreamedEvent]:
        """Every event queued and not yet read, taken out of the queue."""
        events: list[StreamedEvent] = []
        while not self._queue.empty():
            events.append(self._queue.get_nowait())
        return events

    def close(self) -> None:
        """Stop receiving."""
        self._bus.unsubscribe(self)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventBus:
    """Fans published events out to the current subscribers; drops a recently published key."""

    def __init__(self, remember: int = 10_000) -> None:
        self._remember = remember
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._subscriptions: list[Subscription] = []

    def subscribe(self, event_types: Iterable[str] = ()) -> Subscription:
        """A new subscription to ``event_types`` (every type when empty)."""
        subscription = Subscription(self, frozenset(event_types))
        self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscription."""
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def publish(self, event: StreamedEvent) -> bool:
        """Hand ``event`` to every subscriber wanting it; False when its key was just published."""
        if event.key in self._recent:
            self._recent.move_to_end(event.key)
            return False
        if self._remember:
            self._recent[event.key] = None
            if len(self._recent) > self._remember:
                self._recent.popitem(last=False)
        for subscription in self._subscriptions:
            if subscription.wants(event):
                subscription.put(event)
        return True


class EventBusDestination(BaseDestination):
    """Publishes each business event to an in-process :class:`EventBus`."""

    def __init__(self, config: EventBusConfig, *, bus: EventBus | None = None) -> None:
        self.config = config
        self.bus = bus if bus is not None else EventBus(config.remember)

    async def deliver(self, effect: Effect) -> Receipt:
        """Publish the effect's event."""
        event = streamed_event(effect)
        fresh = self.bus.publish(event)
        return Receipt(response=f"published {event.event_type}" if fresh else "duplicate")


def event_bus(connector: BaseDestination) -> EventBus:
    """The bus of a ``bus`` destination's connector (``engine.workers[name].connector``)."""
    if not isinstance(connector, EventBusDestination):
        raise ConfigError(f"{type(connector).__name__} is not an event bus destination")
    return connector.bus
