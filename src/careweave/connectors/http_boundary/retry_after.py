"""The ``Retry-After`` header (RFC 9110 §10.2.3) as the seconds to wait, or None.

The result becomes :attr:`~careweave.exceptions.DeliveryError.retry_after`; the worker waits at least
that long before the next attempt (``max(backoff, retry_after)``). A server's answer is clamped to
:data:`MAX_RETRY_AFTER` so that one bad header cannot park an effect (or, for the ERP, a whole
client) for days.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

MAX_RETRY_AFTER = 3600.0
"""Longest wait a Retry-After can ask for, in seconds; a longer one is cut to this."""

_DELAY_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def parse_retry_after(
    value: str | None, *, now: dt.datetime | None = None, maximum: float = MAX_RETRY_AFTER
) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP-date.

    None when the header is absent, empty, negative or unreadable; a date in the past is 0.0;
    anything above ``maximum`` is ``maximum``. ``now`` (aware, UTC) defaults to the system time.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _DELAY_SECONDS.fullmatch(text):
        # A fraction is outside the grammar but harmless; a sign or an exponent is not accepted.
        return min(float(text), maximum)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)  # "-0000" dates: HTTP-dates are always GMT
    current = now or dt.datetime.now(dt.UTC)
    return min(max(0.0, (when - current).total_seconds()), maximum)
