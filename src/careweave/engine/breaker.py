"""Circuit breaker: a destination that is down does not burn retries.

Closed: deliveries flow; ``failure_threshold`` consecutive transient failures open it. Open: nothing
is sent until ``cooldown`` has passed; then half-open lets exactly one trial through. A successful
trial closes it; a failed one reopens it with a longer cooldown (doubling up to ``max_cooldown``).
Transitions are logged, so an operator sees them.
"""

from __future__ import annotations

import enum

import structlog

from careweave.connectors.policy import BreakerPolicy
from careweave.engine.clock import Clock, SystemClock

log = structlog.get_logger("careweave.breaker")


class BreakerState(enum.StrEnum):
    """Circuit states."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """The breaker of one destination (per process)."""

    def __init__(self, name: str, policy: BreakerPolicy, clock: Clock | None = None) -> None:
        self.name = name
        self.policy = policy
        self._clock = clock or SystemClock()
        self.state = BreakerState.CLOSED
        self._failures = 0
        self._cooldown = policy.cooldown
        self._opened_at = 0.0
        self._trial_running = False
        self.transitions: list[tuple[BreakerState, BreakerState]] = []

    def _move(self, new: BreakerState) -> None:
        old, self.state = self.state, new
        self.transitions.append((old, new))
        log.warning(
            "circuit breaker %s",
            new.value,
            destination=self.name,
            previous=old.value,
            cooldown_s=round(self._cooldown, 3),
        )

    def retry_in(self) -> float:
        """Seconds until a trial may run (0 when deliveries may flow now)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self._cooldown - self._clock.monotonic())

    def allow(self) -> int:
        """How many deliveries may start now: unlimited (-1), one trial (1) or none (0)."""
        if self.state is BreakerState.CLOSED:
            return -1
        if self.state is BreakerState.OPEN and self.retry_in() == 0.0:
            self._move(BreakerState.HALF_OPEN)
        if self.state is BreakerState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return 1
        return 0

    def record_success(self) -> None:
        """A delivery succeeded (or was refused for its content, which proves the system is up)."""
        self._failures = 0
        self._trial_running = False
        if self.state is not BreakerState.CLOSED:
            self._cooldown = self.policy.cooldown
            self._move(BreakerState.CLOSED)

    def record_failure(self) -> None:
        """A delivery failed transiently."""
        self._failures += 1
        if self.state is BreakerState.HALF_OPEN:
            self._trial_running = False
            self._cooldown = min(self.policy.max_cooldown, self._cooldown * 2)
            self._opened_at = self._clock.monotonic()
            self._move(BreakerState.OPEN)
        elif self.state is BreakerState.CLOSED and self._failures >= self.policy.failure_threshold:
            self._opened_at = self._clock.monotonic()
            self._move(BreakerState.OPEN)
