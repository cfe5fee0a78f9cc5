"""Token-bucket rate limiting of deliveries to one destination (per process)."""

from __future__ import annotations

import asyncio

from careweave.engine.clock import Clock, SystemClock


class TokenBucket:
    """Allows ``rate`` acquisitions per second on average, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: float | None = None, clock: Clock | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._clock = clock or SystemClock()
        self._tokens = self.burst
        self._stamp = self._clock.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def try_acquire(self) -> float:
        """Take a token if one is there and return 0, else return the seconds to wait for one."""
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate

    async def acquire(self) -> None:
        """Wait for a token."""
        if self.rate <= 0:
            return
        async with self._lock:
            wait = self.try_acquire()
            while wait > 0:
                await asyncio.sleep(wait)
                wait = self.try_acquire()
