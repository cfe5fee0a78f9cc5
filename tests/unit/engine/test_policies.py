"""Retry policy, circuit breaker and token bucket, on a clock that only moves when told to."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from careweave.connectors.policy import BreakerPolicy, RetryPolicy
from careweave.engine.breaker import BreakerState, CircuitBreaker
from careweave.engine.clock import ManualClock
from careweave.engine.ratelimit import TokenBucket


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(initial_backoff=1.0, multiplier=2.0, max_backoff=10.0, jitter=0.0)
    assert [policy.delay(a) for a in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_jitter_stays_within_its_band_and_spreads() -> None:
    policy = RetryPolicy(initial_backoff=4.0, jitter=0.25)
    rng = random.Random(1)
    delays = [policy.delay(1, rng) for _ in range(200)]
    assert all(3.0 <= d <= 5.0 for d in delays)
    assert len({round(d, 3) for d in delays}) > 50


def test_exhaustion_by_attempts_and_by_age() -> None:
    policy = RetryPolicy(max_attempts=3, max_age=60)
    created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert not policy.exhausted(2, created, created + dt.timedelta(seconds=10))
    assert policy.exhausted(3, created, created + dt.timedelta(seconds=10))
    assert policy.exhausted(1, created, created + dt.timedelta(seconds=61))


def _state(breaker: CircuitBreaker) -> BreakerState:
    """Read the state afresh (mypy would otherwise keep an earlier narrowing)."""
    return breaker.state


def test_breaker_opens_after_threshold_then_lets_one_trial_through() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker("rcm", BreakerPolicy(failure_threshold=3, cooldown=2.0), clock)
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED and breaker.allow() == -1
    breaker.record_failure()
    assert _state(breaker) is BreakerState.OPEN
    assert breaker.allow() == 0 and breaker.retry_in() == pytest.approx(2.0)
    clock.advance(2.0)
    assert breaker.allow() == 1  # the trial
    assert _state(breaker) is BreakerState.HALF_OPEN
    assert breaker.allow() == 0  # only one trial at a time
    breaker.record_success()
    assert _state(breaker) is BreakerState.CLOSED and breaker.allow() == -1


def test_failed_trial_reopens_with_a_longer_cooldown_up_to_the_cap() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(
        "erp", BreakerPolicy(failure_threshold=1, cooldown=1.0, max_cooldown=3.0), clock
    )
    breaker.record_failure()
    waits = []
    for _ in range(4):
        waits.append(breaker.retry_in())
        clock.advance(breaker.retry_in())
        assert breaker.allow() == 1
        breaker.record_failure()
    assert waits == [1.0, 2.0, 3.0, 3.0]
    assert [new for _old, new in breaker.transitions].count(BreakerState.OPEN) == 5


def test_token_bucket_allows_bursts_then_paces() -> None:
    clock = ManualClock()
    bucket = TokenBucket(rate=10.0, burst=3.0, clock=clock)
    assert [bucket.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.try_acquire()
    assert wait == pytest.approx(0.1)
    clock.advance(0.1)
    assert bucket.try_acquire() == 0.0
