"""Benchmark: effects delivered per second by the PostgreSQL store, beside procrastinate, same run.

careweave: 20,000 effects are ingested (group commit, one effect per message), then N worker
processes (spawned) each run careweave's DestinationWorker with the null destination until the queue
is empty: claim a batch (one UPDATE ... FOR UPDATE SKIP LOCKED), deliver (no-op), complete the batch
(one statement). Latency is per effect, from the claim that leased it to the commit of its outcome.
Baseline: procrastinate on its own schema of the same database, the same number of jobs of a no-op
task deferred in bulk, N worker processes with ``wait=False`` (they exit once the queue is empty).

Prints one JSON object per worker count. Usage: python bench/queue.py [--quick] [--workers 1,2]
"""

# This file shares its name with the standard library's queue module, which asyncio and
# multiprocessing import: run as a script, its own folder must not come first on sys.path.
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse
import asyncio
import datetime as dt
import json
import logging
import multiprocessing as mp
import statistics
import time
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import psycopg
from psycopg import sql

from careweave.connectors.null import NullDestination
from careweave.connectors.policy import WorkerPolicy
from careweave.engine.store.postgres import PostgresConfig, PostgresStore
from careweave.engine.worker import DestinationWorker
from careweave.model.records import (
    Effect,
    EffectOutcome,
    MessageState,
    NewEffect,
    NewMessage,
    Processing,
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
DESTINATION = "noop"


class TimedStore(PostgresStore):
    """The PostgreSQL store, noting when each effect was leased and when its outcome committed."""

    def __init__(self, config: PostgresConfig, done: Any) -> None:
        super().__init__(config)
        self.done = done
        """A counter shared by the worker processes: effects whose outcome is committed."""
        self.leased_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.last_commit = 0.0

    async def claim_effects(
        self,
        destination: str,
        *,
        worker: str,
        limit: int,
        lease: float,
        now: dt.datetime,
        chain: int = 1,
    ) -> list[Effect]:
        started = time.perf_counter()
        effects = await super().claim_effects(
            destination, worker=worker, limit=limit, lease=lease, now=now, chain=chain
        )
        for effect in effects:
            self.leased_at[effect.id] = started
        return effects

    async def complete_effects(self, outcomes: Sequence[EffectOutcome]) -> int:
        applied = await super().complete_effects(outcomes)
        done = time.perf_counter()
        self.last_commit = time.time()
        with self.done.get_lock():
            self.done.value += applied
        for outcome in outcomes:
            leased = self.leased_at.pop(outcome.attempt.effect_id, None)
            if leased is not None:
                self.latencies.append(done - leased)
        return applied


def _recreate_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


def _drop_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# -- careweave ------------------------------------------------------------------------------------


async def _preload(url: str, schema: str, total: int) -> float:
    """Ingest ``total`` messages of one effect each; return messages per second."""
    now = dt.datetime.now(dt.UTC)
    async with PostgresStore(PostgresConfig(url=url, schema=schema, max_batch=500)) as store:
        started = time.perf_counter()
        for start in range(0, total, 2_000):
            await asyncio.gather(
                *(
                    store.ingest(
                        NewMessage(
                            channel="bench",
                            raw=b"MSH|^~\\&|BENCH|" + str(i).encode(),
                            content_type="x-application/hl7-v2+er7",
                            received_at=now,
                            trace_id=f"t{i}",
                            dedup_key=f"MSG{i}",
                        ),
                        Processing(
                            state=MessageState.PROCESSED,
                            effects=(
                                NewEffect(
                                    destination=DESTINATION,
                                    idempotency_key=f"bench-{i}",
                                    payload=b'{"n": %d}' % i,
                                ),
                            ),
                        ),
                    )
                    for i in range(start, min(start + 2_000, total))
                )
            )
        return total / (time.perf_counter() - started)


async def _careweave_drain(
    url: str, schema: str, total: int, done: Any, go: Any, ready: Any, results: Any
) -> None:
    config = PostgresConfig(url=url, schema=schema, min_pool=2, max_pool=4)
    store = TimedStore(config, done)
    await store.open()
    policy = WorkerPolicy(concurrency=400, batch_size=200, poll_interval=0.005, lease=120.0)
    worker = DestinationWorker(store, DESTINATION, NullDestination(), policy)
    ready.put(os.getpid())
    await asyncio.to_thread(go.wait)
    await worker.start()
    # A counter shared by the workers, not a query, tells when the queue is empty: polling the
    # database would slow down the very thing measured.
    while done.value < total:
        await asyncio.sleep(0.005)
    await worker.stop()
    await store.close()
    results.put({"delivered": worker.delivered, "end": store.last_commit, "lat": store.latencies})


def _careweave_process(
    url: str, schema: str, total: int, done: Any, go: Any, ready: Any, results: Any
) -> None:
    asyncio.run(_careweave_drain(url, schema, total, done, go, ready, results))


# -- procrastinate --------------------------------------------------------------------------------


def _procrastinate_app(url: str, schema: str) -> Any:
    import procrastinate

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=url, kwargs={"options": f"-c search_path={schema}"}, min_size=1, max_size=4
        )
    )

    @app.task(name="noop")
    async def noop() -> None:
        return None

    return app


