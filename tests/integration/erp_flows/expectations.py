"""What a scenario should have done to the ERP, computed from the scenario itself (not the flows)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from careweave.codecs.hl7v2 import parse_message
from careweave.erp.ledger import LedgerLine
from careweave.mappings.hl7v2_clinical import map_message
from careweave.model.charges import ChargeCaptured
from careweave.model.supplies import SupplyUsed
from careweave.sandbox.ehr import GeneratedMessage
from careweave.sandbox.erp.records import JournalRecord


def events_of(messages: list[GeneratedMessage]) -> tuple[list[SupplyUsed], list[ChargeCaptured]]:
    """Supplies and charges of the messages, once per business key."""
    supplies: dict[str, SupplyUsed] = {}
    charges: dict[str, ChargeCaptured] = {}
    for message in messages:
        for event in map_message(parse_message(message.raw)):
            if isinstance(event, SupplyUsed):
                supplies.setdefault(event.idempotency_key, event)
            elif isinstance(event, ChargeCaptured):
                charges.setdefault(event.idempotency_key, event)
    return list(supplies.values()), list(charges.values())


def ledger_from_erp(journals: list[JournalRecord]) -> list[LedgerLine]:
    """The ERP's posted journals as signed ledger lines."""
    return [
        LedgerLine(
            journal_key=j.external_id,
            entity=line.segments.entity,
            posting_date=j.posting_date,
            account=line.segments.account,
            cost_center=line.segments.cost_center,
            service_line=line.segments.service_line,
            physician_group=line.segments.physician_group,
            currency=j.currency,
            amount=line.debit - line.credit,
            memo=line.memo,
        )
        for j in journals
        for line in j.lines
    ]


def unbalanced(journals: list[JournalRecord]) -> list[str]:
    """Journals that do not balance for some entity and currency."""
    bad = []
    for j in journals:
        per: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for line in j.lines:
            per[(line.segments.entity, j.currency)] += line.debit - line.credit
        if any(v != 0 for v in per.values()):
            bad.append(j.journal_id)
    return bad


def intercompany_by_period(
    journals: list[JournalRecord], accounts: tuple[str, str]
) -> dict[str, Decimal]:
    """Sum of due-to and due-from lines per period (zero when the pairs net out)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for j in journals:
        for line in j.lines:
            if line.segments.account in accounts:
                totals[f"{j.posting_date:%Y-%m}"] += line.debit - line.credit
    return dict(totals)


def day_of(supply: SupplyUsed) -> dt.date:
    when = supply.used_at or supply.occurred_at
    assert when is not None
    return when.date()
