"""Check one segment's elements against its guide spec: the IK4 half of a 999.

Per element: usage (required missing 1, "not used" present 10), length (4 too short, 5 too
long), data type (6 invalid character, 8 invalid date, 9 invalid time), code set (7), the guide's
regex (7); per segment: too many elements (3), too many components (13), syntax notes
(P/R/C/L: 2 conditional required missing; E: 10 exclusion violated). Components are split with
the interchange's own component separator, so a composite written with another separator fails
its first component's length or code checks, as it should.

External code lists are checked when the rules enumerate them (pyx12's ``codes.xml``: states,
countries, currencies, place of service, entity ids, claim status, remark codes, service types);
a list the rules do not carry is not checked.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import msgspec

from careweave.codecs.x12.guide_rules import ElementSpec, SegmentSpec
from careweave.codecs.x12.tokenizer import Delimiters, Segment

_NUMBER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]*(\.[0-9]+)?")
_DIGITS = re.compile(r"[0-9]+")
# The 5010 extended character set (pyx12's E5 set): letters of both cases, digits, punctuation.
_BAD_TEXT = re.compile(r"""[^A-Z0-9!"&'()*+,\-./:;?= a-z%~@\[\]_{}\\|<>^`#$]""")
_CONTROL = re.compile(r"[\x00-\x1f]")
_regex_cache: dict[str, re.Pattern[str]] = {}


class ElementError(msgspec.Struct, frozen=True):
    """One element problem: its ref (``CLM05-01``; empty for a segment-level one), code, message."""

    element: str
    code: str
    message: str


def _valid_date(value: str) -> bool:
    if len(value) not in (6, 8) or not value.isdigit():
        return False
    if len(value) == 6:
        value = ("20" if int(value[:2]) < 50 else "19") + value
    try:
        day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return False
    return day.year >= 1800


def _valid_time(value: str) -> bool:
    if len(value) not in (4, 6, 7, 8) or not value.isdigit():
        return False
    return value[:2] <= "23" and value[2:4] <= "59" and (len(value) == 4 or value[4:6] <= "59")


def _type_error(spec: ElementSpec, value: str) -> ElementError | None:
    kind = spec.type
    if kind.startswith("N"):
        if _NUMBER.fullmatch(value) is None:
            return ElementError(spec.ref, "6", f"{spec.ref} {value!r} is not a whole number")
    elif kind == "R":
        if _DECIMAL.fullmatch(value) is None or value in ("", "-"):
            return ElementError(spec.ref, "6", f"{spec.ref} {value!r} is not a decimal number")
    elif kind == "DT":
        if not _valid_date(value):
            return ElementError(spec.ref, "8", f"{spec.ref} {value!r} is not a date (CCYYMMDD)")
    elif kind == "TM":
        if not _valid_time(value):
            return ElementError(spec.ref, "9", f"{spec.ref} {value!r} is not a time (HHMM[SS])")
    elif kind in ("AN", "ID"):
        bad = _BAD_TEXT.search(value)
        if bad is not None:
            return ElementError(
                spec.ref, "6", f"{spec.ref} has a character outside the X12 set: {bad.group()!r}"
            )
    return None


def _formatted(spec: ElementSpec, value: str, qualifier: str) -> ElementError | None:
    """A date/time period (data element 1251) in the format its 1250 qualifier names."""
    if qualifier == "D8":
        ok = len(value) == 8 and _valid_date(value)
    elif qualifier == "RD8":
        start, _, end = value.partition("-")
        ok = len(start) == 8 and len(end) == 8 and _valid_date(start) and _valid_date(end)
    elif qualifier == "DT":
        ok = len(value) == 12 and _valid_date(value[:8]) and _valid_time(value[8:])
    elif qualifier == "TM":
        ok = _valid_time(value)
    else:
        return None
    if ok:
        return None
    code = "9" if qualifier == "TM" else "8"
    return ElementError(spec.ref, code, f"{spec.ref} {value!r} is not a valid {qualifier} value")


def _us_zip9(spec: ElementSpec, value: str) -> list[ElementError]:
    """A US address where the guide wants the full nine-digit ZIP code."""
    if len(value) == 9 and value.isdigit():
        return []
    return [ElementError(spec.ref, "7", f"{spec.ref} {value!r}: the guide requires a 9-digit ZIP")]


def _length(spec: ElementSpec, value: str) -> ElementError | None:
    # Signs and decimal points do not count toward a numeric element's length.
    numeric = spec.type == "R" or spec.type.startswith("N")
    size = len(value.replace("-", "").replace(".", "")) if numeric else len(value)
    if size < spec.min:
        return ElementError(
            spec.ref, "4", f"{spec.ref} {value!r} is too short ({size} < {spec.min})"
        )
    if spec.max and size > spec.max:
        return ElementError(
            spec.ref, "5", f"{spec.ref} {value!r} is too long ({size} > {spec.max})"
        )
    return None


