"""Element checks for the segments that carry a claim's identity and money.

Each rule gives an element's requirement, length range, kind and, for qualifiers, the allowed
codes. A failure becomes an ElementIssue with its IK4 syntax error code (1 required missing,
3 too many elements, 4 too short, 5 too long, 6 invalid character, 7 invalid code, 8 invalid
date). Only the key segments are described; other segments pass through unchecked.
"""

from __future__ import annotations

import re
from datetime import date

import msgspec

from careweave.codecs.x12.tokenizer import Delimiters, Segment

_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")
_INTEGER = re.compile(r"-?\d+")
_TIME = re.compile(r"([01]\d|2[0-3])[0-5]\d(\d{2,4})?")


class ElementRule(msgspec.Struct, frozen=True):
    """One element of a key segment."""

    index: int
    required: bool = False
    min_length: int = 1
    max_length: int = 80
    kind: str = "AN"
    """AN text, ID code, R decimal, N0 integer, DT date CCYYMMDD, TM time, C composite."""
    codes: frozenset[str] | None = None


class ElementIssue(msgspec.Struct, frozen=True):
    """An element that failed its rule: IK4 position, syntax error code, bad value, message."""

    index: int
    code: str
    value: str
    message: str
    component: int | None = None


def rule(
    index: int,
    kind: str = "AN",
    length: tuple[int, int] = (1, 80),
    *codes: str,
    required: bool = False,
) -> ElementRule:
    """Shorthand for an ElementRule."""
    return ElementRule(index, required, length[0], length[1], kind, frozenset(codes) or None)


def _r(index: int, kind: str = "AN", length: tuple[int, int] = (1, 80), *codes: str) -> ElementRule:
    return rule(index, kind, length, *codes, required=True)


_NAME_QUALIFIERS = ("1", "2")
KEY_SEGMENTS: dict[str, tuple[int, tuple[ElementRule, ...]]] = {
    # segment id: (maximum element count, rules)
    "BHT": (6, (_r(1, "ID", (4, 4)), _r(2, "ID", (2, 2)), _r(3, "AN", (1, 50)),
                _r(4, "DT", (8, 8)), _r(5, "TM", (4, 8)), rule(6, "ID", (2, 2)))),
    "NM1": (12, (_r(1, "ID", (2, 3)), _r(2, "ID", (1, 1), *_NAME_QUALIFIERS),
                 rule(3, "AN", (1, 60)), rule(4, "AN", (1, 35)), rule(5, "AN", (1, 25)),
                 rule(8, "ID", (1, 2)), rule(9, "AN", (2, 80)))),
    "N3": (2, (_r(1, "AN", (1, 55)), rule(2, "AN", (1, 55)))),
    "N4": (7, (rule(1, "AN", (2, 30)), rule(2, "ID", (2, 2)), rule(3, "ID", (3, 15)))),
    "REF": (4, (_r(1, "ID", (2, 3)), rule(2, "AN", (1, 50)))),
    "PER": (9, (_r(1, "ID", (2, 2)), rule(2, "AN", (1, 60)))),
    "HL": (4, (_r(1, "AN", (1, 12)), rule(2, "AN", (1, 12)), _r(3, "ID", (1, 2)),
               rule(4, "ID", (1, 1), "0", "1"))),
    "SBR": (9, (_r(1, "ID", (1, 1), *"ABCDEFGHPST U".replace(" ", "")),
                rule(2, "ID", (2, 2)), rule(3, "AN", (1, 50)), rule(9, "ID", (1, 2)))),
    "CLM": (20, (_r(1, "AN", (1, 38)), _r(2, "R", (1, 18)), _r(5, "C", (1, 80)))),
    "LX": (1, (_r(1, "N0", (1, 6)),)),
    "SV1": (21, (_r(1, "C", (1, 80)), _r(2, "R", (1, 18)), _r(3, "ID", (2, 2), "MJ", "UN"),
                 _r(4, "R", (1, 15)))),
    "SV2": (10, (_r(1, "AN", (1, 48)), rule(2, "C", (1, 80)), _r(3, "R", (1, 18)),
                 rule(4, "ID", (2, 2), "DA", "UN"), rule(5, "R", (1, 15)))),
    "DTP": (3, (_r(1, "ID", (3, 3)), _r(2, "ID", (2, 3), "D8", "RD8", "DT", "TM"), _r(3, "AN", (1, 35)))),
    "HI": (12, (_r(1, "C", (1, 80)),)),
    "DMG": (11, (rule(1, "ID", (2, 3), "D8"), rule(2, "AN", (1, 35)))),
    "CL1": (4, (rule(1, "ID", (1, 1)), rule(2, "ID", (1, 1)), rule(3, "ID", (1, 2)))),
    "LIN": (31, (rule(1, "AN", (1, 20)), _r(2, "ID", (2, 2)), _r(3, "AN", (1, 48)))),
    "CTP": (11, (rule(4, "R", (1, 15)), rule(5, "C", (1, 80)))),
}  # fmt: skip


