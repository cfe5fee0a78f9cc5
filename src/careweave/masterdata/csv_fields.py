"""Parsers for the cells of ERP flat files; each raises ValueError with a reason a person can act on."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from careweave.masterdata.gtin import gtin_problem

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_UOM = re.compile(r"[A-Za-z]{2,3}")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/]*")
_MAX_COST_PLACES = 4


def parse_text(value: str) -> str:
    """Any non-empty text, trimmed."""
    text = value.strip()
    if not text:
        raise ValueError("is empty")
    return text


def parse_code(value: str) -> str:
    """An identifier: letters, digits and ``._/``, no spaces or dashes (dashes join GL segments)."""
    text = value.strip()
    if not _CODE.fullmatch(text):
        raise ValueError(f"{text!r} is not a code (letters, digits, '.', '_', '/')")
    return text


def parse_item_number(value: str) -> str:
    """An item number: printable, without spaces."""
    text = value.strip()
    if not text or any(c.isspace() for c in text) or not text.isprintable():
        raise ValueError(f"{text!r} is not an item number (printable, no spaces)")
    return text


def parse_cost(value: str) -> Decimal:
    """A non-negative amount with at most 4 decimals; ``$`` and thousands commas are tolerated."""
    text = value.strip().removeprefix("$").replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value.strip()!r} is not a decimal amount") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{value.strip()!r} must be a non-negative amount")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > _MAX_COST_PLACES:
        raise ValueError(f"{value.strip()!r} has more than {_MAX_COST_PLACES} decimals")
    return amount


def parse_bool(value: str) -> bool:
    """``true``/``false`` and their usual spellings (yes/no, y/n, 1/0)."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value.strip()!r} is not true/false (or yes/no, Y/N, 1/0)")


def parse_date(value: str) -> dt.date:
    """An ISO date (``2026-01-31``) or a US one (``01/31/2026``)."""
    text = value.strip()
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")


def parse_uom(value: str) -> str:
    """A unit-of-measure code of 2-3 letters (EA, BX, CS), upper-cased."""
    text = value.strip()
    if not _UOM.fullmatch(text):
        raise ValueError(f"{text!r} is not a unit of measure (2-3 letters such as EA, BX)")
    return text.upper()


def parse_gtin(value: str) -> str:
    """A GTIN-8/12/13/14 whose check digit is right."""
    text = value.strip()
    problem = gtin_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text
