"""Acceptance: two engine processes on one PostgreSQL deliver 10,000 effects.

None is delivered twice, none is missing, and each ordering key's effects arrive in order, although
the two processes claim from the same queue concurrently.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from careweave.engine.store.postgres import PostgresConfig, PostgresStore
from careweave.model.records import MessageState, NewEffect, NewMessage, Processing
from careweave.testing import RecordingHttpServer
from tests.integration.engine.helpers import wait_for

TOTAL = 10_000
KEYS = 200


async def _preload(url: str, schema: str) -> None:
    store = PostgresStore(PostgresConfig(url=url, schema=schema))
    await store.open()
    try:
        now = dt.datetime.now(dt.UTC)

        async def one(n: int) -> None:
            key = f"K{n % KEYS:03d}"
            message = NewMessage(
                channel="adt",
                raw=f"message {n}".encode(),
                content_type="text/plain",
                received_at=now,
                trace_id=uuid.uuid4().hex,
                dedup_key=f"M{n:06d}",
            )
            effect = NewEffect(
                destination="downstream",
                idempotency_key=f"effect-{n:06d}",
                payload=f"{n}".encode(),
                ordering_key=key,
            )
            await store.ingest(
                message,
                Processing(state=MessageState.PROCESSED, ordering_key=key, effects=(effect,)),
            )

        for start in range(
            0, TOTAL, 1000
        ):  # in order, so effect ids follow message numbers per key
            for n in range(start, start + 1000):
                await one(n) if n % 1000 == 0 else None
            await asyncio.gather(*(one(n) for n in range(start + 1, start + 1000)))
    finally:
        await store.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_two_engines_share_the_queue(tmp_path: Path, postgres_url: str) -> None:
    schema = f"two_{uuid.uuid4().hex[:10]}"
    with RecordingHttpServer() as downstream:
        asyncio.run(_preload(postgres_url, schema))
        config = tmp_path / "careweave.toml"
        config.write_text(
            f"""
[engine]
log_level = "warning"
[[channels]]
name = "adt"
source = {{ type = "mllp", port = 0 }}
[[channels.destinations]]
name = "downstream"
connector = {{ type = "http", url = "{downstream.url}/in" }}
worker = {{ concurrency = 16, poll_interval = 0.02 }}
"""
        )
        env = {
            **os.environ,
            "CAREWEAVE_DATABASE_URL": postgres_url,
            "CAREWEAVE_DATABASE_SCHEMA": schema,
        }
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "careweave", "run", "--config", str(config)],
                stdout=subprocess.PIPE,
                stderr=(tmp_path / f"engine{i}.log").open("wb"),
                env=env,
            )
            for i in range(2)
        ]
        try:
            asyncio.run(wait_for(lambda: len(downstream.applied) >= TOTAL, 180, "10,000 effects"))
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(30)
            subprocess.run(
                ["psql", postgres_url, "-qc", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
                check=False,
            )
        requests, applied = downstream.snapshot()

    assert len(applied) == TOTAL
    assert len(requests) == TOTAL, "an effect was delivered twice"
    assert {int(k.split("-")[1]) for k in applied} == set(range(TOTAL))
    order: dict[str, list[int]] = {}
    for r in requests:
        order.setdefault(r.headers["x-careweave-ordering-key"], []).append(
            int(r.idempotency_key.split("-")[1])
        )
    for key, numbers in order.items():
        assert numbers == sorted(numbers), f"per-key order broken for {key}"
    workers = {r.headers.get("x-careweave-effect-id") for r in requests}
    assert len(workers) == TOTAL