def _valid_date(value: str) -> bool:
    if len(value) != 8 or not value.isdigit():
        return False
    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return False
    return True


def _dtp_date_issue(segment: Segment) -> ElementIssue | None:
    """DTP03 must be a real date in the format DTP02 names (D8 or RD8 range)."""
    fmt, value = segment.element(2), segment.element(3)
    if fmt == "D8":
        ok = _valid_date(value)
    elif fmt == "RD8":
        start, _, end = value.partition("-")
        ok = _valid_date(start) and _valid_date(end) and start <= end
    elif fmt == "DT":
        ok = len(value) == 12 and _valid_date(value[:8]) and bool(_TIME.fullmatch(value[8:]))
    elif fmt == "TM":
        ok = bool(_TIME.fullmatch(value))
    else:
        return None
    if ok:
        return None
    return ElementIssue(3, "8", value, f"DTP03 {value!r} is not a valid {fmt} date")


def _kind_issue(rule_: ElementRule, value: str, name: str) -> ElementIssue | None:
    kind = rule_.kind
    if kind == "R" and not _DECIMAL.fullmatch(value):
        return ElementIssue(rule_.index, "6", value, f"{name} {value!r} is not a decimal number")
    if kind == "N0" and not _INTEGER.fullmatch(value):
        return ElementIssue(rule_.index, "6", value, f"{name} {value!r} is not an integer")
    if kind == "DT" and not _valid_date(value):
        return ElementIssue(rule_.index, "8", value, f"{name} {value!r} is not a valid date")
    if kind == "TM" and not _TIME.fullmatch(value):
        return ElementIssue(rule_.index, "9", value, f"{name} {value!r} is not a valid time")
    return None


def check_elements(segment: Segment, delimiters: Delimiters) -> list[ElementIssue]:
    """The element issues of *segment* (empty when it is fine or not a key segment)."""
    spec = KEY_SEGMENTS.get(segment.fields[0])
    if spec is None:
        return []
    max_elements, rules = spec
    issues: list[ElementIssue] = []
    count = len(segment.fields) - 1
    if count > max_elements:
        extra = segment.fields[max_elements + 1]
        issues.append(
            ElementIssue(max_elements + 1, "3", extra,
                         f"{segment.id} has {count} elements, at most {max_elements} allowed")
        )  # fmt: skip
    for rule_ in rules:
        value = segment.element(rule_.index)
        name = f"{segment.id}{rule_.index:02d}"
        if not value:
            if rule_.required:
                issues.append(ElementIssue(rule_.index, "1", "", f"{name} is required"))
            continue
        measured = value.split(delimiters.component)[0] if rule_.kind == "C" else value
        if rule_.kind == "C" and not measured:
            issues.append(ElementIssue(rule_.index, "1", value, f"{name}-1 is required", 1))
            continue
        if len(measured) < rule_.min_length and rule_.kind != "C":
            message = f"{name} {value!r} is shorter than {rule_.min_length}"
            issues.append(ElementIssue(rule_.index, "4", value, message))
        elif len(measured) > rule_.max_length:
            message = f"{name} {value!r} is longer than {rule_.max_length}"
            issues.append(ElementIssue(rule_.index, "5", value, message))
        elif rule_.codes is not None and value not in rule_.codes:
            message = f"{name} {value!r} is not a valid code"
            issues.append(ElementIssue(rule_.index, "7", value, message))
        else:
            kind_issue = _kind_issue(rule_, value, name)
            if kind_issue is not None:
                issues.append(kind_issue)
    if segment.fields[0] == "DTP" and not issues:
        dtp = _dtp_date_issue(segment)
        if dtp is not None:
            issues.append(dtp)
    return issues
