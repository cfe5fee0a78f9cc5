"""Accounting periods: which are closed, and where a late posting goes instead.

Closing a period stops postings into it. A journal dated in a closed period is posted on the first
day of the next open period, and the move is kept (journal, original date, new date, reason) for the
close-cycle report and for the reconciliation, which explains the break it causes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable

import msgspec

from careweave.exceptions import ValidationError


class Period(msgspec.Struct, frozen=True, order=True):
    """A calendar month as an accounting period."""

    year: int
    month: int

    @classmethod
    def of(cls, day: dt.date) -> Period:
        """The period ``day`` falls in."""
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Period:
        """A period from ``YYYY-MM``; ValidationError names a malformed one."""
        try:
            year, month = (int(part) for part in text.strip().split("-"))
            dt.date(year, month, 1)
        except ValueError:
            raise ValidationError(f"period {text!r} is not YYYY-MM") from None
        return cls(year, month)

    @property
    def key(self) -> str:
        """``YYYY-MM``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        """The period's first day."""
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        """The period's last day."""
        return self.next().first_day - dt.timedelta(days=1)

    def next(self) -> Period:
        """The following period."""
        return Period(self.year + self.month // 12, self.month % 12 + 1)


class LatePosting(msgspec.Struct, frozen=True, kw_only=True):
    """A journal moved out of a closed period."""

    journal_key: str
    original_date: dt.date
    posting_date: dt.date
    reason: str


class PeriodCalendar:
    """Open and closed periods, and the late postings moved out of closed ones (thread-safe)."""

    def __init__(self, closed: Iterable[Period] = ()) -> None:
        self._lock = threading.Lock()
        self._closed: set[Period] = set(closed)
        self._late: dict[str, LatePosting] = {}

    def is_closed(self, period: Period) -> bool:
        """Whether postings into ``period`` are stopped."""
        with self._lock:
            return period in self._closed

    def close(self, period: Period) -> None:
        """Stop postings into ``period``."""
        with self._lock:
            self._closed.add(period)

    def closed_periods(self) -> list[Period]:
        """Closed periods, oldest first."""
        with self._lock:
            return sorted(self._closed)

    def posting_date(self, day: dt.date, journal_key: str) -> dt.date:
        """The date a journal for ``day`` posts on: ``day``, or the next open period's first day.

        A move is recorded once per journal, so a replay neither moves it twice nor loses the reason.
        """
        with self._lock:
            if (known := self._late.get(journal_key)) is not None:
                return known.posting_date
            period = Period.of(day)
            if period not in self._closed:
                return day
            target = period.next()
            while target in self._closed:
                target = target.next()
            moved = LatePosting(
                journal_key=journal_key,
                original_date=day,
                posting_date=target.first_day,
                reason=f"period {period.key} is closed; posted in {target.key}",
            )
            self._late[journal_key] = moved
            return moved.posting_date

    def late_postings(self) -> list[LatePosting]:
        """Every journal moved out of a closed period."""
        with self._lock:
            return list(self._late.values())
