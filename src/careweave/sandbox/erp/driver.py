"""A load driver: push journals through an :class:`ErpConnector` until each is settled.

It stands in for the engine's retrying workers in tests and benchmarks: transient failures are
retried with the same journals (hence the same Idempotency-Keys), after the server's
Retry-After when it gave one; permanent failures are recorded, never retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

import msgspec

from careweave.connectors.erp import ErpConnector, JournalRequest, PostOutcome
from careweave.exceptions import PermanentDeliveryError, TransientDeliveryError


class DriveReport(msgspec.Struct):
    """What a drive achieved."""

    outcomes: dict[str, PostOutcome] = msgspec.field(default_factory=dict)
    failures: dict[str, str] = msgspec.field(default_factory=dict)
    """Business key -> reason, for journals that could not be settled."""
    transient_errors: int = 0
    elapsed: float = 0.0


async def drive_journals(
    connector: ErpConnector,
    journals: Sequence[JournalRequest],
    *,
    bulk: bool = True,
    concurrency: int = 4,
    max_attempts: int = 50,
    backoff: float = 0.05,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> DriveReport:
    """Post every journal (in bulk batches or one by one), retrying transient failures."""
    size = connector.config.batch_size if bulk else 1
    queue: asyncio.Queue[Sequence[JournalRequest]] = asyncio.Queue()
    for start in range(0, len(journals), size):
        queue.put_nowait(journals[start : start + size])
    report = DriveReport()
    started = clock()

    async def attempt(batch: Sequence[JournalRequest]) -> list[PostOutcome]:
        if bulk:
            return await connector.post_journals(batch)
        return [await connector.post_journal(batch[0])]

    async def worker() -> None:
        while not queue.empty():
            batch = queue.get_nowait()
            for tries in range(1, max_attempts + 1):
                try:
                    outcomes = await attempt(batch)
                except TransientDeliveryError as exc:
                    report.transient_errors += 1
                    if tries == max_attempts:
                        for journal in batch:
                            report.failures[journal.business_key] = exc.message
                        break
                    await sleep(exc.retry_after if exc.retry_after is not None else backoff)
                except PermanentDeliveryError as exc:
                    for journal in batch:
                        report.failures[journal.business_key] = exc.message
                    break
                else:
                    for outcome in outcomes:
                        report.outcomes[outcome.business_key] = outcome
                    break

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    report.elapsed = clock() - started
    return report
