"""Clocks: time-dependent logic (backoff, breakers, SLA timers) takes one; tests need not sleep."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    """Where the engine reads the time."""

    def now(self) -> dt.datetime:
        """The current UTC time."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current UTC time."""
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        self._mono = 1000.0

    def now(self) -> dt.datetime:
        """The clock's current time."""
        return self._now

    def monotonic(self) -> float:
        """The clock's monotonic reading."""
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self._now += dt.timedelta(seconds=seconds)
        self._mono += seconds
