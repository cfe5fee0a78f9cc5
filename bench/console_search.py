"""Benchmark: the console's message search with 100,000 messages in a SQLite store (issue 15, 4).

An application is built from settings as ``careweave run`` builds it (SQLite, one channel, ``[api]``
with a console user) and its store is filled with 100,000 messages of 20,000 patients through the
store's own ingest (group commit, ``synchronous = NORMAL`` for the fill only). Then the API port
serves the console and, logged in over HTTP, the benchmark times ``GET /console/messages?mrn=...``
(a patient's five messages by the whole MRN, the ``messages_ordering_key`` index) and
``GET /console/messages?control_id=...`` (a substring of the dedup key: a scan of the table in
clear, the sealed key or the control id's token when sealed) for random patients and control ids:
the whole page, rendered, over a real socket.

Prints one JSON object per search: p50 and p99 in milliseconds. ``--sealed`` runs with PHI sealed
at rest (AES-GCM keyring from the environment). Usage:
python bench/console_search.py [--messages N] [--requests N] [--sealed]
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse
import asyncio
import base64
import datetime as dt
import json
import random
import re
import secrets
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from careweave.app import Application, build_application
from careweave.config import parse_settings
from careweave.model.records import MessageState, NewMessage, Processing

PATIENTS = 20_000
PASSWORD = "bench-pass"
SETTINGS = """
[engine]
data_dir = "{data_dir}"
log_level = "error"
synchronous = "NORMAL"
phi_key_env = "{key_env}"

[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
source = {{ type = "mllp", port = 0 }}
[[channels.destinations]]
name = "archive"
connector = {{ type = "null" }}

[api]
port = 0
[[api.users]]
name = "bench"
role = "integration-admin"
password_env = "CW_BENCH_CONSOLE_PASSWORD"
"""


def mrn(n: int) -> str:
    """The MRN of patient ``n``."""
    return f"M{n:07d}"


def control_id(n: int) -> str:
    """The MSH-10 of message ``n``."""
    return f"Q{n:08d}T{n % 997:04d}"


def _message(n: int, now: dt.datetime) -> tuple[NewMessage, Processing]:
    patient = n % PATIENTS
    raw = (
        f"MSH|^~\\&|EPIC|RBMC|CW|RBH|20250303||ADT^A08|{control_id(n)}|P|2.5.1\r"
        f"PID|1||{mrn(patient)}^^^RBH^MR||DOE^PAT{patient}||19700101|F\r"
    ).encode()
    message = NewMessage(
        channel="ehr", raw=raw, content_type="x-application/hl7-v2+er7", sender="bench",
        received_at=now - dt.timedelta(seconds=n), trace_id=f"t{n}",
        dedup_key=f"EPIC|RBMC|{control_id(n)}",
    )  # fmt: skip
    return message, Processing(state=MessageState.PROCESSED, ordering_key=mrn(patient))


async def fill(application: Application, count: int) -> float:
    """Ingest ``count`` messages through the store (concurrently: group commits); seconds taken."""
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    chunk = 2_000
    for first in range(0, count, chunk):
        batch = [_message(n, now) for n in range(first, min(first + chunk, count))]
        await asyncio.gather(*(application.store.ingest(m, p) for m, p in batch))
    return time.perf_counter() - started


def _timed(client: httpx.Client, paths: list[str], expect: str) -> dict[str, Any]:
    times = []
    for path in paths:
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200 or expect not in answer.text:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
    times.sort()
    return {
        "requests": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
        "max_ms": round(times[-1], 1),
    }


def measure(base_url: str, count: int, requests: int, rng: random.Random) -> list[dict[str, Any]]:
    """Log in and time both searches."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        form = client.get("/console/login")
        nonce = re.search(r'name="nonce" value="([^"]+)"', form.text)
        assert nonce is not None
        client.post("/console/login", data={"user": "bench", "password": PASSWORD,
                                             "nonce": nonce.group(1)})  # fmt: skip
        patients = [rng.randrange(min(PATIENTS, count)) for _ in range(requests)]
        numbers = [rng.randrange(count) for _ in range(requests)]
        by_mrn = _timed(client, [f"/console/messages?mrn={mrn(p)}" for p in patients], "found")
        by_control = _timed(
            client, [f"/console/messages?control_id={control_id(n)}" for n in numbers],
            "1 message found",
        )  # fmt: skip
    return [{"search": "mrn", **by_mrn}, {"search": "control_id", **by_control}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sealed", action="store_true", help="PHI sealed at rest (AES-GCM)")
    args = parser.parse_args()
    key_env = "CW_BENCH_PHI_KEY" if args.sealed else ""
    env = {"CW_BENCH_CONSOLE_PASSWORD": PASSWORD}
    if args.sealed:
        env[key_env] = "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    with tempfile.TemporaryDirectory(prefix="cw-console-bench-") as folder:
        text = SETTINGS.format(data_dir=Path(folder).as_posix(), key_env=key_env)
        application = build_application(
            parse_settings(text), settings_dir=Path(folder), env={**os.environ, **env}
        )
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()

        def run(coro: Any) -> Any:
            return asyncio.run_coroutine_threadsafe(coro, loop).result()

        run(application.open())
        seconds = run(fill(application, args.messages))
        run(application.start())
        try:
            assert application.api is not None
            base = f"http://127.0.0.1:{application.api.port}"
            rows = measure(base, args.messages, args.requests, random.Random(15))
        finally:
            run(application.close())
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
    for row in rows:
        print(json.dumps({"bench": "console_search", "messages": args.messages,
                          "sealed": args.sealed, "fill_s": round(seconds, 1), **row}))  # fmt: skip


if __name__ == "__main__":
    main()
