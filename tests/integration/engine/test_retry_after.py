"""A destination's Retry-After, read by the shared HTTP boundary, decides when the worker retries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx

from careweave.connectors.http import HttpDestination, HttpDestinationConfig
from careweave.connectors.policy import RetryPolicy, WorkerPolicy
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.engine.worker import DestinationWorker
from careweave.model.records import EffectState, MessageState, NewEffect, NewMessage, Processing
from tests.integration.engine.helpers import wait_for


async def test_the_worker_waits_at_least_the_retry_after_of_a_503(tmp_path: Path) -> None:
    answers: list[int] = []

    def busy(request: httpx.Request) -> httpx.Response:
        answers.append(503)
        return httpx.Response(503, text="maintenance", headers={"Retry-After": "120"})

    destination = HttpDestination(
        HttpDestinationConfig(url="http://downstream.test/in"), transport=httpx.MockTransport(busy)
    )
    # Without the header the next attempt would be 0.5 s away.
    policy = WorkerPolicy(retry=RetryPolicy(initial_backoff=0.5, jitter=0.0))
    async with SqliteStore(SqliteConfig(path=tmp_path / "cw.db")) as store:
        message = NewMessage(
            channel="in", raw=b"x", content_type="text/plain",
            received_at=dt.datetime.now(dt.UTC), trace_id="t1",
        )  # fmt: skip
        effect = NewEffect(destination="downstream", idempotency_key="k1", payload=b"{}")
        await store.ingest(message, Processing(state=MessageState.PROCESSED, effects=(effect,)))
        worker = DestinationWorker(store, "downstream", destination, policy)
        await worker.start()
        try:
            await wait_for(lambda: worker.retried == 1, 10, "one failed attempt")
        finally:
            await worker.stop()
        (stored,) = await store.list_effects(destination="downstream")
    assert answers == [503]
    assert stored.state is EffectState.PENDING and stored.attempts == 1
    assert "answered 503" in (stored.last_error or "")
    wait = (stored.next_attempt_at - dt.datetime.now(dt.UTC)).total_seconds()
    assert 110 < wait <= 120
