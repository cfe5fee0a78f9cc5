"""Journals as careweave builds them: balanced per entity and currency, to the cent.

:class:`JournalBuilder` collects debits and credits with their GL segments and refuses to build a
journal that does not balance for every entity it touches (an intercompany journal balances each
side through its due-to / due-from pair). :class:`LedgerBook` is careweave's own sub-ledger of the
journals it prepared, keyed by business key, so a replay never counts a journal twice; month-end
close and reconciliation read balances from it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from careweave.connectors.erp.models import GlSegments, JournalLine, JournalRequest
from careweave.exceptions import ValidationError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def entity_balances(journal: JournalRequest) -> dict[str, Decimal]:
    """Debits minus credits per line entity (all zero for a journal that balances)."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in journal.lines:
        totals[line.segments.entity] += line.debit - line.credit
    return dict(totals)


def check_journal(journal: JournalRequest) -> None:
    """Raise ValidationError naming the problem when a journal is malformed or unbalanced."""
    if len(journal.lines) < 2:
        raise ValidationError(f"journal {journal.business_key}: needs two lines or more")
    for n, line in enumerate(journal.lines, 1):
        if (line.debit == 0) == (line.credit == 0) or line.debit < 0 or line.credit < 0:
            raise ValidationError(
                f"journal {journal.business_key} line {n}: exactly one positive amount is needed"
            )
    for entity, balance in entity_balances(journal).items():
        if balance != 0:
            raise ValidationError(
                f"journal {journal.business_key}: entity {entity} is out of balance by {balance} "
                f"{journal.currency}"
            )


class JournalBuilder:
    """Collects the lines of one journal."""

    def __init__(self) -> None:
        self._lines: list[JournalLine] = []

    def debit(self, segments: GlSegments, amount: Decimal, memo: str = "") -> None:
        """Add a debit (a negative amount becomes a credit; zero adds nothing)."""
        self._add(segments, cents(amount), memo)

    def credit(self, segments: GlSegments, amount: Decimal, memo: str = "") -> None:
        """Add a credit (a negative amount becomes a debit; zero adds nothing)."""
        self._add(segments, -cents(amount), memo)

    def _add(self, segments: GlSegments, signed: Decimal, memo: str) -> None:
        if signed > 0:
            self._lines.append(JournalLine(segments, debit=signed, credit=ZERO, memo=memo))
        elif signed < 0:
            self._lines.append(JournalLine(segments, debit=ZERO, credit=-signed, memo=memo))

    @property
    def empty(self) -> bool:
        """True when nothing was added (every amount was zero)."""
        return not self._lines

    def build(
        self,
        business_key: str,
        entity: str,
        posting_date: dt.date,
        description: str,
        *,
        currency: str = "USD",
    ) -> JournalRequest:
        """The journal, checked to balance per entity."""
        journal = JournalRequest(
            business_key=business_key,
            entity=entity,
            posting_date=posting_date,
            lines=list(self._lines),
            description=description,
            currency=currency,
        )
        check_journal(journal)
        return journal


class LedgerLine(msgspec.Struct, frozen=True, kw_only=True):
    """One journal line, flat, signed (debit positive), for balances and reconciliation."""

    journal_key: str
    entity: str
    posting_date: dt.date
    account: str
    cost_center: str
    service_line: str
    physician_group: str
    currency: str
    amount: Decimal
    memo: str = ""


def ledger_lines(journal: JournalRequest) -> list[LedgerLine]:
    """The signed lines of a journal."""
    return [
        LedgerLine(
            journal_key=journal.business_key,
            entity=line.segments.entity,
            posting_date=journal.posting_date,
            account=line.segments.account,
            cost_center=line.segments.cost_center,
            service_line=line.segments.service_line,
            physician_group=line.segments.physician_group,
            currency=journal.currency,
            amount=line.debit - line.credit,
            memo=line.memo,
        )
        for line in journal.lines
    ]


class LedgerBook:
    """The journals careweave prepared, once each by business key (thread-safe)."""

    def __init__(self, journals: Iterable[JournalRequest] = ()) -> None:
        self._lock = threading.Lock()
        self._journals: dict[str, JournalRequest] = {}
        for journal in journals:
            self.record(journal)

    def record(self, journal: JournalRequest) -> bool:
        """Keep a journal; False when its business key was already recorded (a replay)."""
        with self._lock:
            if journal.business_key in self._journals:
                return False
            self._journals[journal.business_key] = journal
            return True

    def journals(self) -> list[JournalRequest]:
        """Every recorded journal, in recording order."""
        with self._lock:
            return list(self._journals.values())

    def lines(self) -> list[LedgerLine]:
        """Every line of every recorded journal."""
        return [line for journal in self.journals() for line in ledger_lines(journal)]

    def balance(
        self, entity: str, account: str, *, through: dt.date, currency: str = "USD"
    ) -> Decimal:
        """Debits minus credits of one account of one entity posted on or before ``through``."""
        return sum(
            (
                line.amount
                for line in self.lines()
                if line.entity == entity
                and line.account == account
                and line.currency == currency
                and line.posting_date <= through
            ),
            ZERO,
        )

    def entities(self) -> list[str]:
        """Every entity that has a line."""
        return sorted({line.entity for line in self.lines()})
