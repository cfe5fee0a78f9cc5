"""claim-rejections: a claim the clearinghouse or payer front end rejected becomes a work item.

A 999 that rejects an 837 transaction set (IK501 ``R``) and a 277CA that rejects a claim (STC
category ``A3``, ``A6``, ``A7`` ...) each open an exception case for the billing team, keyed by
the transaction or the claim so that the same answer received twice opens one case. Accepted
answers need no one; they are kept in the message's lineage.
"""

from __future__ import annotations

from typing import ClassVar

from careweave.flows.base import BaseFlow
from careweave.flows.services import FlowServices
from careweave.mappings.x12_claim_status import ClaimStatusReported, ClaimTransactionAcknowledged
from careweave.model.base import BusinessEvent
from careweave.model.flow import FlowOutput
from careweave.model.records import NewCase

BILLING_TEAM = "billing"


class ClaimRejectionsFlow(BaseFlow):
    """Opens a case per rejected 837 transaction set or claim."""

    name: ClassVar[str] = "claim-rejections"
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = (
        ClaimStatusReported,
        ClaimTransactionAcknowledged,
    )

    def __init__(self, team: str = BILLING_TEAM) -> None:
        self.team = team

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Park a rejection; let an acceptance pass."""
        if isinstance(event, ClaimTransactionAcknowledged) and event.status == "R":
            out.park(
                NewCase(
                    case_key=f"837-rejected:{event.link_key}",
                    reason_code="TRANSACTION_REJECTED",
                    owning_team=self.team,
                    summary=f"The clearinghouse rejected 837 transaction set {event.link_key}",
                    suggested_fix="Correct the errors the 999 names and resubmit its claims.",
                    payload_reference=f"837:{event.link_key}",
                    details=event.errors,
                    sla_hours=24,
                )
            )
        elif isinstance(event, ClaimStatusReported) and not event.accepted:
            out.park(
                NewCase(
                    case_key=f"claim-rejected:{event.claim_id}",
                    reason_code="CLAIM_REJECTED",
                    owning_team=self.team,
                    summary=f"Claim {event.claim_id} rejected at the payer front end",
                    suggested_fix=(
                        "Read the 277CA status codes, correct the claim in the revenue-cycle "
                        "platform and resubmit it as a new claim."
                    ),
                    payload_reference=f"claim:{event.claim_id}",
                    details=tuple(f"STC {s}" for s in event.statuses),
                    sla_hours=48,
                )
            )


def build_claim_rejections(_services: FlowServices) -> ClaimRejectionsFlow:
    """The flow; it needs no domain service."""
    return ClaimRejectionsFlow()
