"""Retry policy: exponential backoff with jitter, a maximum number of attempts and a maximum age.

Whether a failure is retryable belongs to the error (``CareweaveError.retryable``); the policy only
says how long to wait and when to give up.
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
