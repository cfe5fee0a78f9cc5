"""835 balancing: the payment, each claim and each service line must add up to the cent.

- payment: BPR02 = sum of CLP04 - sum of PLB amounts;
- claim: CLP03 - CLP04 = sum of its claim-level and line-level CAS amounts;
- line: SVC02 - SVC03 = sum of the line's CAS amounts.
"""

from __future__ import annotations

from decimal import Decimal

from careweave.codecs.x12.remittance import ClaimPayment, Imbalance, RemittanceAdvice


def _claim_imbalances(claim: ClaimPayment) -> list[Imbalance]:
    found: list[Imbalance] = []
    line_total = Decimal(0)
    for line in claim.lines:
        adjusted = sum((a.amount for a in line.adjustments), Decimal(0))
        line_total += adjusted
        expected = line.charge - line.paid
        if expected != adjusted:
            found.append(
                Imbalance(
                    "line", claim.id, line.position, expected, adjusted,
                    f"segment {line.position} (SVC): claim {claim.id} line charge {line.charge} "
                    f"- paid {line.paid} = {expected}, but its CAS adjustments total {adjusted}",
                )
            )  # fmt: skip
    adjusted = sum((a.amount for a in claim.adjustments), Decimal(0)) + line_total
    expected = claim.charge - claim.paid
    if expected != adjusted:
        found.append(
            Imbalance(
                "claim", claim.id, claim.position, expected, adjusted,
                f"segment {claim.position} (CLP): claim {claim.id} charge {claim.charge} - paid "
                f"{claim.paid} = {expected}, but claim and line CAS adjustments total {adjusted}",
            )
        )  # fmt: skip
    return found


def find_imbalances(advice: RemittanceAdvice) -> list[Imbalance]:
    """Every place where *advice* does not add up (empty when it balances)."""
    found: list[Imbalance] = []
    for claim in advice.claims:
        found.extend(_claim_imbalances(claim))
    paid = sum((c.paid for c in advice.claims), Decimal(0))
    provider = sum((p.amount for p in advice.provider_adjustments), Decimal(0))
    expected = paid - provider
    if expected != advice.payment:
        found.append(
            Imbalance(
                "payment", "", 0, expected, advice.payment,
                f"BPR02 payment {advice.payment} differs from claim payments {paid} - provider "
                f"adjustments {provider} = {expected}",
            )
        )  # fmt: skip
    return found
