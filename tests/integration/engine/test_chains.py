"""Chains: a worker delivers a key's queued effects back to back, in order, stopping at a failure.

A real HTTP destination on a real socket records every request in arrival order (with the
effect's id, its key and its idempotency key), in front of a real SQLite or PostgreSQL store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from careweave.connectors.http import HttpDestination, HttpDestinationConfig
from careweave.connectors.policy import BreakerPolicy, RetryPolicy, WorkerPolicy
from careweave.engine.store.base import BaseStore
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.engine.worker import DestinationWorker
from careweave.model.records import (
    EffectOutcome,
    EffectState,
    MessageState,
    NewEffect,
    NewMessage,
    Processing,
)
from careweave.testing import RecordedRequest, RecordingHttpServer
from tests.integration.engine.helpers import wait_for
from tests.integration.store.conftest import StoreFactory

FAST_RETRY = RetryPolicy(initial_backoff=0.05, multiplier=1.0, jitter=0.0)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Stores of each backend in turn (PostgreSQL: each one as another process would open)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    factory = StoreFactory(request.param, tmp_path, url)
    try:
        yield factory
    finally:
        await factory.cleanup()


async def queue(store: BaseStore, keys: Sequence[str | None]) -> None:
    """One message whose effects go to ``downstream`` on ``keys``, in that order."""
    message = NewMessage(
        channel="in",
        raw=b"x",
        content_type="text/plain",
        received_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
        trace_id="t1",
    )
    effects = tuple(
        NewEffect(
            destination="downstream",
            idempotency_key=f"{key}:{n}",
            payload=b"{}",
            ordering_key=key,
        )
        for n, key in enumerate(keys)
    )
    await store.ingest(message, Processing(state=MessageState.PROCESSED, effects=effects))


def worker(store: BaseStore, url: str, policy: WorkerPolicy) -> DestinationWorker:
    connector = HttpDestination(HttpDestinationConfig(url=f"{url}/in", timeout=5.0))
    return DestinationWorker(store, "downstream", connector, policy)


def arrivals(requests: list[RecordedRequest]) -> dict[str, list[int]]:
    """Effect ids in the order each key's requests arrived (failed and repeated ones included)."""
    seen: dict[str, list[int]] = {}
    for r in requests:
        key = r.headers.get("x-careweave-ordering-key", "")
        seen.setdefault(key, []).append(int(r.headers["x-careweave-effect-id"]))
    return seen


class GatedStore(SqliteStore):
    """A SQLite store whose outcomes are not recorded until the test opens the gate."""

    def __init__(self, config: SqliteConfig) -> None:
        super().__init__(config)
        self.gate = asyncio.Event()

    async def complete_effects(self, outcomes: Sequence[EffectOutcome]) -> int:
        await self.gate.wait()
        return await super().complete_effects(outcomes)


async def test_a_keys_effects_go_back_to_back_before_any_outcome_is_recorded(
    tmp_path: Path,
) -> None:
    with RecordingHttpServer() as downstream:
        store = GatedStore(SqliteConfig(path=tmp_path / "cw.db"))
        async with store:
            await queue(store, ["gl:A"] * 20)
            running = worker(store, downstream.url, WorkerPolicy(chain=16, concurrency=1))
            await running.start()
            try:
                # No outcome is written yet, so nothing but one chain can have been leased.
                await wait_for(lambda: running.delivered == 16, 10, "the first chain")
                assert len(downstream.snapshot()[0]) == 16
                store.gate.set()
                await wait_for(lambda: running.delivered == 20, 10, "the second chain")
            finally:
                store.gate.set()
                await running.stop()
            effects = await store.list_effects(destination="downstream")
        requests, _applied = downstream.snapshot()
    assert arrivals(requests)["gl:A"] == sorted(e.id for e in effects)
    assert all(e.state is EffectState.DELIVERED and e.attempts == 1 for e in effects)


