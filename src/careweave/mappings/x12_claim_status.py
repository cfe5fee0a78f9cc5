"""X12 999 and 277CA -> claim acknowledgment events, linked to the 837 and the claims they answer.

A 999 says, per 837 transaction set (``GS06/ST02``), whether the clearinghouse accepted it; a
277CA says, per claim (CLM01), whether the payer front end accepted it (STC category ``A1``/``A2``)
or rejected it (``A3``, ``A6``, ``A7``, ``A8``...). Rejected claims need a person: the claims flow
opens an exception case for each.
"""

from __future__ import annotations

from careweave.codecs.x12.responses import parse_277, parse_999
from careweave.exceptions import MappingError
from careweave.mappings.x12_decode import X12Inbound
from careweave.model.base import BusinessEvent

ACCEPTED_CATEGORIES = frozenset({"A0", "A1", "A2", "A5"})
"""277CA claim status categories that mean the claim goes on to adjudication."""


class ClaimTransactionAcknowledged(BusinessEvent, frozen=True, kw_only=True):
    """A 999 answer to one 837 transaction set."""

    link_key: str
    """``GS06/ST02`` of the 837 transaction set answered."""
    status: str
    """IK501: A accepted, E accepted with errors, R rejected."""
    errors: tuple[str, ...] = ()


class ClaimStatusReported(BusinessEvent, frozen=True, kw_only=True):
    """A 277CA status of one claim."""

    claim_id: str
    """CLM01 of the claim answered."""
    accepted: bool
    statuses: tuple[str, ...]
    """``category:code:entity`` of each STC."""
    payer_claim_id: str = ""
    report: str = ""
    """ST02 of the 277 transaction."""


def map_claim_status(decoded: X12Inbound) -> list[BusinessEvent]:
    """The acknowledgment events of every 999 and 277 transaction in the file."""
    if not isinstance(decoded, X12Inbound):
        raise MappingError(
            f"x12-claim-status needs a channel of format x12, not {type(decoded).__name__}"
        )
    document, raw = decoded.document, decoded.raw
    events: list[BusinessEvent] = []
    if document.of_type("999"):
        for ack in parse_999(raw):
            for response in ack.transactions:
                errors = tuple(
                    f"{e.segment_id}@{e.position}:{e.code}" for e in response.errors
                ) + tuple(response.codes)
                events.append(
                    ClaimTransactionAcknowledged(
                        idempotency_key=f"999:{response.link_key}:{response.status}",
                        link_key=response.link_key,
                        status=response.status,
                        errors=errors,
                    )
                )
    if document.of_type("277"):
        for report in parse_277(raw):
            for entry in report.claims():
                categories = {s.category for s in entry.statuses}
                accepted = bool(categories) and categories <= ACCEPTED_CATEGORIES
                events.append(
                    ClaimStatusReported(
                        idempotency_key=f"277:{report.control_number}:{entry.link_key}",
                        claim_id=entry.link_key,
                        accepted=accepted,
                        statuses=tuple(f"{s.category}:{s.code}:{s.entity}" for s in entry.statuses),
                        payer_claim_id=entry.payer_claim_id,
                        report=report.control_number,
                    )
                )
    return events


def map_revenue_x12(decoded: X12Inbound) -> list[BusinessEvent]:
    """Everything a clearinghouse sends back: 999, 277CA and 835 events of one file."""
    from careweave.mappings.x12_remittance import map_remittances

    return [*map_claim_status(decoded), *map_remittances(decoded)]
