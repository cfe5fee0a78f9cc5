"""``payload = "events"`` routes carry every business event of a message: the channel's mapped
events, then the events its flows derived (``out.emit``), each filtered by ``event_types``."""

from __future__ import annotations

import datetime as dt

import msgspec

from careweave.engine.channel import Channel, Route
from careweave.model.base import BusinessEvent
from careweave.model.envelope import Envelope
from careweave.model.flow import FlowOutput
from careweave.model.records import MessageState, NewMessage


class OrderPlaced(BusinessEvent, frozen=True, kw_only=True):
    order: str


class OrderCosted(BusinessEvent, frozen=True, kw_only=True):
    order: str
    cost: str


class Costing:
    """A flow deriving one event per order."""

    def wants(self, event: BusinessEvent) -> bool:
        return isinstance(event, OrderPlaced)

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        assert isinstance(event, OrderPlaced)
        out.emit(OrderCosted(idempotency_key=f"costed:{event.order}", order=event.order, cost="9"))


def mapping(envelope: Envelope) -> None:
    envelope.events.extend(
        OrderPlaced(idempotency_key=f"placed:{order}", order=order) for order in ("o1", "o2")
    )


def test_events_routes_take_the_mapped_and_the_derived_events_filtered_by_type() -> None:
    channel = Channel(
        "orders",
        steps=[mapping],
        routes=[
            Route("stream", payload="events"),
            Route("costs", payload="events", event_types=("OrderCosted",)),
            Route("placed", payload="events", event_types=("OrderPlaced",)),
            Route("archive", payload="raw"),
        ],
        flows=[Costing()],
    )
    message = NewMessage(
        channel="orders",
        raw=b"two orders",
        content_type="text/plain",
        received_at=dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC),
        trace_id="t",
    )
    done = channel.process(message)
    assert done.state is MessageState.PROCESSED
    keys = {
        route: [e.idempotency_key for e in done.effects if e.destination == route]
        for route in ("stream", "costs", "placed")
    }
    assert keys == {
        "stream": ["placed:o1", "placed:o2", "costed:o1", "costed:o2"],
        "costs": ["costed:o1", "costed:o2"],
        "placed": ["placed:o1", "placed:o2"],
    }
    assert [e.payload for e in done.effects if e.destination == "archive"] == [b"two orders"]
    # Each effect is its event's JSON, tagged with its type; the lineage stores the same events.
    streamed = [e for e in done.effects if e.destination == "stream"]
    assert [msgspec.json.decode(e.payload)["type"] for e in streamed] == [
        "OrderPlaced",
        "OrderPlaced",
        "OrderCosted",
        "OrderCosted",
    ]
    assert [(e.event_type, e.idempotency_key) for e in done.events] == [
        (msgspec.json.decode(e.payload)["type"], e.idempotency_key) for e in streamed
    ]
