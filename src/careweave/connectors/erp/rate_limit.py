"""A token bucket: the rate limit both the ERP connector and the ERP simulator enforce.

The bucket holds at most ``capacity`` tokens and refills at ``rate`` tokens per second. The
arithmetic is synchronous and takes the time as an argument, so that the simulator (which answers
429 instead of waiting) and tests (which use a fake clock) share it with the connector's async
:class:`AsyncRateLimiter`, which waits for its turn.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from careweave.exceptions import ConfigError


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` banked; time is passed in by the caller."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        if rate <= 0 or capacity < 1:
            raise ConfigError(
                f"token bucket needs rate > 0 and capacity >= 1, got {rate}/{capacity}"
            )
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._updated = now
        self._paused_until = now

    def _refill(self, now: float) -> None:
        if now <= self._updated:
            return
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def try_take(self, now: float) -> float:
        """Take one token if there is one and return 0.0, else the seconds until one is due."""
        if now < self._paused_until:
            return self._paused_until - now
        self._refill(now)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def reserve(self, now: float) -> float:
        """Take one token now or in the future (the balance may go negative); return the wait.

        Reserving instead of polling keeps concurrent waiters in arrival order and spaces them
        exactly ``1 / rate`` apart.
        """
        start = max(now, self._paused_until)
        self._refill(start)
        self._tokens -= 1.0
        wait = start - now
        if self._tokens < 0:
            wait += -self._tokens / self.rate
        return wait

    def pause_until(self, when: float) -> None:
        """Hand out no token before ``when`` (a server's Retry-After); then one, then the rate.

        Earlier reservations are forgotten: the server's word on when to resume wins.
        """
        if when > self._paused_until:
            self._paused_until = when
            self._tokens = 1.0
            self._updated = when


class AsyncRateLimiter:
    """Waits for a token of a :class:`TokenBucket` before each request."""

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.bucket = TokenBucket(rate, capacity, clock())

    async def acquire(self) -> None:
        """Return when this caller may send its request."""
        wait = self.bucket.reserve(self._clock())
        if wait > 0:
            await self._sleep(wait)

    def back_off(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the server asked for it with Retry-After)."""
        self.bucket.pause_until(self._clock() + seconds)
