"""claim-acknowledgments: the 999s and 277CAs that come back are linked to the claim register.

A 999 answers an 837 transaction set (``GS06/ST02``): its claims still ``submitted`` become
``accepted`` or ``rejected``. A 277CA answers one claim (CLM01): it becomes ``acknowledged`` or
``rejected``. The register is business state, changed in the commit of the answer's message, so
an answer received twice (or replayed) leaves the register as the first time did. Each answer is
recorded as a derived :class:`ClaimAnswerLinked` event; an answer naming no registered claim is
recorded as such (another submitter's claim, or one billed before careweave), never an error.
Rejections also open cases, in ``claim-rejections``.
"""

from __future__ import annotations

from typing import ClassVar

from careweave.flows.base import BaseFlow
from careweave.flows.claim_register import ClaimRegister
from careweave.flows.services import FlowServices
from careweave.mappings.x12_claim_status import ClaimStatusReported, ClaimTransactionAcknowledged
from careweave.model.base import BusinessEvent
from careweave.model.flow import FlowOutput


class ClaimAnswerLinked(BusinessEvent, frozen=True, kw_only=True):
    """What a 999 or 277CA answer did to the register."""

    answer: str
    """``999`` or ``277CA``."""
    answered: str
    """The transaction set (``GS06/ST02``) or claim (CLM01) answered."""
    claims_moved: int
    """Claims whose status this answer changed (0 when it was applied before)."""
    known: bool
    """False when the register holds no such transaction set or claim."""


class ClaimAcknowledgmentsFlow(BaseFlow):
    """Links clearinghouse and payer acknowledgments to the claims they answer."""

    name: ClassVar[str] = "claim-acknowledgments"
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = (
        ClaimTransactionAcknowledged,
        ClaimStatusReported,
    )

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Apply one answer to the register."""
        register = ClaimRegister(out.state)
        if isinstance(event, ClaimTransactionAcknowledged):
            detail = f"999 {event.status} {' '.join(event.errors)}".strip()
            known = register.transaction(event.link_key) is not None
            moved = register.link_transaction(event.link_key, event.status, detail)
            self._linked(event, out, "999", event.link_key, moved, known)
        elif isinstance(event, ClaimStatusReported):
            before = register.claim(event.claim_id)
            detail = "277CA " + " ".join(event.statuses)
            known = register.link_claim_status(event.claim_id, event.accepted, detail)
            after = register.claim(event.claim_id)
            moved = int(before is not None and after is not None and before != after)
            self._linked(event, out, "277CA", event.claim_id, moved, known)

    @staticmethod
    def _linked(
        event: BusinessEvent, out: FlowOutput, answer: str, answered: str, moved: int, known: bool
    ) -> None:
        out.emit(
            ClaimAnswerLinked(
                idempotency_key=f"linked:{event.idempotency_key}",
                answer=answer,
                answered=answered,
                claims_moved=moved,
                known=known,
            )
        )


def build_claim_acknowledgments(_services: FlowServices) -> ClaimAcknowledgmentsFlow:
    """The flow; it needs no domain service."""
    return ClaimAcknowledgmentsFlow()
