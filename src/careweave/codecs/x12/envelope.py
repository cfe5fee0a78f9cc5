"""Interchange (ISA/IEA), functional group (GS/GE) and transaction set (ST/SE) envelopes.

Reading never stops at a bad count or control number: each problem becomes an EnvelopeIssue
carrying the code an acknowledgment needs (TA1 note code at interchange level, AK9 code at group
level, IK5 code at transaction level), so a 999 can be built from it. ``require_valid`` turns the
first issue into an X12Error for callers that must not go on.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from careweave.codecs.x12.tokenizer import Delimiters, Segment
from careweave.exceptions import X12Error

EnvelopeLevel = Literal["interchange", "group", "transaction"]

# Fixed ISA element lengths (ISA01..ISA16), from the X12 control standard.
_ISA_LENGTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
# TA1 note codes for a wrong-length ISA element, by element number.
_ISA_NOTE = {
    1: "010",
    2: "011",
    3: "012",
    4: "013",
    5: "005",
    6: "006",
    7: "007",
    8: "008",
    9: "014",
    10: "015",
    12: "017",
    13: "018",
    14: "019",
    15: "020",
}


class EnvelopeIssue(msgspec.Struct, frozen=True):
    """A problem with an envelope: which level, its acknowledgment code, where, and what."""

    level: EnvelopeLevel
    code: str
    """TA1 note code (interchange), AK9 code (group) or IK5 code (transaction)."""
    position: int
    segment_id: str
    message: str


class TransactionSet(msgspec.Struct):
    """One ST..SE transaction set and its segments (ST and SE included)."""

    id: str
    """ST01: 835, 837, 999, 277..."""
    control_number: str
    """ST02."""
    implementation: str
    """ST03, else the group's GS08 (``005010X222A1``)."""
    segments: list[Segment]
    issues: list[EnvelopeIssue] = msgspec.field(default_factory=list)


class FunctionalGroup(msgspec.Struct):
    """One GS..GE functional group."""

    functional_id: str
    """GS01: HC (837), HP (835), FA (999), HN (277)."""
    sender: str
    receiver: str
    date: str
    time: str
    control_number: str
    version: str
    """GS08: the implementation guide version (``005010X221A1``)."""
    header: Segment
    transactions: list[TransactionSet] = msgspec.field(default_factory=list)
    issues: list[EnvelopeIssue] = msgspec.field(default_factory=list)


class Interchange(msgspec.Struct):
    """One ISA..IEA interchange."""

    delimiters: Delimiters
    header: Segment
    sender: str
    receiver: str
    control_number: str
    version: str
    """ISA12: 00501 or 00401."""
    usage: str
    """ISA15: P production, T test."""
    groups: list[FunctionalGroup] = msgspec.field(default_factory=list)
    issues: list[EnvelopeIssue] = msgspec.field(default_factory=list)

    def all_issues(self) -> list[EnvelopeIssue]:
        """Every envelope issue of the interchange, its groups and their transactions."""
        found = list(self.issues)
        for group in self.groups:
            found.extend(group.issues)
            for transaction in group.transactions:
                found.extend(transaction.issues)
        return sorted(found, key=lambda issue: issue.position)

    def transactions(self) -> list[TransactionSet]:
        """Every transaction set of every group, in order."""
        return [t for group in self.groups for t in group.transactions]


def _issue(level: EnvelopeLevel, code: str, segment: Segment, message: str) -> EnvelopeIssue:
    return EnvelopeIssue(level, code, segment.position, segment.id, f"{segment.label}: {message}")


def _check_isa(isa: Segment) -> list[EnvelopeIssue]:
    issues: list[EnvelopeIssue] = []
    if len(isa.fields) != 17:
        issues.append(
            _issue("interchange", "022", isa, f"ISA has {len(isa.fields) - 1} elements, not 16")
        )
        return issues
    for index, length in enumerate(_ISA_LENGTHS, start=1):
        value = isa.fields[index]
        if len(value) != length and index in _ISA_NOTE:
            issues.append(
                _issue(
                    "interchange",
                    _ISA_NOTE[index],
                    isa,
                    f"ISA{index:02d} is {len(value)} characters long, must be {length}",
                )
            )
    return issues


