"""Canonical coverage (IN1/IN2, FHIR Coverage) onto the coverage a claim is filed under.

The payer master names the payer and its claim filing indicator (SBR09); a payer it does not list
is billed under the name the EHR sent, with the indicator the plan type implies. A coverage without
a member id cannot be billed (the 837's subscriber loop needs one) and is not used.
"""

from __future__ import annotations

from careweave.masterdata.payers import PayerDirectory
from careweave.model.care import InsuranceCoverage
from careweave.model.rcm import RcmCoverage

CLAIM_FILING_BY_PLAN_TYPE: dict[str, str] = {"MC": "MA", "MD": "MC", "HMO": "HM", "PPO": "12"}
"""SBR09 claim filing indicator by IN1-15 plan type (commercial ``CI`` otherwise)."""

_RESPONSIBILITY = {1: "P", 2: "S", 3: "T"}
"""SBR01 payer responsibility by coordination-of-benefits order."""


def claim_coverage(
    coverage: InsuranceCoverage, payers: PayerDirectory | None = None
) -> RcmCoverage | None:
    """The coverage a claim names for ``coverage``; None for self-pay or without a member id."""
    if coverage.self_pay or not coverage.member_id:
        return None
    payer = payers.get(coverage.payer_id) if payers is not None else None
    by_plan = CLAIM_FILING_BY_PLAN_TYPE.get((coverage.plan_type or "").upper(), "CI")
    return RcmCoverage(
        payer_id=coverage.payer_id,
        payer_name=payer.name if payer is not None else (coverage.payer_name or coverage.payer_id),
        member_id=coverage.member_id,
        group_number=coverage.group_number or "",
        claim_filing=payer.claim_filing if payer is not None else by_plan,
        responsibility=_RESPONSIBILITY.get(coverage.sequence, "P"),
    )
