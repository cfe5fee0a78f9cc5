"""Validate a whole X12 file against the implementation guides: what ``x12 validate --json`` prints.

Envelope problems (ISA/IEA, GS/GE, ST/SE counts and control numbers) come from the envelope
reader; each transaction set is then walked against its guide's generated rules
(:mod:`careweave.codecs.x12.strict`). The supply chain's 850/855/856/810 get their parser and
business checks (:mod:`careweave.codecs.x12.supply`). Any other set careweave has no guide for
(a 4010 837, an 832) is an error with code ``unsupported`` that names the set and its version.
Never raises.
"""

from __future__ import annotations

from typing import Any

import msgspec

from careweave.codecs.x12.envelope import read_interchanges
from careweave.codecs.x12.guide_rules import find_guide
from careweave.codecs.x12.strict import GuideError, validate_segments
from careweave.codecs.x12.supply.validate import SUPPLY_SETS, SupplyFileChecks
from careweave.codecs.x12.tokenizer import tokenize
from careweave.exceptions import X12Error


class TransactionVerdict(msgspec.Struct, frozen=True):
    """One ST..SE set: its id, control number, the guide version it was read under, verdict."""

    id: str
    control_number: str
    guide_version: str
    valid: bool


class GuideReport(msgspec.Struct, frozen=True):
    """The verdict on a file: valid, each transaction set's verdict, and every error."""

    valid: bool
    transaction_sets: list[TransactionVerdict]
    errors: list[GuideError]

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape: ``{"valid", "transaction_sets", "errors"}``."""
        return {
            "valid": self.valid,
            "transaction_sets": [msgspec.to_builtins(t) for t in self.transaction_sets],
            "errors": [msgspec.to_builtins(e) for e in self.errors],
        }


def _bare(message: str) -> str:
    """An envelope message without its ``segment 12 (SE): `` prefix (the error carries it)."""
    head, sep, rest = message.partition("): ")
    return rest if sep and head.startswith("segment ") else message


def validate_against_guides(data: bytes | str) -> GuideReport:
    """Validate every interchange, group and transaction set of *data*."""
    try:
        delimiters, segments = tokenize(data)
        interchanges = read_interchanges(delimiters, segments)
    except X12Error as error:
        return GuideReport(False, [], [GuideError(1, "ISA", None, "022", error.message)])
    errors: list[GuideError] = []
    verdicts: list[TransactionVerdict] = []
    supply = SupplyFileChecks()
    for interchange in interchanges:
        envelope = list(interchange.issues)
        for group in interchange.groups:
            envelope.extend(group.issues)
        errors.extend(
            GuideError(i.position, i.segment_id, None, i.code, _bare(i.message)) for i in envelope
        )
        for transaction in interchange.transactions():
            found = find_guide(transaction.id, transaction.implementation)
            own = [
                GuideError(
                    i.position - transaction.segments[0].position + 1 if transaction.segments
                    else i.position,
                    i.segment_id, None, i.code, _bare(i.message),
                )
                for i in transaction.issues
            ]  # fmt: skip
            if found.guide is None and transaction.id in SUPPLY_SETS:
                # No HIPAA guide: the supply chain's sets get their parser and business checks.
                own.extend(supply.validate(transaction))
                version = transaction.implementation
            elif found.guide is None:
                own.append(GuideError(1, "ST", None, "unsupported", found.reason))
                version = transaction.implementation
            else:
                own.extend(validate_segments(found.guide, transaction.segments, delimiters))
                version = found.guide.implementation
            errors.extend(own)
            verdicts.append(
                TransactionVerdict(transaction.id, transaction.control_number, version, not own)
            )
    return GuideReport(not errors, verdicts, errors)
