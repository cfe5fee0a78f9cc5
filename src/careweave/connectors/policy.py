"""How a destination is delivered to: the worker's concurrency and rate, retries, circuit breaker.

Settings (each destination's ``worker`` table), defined beside the connectors so that a connector
can check the policy it will run under (``ConnectorConfig.delivery_warnings``) without importing
the engine, which applies it (:mod:`careweave.engine.worker`, :mod:`careweave.engine.breaker`).

Retries: exponential backoff with jitter, a maximum number of attempts and a maximum age. Whether a
failure is retryable belongs to the error (``CareweaveError.retryable``); the policy only says how
long to wait and when to give up.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Annotated

import msgspec


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How a destination retries a failed delivery."""

    max_attempts: Annotated[int, msgspec.Meta(ge=1)] = 12
    """Attempts before the effect becomes a dead letter (the first attempt counts)."""
    initial_backoff: Annotated[float, msgspec.Meta(ge=0)] = 0.5
    """Seconds before the second attempt."""
    multiplier: Annotated[float, msgspec.Meta(ge=1)] = 2.0
    """Backoff growth per attempt."""
    max_backoff: Annotated[float, msgspec.Meta(ge=0)] = 300.0
    """Upper bound of one wait, in seconds."""
    jitter: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.2
    """Fraction of each wait drawn at random (+/-), so that retries of many effects spread out."""
    max_age: Annotated[float, msgspec.Meta(gt=0)] = 86_400.0
    """Seconds after the effect was created when retrying stops, whatever the attempt count."""

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        base = min(self.max_backoff, self.initial_backoff * self.multiplier ** max(0, attempt - 1))
        if self.jitter <= 0:
            return base
        spread = base * self.jitter
        return max(0.0, base + (rng or random).uniform(-spread, spread))

    def exhausted(self, attempt: int, created_at: dt.datetime, now: dt.datetime) -> bool:
        """True when no further attempt may be made after attempt number ``attempt``."""
        if attempt >= self.max_attempts:
            return True
        return (now - created_at).total_seconds() >= self.max_age


class BreakerPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Circuit breaker settings of a destination."""

    failure_threshold: Annotated[int, msgspec.Meta(ge=1)] = 5
    """Consecutive transient failures that open the circuit."""
    cooldown: Annotated[float, msgspec.Meta(ge=0)] = 1.0
    """Seconds the circuit stays open before a trial delivery."""
    max_cooldown: Annotated[float, msgspec.Meta(ge=0)] = 30.0
    """Longest cooldown after repeated failed trials."""


class WorkerPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one destination's worker runs."""

    concurrency: Annotated[int, msgspec.Meta(ge=1)] = 8
    """Deliveries in flight at once (across ordering keys)."""
    rate_limit: Annotated[float, msgspec.Meta(ge=0)] = 0.0
    """Deliveries per second, 0 for no limit."""
    batch_size: Annotated[int, msgspec.Meta(ge=1)] = 64
    """Most ordering keys (chains) leased per claim."""
    chain: Annotated[int, msgspec.Meta(ge=1)] = 16
    """Most effects of one ordering key leased and delivered back to back in one slot: the head
    and the due effects right behind it, each sent once the one before succeeded (a failure
    releases the rest to wait behind it). 1 delivers one effect per claim."""
    lease: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    """Seconds a lease lasts; a worker that dies lets its effects be reclaimed after this."""
    poll_interval: Annotated[float, msgspec.Meta(gt=0)] = 0.05
    """Seconds between claims when idle (new local work wakes the worker at once)."""
    claim_linger: Annotated[float, msgspec.Meta(ge=0)] = 0.005
    """Seconds a woken worker waits before claiming, so that one claim takes a burst's effects."""
    retry: RetryPolicy = msgspec.field(default_factory=RetryPolicy)
    """Retry policy."""
    circuit_breaker: BreakerPolicy = msgspec.field(default_factory=BreakerPolicy)
    """Circuit breaker policy."""
