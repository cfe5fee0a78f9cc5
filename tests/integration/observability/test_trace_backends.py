"""A message's trace on each store backend: flows run inside the store's transaction (on SQLite's
writer thread, in PostgreSQL's batcher) and their spans still hang from the message's receipt."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from careweave.config import parse_settings
from careweave.connectors.base import BaseDestination, Receipt
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.engine.channel import Channel, Route, hl7_decode
from careweave.engine.runtime import Engine
from careweave.mappings.registry import builtin_mappings
from careweave.model.base import BusinessEvent
from careweave.model.flow import FlowOutput
from careweave.model.records import Effect, EffectState, MessageQuery, NewEffect
from careweave.observability.config import TracingConfig
from careweave.observability.tracing import configure_tracing, disable_tracing
from tests.integration.engine.helpers import adt
from tests.integration.store.conftest import StoreFactory

SETTINGS = """
[[channels]]
name = "adt"
source = { type = "mllp", port = 0 }
[[channels.destinations]]
name = "downstream"
connector = { type = "null" }
"""


class Echo:
    """A flow that sends one effect of its own per event."""

    name = "echo"

    def wants(self, _event: BusinessEvent) -> bool:
        return True

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        out.effects.append(
            NewEffect(
                destination="downstream",
                idempotency_key=f"echo:{event.idempotency_key}",
                payload=b"{}",
                content_type="application/json",
            )
        )


class Accept(BaseDestination):
    async def deliver(self, effect: Effect) -> Receipt:
        return Receipt(status=200)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engine]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    stores = StoreFactory(request.param, tmp_path, url)
    store = await stores.open()
    channel = Channel(
        "adt",
        steps=[hl7_decode("PID-3.1"), builtin_mappings().step("hl7v2-clinical")],
        routes=[Route("downstream")],
        flows=[Echo()],
    )
    built = Engine(
        parse_settings(SETTINGS),
        store,
        channels={"adt": channel},
        connectors={"downstream": Accept()},
    )
    await built.start()
    try:
        yield built
    finally:
        await built.stop()
        await stores.cleanup()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = configure_tracing(TracingConfig(enabled=True), exporter=exporter)
    assert provider is not None
    try:
        yield exporter
    finally:
        disable_tracing()
        provider.shutdown()


async def test_flow_spans_hang_from_the_receipt(
    spans: InMemorySpanExporter, engine: Engine
) -> None:
    async with MllpClient("127.0.0.1", engine.listeners["adt"].port) as client:
        assert ack_code(await client.send(adt(1))) == "AA"
    deadline = time.monotonic() + 30
    while True:
        effects = await engine.store.list_effects(destination="downstream")
        if effects and all(e.state is EffectState.DELIVERED for e in effects):
            break
        assert time.monotonic() < deadline, effects
        await asyncio.sleep(0.05)
    [message] = await engine.store.list_messages(MessageQuery())
    mine: list[ReadableSpan] = [
        s
        for s in spans.get_finished_spans()
        if s.context is not None and s.context.trace_id == int(message.trace_id, 16)
    ]
    by_id = {s.context.span_id: s for s in mine if s.context is not None}

    def ancestry(span: ReadableSpan) -> list[str]:
        names = []
        while span.parent is not None:
            span = by_id[span.parent.span_id]
            names.append(span.name)
        return names

    flow = next(s for s in mine if s.name == "flow echo")
    assert ancestry(flow) == ["flows", "store commit", "receive"]
    mapping = next(s for s in mine if s.name == "mapping")
    assert ancestry(mapping) == ["store commit", "receive"]
    deliveries = [s for s in mine if s.name == "deliver downstream"]
    assert len(deliveries) == len(effects) == 2  # the raw route's and the flow's
    assert all(ancestry(d) == ["receive"] for d in deliveries)
