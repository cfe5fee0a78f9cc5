"""HL7 v2 DT/DTM values as FHIR date, dateTime and instant.

FHIR requires an offset whenever a time is given. A sender-local time (no offset) keeps only its
date unless the caller names the zone it was sent in: careweave never invents an offset.
"""

from __future__ import annotations

import datetime as dt
import re

from careweave.mappings.v2_fhir.bundle import BundleWriter

_DTM = re.compile(
    r"(\d{4})(\d{2})?(\d{2})?(?:(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,4}))?)?(?:([+-])(\d{2})(\d{2})|Z)?"
)


class _Moment:
    __slots__ = ("day", "moment", "month", "year")

    def __init__(self, year: int, month: int | None, day: int | None, moment: dt.datetime | None):
        self.year, self.month, self.day, self.moment = year, month, day, moment

    def date(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


def _read(value: str, w: BundleWriter, where: str) -> _Moment | None:
    m = _DTM.fullmatch(value.strip())
    if m is None:
        w.warn(where, f"{value!r} is not an HL7 date/time; left out")
        return None
    year, month, day, hour, minute, second, frac, sign, tzh, tzm = m.groups()
    try:
        # Checks the calendar (month 13, 30 February) even for a date-only value.
        dt.date(int(year), int(month or 1), int(day or 1))
        moment = None
        if hour is not None:
            zone: dt.tzinfo | None = None
            if sign:
                offset = dt.timedelta(hours=int(tzh), minutes=int(tzm))
                zone = dt.timezone(-offset if sign == "-" else offset)
            elif value.strip().endswith("Z"):
                zone = dt.UTC
            elif w.timezone is not None:
                zone = w.timezone
            if zone is not None:
                moment = dt.datetime(
                    int(year),
                    int(month or 1),
                    int(day or 1),
                    int(hour),
                    int(minute or 0),
                    int(second or 0),
                    int((frac or "0").ljust(6, "0")[:6]),
                    tzinfo=zone,
                )
    except ValueError as exc:
        w.warn(where, f"{value!r} is not a valid date/time ({exc}); left out")
        return None
    return _Moment(int(year), int(month) if month else None, int(day) if day else None, moment)


def readable(value: str) -> bool:
    """True when ``value`` is a well-formed HL7 date/time on the calendar."""
    m = _DTM.fullmatch(value.strip())
    if m is None:
        return False
    year, month, day, hour, minute, second = m.groups()[:6]
    try:
        # Only the calendar is checked here; the zone is irrelevant.
        dt.datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            tzinfo=dt.UTC,
        )
    except ValueError:
        return False
    return second is None or int(second) < 60


def fhir_date(value: str | None, w: BundleWriter, where: str) -> str | None:
    """A FHIR ``date`` (``1980``, ``1980-04``, ``1980-04-12``) from a DT/DTM; its time is dropped."""
    if not value:
        return None
    read = _read(value, w, where)
    return read.date() if read else None


def fhir_datetime(value: str | None, w: BundleWriter, where: str) -> str | None:
    """A FHIR ``dateTime``: with its time when the offset is known, else the date alone."""
    if not value:
        return None
    read = _read(value, w, where)
    if read is None:
        return None
    if read.moment is not None:
        return read.moment.isoformat()
    return read.date()


def fhir_instant(value: str | None, w: BundleWriter, where: str) -> str | None:
    """A FHIR ``instant`` (a time with its offset), or None when the value has no known offset."""
    if not value:
        return None
    read = _read(value, w, where)
    return read.moment.isoformat() if read and read.moment else None
