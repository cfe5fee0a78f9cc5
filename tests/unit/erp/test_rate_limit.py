"""The token bucket shared by the ERP connector and the simulator, on a fake clock."""

import pytest

from careweave.connectors.erp.rate_limit import AsyncRateLimiter, TokenBucket
from careweave.exceptions import ConfigError


def test_try_take_spends_the_burst_then_says_when_the_next_token_is_due():
    bucket = TokenBucket(rate=20, capacity=2, now=0.0)
    assert bucket.try_take(0.0) == 0.0
    assert bucket.try_take(0.0) == 0.0
    assert bucket.try_take(0.0) == pytest.approx(0.05)
    assert bucket.try_take(0.05) == 0.0


def test_refill_never_exceeds_capacity():
    bucket = TokenBucket(rate=10, capacity=3, now=0.0)
    for _ in range(3):
        bucket.try_take(0.0)
    waits = [bucket.try_take(100.0) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0


def test_reserve_spaces_concurrent_callers_one_interval_apart():
    bucket = TokenBucket(rate=20, capacity=1, now=0.0)
    waits = [bucket.reserve(0.0) for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.05, 0.10, 0.15])


def test_pause_until_holds_every_token_back():
    bucket = TokenBucket(rate=20, capacity=5, now=0.0)
    bucket.pause_until(2.0)
    assert bucket.try_take(1.0) == pytest.approx(1.0)
    assert bucket.reserve(1.0) == pytest.approx(1.0)
    assert bucket.reserve(1.0) == pytest.approx(1.05)


def test_bad_settings_are_a_config_error():
    with pytest.raises(ConfigError):
        TokenBucket(rate=0, capacity=1, now=0.0)


async def test_async_limiter_sleeps_for_its_turn_and_backs_off():
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = AsyncRateLimiter(10, 1, clock=lambda: now[0], sleep=sleep)
    await limiter.acquire()
    await limiter.acquire()
    assert slept == [pytest.approx(0.1)]
    limiter.back_off(3.0)
    await limiter.acquire()
    assert slept[-1] == pytest.approx(3.0)