async def test_a_chain_stops_at_a_failure_and_the_rest_follows_the_retry(
    stores: StoreFactory,
) -> None:
    failed: list[str] = []

    def respond(r: RecordedRequest) -> tuple[int, bytes]:
        if r.idempotency_key == "k:2" and not failed:
            failed.append(r.idempotency_key)
            return 503, b"busy"
        return 200, b"ok"

    with RecordingHttpServer(respond=respond) as downstream:
        store = await stores.open()
        await queue(store, ["k"] * 6)
        running = worker(store, downstream.url, WorkerPolicy(chain=16, retry=FAST_RETRY))
        await running.start()
        try:
            await wait_for(lambda: len(downstream.applied) == 6, 20, "all six")
        finally:
            await running.stop()
        effects = sorted(await store.list_effects(destination="downstream"), key=lambda e: e.id)
        requests, _applied = downstream.snapshot()
    ids = [e.id for e in effects]
    # k:3 is not sent while k:2 waits for its retry; the retry goes first, then the rest in order.
    assert arrivals(requests)["k"] == [ids[0], ids[1], ids[2], ids[2], ids[3], ids[4], ids[5]]
    assert all(e.state is EffectState.DELIVERED for e in effects)
    # The released effects were not charged an attempt.
    assert [e.attempts for e in effects] == [1, 1, 2, 1, 1, 1]
    assert running.retried == 1


async def test_a_dead_letter_ends_its_chain_and_the_rest_goes_on(stores: StoreFactory) -> None:
    def respond(r: RecordedRequest) -> tuple[int, bytes]:
        return (400, b"refused") if r.idempotency_key == "k:1" else (200, b"ok")

    with RecordingHttpServer(respond=respond) as downstream:
        store = await stores.open()
        await queue(store, ["k"] * 4)
        running = worker(store, downstream.url, WorkerPolicy(chain=16))
        await running.start()
        try:
            await wait_for(lambda: len(downstream.applied) == 3, 20, "the three others")
        finally:
            await running.stop()
        effects = sorted(await store.list_effects(destination="downstream"), key=lambda e: e.id)
        requests, _applied = downstream.snapshot()
    assert arrivals(requests)["k"] == [e.id for e in effects]
    assert [e.state for e in effects] == [
        EffectState.DELIVERED,
        EffectState.DEAD,
        EffectState.DELIVERED,
        EffectState.DELIVERED,
    ]
    assert [e.attempts for e in effects] == [1, 1, 1, 1]


async def test_each_key_arrives_in_order_under_concurrency_with_failures(
    stores: StoreFactory,
) -> None:
    # 40 keys of 25 effects (and some without a key), concurrency 8, every 7th request refused
    # with a 503; on PostgreSQL two workers on two stores share the queue.
    calls = [0]

    def respond(_r: RecordedRequest) -> tuple[int, bytes]:
        calls[0] += 1
        return (503, b"busy") if calls[0] % 7 == 0 else (200, b"ok")

    keys = [f"p{n % 40:02d}" if n % 10 else None for n in range(1_000)]
    # A high threshold: the breaker opening now and then would only slow the test down.
    policy = WorkerPolicy(
        chain=16,
        concurrency=8,
        retry=FAST_RETRY,
        circuit_breaker=BreakerPolicy(failure_threshold=1_000),
    )
    total = len(keys)
    with RecordingHttpServer(respond=respond) as downstream:
        opened = [await stores.open()]
        if stores.backend == "postgres":
            opened.append(await stores.open())
        await queue(opened[0], keys)
        workers = [worker(store, downstream.url, policy) for store in opened]
        for w in workers:
            await w.start()
        try:
            await wait_for(lambda: len(downstream.applied) == total, 60, "every effect")
        finally:
            for w in workers:
                await w.stop()
        requests, _applied = downstream.snapshot()
    assert sum(w.retried for w in workers) > 0
    for key, ids in arrivals(requests).items():
        if key:  # each key's requests, retries included, never go back
            assert ids == sorted(ids), f"order broken for {key}"
