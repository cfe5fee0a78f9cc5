"""The clearinghouse's front-end claim edits (277CA rejections) and who submitted a file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from careweave.codecs.x12.envelope import Interchange
from careweave.sandbox.clearinghouse.intake import SubmittedClaim
from careweave.sandbox.clearinghouse.payers import PayerRules
from careweave.sandbox.clearinghouse.status_277 import ClaimAcknowledgment


def _edit(claim: SubmittedClaim, payers: Mapping[str, PayerRules]) -> ClaimAcknowledgment:
    def reject(reason: str, *status: str) -> ClaimAcknowledgment:
        return ClaimAcknowledgment(claim=claim, accepted=False, status=("A3", *status),
                                   reason=reason)  # fmt: skip

    if claim.payer_id not in payers:
        return reject(f"payer {claim.payer_id!r} is not connected to this clearinghouse", "116")
    if not claim.member_id.isalnum():
        return reject(f"member id {claim.member_id!r} is missing or invalid", "164", "IL")
    lines = sum((line.charge for line in claim.lines), Decimal(0))
    if lines != claim.charge:
        return reject(f"claim charge {claim.charge} differs from its lines' {lines}", "400")
    if not claim.lines:
        return reject("claim has no service lines", "400")
    return ClaimAcknowledgment(claim=claim, accepted=True, status=("A2", "20"))


def front_end_edits(
    claims: list[SubmittedClaim], payers: Mapping[str, PayerRules]
) -> list[ClaimAcknowledgment]:
    """Accept or reject each claim before adjudication: payer known, member id, totals."""
    return [_edit(claim, payers) for claim in claims]


def submitter_of(interchanges: Sequence[Interchange]) -> tuple[tuple[str, str], str]:
    """((submitter name, id) from NM1*41, BHT03 batch reference) of the first 837."""
    name, submitter_id, batch = "SUBMITTER", "UNKNOWN", ""
    first = [t for i in interchanges for t in i.transactions() if t.id == "837"][:1]
    for transaction in first:
        for segment in transaction.segments:
            if segment.id == "BHT" and not batch:
                batch = segment.element(3)
            elif segment.id == "NM1" and segment.element(1) == "41":
                name, submitter_id = segment.element(3), segment.element(9)
                break
    return (name, submitter_id), batch
