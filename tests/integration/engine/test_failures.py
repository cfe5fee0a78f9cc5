"""Acceptance: a destination down for 30 s, and a poison message.

- 503 for 30 s then recovery: nothing lost, per-key order kept, the circuit breaker opens and
  closes (and says so in the log).
- A message the destination refuses with 400 is dead-lettered after its first non-retryable failure,
  and the 1,000 messages behind it, some with the same ordering key, go through.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import structlog

from careweave.app import build_engine
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.engine.breaker import BreakerState
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.model.records import EffectState
from careweave.testing import RecordedRequest, RecordingHttpServer
from tests.integration.engine.helpers import adt, engine_settings, wait_for

KEYS = 20


def _order_by_key(requests: list[RecordedRequest]) -> dict[str, list[int]]:
    """Message numbers in the order each patient's messages were applied."""
    seen: dict[str, list[int]] = {}
    done: set[str] = set()
    for r in requests:
        key = r.idempotency_key
        if key in done:
            continue
        done.add(key)
        number = int(key.rsplit("MSG", 1)[1])
        seen.setdefault(r.headers["x-careweave-ordering-key"], []).append(number)
    return seen


@pytest.mark.slow
async def test_outage_of_30_seconds_loses_nothing_and_keeps_order(tmp_path: Path) -> None:
    outage_ends = time.monotonic() + 30.0

    def respond(_r: RecordedRequest) -> tuple[int, bytes]:
        return (503, b"down for maintenance") if time.monotonic() < outage_ends else (200, b"ok")

    total = 600
    with RecordingHttpServer(respond=respond) as downstream:
        settings = engine_settings(url=downstream.url, worker="worker = { concurrency = 8 }")
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
        await store.open()
        engine = build_engine(settings, store)
        with structlog.testing.capture_logs() as logs:
            await engine.start()
            try:
                async with MllpClient("127.0.0.1", engine.listeners["adt"].port) as client:
                    for n in range(total):
                        assert ack_code(await client.send(adt(n, f"K{n % KEYS:02d}"))) == "AA"
                await wait_for(lambda: len(downstream.applied) == total, 150, "recovery")
            finally:
                await engine.stop()
        worker = engine.workers["downstream"]
        requests, applied = downstream.snapshot()
        await store.close()

    assert len(applied) == total
    for key, numbers in _order_by_key(requests).items():
        assert numbers == sorted(numbers), f"order broken for {key}"
    states = [new for _old, new in worker.breaker.transitions]
    assert BreakerState.OPEN in states
    assert states[-1] is BreakerState.CLOSED
    logged = [e for e in logs if str(e.get("event", "")).startswith("circuit breaker")]
    assert any("open" in str(e["event"]) for e in logged)
    assert any("closed" in str(e["event"]) for e in logged)
    # The breaker kept the outage from burning retries: far fewer failed calls than messages.
    failed = [r for r in requests if r.at < outage_ends]
    assert len(failed) < 60, len(failed)


async def test_poison_message_is_dead_lettered_and_does_not_block(tmp_path: Path) -> None:
    poison = 0

    def respond(r: RecordedRequest) -> tuple[int, bytes]:
        if r.idempotency_key.endswith(f"MSG{poison:06d}"):
            return 400, b"PID-3 is not a valid MRN"
        return 200, b"ok"

    total = 1_000
    with RecordingHttpServer(respond=respond) as downstream:
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
        await store.open()
        engine = build_engine(engine_settings(url=downstream.url), store)
        await engine.start()
        try:
            async with MllpClient("127.0.0.1", engine.listeners["adt"].port) as client:
                for n in range(total + 1):  # the poison first, then 1,000 behind it
                    assert ack_code(await client.send(adt(n, f"K{n % KEYS:02d}"))) == "AA"
            await wait_for(lambda: len(downstream.applied) == total, 60, "the 1,000")
            dead = []
            for _ in range(50):
                dead = await store.list_effects(destination="downstream", state=EffectState.DEAD)
                if dead:
                    break
                await asyncio.sleep(0.1)
        finally:
            await engine.stop()
        requests, _applied = downstream.snapshot()
        await store.close()

    assert len(dead) == 1
    assert dead[0].attempts == 1
    assert dead[0].last_error is not None and "400" in dead[0].last_error
    poison_calls = [r for r in requests if r.idempotency_key.endswith(f"MSG{poison:06d}")]
    assert len(poison_calls) == 1
    # Same-key messages behind the poison were delivered (in order) after it was dead-lettered.
    same_key = _order_by_key(requests)["K00"]
    assert same_key[0] == poison
    assert same_key == sorted(same_key) and len(same_key) == total // KEYS + 1
