"""Phone numbers, postcodes, SSNs and street addresses reduced to what identifies a person.

Phones keep their last ten digits (``(920) 555-0142``, ``+1 920 555 0142`` and ``9205550142``
agree); postcodes their first five digits; SSNs their digits, of which the last four are compared
(many registrations record only those, or mask the rest). Addresses fold case and punctuation and
use the USPS abbreviations, so ``1204 North Maple Street, Apt. 3`` and ``1204 N MAPLE ST APT 3``
agree. Well-known placeholder values (``999-99-9999``, ``000-000-0000``) count as missing.
"""

from __future__ import annotations

from careweave.masterdata.identity.names import fold

_SUFFIXES = {
    "STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE", "ROAD": "RD", "DRIVE": "DR",
    "LANE": "LN", "COURT": "CT", "BOULEVARD": "BLVD", "PLACE": "PL", "TERRACE": "TER",
    "CIRCLE": "CIR", "PARKWAY": "PKWY", "HIGHWAY": "HWY", "SQUARE": "SQ", "TRAIL": "TRL",
    "WAY": "WAY", "CROSSING": "XING", "POINT": "PT", "MOUNT": "MT", "HEIGHTS": "HTS",
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE", "NORTHWEST": "NW",
    "SOUTHEAST": "SE", "SOUTHWEST": "SW", "APARTMENT": "APT", "UNIT": "APT", "SUITE": "APT",
    "STE": "APT", "NO": "APT", "NUMBER": "APT",
}  # fmt: skip
_PLACEHOLDER_SSNS = frozenset({"123456789", "987654321", "078051120"})
"""Placeholder and famously misused SSNs (078-05-1120 was printed on a wallet insert)."""


def phone_digits(text: str) -> str:
    """The last ten digits of a phone number; ``""`` when fewer than seven or a placeholder."""
    digits = "".join(c for c in text if c.isdigit())[-10:]
    if len(digits) < 7 or len(set(digits)) == 1 or digits in ("1234567890", "0123456789"):
        return ""
    return digits


def postcode5(text: str) -> str:
    """The five-digit ZIP code (``54901-1234`` is ``54901``); ``""`` when there is none."""
    digits = "".join(c for c in text if c.isdigit())
    return digits[:5] if len(digits) >= 5 and digits[:5] != "00000" else ""


def ssn_digits(text: str) -> str:
    """An SSN's digits: nine for a full number, four when only the last four were recorded.

    Masked forms (``***-**-1234``, ``XXX-XX-1234``) keep their last four. Invalid and placeholder
    numbers (area 000, 666 or 9xx; group 00; serial 0000; one repeated digit) are ``""``.
    """
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) == 9:
        area, group, serial = digits[:3], digits[3:5], digits[5:]
        if (
            area in ("000", "666")
            or area[0] == "9"
            or group == "00"
            or serial == "0000"
            or len(set(digits)) == 1
            or digits in _PLACEHOLDER_SSNS
        ):
            return ""
        return digits
    if len(digits) == 4 and digits != "0000" and len(set(digits)) > 1:
        return digits
    return ""


def street_line(text: str) -> str:
    """The address folded, with USPS abbreviations for suffixes, directions and unit words."""
    words = fold(text.replace("#", " APT ")).split()
    return " ".join(_SUFFIXES.get(word, word) for word in words)


def house_number(line: str) -> str:
    """The leading house number of a folded street line, ``""`` when it has none."""
    first = line.split(" ", 1)[0] if line else ""
    return first if first[:1].isdigit() else ""
