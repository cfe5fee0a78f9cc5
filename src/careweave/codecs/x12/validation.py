"""Structural validation of an inbound X12 file, shaped like the 999 that answers it.

Checks segment ids, required segments and loops, loop order and repeats, segment use, envelope
counts and control numbers, and the elements of the key segments. Never raises: a file that
cannot even be tokenized comes back as an interchange-level rejection with TA1 note 022.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from careweave.codecs.x12.document import parse_transaction
from careweave.codecs.x12.envelope import EnvelopeIssue, FunctionalGroup, read_interchanges
from careweave.codecs.x12.loops import StructureIssue
from careweave.codecs.x12.tokenizer import Delimiters, tokenize
from careweave.exceptions import X12Error

Status = Literal["A", "E", "R", "P"]


class TransactionReport(msgspec.Struct):
    """One transaction set's verdict: IK5 status and codes, and its IK3/IK4 issues."""

    transaction_id: str
    control_number: str
    implementation: str
    status: Status
    codes: list[str]
    """IK502..IK506 codes: 1 not supported, 2 SE missing, 3 control number mismatch,
    4 segment count mismatch, 5 segments in error."""
    issues: list[StructureIssue]
    envelope_issues: list[EnvelopeIssue]


class GroupReport(msgspec.Struct):
    """One functional group's verdict (AK1 / AK9)."""

    functional_id: str
    control_number: str
    version: str
    status: Status
    codes: list[str]
    transactions: list[TransactionReport]


class ValidationReport(msgspec.Struct):
    """The verdict on a whole file: interchange-level note (TA1) and each group's report."""

    interchange_control_number: str
    interchange_date: str
    interchange_time: str
    ta1_note: str | None
    """TA1 note code when the interchange envelope itself is broken, else None."""
    groups: list[GroupReport]
    problems: list[str]
    """Human-readable lines, each naming a segment position."""

    @property
    def accepted(self) -> bool:
        """True when the interchange and every group were accepted."""
        return self.ta1_note is None and all(g.status in ("A", "E") for g in self.groups)


def _transaction_report(
    group: FunctionalGroup, index: int, delimiters: object
) -> TransactionReport:
    from careweave.codecs.x12.tokenizer import Delimiters

    assert isinstance(delimiters, Delimiters)
    transaction = group.transactions[index]
    parsed = parse_transaction(transaction, delimiters, check=True)
    codes = sorted({issue.code for issue in transaction.issues})
    if not parsed.guided:
        codes.append("1")
    if parsed.issues:
        codes.append("5")
    status: Status = "R" if codes else "A"
    return TransactionReport(
        transaction.id, transaction.control_number, transaction.implementation, status,
        codes[:5], parsed.issues, list(transaction.issues),
    )  # fmt: skip


def _group_report(group: FunctionalGroup, delimiters: Delimiters) -> GroupReport:
    reports = [_transaction_report(group, i, delimiters) for i in range(len(group.transactions))]
    codes = sorted({issue.code for issue in group.issues})
    accepted = sum(1 for r in reports if r.status == "A")
    status: Status
    if codes or accepted == 0:
        status = "R"
    elif accepted < len(reports):
        status = "P"
    else:
        status = "A"
    return GroupReport(
        group.functional_id, group.control_number, group.version, status, codes[:5], reports
    )


def validate_interchange(data: bytes | str) -> ValidationReport:
    """Validate an X12 file; never raises."""
    try:
        delimiters, segments = tokenize(data)
        interchanges = read_interchanges(delimiters, segments)
    except X12Error as error:
        return ValidationReport("000000000", "", "", "022", [], [error.message])
    problems: list[str] = []
    groups: list[GroupReport] = []
    ta1_note: str | None = None
    for interchange in interchanges:
        if interchange.issues and ta1_note is None:
            ta1_note = interchange.issues[0].code
        problems.extend(issue.message for issue in interchange.issues)
        for group in interchange.groups:
            report = _group_report(group, delimiters)
            groups.append(report)
            problems.extend(issue.message for issue in group.issues)
            for transaction in report.transactions:
                problems.extend(issue.message for issue in transaction.envelope_issues)
                problems.extend(issue.message for issue in transaction.issues)
    first = interchanges[0].header if interchanges else None
    return ValidationReport(
        first.element(13) if first else "000000000",
        first.element(9) if first else "",
        first.element(10) if first else "",
        ta1_note, groups, problems,
    )  # fmt: skip
