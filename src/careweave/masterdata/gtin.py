"""GS1 Global Trade Item Numbers: the check digit that catches a mistyped device identifier."""

from __future__ import annotations

GTIN_LENGTHS = frozenset({8, 12, 13, 14})


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of a GTIN without its last digit.

    Digits are weighted 3, 1, 3, ... from the right, so a GTIN keeps its check digit when padded
    with leading zeros to 14 digits.
    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_problem(gtin: str) -> str | None:
    """Why ``gtin`` is not a valid GTIN-8/12/13/14, or None when it is."""
    if not gtin.isascii() or not gtin.isdigit():
        return f"GTIN {gtin!r} must contain digits only"
    if len(gtin) not in GTIN_LENGTHS:
        return f"GTIN {gtin!r} has {len(gtin)} digits, expected 8, 12, 13 or 14"
    expected = check_digit(gtin[:-1])
    if int(gtin[-1]) != expected:
        return f"GTIN {gtin!r} has check digit {gtin[-1]}, expected {expected}"
    return None


def with_check_digit(body: str) -> str:
    """``body`` followed by its check digit (to build valid GTINs)."""
    return body + str(check_digit(body))
