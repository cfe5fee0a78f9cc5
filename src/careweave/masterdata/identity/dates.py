"""Birth dates: both file formats, and the partial agreements clerks' mistakes leave.

A date is kept as its eight digits ``YYYYMMDD``, which is what the comparison looks at: a day and
month entered the wrong way round (1984-03-07 for 1984-07-03), two adjacent digits swapped
(1948 for 1984) or one digit mistyped are partial agreements, not disagreements.
"""

from __future__ import annotations

import datetime as dt
import enum

_PLACEHOLDER_DATES = frozenset({"19000101", "18000101", "19010101", "99991231"})
"""Default dates registration systems put where the birth date was not known."""


class DateAgreement(enum.IntEnum):
    """How two birth dates agree, best first."""

    EXACT = 0
    TRANSPOSED = 1
    """Day and month swapped, or two adjacent digits swapped."""
    ONE_DIGIT = 2
    """One digit differs."""
    DIFFERENT = 3


def parse_birth_date(text: str) -> str:
    """``YYYY-MM-DD`` or ``YYYYMMDD`` as eight digits; ``""`` for empty or placeholder values.

    Raises ``ValueError`` (naming the value) for anything else, including impossible calendar
    dates such as 1984-02-30.
    """
    value = text.strip()
    if not value:
        return ""
    digits = value.replace("-", "") if len(value) == 10 and value[4] == value[7] == "-" else value
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(f"birth date {text!r} is not YYYY-MM-DD or YYYYMMDD")
    try:
        dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise ValueError(f"birth date {text!r} is not a calendar date") from None
    return "" if digits in _PLACEHOLDER_DATES else digits


def compare_dates(a: str, b: str) -> DateAgreement:
    """How two eight-digit dates agree (neither may be empty)."""
    if a == b:
        return DateAgreement.EXACT
    if a[:4] == b[:4] and a[4:6] == b[6:] and a[6:] == b[4:6]:
        return DateAgreement.TRANSPOSED
    differing = [i for i in range(8) if a[i] != b[i]]
    if len(differing) == 1:
        return DateAgreement.ONE_DIGIT
    if (
        len(differing) == 2
        and differing[1] == differing[0] + 1
        and a[differing[0]] == b[differing[1]]
        and a[differing[1]] == b[differing[0]]
    ):
        return DateAgreement.TRANSPOSED
    return DateAgreement.DIFFERENT
