"""Destination workers: lease due effects, deliver them, record the outcome.

Each destination has its own durable queue (its effects in the store) and, per process, one worker
with a concurrency limit, a rate limit and a circuit breaker. Only the oldest open effect of each
ordering key can be leased, so concurrency never reorders a patient's messages; other keys do not
wait for a key that is stuck in retries. Outcomes are written back in batches.

A claim leases each head together with the due effects queued right behind it on its key (a
chain, up to ``WorkerPolicy.chain``), and one task in one concurrency slot sends them in id order,
each once the one before succeeded: a busy key moves at the speed of its destination instead of one
effect per claim, delivery and commit. The first failure is recorded as usual and the rest of the
chain released (no attempt counted), to wait behind it as if never claimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import socket
import time
import uuid

import structlog

from careweave.connectors.base import BaseDestination, Receipt
from careweave.connectors.policy import WorkerPolicy
from careweave.engine.breaker import BreakerState, CircuitBreaker
from careweave.engine.clock import Clock, SystemClock
from careweave.engine.middleware import Middleware
from careweave.engine.ratelimit import TokenBucket
from careweave.engine.store.base import BaseStore
from careweave.exceptions import CareweaveError, DeliveryError, TransientDeliveryError
from careweave.model.records import AttemptOutcome, DeliveryAttempt, Effect, EffectOutcome
from careweave.observability import tracing
from careweave.observability.logging import TraceIdScope
from careweave.observability.metrics import Metrics
from careweave.observability.redaction import redact_secrets

log = structlog.get_logger("careweave.worker")


def worker_id(destination: str) -> str:
    """A worker name unique across hosts and processes."""
    return f"{socket.gethostname()}:{os.getpid()}:{destination}:{uuid.uuid4().hex[:8]}"


def by_key(effects: list[Effect]) -> list[list[Effect]]:
    """A claim's effects as chains: one per ordering key, in id order; an unkeyed effect alone."""
    chains: list[list[Effect]] = []
    of_key: dict[str, list[Effect]] = {}
    for effect in sorted(effects, key=lambda e: e.id):
        if effect.ordering_key is None:
            chains.append([effect])
        elif (chain := of_key.get(effect.ordering_key)) is not None:
            chain.append(effect)
        else:
            chains.append(of_key.setdefault(effect.ordering_key, [effect]))
    return chains


