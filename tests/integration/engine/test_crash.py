"""Acceptance: kill -9 mid-stream loses nothing and doubles nothing (SQLite and PostgreSQL).

5,000 messages go over MLLP into a ``careweave run`` subprocess on four connections; the engine is
killed with SIGKILL mid-stream and restarted; the sender re-sends everything that was not
acknowledged. Then every acknowledged message has reached the HTTP destination, whose record of
idempotency keys shows each message applied exactly once and none missing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from careweave.connectors.mllp import MllpClient, ack_code
from careweave.exceptions import CareweaveError
from careweave.testing import RecordingHttpServer
from tests.integration.engine.helpers import adt, free_port, wait_for

TOTAL = 5_000
CONNECTIONS = 4
KILL_AFTER = 2_000


def _write_config(path: Path, *, port: int, url: str, data_dir: Path) -> None:
    path.write_text(
        f"""
[engine]
data_dir = "{data_dir}"
log_level = "warning"

[[channels]]
name = "adt"
source = {{ type = "mllp", port = {port} }}

[[channels.destinations]]
name = "downstream"
connector = {{ type = "http", url = "{url}/in", timeout = 5.0 }}
worker = {{ concurrency = 16, lease = 5.0 }}
"""
    )


def _start(config: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "careweave", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=log.open("ab"),
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert b"careweave ready" in line, f"engine did not start: {log.read_text()[-2000:]}"
    return proc


async def _send(
    port: int, numbers: list[int], acked: set[int], stop_at: int | None, killed: asyncio.Event
) -> None:
    """Send ``numbers`` in order on one connection; record ACKed ones; stop when the engine dies."""
    try:
        async with MllpClient("127.0.0.1", port, ack_timeout=10.0) as client:
            for n in numbers:
                if killed.is_set():
                    return
                ack = await client.send(adt(n))
                assert ack_code(ack) == "AA"
                acked.add(n)
                if stop_at is not None and len(acked) >= stop_at:
                    killed.set()
    except CareweaveError:
        return  # the engine was killed under us: what is not ACKed is re-sent later


def _run_crash_scenario(tmp_path: Path, extra_env: dict[str, str]) -> None:
    with RecordingHttpServer() as downstream:
        port = free_port()
        config = tmp_path / "careweave.toml"
        _write_config(config, port=port, url=downstream.url, data_dir=tmp_path / "data")
        env = {**os.environ, **extra_env}
        log = tmp_path / "engine.log"

        proc = _start(config, env, log)
        acked: set[int] = set()
        killed = asyncio.Event()
        lanes = [list(range(i, TOTAL, CONNECTIONS)) for i in range(CONNECTIONS)]

        async def first_run() -> None:
            sending = [
                asyncio.create_task(_send(port, lane, acked, KILL_AFTER, killed)) for lane in lanes
            ]
            await killed.wait()
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            await asyncio.gather(*sending)

        asyncio.run(first_run())
        assert KILL_AFTER <= len(acked) < TOTAL, "the kill did not land mid-stream"

        proc = _start(config, env, log)
        try:
            missing = [n for n in range(TOTAL) if n not in acked]

            async def second_run() -> None:
                again = [missing[i::CONNECTIONS] for i in range(CONNECTIONS)]
                await asyncio.gather(
                    *(_send(port, lane, acked, None, asyncio.Event()) for lane in again)
                )
                await wait_for(lambda: len(downstream.applied) >= TOTAL, 120, "all deliveries")

            asyncio.run(second_run())
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)

        requests, applied = downstream.snapshot()
        expected = {f"adt:EPIC|HOSP|MSG{n:06d}" for n in range(TOTAL)}
        assert len(acked) == TOTAL
        assert set(applied) == expected  # none missing, nothing unexpected
        per_key: dict[str, int] = {}
        for r in requests:
            per_key[r.idempotency_key] = per_key.get(r.idempotency_key, 0) + 1
        # Only effects in flight or delivered-but-not-yet-recorded at the kill may be sent twice
        # (a few batches' worth, never the stream); the receiver applied each of them once.
        redelivered = [k for k, c in per_key.items() if c > 1]
        assert len(redelivered) <= 100, redelivered
        assert all(c <= 2 for c in per_key.values())


@pytest.mark.slow
def test_crash_sqlite(tmp_path: Path) -> None:
    _run_crash_scenario(tmp_path, {})


@pytest.mark.slow
@pytest.mark.postgres
def test_crash_postgres(tmp_path: Path, postgres_url: str) -> None:
    schema = f"crash_{uuid.uuid4().hex[:10]}"
    try:
        _run_crash_scenario(
            tmp_path,
            {"CAREWEAVE_DATABASE_URL": postgres_url, "CAREWEAVE_DATABASE_SCHEMA": schema},
        )
    finally:
        subprocess.run(
            ["psql", postgres_url, "-qc", f"DROP SCHEMA IF EXISTS {schema} CASCADE"], check=False
        )