class _Reader:
    """Folds a flat segment list into interchanges, recording every envelope issue."""

    def __init__(self, delimiters: Delimiters) -> None:
        self.delimiters = delimiters
        self.interchanges: list[Interchange] = []
        self.interchange: Interchange | None = None
        self.group: FunctionalGroup | None = None
        self.transaction: TransactionSet | None = None

    def feed(self, segment: Segment) -> None:
        handler = {
            "ISA": self._isa,
            "IEA": self._iea,
            "GS": self._gs,
            "GE": self._ge,
            "ST": self._st,
            "SE": self._se,
        }.get(segment.id)
        if handler is not None:
            handler(segment)
        elif self.transaction is not None:
            self.transaction.segments.append(segment)
        else:
            self._orphan(segment)

    def _orphan(self, segment: Segment) -> None:
        message = "segment outside of any ST/SE transaction set"
        if self.group is not None:
            self.group.issues.append(_issue("group", "3", segment, message))
        elif self.interchange is not None:
            self.interchange.issues.append(_issue("interchange", "024", segment, message))

    def _isa(self, segment: Segment) -> None:
        if self.interchange is not None:
            self._close_interchange(segment, "IEA missing before the next ISA")
        self.interchange = Interchange(
            self.delimiters,
            segment,
            segment.element(6).strip(),
            segment.element(8).strip(),
            segment.element(13),
            segment.element(12),
            segment.element(15),
        )
        self.interchange.issues.extend(_check_isa(segment))
        self.interchanges.append(self.interchange)

    def _close_interchange(self, at: Segment, message: str) -> None:
        if self.group is not None:
            self._close_group(at, "GE missing")
        if self.interchange is not None:
            self.interchange.issues.append(_issue("interchange", "023", at, message))
        self.interchange = None

    def _iea(self, segment: Segment) -> None:
        if self.group is not None:
            self._close_group(segment, "GE missing before IEA")
        interchange = self.interchange
        if interchange is None:
            raise X12Error(f"{segment.label}: IEA without an ISA")
        if segment.element(2) != interchange.control_number:
            message = (
                f"IEA02 {segment.element(2)!r} does not match ISA13 {interchange.control_number!r}"
            )
            interchange.issues.append(_issue("interchange", "001", segment, message))
        if segment.element(1) != str(len(interchange.groups)):
            held = len(interchange.groups)
            message = f"IEA01 says {segment.element(1)!r} groups, the interchange holds {held}"
            interchange.issues.append(_issue("interchange", "021", segment, message))
        self.interchange = None

    def _gs(self, segment: Segment) -> None:
        if self.interchange is None:
            raise X12Error(f"{segment.label}: GS outside of an interchange")
        if self.group is not None:
            self._close_group(segment, "GE missing before the next GS")
        e = segment.element
        self.group = FunctionalGroup(e(1), e(2), e(3), e(4), e(5), e(6), e(8), segment)
        self.interchange.groups.append(self.group)

    def _close_group(self, at: Segment, message: str) -> None:
        if self.transaction is not None:
            self._close_transaction(at, "SE missing")
        if self.group is not None:
            self.group.issues.append(_issue("group", "3", at, message))
        self.group = None

    def _ge(self, segment: Segment) -> None:
        if self.transaction is not None:
            self._close_transaction(segment, "SE missing before GE")
        group = self.group
        if group is None:
            raise X12Error(f"{segment.label}: GE without a GS")
        if segment.element(2) != group.control_number:
            message = f"GE02 {segment.element(2)!r} does not match GS06 {group.control_number!r}"
            group.issues.append(_issue("group", "4", segment, message))
        if segment.element(1) != str(len(group.transactions)):
            held = len(group.transactions)
            message = f"GE01 says {segment.element(1)!r} transaction sets, the group holds {held}"
            group.issues.append(_issue("group", "5", segment, message))
        self.group = None

    def _st(self, segment: Segment) -> None:
        if self.group is None:
            raise X12Error(f"{segment.label}: ST outside of a functional group")
        if self.transaction is not None:
            self._close_transaction(segment, "SE missing before the next ST")
        e = segment.element
        self.transaction = TransactionSet(e(1), e(2), e(3) or self.group.version, [segment])
        if not e(2):
            self.transaction.issues.append(
                _issue("transaction", "7", segment, "ST02 control number missing")
            )
        self.group.transactions.append(self.transaction)

    def _close_transaction(self, at: Segment, message: str) -> None:
        if self.transaction is not None:
            self.transaction.issues.append(_issue("transaction", "2", at, message))
        self.transaction = None

    def _se(self, segment: Segment) -> None:
        transaction = self.transaction
        if transaction is None:
            raise X12Error(f"{segment.label}: SE without an ST")
        transaction.segments.append(segment)
        count = len(transaction.segments)
        if segment.element(1) != str(count):
            message = (
                f"SE01 says {segment.element(1)!r} segments, the transaction set holds {count}"
            )
            transaction.issues.append(_issue("transaction", "4", segment, message))
        if segment.element(2) != transaction.control_number:
            message = (
                f"SE02 {segment.element(2)!r} does not match ST02 {transaction.control_number!r}"
            )
            transaction.issues.append(_issue("transaction", "3", segment, message))
        self.transaction = None

    def finish(self, last: Segment | None) -> list[Interchange]:
        if self.interchange is not None and last is not None:
            self._close_interchange(last, "IEA missing at end of data")
        return self.interchanges


def read_interchanges(delimiters: Delimiters, segments: list[Segment]) -> list[Interchange]:
    """Group tokenized segments into interchanges, groups and transaction sets.

    Count and control-number mismatches are recorded as issues; only a structure that cannot be
    enveloped at all (a GS before any ISA, an SE without ST) raises X12Error.
    """
    reader = _Reader(delimiters)
    for segment in segments:
        reader.feed(segment)
    return reader.finish(segments[-1] if segments else None)


def require_valid(interchanges: list[Interchange]) -> None:
    """Raise X12Error naming the first envelope issue, if any."""
    for interchange in interchanges:
        issues = interchange.all_issues()
        if issues:
            raise X12Error(issues[0].message)
