"""Deterministic fault injection: 503 bursts and slow answers."""

from __future__ import annotations

import random
import threading

import msgspec

from careweave.sandbox.erp.config import FaultConfig


class FaultDecision(msgspec.Struct, frozen=True):
    """The fate of one request."""

    unavailable: bool = False
    delay: float = 0.0


class FaultInjector:
    """Draws each request's fate from a seeded generator, in arrival order."""

    def __init__(self, config: FaultConfig) -> None:
        self._config = config
        self._random = random.Random(config.seed)
        self._burst_left = 0
        self._lock = threading.Lock()
        self.unavailable_answers = 0
        self.slow_answers = 0

    def decide(self) -> FaultDecision:
        """The fate of the next request."""
        cfg = self._config
        with self._lock:
            # Two draws per request whatever happens, so one fault never shifts the others.
            burst_draw = self._random.random()
            slow_draw = self._random.random()
            if self._burst_left == 0 and burst_draw < cfg.burst_probability:
                self._burst_left = cfg.burst_length
            if self._burst_left > 0:
                self._burst_left -= 1
                self.unavailable_answers += 1
                return FaultDecision(unavailable=True)
            if slow_draw < cfg.slow_probability:
                self.slow_answers += 1
                return FaultDecision(delay=cfg.slow_seconds)
        return FaultDecision()
