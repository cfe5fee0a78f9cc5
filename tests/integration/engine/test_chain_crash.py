"""Acceptance: kill -9 in the middle of chains re-delivers each key's effects in order.

A ``careweave run`` subprocess queues 200 messages for each of 4 patients while the destination
answers 503 (so that each patient's messages pile up behind its head); then the destination
recovers, the engine sends long chains, and it is killed with SIGKILL while four chains are
mid-way (the destination holds one request until the kill has landed). After the restart every
message is applied once, each patient's in the order sent, and what the engine sends after the
restart, re-deliveries included, never goes back within a patient.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from careweave.connectors.mllp import MllpClient, ack_code
from careweave.testing import RecordedRequest, RecordingHttpServer
from tests.integration.engine.helpers import adt, free_port, wait_for

PATIENTS = 4
PER_PATIENT = 200
TOTAL = PATIENTS * PER_PATIENT
KILL_AT = 150
"""Successful deliveries before the kill: past the first chains, far from the end."""


class Destination:
    """503 until the messages are all queued, then 200; holds the KILL_AT-th success until the
    kill has landed (the engine never hears its answer)."""

    def __init__(self) -> None:
        self.queued = threading.Event()
        self.reached = threading.Event()
        self.killed = threading.Event()
        self.successes = 0

    def respond(self, _request: RecordedRequest) -> tuple[int, bytes]:
        if not self.queued.is_set():
            return 503, b"not yet"
        self.successes += 1
        if self.successes == KILL_AT:
            self.reached.set()
            self.killed.wait(30)
        return 200, b"ok"


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
connector = {{ type = "http", url = "{url}/in", timeout = 60.0 }}
worker = {{ concurrency = 4, chain = 16, lease = 2.0, retry = {{ max_attempts = 100000, initial_backoff = 0.05, multiplier = 1.0, jitter = 0.0 }}, circuit_breaker = {{ failure_threshold = 100000 }} }}
"""  # noqa: E501
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


async def _send_all(port: int) -> None:
    """Each patient's messages in order on its own connection, every one acknowledged."""

    async def lane(patient: int) -> None:
        async with MllpClient("127.0.0.1", port, ack_timeout=10.0) as client:
            for n in range(patient, TOTAL, PATIENTS):
                assert ack_code(await client.send(adt(n, f"K{patient}"))) == "AA"

    await asyncio.gather(*(lane(p) for p in range(PATIENTS)))


def _numbers(requests: list[RecordedRequest]) -> dict[str, list[int]]:
    """Message numbers in the order each patient's requests arrived (repeats included)."""
    seen: dict[str, list[int]] = {}
    for r in requests:
        number = int(r.idempotency_key.rsplit("MSG", 1)[1])
        seen.setdefault(r.headers["x-careweave-ordering-key"], []).append(number)
    return seen


def _run(tmp_path: Path, extra_env: dict[str, str]) -> None:
    destination = Destination()
    with RecordingHttpServer(respond=destination.respond) as downstream:
        port = free_port()
        config = tmp_path / "careweave.toml"
        _write_config(config, port=port, url=downstream.url, data_dir=tmp_path / "data")
        env = {**os.environ, **extra_env}
        log = tmp_path / "engine.log"

        proc = _start(config, env, log)
        try:
            asyncio.run(_send_all(port))
            destination.queued.set()
            assert destination.reached.wait(120), "the deliveries never reached the kill point"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            destination.killed.set()

        # What the killed engine had already written is read before anything the next one sends.
        asyncio.run(wait_for(lambda: downstream.open_connections == 0, 30, "the old connections"))
        restarted = time.monotonic()
        proc = _start(config, env, log)
        try:
            asyncio.run(wait_for(lambda: len(downstream.applied) >= TOTAL, 120, "all messages"))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        requests, applied = downstream.snapshot()

    assert set(applied) == {f"adt:EPIC|HOSP|MSG{n:06d}" for n in range(TOTAL)}
    first_applied = sorted(applied.values(), key=lambda r: r.at)
    for patient, numbers in _numbers(first_applied).items():
        assert numbers == sorted(numbers), f"{patient} applied out of order"
    after = [r for r in requests if r.at >= restarted]
    redelivered = [r for r in after if applied[r.idempotency_key].at < restarted]
    assert redelivered, "the kill landed between chains: nothing was re-delivered"
    for patient, numbers in _numbers(after).items():
        assert numbers == sorted(set(numbers)), f"{patient} re-delivered out of order: {numbers}"


@pytest.mark.slow
def test_kill_mid_chain_sqlite(tmp_path: Path) -> None:
    _run(tmp_path, {})


@pytest.mark.slow
@pytest.mark.postgres
def test_kill_mid_chain_postgres(tmp_path: Path, postgres_url: str) -> None:
    schema = f"chain_crash_{uuid.uuid4().hex[:10]}"
    try:
        _run(
            tmp_path,
            {"CAREWEAVE_DATABASE_URL": postgres_url, "CAREWEAVE_DATABASE_SCHEMA": schema},
        )
    finally:
        subprocess.run(
            ["psql", postgres_url, "-qc", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
            check=False,
            env={**os.environ, "PGOPTIONS": "--client-min-messages=warning"},
        )
