"""Accounting periods: which are closed, and where a late posting goes instead.

Closing a period stops postings into it. A journal dated in a closed period is posted on the first
day of the next open period, and the move (journal, original date, new date, reason) is kept with
the journal in the ledger (``careweave.erp.ledger.LedgerBook``) for the close-cycle report and for
the reconciliation, which explains the break it causes. Closed periods are business state
(``StateTable.PERIODS``, one row per closed ``YYYY-MM``), changed only in the commit of the close
request that closed them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from careweave.exceptions import ValidationError
from careweave.model.state import BusinessState, StateTable, load, save


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


class ClosedPeriod(msgspec.Struct, frozen=True, kw_only=True):
    """What closing a period did: who asked, and the accrual journals it posted."""

    period: str
    """``YYYY-MM``."""
    requested_by: str = ""
    journals: list[str] = msgspec.field(default_factory=list)
    """Business keys of the journals the close posted (a replayed close sends them again)."""


class PeriodCalendar:
    """Open and closed periods, kept in business state."""

    def __init__(self, state: BusinessState) -> None:
        self._state = state

    def closed(self, period: Period) -> ClosedPeriod | None:
        """The record of ``period``'s close, or None while it is open."""
        return load(self._state, StateTable.PERIODS, period.key, ClosedPeriod)

    def is_closed(self, period: Period) -> bool:
        """Whether postings into ``period`` are stopped."""
        return self.closed(period) is not None

    def close(
        self, period: Period, *, requested_by: str = "", journals: Iterable[str] = ()
    ) -> ClosedPeriod:
        """Stop postings into ``period``; a second close returns the first one's record."""
        if (known := self.closed(period)) is not None:
            return known
        record = ClosedPeriod(period=period.key, requested_by=requested_by, journals=list(journals))
        save(self._state, StateTable.PERIODS, period.key, record)
        return record

    def posting_date(self, day: dt.date, journal_key: str) -> tuple[dt.date, LatePosting | None]:
        """The date a journal for ``day`` posts on, and the move when ``day``'s period is closed.

        The move goes to the first day of the next open period. The caller records it with the
        journal (:meth:`LedgerBook.record`), so a replay, which finds the journal, keeps the first
        decision even if the calendar changed since.
        """
        period = Period.of(day)
        if not self.is_closed(period):
            return day, None
        target = period.next()
        while self.is_closed(target):
            target = target.next()
        moved = LatePosting(
            journal_key=journal_key,
            original_date=day,
            posting_date=target.first_day,
            reason=f"period {period.key} is closed; posted in {target.key}",
        )
        return moved.posting_date, moved


def closed_periods(rows: Iterable[tuple[str, bytes]]) -> list[ClosedPeriod]:
    """Closed periods from committed ``PERIODS`` rows, oldest first (for reports and tests)."""
    return [msgspec.json.decode(value, type=ClosedPeriod) for _key, value in sorted(rows)]
