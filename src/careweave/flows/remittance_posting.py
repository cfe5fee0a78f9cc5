"""remittance-posting: each payment and adjustment of an 835 becomes one GL posting effect.

The 835 mapping yields one finance event per payment or adjustment, each with an idempotency key
built from payer + trace number + claim + line + adjustment index; the flow sends each to the
``general-ledger`` destination under that key, so a remittance received twice posts once. Postings
of one remittance keep their reading order (ordering key: payer + trace). The payee of an 835 is
the billing provider's NPI; a payee table maps it to the legal entity the books are kept for.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec

from careweave.flows.base import BaseFlow
from careweave.flows.services import FlowServices
from careweave.masterdata.entities import PayeeEntities
from careweave.model.base import BusinessEvent
from careweave.model.finance import RemittanceEvent
from careweave.model.flow import GENERAL_LEDGER_DESTINATION, FlowOutput

DESTINATION = GENERAL_LEDGER_DESTINATION


class RemittancePostingFlow(BaseFlow):
    """Sends every remittance finance event to the general ledger, once."""

    name: ClassVar[str] = "remittance-posting"
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = (RemittanceEvent,)

    def __init__(self, payees: PayeeEntities, *, destination: str = DESTINATION) -> None:
        self.payees = payees
        self.destination = destination

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Queue the posting of one finance event."""
        assert isinstance(event, RemittanceEvent)
        entity = self.payees.entity(event.entity)
        posting = event if entity == event.entity else msgspec.structs.replace(event, entity=entity)
        out.send(
            self.destination, posting.idempotency_key, posting, ordering_key=_ordering_key(posting)
        )


def _ordering_key(event: RemittanceEvent) -> str | None:
    """Postings of one claim keep their reading order; claims of one check post in parallel.

    A check can pay thousands of claims: one ordering key per check would post them one at a
    time. The GL needs order only within a claim (a reversal before its correction).
    """
    base = event.ordering_key()
    claim_id = getattr(event, "claim_id", None)
    return f"{base}:{claim_id}" if base and claim_id else base


def build_remittance_posting(services: FlowServices) -> RemittancePostingFlow:
    """The flow, with the optional payee table (payee NPI -> entity)."""
    payees = services.payees
    return RemittancePostingFlow(payees if isinstance(payees, PayeeEntities) else PayeeEntities())
