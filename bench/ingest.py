"""Benchmark: durable MLLP ingest, careweave beside a bare baseline, in the same run.

careweave: ``careweave run`` in its own process, one MLLP channel, measured twice: ingest alone,
and with one no-op destination whose effects are written and delivered in the same process.
SQLite synchronous=FULL, ACK after commit. Baseline: bench/_baseline_server.py (store raw + ACK,
group commit). The load generator is a third process on 1 and 8 connections sending a 2 KB
ADT^A01.

Prints one JSON object per line. Usage: python bench/ingest.py [--quick]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this folder would come first on sys.path and bench/queue.py would shadow the
# standard library's queue module: keep the folder off sys.path and the repository root on it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))  # own folder off sys.path, repository root on it

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._load import run_load

HERE = Path(__file__).parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(proc: subprocess.Popen[bytes], word: bytes) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if word not in line:
        raise RuntimeError(f"server did not start: {line!r}")


_NOOP_DESTINATION = """
[[channels.destinations]]
name = "noop"
connector = { type = "null" }
"""


def _careweave(port: int, data: Path, *, deliver: bool) -> subprocess.Popen[bytes]:
    config = data / "bench.toml"
    config.write_text(
        f"""
[engine]
data_dir = "{data}"
synchronous = "FULL"
log_level = "error"

[[channels]]
name = "adt"
source = {{ type = "mllp", port = {port} }}
"""
        + (_NOOP_DESTINATION if deliver else "")
    )
    return subprocess.Popen(
        [sys.executable, "-m", "careweave", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
    )


def _ingest_only(port: int, data: Path) -> subprocess.Popen[bytes]:
    return _careweave(port, data, deliver=False)


def _ingest_and_deliver(port: int, data: Path) -> subprocess.Popen[bytes]:
    return _careweave(port, data, deliver=True)


def _baseline(port: int, data: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "_baseline_server.py"), str(port), str(data / "baseline.db")],
        stdout=subprocess.PIPE,
    )


def _measure(start: object, conns: int, per_conn: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        port = _port()
        proc = start(port, Path(tmp))  # type: ignore[operator]
        try:
            _wait_ready(proc, b"ready")
            time.sleep(0.3)
            return asyncio.run(run_load(port, conns, per_conn))
        finally:
            proc.terminate()
            proc.wait(30)


def main() -> None:
    quick = "--quick" in sys.argv
    plan = [(1, 1500 if quick else 6000), (8, 600 if quick else 2500)]
    variants = [
        ("careweave ingest: MLLP, MSH dedup, full HL7 parse, store, ACK", _ingest_only),
        (
            "careweave ingest + delivery to a no-op destination in the same process",
            _ingest_and_deliver,
        ),
    ]
    for conns, per_conn in plan:
        base = _measure(_baseline, conns, per_conn)
        for target_name, start in variants:
            ours = _measure(start, conns, per_conn)
            print(
                json.dumps(
                    {
                        "bench": "ingest",
                        "target": target_name,
                        "target_msgs_per_s": 1500 if conns == 1 else 5000,
                        "conns": conns,
                        "msgs_per_s": ours["msgs_per_s"],
                        "p50_ms": ours["p50_ms"],
                        "p99_ms": ours["p99_ms"],
                        "baseline": "asyncio MLLP + SQLite group commit, store raw and ACK",
                        "baseline_msgs_per_s": base["msgs_per_s"],
                        "ratio": round(ours["msgs_per_s"] / base["msgs_per_s"], 3),
                        "mirth_oie_4_5_2_default_msgs_per_s": 360,
                        "synchronous": "FULL",
                        "cpus": os.cpu_count(),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
