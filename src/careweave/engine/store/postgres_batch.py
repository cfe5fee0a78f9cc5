"""Group commit on asyncio: concurrent callers' items are written together, one transaction a batch.

A caller submits an item and waits. A collector task takes every item waiting (up to ``max_batch``)
and hands the batch to a writer function, which returns one outcome per item (a value, or the
exception that item alone failed with). Each caller is resumed only after its batch's writer
returned, i.e. after the commit: this is what lets a listener acknowledge the sender.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from careweave.exceptions import StoreError

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

BatchWriter = Callable[[Sequence[ItemT]], Awaitable[Sequence[ResultT | BaseException]]]
"""Writes a batch; returns, in order, each item's result or the exception it alone failed with."""


class GroupCommitBatcher(Generic[ItemT, ResultT]):
    """Collects concurrent submissions into batches and writes them with ``writer``."""

    def __init__(
        self, writer: BatchWriter[ItemT, ResultT], *, max_batch: int = 256, concurrency: int = 1
    ) -> None:
        if max_batch < 1 or concurrency < 1:
            raise StoreError("max_batch and concurrency must be at least 1")
        self._writer = writer
        self._max_batch = max_batch
        # More than one batch in flight raises throughput when the commit latency dominates, at the
        # price of concurrent submissions committing in any order.
        self._slots = asyncio.Semaphore(concurrency)
        self._queue: asyncio.Queue[tuple[ItemT, asyncio.Future[ResultT]]] = asyncio.Queue()
        self._collector: asyncio.Task[None] | None = None
        self._flushes: set[asyncio.Task[None]] = set()
        self.batches = 0
        """How many batches were written (for tests and metrics)."""

    def start(self) -> None:
        """Start the collector task on the running loop."""
        if self._collector is None:
            self._collector = asyncio.create_task(self._collect(), name="careweave-group-commit")

    async def stop(self) -> None:
        """Write what is queued, wait for batches in flight, stop the collector."""
        while not self._queue.empty() or self._flushes:
            if self._flushes:
                await asyncio.wait(set(self._flushes))
            else:  # the collector has not picked the rest up yet: let it run
                await asyncio.sleep(0)
        if self._collector is not None:
            self._collector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._collector
            self._collector = None

    async def submit(self, item: ItemT) -> ResultT:
        """Queue ``item`` for the next batch; return its result once the batch is committed."""
        if self._collector is None:
            raise StoreError("the store is not open")
        future: asyncio.Future[ResultT] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        return await future

    async def _collect(self) -> None:
        while True:
            batch = [await self._queue.get()]
            await self._slots.acquire()
            # Take what arrived while waiting for the slot too: that is the group in group commit.
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            task = asyncio.create_task(self._flush(batch))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[tuple[ItemT, asyncio.Future[ResultT]]]) -> None:
        try:
            outcomes: Sequence[ResultT | BaseException]
            try:
                outcomes = await self._writer([item for item, _future in batch])
            except Exception as exc:  # the writer failed as a whole: every caller learns why
                error = exc if isinstance(exc, StoreError) else StoreError(f"batch failed: {exc}")
                outcomes = [error] * len(batch)
            self.batches += 1
            for (_item, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # the caller was cancelled; its item may still be stored
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        finally:
            self._slots.release()