class DestinationWorker:
    """Delivers one destination's effects."""

    def __init__(
        self,
        store: BaseStore,
        destination: str,
        connector: BaseDestination,
        policy: WorkerPolicy | None = None,
        *,
        middleware: list[Middleware] | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics if metrics is not None else Metrics()
        self.destination = destination
        self.connector = connector
        self.policy = policy or WorkerPolicy()
        self.middleware = middleware or []
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self.breaker = CircuitBreaker(destination, self.policy.circuit_breaker, self._clock)
        self._limiter = TokenBucket(self.policy.rate_limit) if self.policy.rate_limit > 0 else None
        self.name = worker_id(destination)
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(self.policy.concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._outcomes: asyncio.Queue[EffectOutcome] = asyncio.Queue()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self.delivered = 0
        self.dead = 0
        self.retried = 0

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return bool(self._tasks)

    def wake(self) -> None:
        """New effects are waiting: claim now instead of at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        """Start claiming and delivering."""
        await self.connector.open()
        self._tasks = [
            asyncio.create_task(self._claim_loop(), name=f"claim:{self.destination}"),
            asyncio.create_task(self._flush_loop(), name=f"flush:{self.destination}"),
        ]

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming, let deliveries in flight finish (up to ``grace`` s), record outcomes."""
        self._stopping = True
        self._wake.set()
        claim, flush = self._tasks or (None, None)
        if claim is not None:
            await claim
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=grace)
        for task in self._in_flight:
            task.cancel()
        await self._outcomes.join()
        if flush is not None:
            flush.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flush
        await self.connector.close()
        self._tasks = []

    # -- claiming -----------------------------------------------------------------------------

    def _free_slots(self) -> int:
        free = self.policy.concurrency - len(self._in_flight)
        allowed = self.breaker.allow() if free > 0 else 0
        if allowed == 0:
            return 0
        return free if allowed < 0 else min(free, allowed)

    async def _claim_loop(self) -> None:
        idle = self.policy.poll_interval
        while not self._stopping:
            free = self._free_slots()
            if free <= 0:
                self._wake.clear()  # a set event would not suspend: this must really wait
                await self._sleep(max(0.005, min(self.breaker.retry_in() or 0.01, 1.0)))
                continue
            # Cleared before the claim, so that work arriving during it wakes the next sleep.
            self._wake.clear()
            limit = min(free, self.policy.batch_size)
            # A chain starts no delivery after half its lease, so it never outlives its leases.
            deadline = self._clock.monotonic() + self.policy.lease / 2
            try:
                effects = await self.store.claim_effects(
                    self.destination,
                    worker=self.name,
                    limit=limit,
                    lease=self.policy.lease,
                    now=self._clock.now(),
                    chain=self.policy.chain,
                )
            except CareweaveError as exc:
                log.error("claim failed", destination=self.destination, error=str(exc))
                await asyncio.sleep(1.0)
                continue
            if not effects and self.breaker.state is BreakerState.HALF_OPEN:
                self.breaker.record_success()  # nothing to try: don't stay half-open forever
            chains = by_key(effects)
            for chain in chains:
                await self._slots.acquire()
                task = asyncio.create_task(self._deliver_chain(chain, deadline))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
            # Fewer than asked means the queue is drained: wait for new work (an ingest, or a
            # recorded outcome that unblocks an ordering key), then linger so one claim takes a burst.
            drained = len(chains) < limit
            if drained and await self._sleep(idle) and self.policy.claim_linger > 0:
                await asyncio.sleep(self.policy.claim_linger)

    async def _sleep(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a wake-up; True when woken."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
                return True
        return False

    # -- delivering ---------------------------------------------------------------------------

    async def _deliver_chain(self, chain: list[Effect], deadline: float) -> None:
        """Send a chain in id order, each effect once the one before succeeded."""
        try:
            for i, effect in enumerate(chain):
                if i > 0 and not self._may_go_on(deadline):
                    await self._release(chain[i:])
                    return
                outcome = await self._deliver(effect)
                self._outcomes.put_nowait(outcome)
                if outcome.attempt.outcome is not AttemptOutcome.DELIVERED:
                    await self._release(chain[i + 1 :])
                    return
        finally:
            self._slots.release()

    def _may_go_on(self, deadline: float) -> bool:
        """Whether a chain may send its next effect: not stopping, breaker closed, lease young."""
        return (
            not self._stopping
            and self.breaker.state is BreakerState.CLOSED
            and self._clock.monotonic() < deadline
        )

    async def _release(self, rest: list[Effect]) -> None:
        """Give back the leases of a chain's unsent effects; if that fails, the leases expire."""
        if not rest:
            return
        try:
            await self.store.release_effects([e.id for e in rest], self.name)
        except CareweaveError as exc:
            log.error("releasing leases failed", destination=self.destination, error=str(exc))

    async def _deliver(self, effect: Effect) -> EffectOutcome:
        """One delivery attempt, rate-limited, traced and seen by the middleware."""
        if self._limiter is not None:
            await self._limiter.acquire()
        for m in self.middleware:
            m.before_delivery(self.destination, effect)
        with (
            tracing.delivery_span(
                f"deliver {self.destination}",
                effect.trace_id,
                destination=self.destination,
                effect_id=effect.id,
                attempt=effect.attempts,
                content_type=effect.content_type,
            ) as span,
            TraceIdScope(effect.trace_id),
        ):
            outcome = await self._attempt(effect)
            if outcome.attempt.error is not None:
                tracing.mark_error(span, outcome.attempt.error)
            for m in self.middleware:
                m.after_delivery(self.destination, effect, outcome)
        return outcome

    async def _attempt(self, effect: Effect) -> EffectOutcome:
        started = self._clock.now()
        clock = time.perf_counter()
        try:
            receipt = await self.connector.deliver(effect)
        except DeliveryError as exc:
            outcome = self._failed(effect, started, exc)
        except Exception as exc:  # a connector bug must not kill the worker: retry it
            wrapped = TransientDeliveryError(f"{type(exc).__name__}: {exc}")
            outcome = self._failed(effect, started, wrapped)
        else:
            outcome = self._succeeded(effect, started, receipt)
            lag = (outcome.attempt.finished_at - effect.created_at).total_seconds()
            self.metrics.effect_delivered(self.destination, lag)
        kind = outcome.attempt.outcome.value
        self.metrics.delivery_attempted(self.destination, kind, time.perf_counter() - clock)
        return outcome

    def _succeeded(self, effect: Effect, started: dt.datetime, receipt: Receipt) -> EffectOutcome:
        self.breaker.record_success()
        self.delivered += 1
        attempt = DeliveryAttempt(
            effect_id=effect.id,
            attempt=effect.attempts,
            started_at=started,
            finished_at=self._clock.now(),
            outcome=AttemptOutcome.DELIVERED,
            status=receipt.status,
            response=receipt.response,
        )
        return EffectOutcome(attempt=attempt, worker=self.name)

    def _failed(self, effect: Effect, started: dt.datetime, exc: DeliveryError) -> EffectOutcome:
        now = self._clock.now()
        # Stored as last_error and shown by `deadletters list`: a URL's credentials stay out.
        error = redact_secrets(exc.message)
        if exc.retryable:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()  # the system answered: it is up
        give_up = not exc.retryable or self.policy.retry.exhausted(
            effect.attempts, effect.created_at, now
        )
        next_at: dt.datetime | None = None
        if give_up:
            self.dead += 1
            log.warning(
                "dead letter",
                destination=self.destination,
                effect_id=effect.id,
                attempts=effect.attempts,
                error=error,
            )
        else:
            self.retried += 1
            wait = self.policy.retry.delay(effect.attempts, self._rng)
            if exc.retry_after is not None:
                wait = max(wait, exc.retry_after)
            next_at = now + dt.timedelta(seconds=wait)
        attempt = DeliveryAttempt(
            effect_id=effect.id,
            attempt=effect.attempts,
            started_at=started,
            finished_at=now,
            outcome=AttemptOutcome.DEAD if give_up else AttemptOutcome.RETRY,
            status=exc.status,
            response=exc.response,
            error=error,
        )
        return EffectOutcome(attempt=attempt, worker=self.name, next_attempt_at=next_at)

    # -- recording ----------------------------------------------------------------------------

    def _count(self, batch: list[EffectOutcome]) -> None:
        """Counted once recorded, so that the counters agree with the store."""
        for outcome in batch:
            attempt = outcome.attempt
            self.metrics.outcome_recorded(self.destination, attempt.outcome.value)

    async def _flush_loop(self) -> None:
        while True:
            batch = [await self._outcomes.get()]
            while not self._outcomes.empty() and len(batch) < 512:
                batch.append(self._outcomes.get_nowait())
            try:
                await self._record(batch)
            finally:
                for _ in batch:
                    self._outcomes.task_done()

    async def _record(self, batch: list[EffectOutcome]) -> None:
        for delay in (0.1, 0.5, 1.0, 2.0, 5.0):
            try:
                await self.store.complete_effects(batch)
            except CareweaveError as exc:
                log.error("recording outcomes failed", destination=self.destination, error=str(exc))
                await asyncio.sleep(delay)
            else:
                if not self._stopping:
                    self._wake.set()  # recorded outcomes may unblock the next effect of a key
                self._count(batch)
                for outcome in batch:
                    if outcome.attempt.outcome is AttemptOutcome.DEAD:
                        for m in self.middleware:
                            m.after_dead_letter(self.destination, outcome)
                return
        # The lease will expire and the effects be delivered again: idempotency keys make that safe.
        log.error("outcomes not recorded; effects will be re-delivered", count=len(batch))
