"""MLLP echo: the listener answering AA straight away (no storage), the client on 1 and 8 connections.

The listener runs in its own process, as it would in production, so client and server do not share
one event loop. Prints one JSON line per connection count::

    {"bench": "mllp_echo", "conns": 1, "msgs_per_s": ..., "p50_ms": ..., "p99_ms": ...,
     "baseline": "loopback physical limit (DESIGN.md)", "baseline_msgs_per_s": 7800, "ratio": ...}

Usage: ``python bench/mllp_echo.py [--seconds 3] [--conns 1,8] [--loop asyncio|uvloop]``.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this folder would come first on sys.path and bench/queue.py would shadow the
# standard library's queue module: keep the folder off sys.path and the repository root on it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))  # own folder off sys.path, repository root on it

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import time
from collections.abc import Callable, Coroutine
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from careweave.codecs.hl7v2.ack import AckCode, build_ack
from careweave.codecs.hl7v2.header import parse_header
from careweave.connectors.mllp import MllpClient, MllpListener, MllpListenerConfig, PeerInfo

T = TypeVar("T")

# Measured physical limits on this machine class (DESIGN.md): loopback MLLP, ACK without storing.
BASELINE = {1: 7_800, 8: 55_000}

MESSAGE = (
    b"MSH|^~\\&|EPIC|GENHOSP|CAREWEAVE|CW|20250101120000||ADT^A01^ADT_A01|{id}|P|2.5.1|||AL|NE\r"
    b"EVN|A01|20250101120000\r"
    b"PID|1||12345678^^^GENHOSP^MR||DOE^JANE^Q||19700101|F|||100 MAIN ST^^SPRINGFIELD^IL^62701||"
    b"(217)555-0100|||M||ACCT0001^^^GENHOSP^AN|123-45-6789\r"
    b"PV1|1|I|CARD^301^A^GENHOSP||||1234^SMITH^JOHN^^^DR|||CAR||||1|||1234^SMITH^JOHN^^^DR|IN||"
    b"BCBS|||||||||||||||||||GENHOSP|||||20250101120000\r"
    b"IN1|1|BCBSIL|60054|BLUE CROSS BLUE SHIELD OF ILLINOIS|PO BOX 805107^^CHICAGO^IL^60680||||"
    b"GRP001|||||||DOE^JANE^Q|01|19700101\r"
)


def _run(loop_name: str, main: Coroutine[Any, Any, T]) -> T:
    if loop_name == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)


async def _echo(raw: bytes, peer: PeerInfo) -> bytes:
    return build_ack(parse_header(raw), AckCode.ACCEPT)


async def _serve(pipe: Connection) -> None:
    listener = MllpListener(MllpListenerConfig(port=0, max_connections=64), _echo)
    await listener.start()
    pipe.send(listener.port)
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    pipe.send(listener.stats.frames)
    await listener.stop()


def _server_process(pipe: Connection, loop_name: str) -> None:
    _run(loop_name, _serve(pipe))


async def _drive(port: int, conns: int, seconds: float) -> dict[str, float]:
    latencies: list[list[float]] = [[] for _ in range(conns)]
    clock: Callable[[], float] = time.perf_counter

    async def one(n: int) -> None:
        mine = latencies[n]
        async with MllpClient("127.0.0.1", port) as client:
            for i in range(200):  # warm-up
                await client.send(MESSAGE.replace(b"{id}", f"W{n}-{i}".encode()))
            await ready.wait()
            i = 0
            while clock() < stop_at:
                message = MESSAGE.replace(b"{id}", f"M{n}-{i}".encode())
                began = clock()
                await client.send(message)
                mine.append(clock() - began)
                i += 1

    ready = asyncio.Event()
    stop_at = float("inf")
    tasks = [asyncio.create_task(one(n)) for n in range(conns)]
    await asyncio.sleep(0.5)
    start = clock()
    stop_at = start + seconds
    ready.set()
    await asyncio.gather(*tasks)
    elapsed = clock() - start
    flat = sorted(x for per_conn in latencies for x in per_conn)
    quantiles = statistics.quantiles(flat, n=100)
    return {
        "msgs_per_s": round(len(flat) / elapsed),
        "p50_ms": round(quantiles[49] * 1000, 3),
        "p99_ms": round(quantiles[98] * 1000, 3),
        "messages": len(flat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--conns", default="1,8")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument(
        "--server-loop", choices=["asyncio", "uvloop"], help="the listener's loop (default: --loop)"
    )
    args = parser.parse_args()
    server_loop = args.server_loop or args.loop
    for conns in (int(c) for c in args.conns.split(",")):
        ours, theirs = mp.Pipe()
        server = mp.get_context("spawn").Process(
            target=_server_process, args=(theirs, server_loop), daemon=True
        )
        server.start()
        port = int(ours.recv())
        result = _run(args.loop, _drive(port, conns, args.seconds))
        ours.send("stop")
        frames = int(ours.recv())
        server.join(timeout=10)
        baseline = BASELINE.get(conns)
        line: dict[str, object] = {
            "bench": "mllp_echo",
            "conns": conns,
            "loop": args.loop,
            "server_loop": server_loop,
            **result,
            "server_frames": frames,
            "baseline": "loopback physical limit, ACK without storing (DESIGN.md)",
            "baseline_msgs_per_s": baseline,
            "ratio": round(result["msgs_per_s"] / baseline, 3) if baseline else None,
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
