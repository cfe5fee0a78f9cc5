"""Check digits for the identifiers the simulator invents: NPIs and GTINs.

An NPI is ten digits whose last digit is a Luhn check digit computed over the nine leading digits
prefixed with the ISO card-issuer prefix ``80840`` (CMS, "NPI check digit" standard). A GTIN-8/12/13/14
ends with the GS1 mod-10 check digit (weights 3 and 1 alternating from the rightmost data digit).
"""

from __future__ import annotations

import random

_NPI_PREFIX = "80840"


def _luhn_check_digit(payload: str) -> int:
    """The Luhn digit that makes ``payload + digit`` pass the Luhn test."""
    total = 0
    # Double every second digit counting from the right of the payload (the check digit's neighbour).
    for i, char in enumerate(reversed(payload)):
        digit = int(char)
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def npi_check_digit(first_nine: str) -> str:
    """The check digit of an NPI whose first nine digits are ``first_nine``."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError(f"an NPI needs nine leading digits, got {first_nine!r}")
    return str(_luhn_check_digit(_NPI_PREFIX + first_nine))


def is_valid_npi(npi: str) -> bool:
    """True when ``npi`` is ten digits with a correct Luhn (80840) check digit."""
    if len(npi) != 10 or not npi.isdigit() or npi[0] not in "12":
        return False
    return npi_check_digit(npi[:9]) == npi[9]


def make_npi(rng: random.Random, *, organization: bool = False) -> str:
    """A random valid NPI: type 1 (individual) starts with 1, type 2 (organization) with 2."""
    first = "2" if organization else "1"
    body = first + "".join(str(rng.randrange(10)) for _ in range(8))
    return body + npi_check_digit(body)


def gtin_check_digit(data: str) -> str:
    """The GS1 mod-10 check digit for the data digits of a GTIN (all but the last digit)."""
    if not data.isdigit() or len(data) not in (7, 11, 12, 13):
        raise ValueError(f"GTIN data must be 7, 11, 12 or 13 digits, got {data!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return str((10 - total % 10) % 10)


def is_valid_gtin(gtin: str) -> bool:
    """True when ``gtin`` is a GTIN-8/12/13/14 with a correct check digit."""
    if not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14):
        return False
    return gtin_check_digit(gtin[:-1]) == gtin[-1]


def make_gtin14(company_prefix: str, item_reference: int, *, indicator: str = "0") -> str:
    """A GTIN-14 from an indicator digit, a GS1 company prefix and an item reference number."""
    width = 12 - len(company_prefix)
    if width < 1:
        raise ValueError(f"company prefix {company_prefix!r} leaves no room for an item reference")
    data = f"{indicator}{company_prefix}{item_reference % 10**width:0{width}d}"
    return data + gtin_check_digit(data)
