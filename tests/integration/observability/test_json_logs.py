"""``log_format = "json"``: every line ``careweave run`` prints is JSON, and none leaks a secret or PHI.

Issue 15 (acceptance 5) and issue 14's leaks, on a real engine process: an MLLP channel mapping to
events, an HTTP destination whose URL carries a user, a password and a token and which answers 503
(so the HTTP client, the retry warnings and the dead letter all see the URL), and a message whose
birth date is malformed (the mapping's error quotes it). The birth date and the credentials must
not appear in what the process prints nor in ``deadletters list``; the error text stored with the
message keeps the detail for operators.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from careweave.connectors.mllp import MllpClient
from careweave.testing import RecordedRequest, RecordingHttpServer
from tests.integration.engine.helpers import adt, free_port

CAREWEAVE = Path(sys.executable).with_name("careweave")
PASSWORD = "s3cr3t-pw"
TOKEN = "tok-0123456789"
BAD_BIRTH_DATE = "19701399"


def unavailable(_request: RecordedRequest) -> tuple[int, bytes]:
    return 503, b"down for maintenance"


@pytest.fixture
def destination() -> Iterator[RecordingHttpServer]:
    server = RecordingHttpServer(respond=unavailable).start()
    try:
        yield server
    finally:
        server.stop()


def settings(folder: Path, mllp_port: int, destination: RecordingHttpServer) -> Path:
    url = f"http://alice:{PASSWORD}@127.0.0.1:{destination.port}/in?token={TOKEN}&site=north"
    config = folder / "careweave.toml"
    config.write_text(f"""
[engine]
data_dir = "{folder}/data"
log_format = "json"

[[channels]]
name = "adt"
mapping = "hl7v2-clinical"
source = {{ type = "mllp", port = {mllp_port} }}

[[channels.destinations]]
name = "downstream"
connector = {{ type = "http", url = "{url}", timeout = 5.0 }}
worker = {{ retry = {{ max_attempts = 3, initial_backoff = 0.05, max_backoff = 0.1 }} }}
""")
    return config


def malformed_birth_date(n: int) -> bytes:
    message = adt(n)
    assert b"|19700101|" in message
    return message.replace(b"|19700101|", f"|{BAD_BIRTH_DATE}|".encode())


async def send(port: int, messages: list[bytes]) -> list[bytes]:
    async with MllpClient("127.0.0.1", port) as client:
        return [await client.send(m) for m in messages]


def careweave(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CAREWEAVE), *args], capture_output=True, text=True, timeout=60, check=False
    )


def dead_letters(config: Path) -> list[dict[str, object]]:
    listed = careweave("deadletters", "list", "--config", str(config), "--json")
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)
    assert isinstance(found, list)
    return found


def test_every_line_is_json_and_nothing_leaks(
    tmp_path: Path, destination: RecordingHttpServer
) -> None:
    port = free_port()
    config = settings(tmp_path, port, destination)
    stderr_path = tmp_path / "run.err"
    env = {**os.environ, "CAREWEAVE_LOG_LEVEL": "info"}
    with stderr_path.open("w") as stderr:
        run = subprocess.Popen(
            [str(CAREWEAVE), "run", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
        assert run.stdout is not None
        stdout = [run.stdout.readline()]
        assert "careweave ready" in stdout[0], stderr_path.read_text()
        try:
            acks = asyncio.run(send(port, [adt(1), malformed_birth_date(2)]))
            assert b"MSA|AA|" in acks[0]
            assert b"MSA|AE|" in acks[1]
            deadline = time.monotonic() + 60
            while not dead_letters(config):
                assert time.monotonic() < deadline, "no dead letter"
                time.sleep(0.2)
        finally:
            run.send_signal(signal.SIGTERM)
            rest, _ = run.communicate(timeout=30)
        stdout += rest.splitlines()
    printed = [line for line in stdout + stderr_path.read_text().splitlines() if line.strip()]
    records = []
    for line in printed:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    events = [r["event"] for r in records]
    assert "message stored with error" in events
    assert "delivery will be retried" in events
    assert "dead letter" in events
    assert not any("HTTP Request" in e for e in events)  # no line per delivery at INFO
    text = "\n".join(printed)
    for secret in (PASSWORD, TOKEN, BAD_BIRTH_DATE):
        assert secret not in text, f"{secret} printed"
    # The retry warnings name the destination's URL, without its credentials.
    retried = next(r for r in records if r["event"] == "delivery will be retried")
    assert f"127.0.0.1:{destination.port}/in?token=redacted&site=north" in retried["error"]
    # Records about a message or an effect carry the message's trace id.
    stored = next(r for r in records if r["event"] == "message stored with error")
    dead = next(r for r in records if r["event"] == "dead letter")
    assert len(stored["trace_id"]) == 32
    assert retried["trace_id"] == dead["trace_id"] != stored["trace_id"]
    assert destination.requests  # the server did get the requests, credentials and all

    [letter] = dead_letters(config)
    listed = careweave("deadletters", "list", "--config", str(config))
    assert listed.returncode == 0
    for shown in (json.dumps(letter), listed.stdout):
        assert PASSWORD not in shown and TOKEN not in shown
    assert "redacted" in str(letter["last_error"])