def check_value(
    spec: ElementSpec, value: str, external: dict[str, frozenset[str]]
) -> list[ElementError]:
    """The problems of one simple element's *value* (present or empty)."""
    if value == "":
        if spec.usage == "R":
            return [ElementError(spec.ref, "1", f"required {spec.ref} ({spec.name}) is missing")]
        return []
    if spec.usage == "N":
        return [ElementError(spec.ref, "10", f"{spec.ref} ({spec.name}) is not used here")]
    if _CONTROL.search(value):
        return [ElementError(spec.ref, "6", f"{spec.ref} holds a control character")]
    errors: list[ElementError] = []
    length = _length(spec, value)
    if length is not None:
        errors.append(length)
    if spec.codes or spec.external:
        listed = value in spec.codes
        if not listed and spec.external:
            known = external.get(spec.external)
            listed = known is None or value in known
        if not listed:
            errors.append(
                ElementError(spec.ref, "7", f"{spec.ref} {value!r} is not a valid {spec.name} code")
            )
    typed = _type_error(spec, value)
    if typed is not None:
        errors.append(typed)
    if spec.regex:
        pattern = _regex_cache.setdefault(spec.regex, re.compile(spec.regex))
        if pattern.search(value) is None:
            errors.append(
                ElementError(spec.ref, "7", f"{spec.ref} {value!r} does not match {spec.regex}")
            )
    return errors


def _check_composite(
    spec: ElementSpec, raw: str, delimiters: Delimiters, external: dict[str, frozenset[str]]
) -> list[ElementError]:
    components = spec.components or []
    parts = raw.split(delimiters.component) if raw else []
    if not any(parts):
        if spec.usage == "R":
            return [ElementError(spec.ref, "1", f"required {spec.ref} ({spec.name}) is missing")]
        return []
    if spec.usage == "N":
        return [ElementError(spec.ref, "10", f"{spec.ref} ({spec.name}) is not used here")]
    errors: list[ElementError] = []
    highest = spec.width
    if len(parts) > highest:
        errors.append(
            ElementError(spec.ref, "13", f"{spec.ref} has {len(parts)} components, max {highest}")
        )
    for component in components:
        value = parts[component.seq - 1] if component.seq <= len(parts) else ""
        errors.extend(check_value(component, value, external))
    return errors


@cache
def _note(note: str) -> tuple[str, tuple[int, ...]]:
    """``P0304`` -> ("P", (3, 4))."""
    digits = note[1:]
    return note[0], tuple(int(digits[i : i + 2]) for i in range(0, len(digits), 2))


def _syntax(note: str, segment: Segment) -> ElementError | None:
    """One syntax note (``P0304``, ``R0203``, ``C0405``, ``E0102``, ``L010203``)."""
    kind, refs = _note(note)
    fields = segment.fields
    present = [ref < len(fields) and fields[ref] != "" for ref in refs]
    if kind == "P":
        failed = any(present) and not all(present)
    elif kind == "R":
        failed = not any(present)
    elif kind == "C":
        failed = present[0] and not all(present[1:])
    elif kind == "L":
        failed = present[0] and not any(present[1:])
    elif kind == "E":
        failed = sum(present) > 1
    else:
        failed = False
    if not failed:
        return None
    # Messages are built only for a failed note: most notes pass, and this runs per segment.
    names = [f"{segment.id}{ref:02d}" for ref in refs]
    label, others = names[0], ", ".join(names[1:])
    message = {
        "P": f"{', '.join(names)} must be used together",
        "R": f"at least one of {', '.join(names)} is required",
        "C": f"{label} requires {others}",
        "L": f"{label} requires one of {others}",
        "E": f"only one of {', '.join(names)} may be used",
    }[kind]
    return ElementError(label, "10" if kind == "E" else "2", message)


def check_segment(
    spec: SegmentSpec,
    segment: Segment,
    delimiters: Delimiters,
    external: dict[str, frozenset[str]],
) -> list[ElementError]:
    """Every element problem of *segment* measured against *spec*."""
    errors: list[ElementError] = []
    highest = spec.width
    fields = segment.fields
    count = len(fields) - 1
    if count > highest:
        ref = f"{segment.id}{highest + 1:02d}"
        errors.append(
            ElementError(
                ref, "3", f"{segment.id} has {count} elements, the guide defines {highest}"
            )
        )
    if count > 0 and fields[-1] == "":
        # A trailing element separator: a segment-level error (IK304 8), as pyx12 reports it.
        errors.append(ElementError("", "8", f"{segment.id} ends with an empty element"))
    date_format = ""
    separator = delimiters.component
    for element in spec.elements:
        raw = fields[element.seq] if element.seq <= count else ""
        if not raw and element.usage != "R":
            continue  # the common case: an optional element left empty
        if element.components is not None:
            errors.extend(_check_composite(element, raw, delimiters, external))
        elif separator in raw and element.usage != "N":
            errors.append(
                ElementError(
                    element.ref, "6", f"{element.ref} is a simple element, not a composite"
                )
            )
        else:
            found = check_value(element, raw, external)
            if not found and raw and element.de == "1251" and date_format:
                formatted = _formatted(element, raw, date_format)
                found = [formatted] if formatted is not None else []
            if not found and raw and element.note == "us_zip9" and not segment.element(4):
                found = _us_zip9(element, raw)
            errors.extend(found)
        if element.de == "1250":
            date_format = raw
    for note in spec.syntax:
        problem = _syntax(note, segment)
        if problem is not None:
            errors.append(problem)
    return errors


def digits_only(value: str) -> bool:
    """Whether *value* is all digits (used by HL id checks)."""
    return _DIGITS.fullmatch(value) is not None
