"""Charge lag: the days from service to capture, and when a charge counts as late.

Revenue integrity watches lag because a charge captured after the claim has dropped needs a
corrected claim, and one captured after the payer's filing limit is lost. The lag is counted in
calendar days between the service date and the capture date; the capture time is the line's own
``captured_at`` when the sender gave one, else the clock's now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import msgspec

from careweave.model.revenue import ChargeLine


class Clock(Protocol):
    """Where revenue rules read the time; the engine's clocks satisfy it, tests pass a fake."""

    def now(self) -> dt.datetime:
        """The current time, time zone aware."""
        ...


@dataclass(frozen=True, slots=True)
class ChargeLagPolicy:
    """When a charge is late."""

    late_after_days: int = 3
    """A charge captured more than this many days after its service date is late."""


class ChargeLag(msgspec.Struct, frozen=True, kw_only=True):
    """The lag of one charge line."""

    service_date: dt.date
    captured_at: dt.datetime
    lag_days: int
    late: bool


def measure_charge_lag(line: ChargeLine, policy: ChargeLagPolicy, clock: Clock) -> ChargeLag:
    """The lag of a charge, from its own capture time or, when it has none, the clock's now.

    A naive ``captured_at`` is the sender's local wall-clock time (careweave's time convention),
    so its date is taken as is; an aware one is read in its own zone.
    """
    captured_at = line.captured_at if line.captured_at is not None else clock.now()
    lag_days = (captured_at.date() - line.service_date).days
    return ChargeLag(
        service_date=line.service_date,
        captured_at=captured_at,
        lag_days=lag_days,
        late=lag_days > policy.late_after_days,
    )
