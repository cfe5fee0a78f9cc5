"""The simulated ERP's general ledger: a trial balance from the journals it accepted.

Double entry as the ERP keeps it, from its own records (:class:`JournalRecord`, nothing of
careweave's): every line of every accepted journal is a debit or a credit of one account of one
entity (the line's entity segment, so each side of an intercompany journal counts in its own
books) in the period of the journal's posting date. The trial balance sums them per entity,
account and period; across all accounts of an entity, debits equal credits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from careweave.exceptions import ValidationError
from careweave.sandbox.erp.records import JournalRecord

ZERO = Decimal("0.00")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class TrialBalanceRow(msgspec.Struct, frozen=True, kw_only=True):
    """Debits, credits and balance (debits - credits) of one account of one entity in a period."""

    entity: str
    account: str
    period: str
    """``YYYY-MM`` of the posting dates."""
    debits: Decimal
    credits: Decimal
    balance: Decimal


def period_of(day: dt.date) -> str:
    """The ``YYYY-MM`` period a posting date falls in."""
    return f"{day:%Y-%m}"


def check_period(period: str | None) -> None:
    """Refuse a period that is not ``YYYY-MM`` (None means every period)."""
    if period is not None and not _PERIOD.match(period):
        raise ValidationError(f"period {period!r} is not YYYY-MM")


def trial_balance(
    journals: Iterable[JournalRecord], *, period: str | None = None, entity: str | None = None
) -> list[TrialBalanceRow]:
    """The trial balance of ``journals``, of one period and one entity when given.

    Rows are sorted by entity, period and account.
    """
    check_period(period)
    sums: dict[tuple[str, str, str], list[Decimal]] = {}
    for journal in journals:
        when = period_of(journal.posting_date)
        if period is not None and when != period:
            continue
        for line in journal.lines:
            owner = line.segments.entity
            if entity is not None and owner != entity:
                continue
            found = sums.setdefault((owner, when, line.segments.account), [ZERO, ZERO])
            found[0] += line.debit
            found[1] += line.credit
    return [
        TrialBalanceRow(
            entity=owner,
            account=account,
            period=when,
            debits=debits,
            credits=credits,
            balance=debits - credits,
        )
        for (owner, when, account), (debits, credits) in sorted(sums.items())
    ]
