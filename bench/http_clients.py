"""Benchmark: HTTP clients for the HTTP destination's transport, against the same bare sink.

Each client POSTs the same 2 KB body with the destination's headers (Content-Type,
Idempotency-Key, X-Careweave-Effect-Id, X-Careweave-Trace-Id, traceparent) to the keep-alive sink
of bench/_http_sink.py (another process), ``--concurrency`` requests in flight on a pool of as many
connections, on uvloop. Clients: httpx's AsyncClient (the transport until issue 17), httpcore's
AsyncConnectionPool used directly, aiohttp (only when the bench group is installed), and
careweave's KeepAliveClient (asyncio streams). Rounds alternate the clients so that load from
elsewhere on the machine falls on all of them alike; the best round of each is reported.

``cpu_us_per_req``: this process's CPU time per request (the sink runs elsewhere).
JSON lines: {bench, client, concurrency, requests, req_per_s, cpu_us_per_req}.

Usage: python bench/http_clients.py [--quick] [--concurrency N]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this folder would come first on sys.path and bench/queue.py would shadow the
# standard library's queue module: keep the folder off sys.path and the repository root on it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import asyncio
import importlib
import importlib.util
import json
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpcore
import httpx
import uvloop

from bench._load import adt_a01
from careweave.connectors.http_boundary.keepalive import KeepAliveClient

HERE = Path(__file__).parent
BODY = adt_a01(1)
HEADERS = {
    "Content-Type": "application/hl7-v2",
    "Idempotency-Key": "adt:NV0000000001:out",
    "X-Careweave-Effect-Id": "123456",
    "X-Careweave-Trace-Id": "4bf92f3577b34da6a3ce929d0e0e4736",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
}

Post = Callable[[], Awaitable[int]]
Client = Callable[[str, int], Awaitable[tuple[Post, Callable[[], Awaitable[None]]]]]


async def _httpx(url: str, size: int) -> tuple[Post, Callable[[], Awaitable[None]]]:
    client = httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=size))

    async def post() -> int:
        response = await client.request("POST", url, content=BODY, headers=HEADERS)
        return response.status_code

    return post, client.aclose


async def _httpcore(url: str, size: int) -> tuple[Post, Callable[[], Awaitable[None]]]:
    pool = httpcore.AsyncConnectionPool(max_connections=size)
    headers = [(k.encode(), v.encode()) for k, v in HEADERS.items()]
    extensions = {"timeout": {"connect": 30.0, "read": 30.0, "write": 30.0, "pool": 30.0}}

    async def post() -> int:
        response = await pool.request(
            "POST", url, headers=headers, content=BODY, extensions=extensions
        )
        return response.status

    return post, pool.aclose


async def _aiohttp(url: str, size: int) -> tuple[Post, Callable[[], Awaitable[None]]]:
    # Only in the bench dependency group (`make bench`): imported by name so that the type check
    # of `make test`, which installs the dev group only, does not need it.
    aiohttp: Any = importlib.import_module("aiohttp")
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=size), timeout=aiohttp.ClientTimeout(total=30.0)
    )

    async def post() -> int:
        async with session.post(url, data=BODY, headers=HEADERS) as response:
            await response.read()
            return int(response.status)

    return post, session.close


async def _lean(url: str, size: int) -> tuple[Post, Callable[[], Awaitable[None]]]:
    client = KeepAliveClient(timeout=30.0, max_connections=size)

    async def post() -> int:
        answer = await client.request("POST", url, headers=HEADERS, content=BODY)
        return answer.status

    return post, client.aclose


CLIENTS: dict[str, Client] = {
    "httpx AsyncClient": _httpx,
    "httpcore AsyncConnectionPool": _httpcore,
    "careweave KeepAliveClient (asyncio streams)": _lean,
}
if importlib.util.find_spec("aiohttp") is not None:
    CLIENTS["aiohttp ClientSession"] = _aiohttp


async def _round(client: Client, url: str, concurrency: int, requests: int) -> tuple[float, float]:
    post, close = await client(url, concurrency)
    try:
        for _ in range(concurrency * 4):  # warm the pool up
            await post()
        left = [requests]

        async def lane() -> None:
            while left[0] > 0:
                left[0] -= 1
                if await post() != 200:
                    raise RuntimeError("the sink did not answer 200")

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await close()
    return requests / wall, cpu / requests * 1e6


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    quick = "--quick" in sys.argv
    args = sys.argv[1:]
    concurrency = int(args[args.index("--concurrency") + 1]) if "--concurrency" in args else 8
    requests, rounds = (3000, 3) if quick else (10000, 5)
    port = _port()
    sink = subprocess.Popen(
        [sys.executable, str(HERE / "_http_sink.py"), str(port), "--uvloop"],
        stdout=subprocess.PIPE,
    )
    try:
        assert sink.stdout is not None
        sink.stdout.readline()  # "ready"
        url = f"http://127.0.0.1:{port}/in"
        best: dict[str, tuple[float, float]] = {}
        for _ in range(rounds):
            for name, client in CLIENTS.items():
                rate, cpu = uvloop.run(_round(client, url, concurrency, requests))
                if name not in best or rate > best[name][0]:
                    best[name] = (rate, cpu)
        for name, (rate, cpu) in best.items():
            line = {
                "bench": "http_clients",
                "client": name,
                "concurrency": concurrency,
                "requests": requests,
                "req_per_s": round(rate),
                "cpu_us_per_req": round(cpu),
            }
            print(json.dumps(line), flush=True)
    finally:
        sink.terminate()
        sink.wait(30)


if __name__ == "__main__":
    main()