async def _procrastinate_preload(url: str, schema: str, total: int) -> None:
    app = _procrastinate_app(url, schema)
    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        task = app.tasks["noop"]
        for start in range(0, total, 2_000):
            await task.batch_defer_async(*({} for _ in range(start, min(start + 2_000, total))))


async def _procrastinate_drain(
    url: str, schema: str, concurrency: int, go: Any, ready: Any, results: Any
) -> None:
    app = _procrastinate_app(url, schema)
    async with app.open_async():
        ready.put(os.getpid())
        await asyncio.to_thread(go.wait)
        await app.run_worker_async(
            concurrency=concurrency, wait=False, install_signal_handlers=False, listen_notify=False
        )
    results.put({"end": time.time()})


def _procrastinate_process(
    url: str, schema: str, concurrency: int, go: Any, ready: Any, results: Any
) -> None:
    logging.getLogger("procrastinate").setLevel(logging.ERROR)
    asyncio.run(_procrastinate_drain(url, schema, concurrency, go, ready, results))


def _procrastinate_done(url: str, schema: str) -> int:
    with psycopg.connect(url, options=f"-c search_path={schema}") as conn:
        row = conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'")
        found = row.fetchone()
    return int(found[0]) if found else 0


# -- running ----------------------------------------------------------------------------------------


def _race(target: Any, args: tuple[Any, ...], workers: int) -> tuple[float, list[dict[str, Any]]]:
    """Start ``workers`` processes, release them at once, return (start time, their reports)."""
    ctx = mp.get_context("spawn")
    go, ready, results = ctx.Event(), ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, go, ready, results)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=60)
    started = time.time()
    go.set()
    reports = [results.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    return started, reports


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def run(
    url: str, total: int, base_total: int, workers: int, baseline_concurrency: int
) -> dict[str, Any]:
    """One careweave run and one baseline run with ``workers`` processes."""
    schema = f"cw_bench_queue_{os.getpid()}"
    _recreate_schema(url, schema)
    try:
        preload = asyncio.run(_preload(url, schema, total))
        done = mp.get_context("spawn").Value("i", 0)
        started, reports = _race(_careweave_process, (url, schema, total, done), workers)
        delivered = sum(int(r["delivered"]) for r in reports)
        if delivered != total:
            raise SystemExit(f"careweave delivered {delivered} of {total}")
        elapsed = max(float(r["end"]) for r in reports) - started
        latencies = [x for r in reports for x in r["lat"]]
    finally:
        _drop_schema(url, schema)

    base_schema = f"bench_procrastinate_{os.getpid()}"
    _recreate_schema(url, base_schema)
    try:
        asyncio.run(_procrastinate_preload(url, base_schema, base_total))
        base_started, base_reports = _race(
            _procrastinate_process, (url, base_schema, baseline_concurrency), workers
        )
        base_elapsed = max(float(r["end"]) for r in base_reports) - base_started
        if (ran := _procrastinate_done(url, base_schema)) != base_total:
            raise SystemExit(f"procrastinate ran {ran} of {base_total} jobs")
    finally:
        _drop_schema(url, base_schema)

    per_s = total / elapsed
    base_per_s = base_total / base_elapsed
    return {
        "bench": "queue",
        "target": "postgres",
        "workers": workers,
        "effects": total,
        "effects_per_s": round(per_s),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "preload_msgs_per_s": round(preload),
        "baseline": f"procrastinate {metadata.version('procrastinate')}"
        f" (concurrency {baseline_concurrency} per process)",
        "baseline_effects": base_total,
        "baseline_per_s": round(base_per_s),
        "ratio": round(per_s / base_per_s, 2),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and print one JSON line per worker count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 effects instead of 20,000")
    parser.add_argument("--effects", type=int, help="how many effects to deliver")
    parser.add_argument("--workers", default="1,2", help="worker process counts, comma-separated")
    parser.add_argument(
        "--baseline-effects",
        type=int,
        help="jobs for the baseline (default 5,000, quick 1,000: procrastinate runs a few hundred "
        "a second and slows down as its table grows, so fewer jobs flatter it, not careweave)",
    )
    parser.add_argument("--baseline-concurrency", type=int, default=8)
    parser.add_argument(
        "--url", default=os.environ.get("CAREWEAVE_BENCH_POSTGRES_URL", DEFAULT_URL)
    )
    args = parser.parse_args(argv)
    total = args.effects or (2_000 if args.quick else 20_000)
    base_total = args.baseline_effects or (1_000 if args.quick else 5_000)
    logging.getLogger("procrastinate").setLevel(logging.ERROR)
    for workers in (int(w) for w in args.workers.split(",")):
        result = run(args.url, total, base_total, workers, args.baseline_concurrency)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
