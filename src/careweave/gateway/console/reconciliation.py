"""One encounter's money trail, read from what the flows committed: charge -> claim line ->
remittance -> journal, and the breaks in it.

- **charges**: the encounter's charge positions (``CHARGE_POSITIONS``), net of credits;
- **claim lines**: which claim bills each charge line (``CLAIM_LINES``, ``CLAIMS``);
- **remittance**: the 835 postings against those claims (``ClaimPaid`` and the adjustments);
- **journals**: the GL journals careweave posted (``LEDGER_JOURNALS``) whose business key names the
  encounter or one of its claims.

A break is a charge still billed that no claim bills, a claim no remittance has answered, or a
claim whose remittance leaves part of its billed amount unexplained.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import msgspec

from careweave.engine.store.base import BaseStore
from careweave.erp.ledger import posted_journals
from careweave.flows.claim_register import BilledLine, RegisteredClaim, registered_claims
from careweave.flows.rcm_payloads import line_key
from careweave.model.state import StateTable
from careweave.revenue.charge_book import encounter_positions

POSTINGS = (
    "ClaimPaid",
    "ContractualAdjustmentPosted",
    "PatientResponsibilityAssigned",
    "ClaimDenied",
    "WriteOffPosted",
)
"""The remittance events that post against a claim."""
PAGE = 10_000


class ChargeRow(msgspec.Struct, frozen=True, kw_only=True):
    """A charge and the claim line that bills it (if any)."""

    line_id: str
    code: str
    service_date: dt.date
    units: Decimal
    amount: Decimal | None
    claim_id: str | None
    line_number: int | None


class PostingRow(msgspec.Struct, frozen=True, kw_only=True):
    """A remittance posting against one of the encounter's claims."""

    event_type: str
    claim_id: str
    line_number: int | None
    amount: Decimal
    payer_id: str
    trace_number: str
    carc: str = ""


class _Posting(msgspec.Struct, kw_only=True):
    claim_id: str
    amount: Decimal
    payer_id: str
    trace_number: str
    line_number: int | None = None
    carc: str = ""


class JournalRow(msgspec.Struct, frozen=True, kw_only=True):
    """A journal posted for the encounter or one of its claims."""

    business_key: str
    posting_date: dt.date
    description: str
    debits: Decimal


class Trail(msgspec.Struct, frozen=True, kw_only=True):
    """The encounter's trail and its breaks."""

    encounter_id: str
    charges: list[ChargeRow]
    claims: list[RegisteredClaim]
    postings: list[PostingRow]
    journals: list[JournalRow]
    breaks: list[str]


async def encounters(store: BaseStore) -> list[str]:
    """The encounters with charge positions, in key order."""
    return [key for key, _value in await store.state_rows(StateTable.CHARGE_POSITIONS)]


async def _postings(store: BaseStore, claim_ids: set[str]) -> list[PostingRow]:
    found: list[PostingRow] = []
    for event_type in POSTINGS:
        after = 0
        while True:
            page = await store.list_events(event_type, after_id=after, limit=PAGE)
            for event in page:
                if event.payload is None:
                    continue
                p = msgspec.json.decode(event.payload, type=_Posting)
                if p.claim_id in claim_ids:
                    found.append(
                        PostingRow(
                            event_type=event_type,
                            claim_id=p.claim_id,
                            line_number=p.line_number,
                            amount=p.amount,
                            payer_id=p.payer_id,
                            trace_number=p.trace_number,
                            carc=p.carc,
                        )
                    )
            if len(page) < PAGE:
                break
            after = page[-1].id
    return found


def _breaks(
    charges: list[ChargeRow], claims: list[RegisteredClaim], postings: list[PostingRow]
) -> list[str]:
    breaks = [
        f"charge {c.line_id} ({c.code}, {c.amount}) is not on any claim"
        for c in charges
        if c.claim_id is None and c.units > 0
    ]
    explained: dict[str, Decimal] = defaultdict(Decimal)
    answered: set[str] = set()
    for p in postings:
        answered.add(p.claim_id)
        explained[p.claim_id] += p.amount
    for claim in claims:
        if claim.claim_id not in answered:
            breaks.append(f"claim {claim.claim_id} ({claim.status}) has no remittance yet")
        elif (gap := claim.total - explained[claim.claim_id]) != 0:
            breaks.append(f"claim {claim.claim_id}: {gap} of {claim.total} billed is unexplained")
    return breaks


async def trail(store: BaseStore, encounter_id: str) -> Trail:
    """The trail of ``encounter_id`` (empty lists when careweave knows nothing of it)."""
    positions = encounter_positions(await store.state_rows(StateTable.CHARGE_POSITIONS))
    billed = {
        key: msgspec.json.decode(raw, type=BilledLine)
        for key, raw in await store.state_rows(StateTable.CLAIM_LINES)
    }
    claims = [
        c
        for c in registered_claims(await store.state_rows(StateTable.CLAIMS))
        if c.encounter_id == encounter_id
    ]
    charges = []
    for p in positions.get(encounter_id, ()):
        on = billed.get(line_key(encounter_id, p.line_id))
        charges.append(
            ChargeRow(
                line_id=p.line_id,
                code=p.key[1],
                service_date=p.key[3],
                units=p.net_units,
                amount=p.net_amount,
                claim_id=on.claim_id if on else None,
                line_number=on.line_number if on else None,
            )
        )
    claim_ids = {c.claim_id for c in claims}
    postings = await _postings(store, claim_ids)
    names = {encounter_id, *claim_ids}
    journals = [
        JournalRow(
            business_key=j.journal.business_key,
            posting_date=j.journal.posting_date,
            description=j.journal.description,
            debits=sum((line.debit for line in j.journal.lines), Decimal(0)),
        )
        for j in posted_journals(await store.state_rows(StateTable.LEDGER_JOURNALS))
        if any(name in j.journal.business_key for name in names)
    ]
    return Trail(
        encounter_id=encounter_id,
        charges=charges,
        claims=claims,
        postings=postings,
        journals=journals,
        breaks=_breaks(charges, claims, postings),
    )
