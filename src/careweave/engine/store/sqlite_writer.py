"""Group commit for SQLite: one writer thread, one connection, one transaction per batch.

Callers submit jobs (functions of a connection) from the event loop. The writer takes every job
that is waiting, up to ``max_batch``, runs them all in one transaction and commits once
(one fsync for the whole batch at ``synchronous=FULL``), and only then resolves the callers'
futures. When a job raises, the batch is rolled back and each job runs again in a transaction
of its own, so only the failing one fails and its neighbours still commit.

Jobs that need not survive a power loss (leases and delivery outcomes: a lost one only means an
idempotent re-delivery) are submitted with ``durable=False``; a batch made only of those commits with
``synchronous=NORMAL``, so it does not wait for the disk. WAL keeps commit order, so the next durable
commit makes them durable too.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from careweave.exceptions import CareweaveError, StoreError

Job = Callable[[sqlite3.Connection], Any]
_Pending = tuple[Job, asyncio.Future[Any], asyncio.AbstractEventLoop, bool]


def _settle(results: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, value, error in results:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


class SqliteWriter:
    """The single writer thread of a SQLite database."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        max_batch: int = 256,
        synchronous: str = "FULL",
    ) -> None:
        self._connect = connect
        self._synchronous = synchronous
        self._relaxed = False
        self._max_batch = max_batch
        self._jobs: queue.SimpleQueue[list[_Pending] | None] = queue.SimpleQueue()
        # Jobs submitted during one turn of the event loop are handed over together: one wake-up
        # of the writer thread per turn instead of one per job.
        self._outbox: list[_Pending] = []
        self._handing_over = False
        self._thread = threading.Thread(
            target=self._run, name="careweave-sqlite-writer", daemon=True
        )
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.batches = 0
        self.jobs_done = 0

    def start(self) -> None:
        """Start the thread and open its connection."""
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise StoreError(f"cannot open SQLite database: {self._startup_error}")

    def stop(self) -> None:
        """Finish queued jobs and close the connection."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    async def run(self, job: Job, *, durable: bool = True) -> Any:
        """Run ``job`` in the next batch; return its result once the batch is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._outbox.append((job, future, loop, durable))
        if not self._handing_over:
            self._handing_over = True
            loop.call_soon(self._hand_over)
        return await future

    def _hand_over(self) -> None:
        jobs, self._outbox = self._outbox, []
        self._handing_over = False
        if jobs:
            self._jobs.put(jobs)

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # reported to start(), which raises StoreError
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop(conn)
        finally:
            conn.close()

    def _loop(self, conn: sqlite3.Connection) -> None:
        stopping = False
        while not stopping:
            first = self._jobs.get()
            if first is None:
                break
            batch = list(first)
            while len(batch) < self._max_batch:
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                batch.extend(nxt)
            self._run_batch(conn, batch)

    @staticmethod
    def _all_or_nothing(
        conn: sqlite3.Connection, batch: list[_Pending]
    ) -> list[tuple[asyncio.Future[Any], Any, BaseException | None]]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            values: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = [
                (future, job(conn), None) for job, future, _loop, _durable in batch
            ]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        return values

    @staticmethod
    def _alone(
        conn: sqlite3.Connection, pending: _Pending
    ) -> tuple[asyncio.Future[Any], Any, BaseException | None]:
        job, future, _loop, _durable = pending
        try:
            conn.execute("BEGIN IMMEDIATE")
            value = job(conn)
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.rollback()
            return future, None, _as_store_error(exc)
        return future, value, None

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Pending]) -> None:
        results: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        relax = not any(durable for *_rest, durable in batch)
        if relax != self._relaxed and self._synchronous in {"FULL", "EXTRA"}:
            conn.execute(f"PRAGMA synchronous={'NORMAL' if relax else self._synchronous}")
            self._relaxed = relax
        try:
            results = self._all_or_nothing(conn, batch)
        except Exception:
            # One job failed (or the commit did): the batch was rolled back whole. Run each job
            # in its own transaction so that only the failing one fails. Rare, so the common path
            # pays for no savepoints.
            results = [self._alone(conn, pending) for pending in batch]
        self.batches += 1
        self.jobs_done += len(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = {}
        for (_job, _future, loop, _durable), result in zip(batch, results, strict=True):
            by_loop.setdefault(loop, []).append(result)
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:  # the caller's loop is closed: nobody is waiting any more
                continue


def _as_store_error(exc: Exception) -> BaseException:
    if isinstance(exc, sqlite3.Error):
        return StoreError(f"SQLite failed: {exc}")
    if isinstance(exc, CareweaveError):
        return exc
    return StoreError(f"{type(exc).__name__}: {exc}")
