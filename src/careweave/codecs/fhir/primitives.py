"""FHIR R4 primitive values: JSON type, the specification's regex, and what a regex cannot say.

The regexes come from the generated rules (each primitive StructureDefinition's ``value`` element).
On top of them: dates must be real calendar dates (the spec: "Dates SHALL be valid dates", which
``1980-02-31`` is not although it matches the regex), integers fit in 32 bits, and the narrative's
XHTML is a ``<div>`` element.
"""

from __future__ import annotations

import datetime
import re

from careweave.codecs.fhir.rules import PRIMITIVE_JSON

_INT32 = (-(2**31), 2**31 - 1)
_FULL_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATED = frozenset({"date", "dateTime", "instant"})


def _json_kind(type_code: str) -> str:
    kinds = PRIMITIVE_JSON.get(type_code)
    if kinds is None:
        return "a string"
    if kinds == (bool,):
        return "true or false"
    return "a number" if float in kinds else "an integer"


def _number_problem(type_code: str, value: int | float) -> str | None:
    if type_code == "decimal":
        return None
    assert isinstance(value, int)  # guaranteed by the JSON type check
    if not _INT32[0] <= value <= _INT32[1]:
        return f"{value} is outside the 32-bit range of {type_code}"
    if type_code == "positiveInt" and value < 1:
        return f"{value} is not a positiveInt (1 or more)"
    if type_code == "unsignedInt" and value < 0:
        return f"{value} is not an unsignedInt (0 or more)"
    return None


def _calendar_problem(type_code: str, value: str) -> str | None:
    match = _FULL_DATE.match(value)
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        return (
            f"{value!r} is not a valid {type_code}: {year:04d}-{month:02d}-{day:02d} is not a date"
        )
    return None


def primitive_problem(type_code: str, value: object, pattern: re.Pattern[str] | None) -> str | None:
    """Why ``value`` is not a valid FHIR ``type_code`` in JSON, or ``None`` when it is."""
    kinds = PRIMITIVE_JSON.get(type_code, (str,))
    # bool is an int in Python: a JSON true is never an integer or decimal.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        return f"{value!r} is not a valid {type_code}: expected {_json_kind(type_code)}"
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _number_problem(type_code, value)
    assert isinstance(value, str)
    if type_code == "xhtml":
        return (
            None if value.lstrip().startswith("<div") else "narrative XHTML must be a <div> element"
        )
    if pattern is not None and pattern.fullmatch(value) is None:
        if type_code == "dateTime" and "T" in value and pattern.fullmatch(value + "Z"):
            return f"{value!r} is not a valid dateTime: a time needs a time zone (Z or +hh:mm)"
        return f"{value!r} is not a valid {type_code}"
    if type_code in _DATED:
        return _calendar_problem(type_code, value)
    return None
