"""The engine's counters and gauges against its store, on a real engine, socket and SQLite file.

Also: whatever error text a connector raises, the ``last_error`` stored with a dead letter carries
no URL credentials (the worker redacts it, not only the HTTP boundary).
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from careweave.app import build_engine
from careweave.config import parse_settings
from careweave.connectors.base import BaseDestination, Receipt
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.engine.runtime import Engine
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.exceptions import PermanentDeliveryError
from careweave.model.records import Effect, EffectState
from tests.integration.engine.helpers import adt

SECRET_URL = "nats://svc:pa55word@broker.example:4222/?token=t0ken-9&x=1"


class Flaky(BaseDestination):
    """Refuses every effect whose ordering key is ``POISON`` (naming a URL with credentials); the
    first attempt of every other one fails as a connector bug would, the second goes through."""

    def __init__(self) -> None:
        self.seen: set[int] = set()

    async def deliver(self, effect: Effect) -> Receipt:
        if effect.ordering_key == "POISON":
            raise PermanentDeliveryError(f"refused by {SECRET_URL}")
        if effect.id not in self.seen:
            self.seen.add(effect.id)
            raise RuntimeError(f"lost the connection to {SECRET_URL}")
        return Receipt(status=200)


SETTINGS = """
[[channels]]
name = "adt"
source = { type = "mllp", port = 0 }
[[channels.destinations]]
name = "downstream"
connector = { type = "null" }
worker = { retry = { max_attempts = 3, initial_backoff = 0.01, max_backoff = 0.02, jitter = 0 } }
[metrics]
port = 0
"""


@dataclass
class Running:
    engine: Engine
    store: SqliteStore

    @property
    def metrics_url(self) -> str:
        assert self.engine.metrics_server is not None
        return f"http://127.0.0.1:{self.engine.metrics_server.port}"


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
    await store.open()
    engine = build_engine(
        parse_settings(SETTINGS), store, connector_overrides={"downstream": Flaky()}
    )
    await engine.start()
    try:
        yield Running(engine, store)
    finally:
        await engine.stop()
        await store.close()


async def until(predicate: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll ``predicate`` until true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        await asyncio.sleep(0.05)


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_counters_agree_with_the_store_and_errors_keep_no_credentials(
    running: Running,
) -> None:
    engine, store = running.engine, running.store
    async with MllpClient("127.0.0.1", engine.listeners["adt"].port) as client:
        for n in range(10):
            assert ack_code(await client.send(adt(n))) == "AA"
        assert ack_code(await client.send(adt(3))) == "AA"  # a re-sent message: a duplicate
        assert ack_code(await client.send(adt(99, "POISON"))) == "AA"
        assert ack_code(await client.send(b"not hl7 at all")) == "AR"

    async def settled() -> bool:
        counts = await store.counts()
        return counts.get("effects.delivered", 0) == 10 and counts.get("effects.dead", 0) == 1

    await until(settled, 30, "ten deliveries and one dead letter")

    status, content_type, text = await asyncio.to_thread(get, running.metrics_url + "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain")
    found = samples(text)
    counts = await store.counts()

    def value(name: str, **labels: str) -> float:
        return found.get((name, frozenset(labels.items())), 0.0)

    assert value("careweave_messages_received_total", channel="adt") == 13
    assert value("careweave_messages_duplicate_total", channel="adt") == 1
    assert value("careweave_messages_stored_total", channel="adt", state="processed") == 11
    assert value("careweave_messages_stored_total", channel="adt", state="error") == 1
    assert value("careweave_messages_errors_total", channel="adt") == 1
    assert value("careweave_message_ingest_seconds_count", channel="adt") == 12
    assert value("careweave_effects_delivered_total", destination="downstream") == 10
    assert (
        value("careweave_effects_delivered_total", destination="downstream")
        == counts["effects.delivered"]
    )
    assert value("careweave_effects_dead_total", destination="downstream") == 1
    assert value("careweave_effects_retried_total", destination="downstream") == 10
    assert value("careweave_effect_lag_seconds_count", destination="downstream") == 10
    assert value("careweave_queue_depth", destination="downstream") == 0
    assert value("careweave_store_messages", state="processed") == counts["messages.processed"]
    assert value("careweave_store_messages", state="error") == counts["messages.error"]
    assert value("careweave_store_effects", state="dead") == counts["effects.dead"]

    [dead] = await store.list_effects(destination="downstream", state=EffectState.DEAD)
    assert dead.last_error is not None
    assert "pa55word" not in dead.last_error and "t0ken-9" not in dead.last_error
    assert "broker.example:4222" in dead.last_error  # what is not a secret stays, for operators
    lineage = await store.lineage(dead.message_id)
    for attempt in lineage.attempts:
        assert "pa55word" not in (attempt.error or "")
    retried = [a for e in (await store.list_effects(limit=100)) for a in [e.last_error] if a]
    assert retried  # the connector bug's text was stored on the retried effects, redacted
    assert not any("pa55word" in error for error in retried)


async def test_the_queue_depth_is_read_from_the_store_when_scraped(running: Running) -> None:
    engine = running.engine
    await engine.workers["downstream"].stop()  # nothing is delivered: the queue grows
    async with MllpClient("127.0.0.1", engine.listeners["adt"].port) as client:
        for n in range(4):
            assert ack_code(await client.send(adt(n))) == "AA"
    body, content_type = await engine.metrics.scrape()
    assert content_type.startswith("text/plain")
    found = samples(body.decode())
    assert found[("careweave_queue_depth", frozenset({("destination", "downstream")}))] == 4
    assert found[("careweave_store_effects", frozenset({("state", "pending")}))] == 4


async def test_the_metrics_port_answers_only_metrics(running: Running) -> None:
    status, _, _ = await asyncio.to_thread(get, running.metrics_url + "/other")
    assert status == 404
    request = urllib.request.Request(running.metrics_url + "/metrics", method="POST", data=b"")
    status, _, _ = await asyncio.to_thread(get_request, request)
    assert status == 405


def get_request(request: urllib.request.Request) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()
