"""Provider and drug identifiers: the NPI check digit and NDC normalisation.

An NPI is ten digits whose last digit is a Luhn check digit computed over the card issuer prefix
``80840`` followed by the first nine digits (CMS, "Requirements for NPI check digit"). An NDC is
printed in one of three ten-digit layouts (4-4-2, 5-3-2, 5-4-1) and billed in the eleven-digit 5-4-2
layout, obtained by a leading zero on the short segment.
"""

from __future__ import annotations

import enum
import re

from careweave.exceptions import ValidationError

NPI_ISSUER_PREFIX = "80840"
"""ISO 7812 prefix for US health applications, part of the NPI check digit computation."""

_NPI = re.compile(r"[12]\d{9}")
_NDC_HYPHENATED = re.compile(r"(\d{4,5})-(\d{3,4})-(\d{1,2})")
_NDC_PLAIN_11 = re.compile(r"\d{11}")
_NDC_PLAIN_10 = re.compile(r"\d{10}")
# The 837 LIN segment qualifies an NDC with N4; senders often leave it glued to the number.
_N4_PREFIX = "N4"


class NpiProblem(enum.StrEnum):
    """Why an NPI is not acceptable."""

    FORMAT = "format"
    CHECK_DIGIT = "check_digit"


def luhn_check_digit(payload: str) -> int:
    """The Luhn check digit for a string of digits (the digit that would be appended)."""
    total = 0
    # Double every second digit from the right of the payload, i.e. starting with the last one.
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def npi_problem(npi: str) -> NpiProblem | None:
    """What is wrong with an NPI, or None when it is well-formed with a correct check digit."""
    if not _NPI.fullmatch(npi):
        return NpiProblem.FORMAT
    if luhn_check_digit(NPI_ISSUER_PREFIX + npi[:9]) != int(npi[9]):
        return NpiProblem.CHECK_DIGIT
    return None


def is_valid_npi(npi: str) -> bool:
    """Whether an NPI is ten digits starting with 1 or 2 and carries a correct check digit."""
    return npi_problem(npi) is None


class NdcError(ValidationError):
    """The NDC is not in a recognised format."""

    def __init__(self, message: str, *, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


def normalize_ndc(ndc: str) -> str:
    """The NDC as eleven digits (5-4-2 without hyphens), from any of its printed layouts.

    Accepts 4-4-2, 5-3-2, 5-4-1 and 5-4-2 with hyphens, eleven plain digits, and an ``N4``
    qualifier prefix. Ten plain digits are ambiguous (the short segment is unknown) and rejected.

    Raises:
        NdcError: the value is not an NDC; ``ambiguous`` is set for ten unhyphenated digits.
    """
    value = ndc.strip().replace(" ", "")
    if value.upper().startswith(_N4_PREFIX):
        value = value[len(_N4_PREFIX) :]
    if _NDC_PLAIN_11.fullmatch(value):
        return value
    if _NDC_PLAIN_10.fullmatch(value):
        raise NdcError(
            f"NDC {ndc!r} has ten digits without hyphens: the 4-4-2, 5-3-2 and 5-4-1 layouts "
            "cannot be told apart; send it hyphenated or as eleven digits",
            ambiguous=True,
        )
    match = _NDC_HYPHENATED.fullmatch(value)
    if match is None:
        raise NdcError(f"NDC {ndc!r} is not 11 digits or a hyphenated 4-4-2/5-3-2/5-4-1/5-4-2")
    labeler, product, package = match.groups()
    layout = (len(labeler), len(product), len(package))
    if layout == (5, 4, 2):
        return labeler + product + package
    if layout == (4, 4, 2):
        return "0" + labeler + product + package
    if layout == (5, 3, 2):
        return labeler + "0" + product + package
    if layout == (5, 4, 1):
        return labeler + product + "0" + package
    raise NdcError(f"NDC {ndc!r} has segment lengths {layout}, not 4-4-2/5-3-2/5-4-1/5-4-2")
