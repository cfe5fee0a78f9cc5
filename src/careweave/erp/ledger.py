"""Journals as careweave builds them: balanced per entity and currency, to the cent.

:class:`JournalBuilder` collects debits and credits with their GL segments and refuses to build a
journal that does not balance for every entity it touches (an intercompany journal balances each
side through its due-to / due-from pair). :class:`LedgerBook` is careweave's own sub-ledger of the
journals it prepared, kept in business state (``careweave.model.state``): each journal once by
business key (``LEDGER_JOURNALS``, with the late-posting move that dated it), the signed balance of
every account per period (``LEDGER_BALANCES``) and the entities posted for (``LEDGER_ENTITIES``), so
a replay never counts a journal twice and month-end close reads balances without scanning journals.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from careweave.erp.periods import LatePosting, Period, PeriodCalendar
from careweave.exceptions import ValidationError
from careweave.model.erp import GlSegments, JournalLine, JournalRequest
from careweave.model.state import BusinessState, StateTable, load, save

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


class PostedJournal(msgspec.Struct, frozen=True, kw_only=True):
    """A journal as careweave posted it, with the move that dated it when its period was closed."""

    journal: JournalRequest
    late: LatePosting | None = None


class AccountBalance(msgspec.Struct, kw_only=True):
    """Debits minus credits of one account of one entity in one currency, per period."""

    entity: str
    account: str
    currency: str
    by_period: dict[str, Decimal] = msgspec.field(default_factory=dict)
    """Net movement per ``YYYY-MM`` (of the posting date)."""

    def through(self, period: Period | None = None) -> Decimal:
        """The balance at the end of ``period`` (of every period when None)."""
        last = period.key if period is not None else None
        return sum(
            (amount for key, amount in self.by_period.items() if last is None or key <= last),
            ZERO,
        )


class LedgerEntity(msgspec.Struct, frozen=True, kw_only=True):
    """An entity careweave posted for, and when it first did."""

    entity: str
    first_posted: dt.date


ENTITIES_KEY = "entities"
"""The one ``LEDGER_ENTITIES`` row: every entity careweave posted for, sorted."""


def balance_key(entity: str, account: str, currency: str = "USD") -> str:
    """The row key of an account balance: ``entity|account|currency``."""
    return f"{entity}|{account}|{currency}"


class LedgerBook:
    """The journals careweave prepared and the balances they leave, kept in business state."""

    def __init__(self, state: BusinessState) -> None:
        self._state = state

    def posted(self, key: str) -> PostedJournal | None:
        """The journal recorded under business key ``key``, with its move, if any."""
        return load(self._state, StateTable.LEDGER_JOURNALS, key, PostedJournal)

    def journal(self, key: str) -> JournalRequest | None:
        """The journal recorded under business key ``key``, if any."""
        posted = self.posted(key)
        return posted.journal if posted is not None else None

    def record(self, journal: JournalRequest, *, late: LatePosting | None = None) -> bool:
        """Keep a journal and move its balances; False when its key was already recorded (a replay).

        ``late`` is the move that dated it (see :meth:`PeriodCalendar.posting_date`).
        """
        if self.posted(journal.business_key) is not None:
            return False
        save(
            self._state,
            StateTable.LEDGER_JOURNALS,
            journal.business_key,
            PostedJournal(journal=journal, late=late),
        )
        period = Period.of(journal.posting_date).key
        moved: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for line in ledger_lines(journal):
            moved[(line.entity, line.account)] += line.amount
        for (entity, account), amount in moved.items():
            balance = self.account(entity, account, currency=journal.currency)
            balance.by_period[period] = balance.by_period.get(period, ZERO) + amount
            key = balance_key(entity, account, journal.currency)
            save(self._state, StateTable.LEDGER_BALANCES, key, balance)
        self._add_entities({entity for entity, _account in moved}, journal.posting_date)
        return True

    def post(
        self,
        builder: JournalBuilder,
        key: str,
        entity: str,
        day: dt.date,
        description: str,
        *,
        calendar: PeriodCalendar,
        currency: str = "USD",
    ) -> JournalRequest | None:
        """Build, date and record a journal once per ``key``; None when it has no line.

        A journal dated in a closed period posts on the next open period's first day (the move is
        kept with it). A second call, a replay, returns the journal recorded first, unchanged.
        """
        if (known := self.journal(key)) is not None:
            return known
        if builder.empty:
            return None
        posting_day, late = calendar.posting_date(day, key)
        if late is not None:
            description = f"{description} (late: {day} is in a closed period)"
        journal = builder.build(key, entity, posting_day, description, currency=currency)
        self.record(journal, late=late)
        return journal

    def account(self, entity: str, account: str, *, currency: str = "USD") -> AccountBalance:
        """The stored balance of one account (empty when nothing was posted to it)."""
        key = balance_key(entity, account, currency)
        stored = load(self._state, StateTable.LEDGER_BALANCES, key, AccountBalance)
        return stored or AccountBalance(entity=entity, account=account, currency=currency)

    def balance(
        self,
        entity: str,
        account: str,
        *,
        through: Period | None = None,
        currency: str = "USD",
    ) -> Decimal:
        """Debits minus credits of one account of one entity posted up to the end of ``through``."""
        return self.account(entity, account, currency=currency).through(through)

    def entities(self) -> list[str]:
        """Every entity that has a line."""
        stored = load(self._state, StateTable.LEDGER_ENTITIES, ENTITIES_KEY, list[LedgerEntity])
        return [e.entity for e in stored or []]

    def _add_entities(self, entities: set[str], day: dt.date) -> None:
        known = load(self._state, StateTable.LEDGER_ENTITIES, ENTITIES_KEY, list[LedgerEntity])
        have = {e.entity for e in known or []}
        if entities <= have:
            return
        added = [LedgerEntity(entity=e, first_posted=day) for e in entities - have]
        rows = sorted([*(known or []), *added], key=lambda e: e.entity)
        save(self._state, StateTable.LEDGER_ENTITIES, ENTITIES_KEY, rows)


def posted_journals(rows: Iterable[tuple[str, bytes]]) -> list[PostedJournal]:
    """Journals from committed ``LEDGER_JOURNALS`` rows (for reports, the CLI and tests)."""
    return [msgspec.json.decode(value, type=PostedJournal) for _key, value in rows]


def account_balances(rows: Iterable[tuple[str, bytes]]) -> list[AccountBalance]:
    """Balances from committed ``LEDGER_BALANCES`` rows, by entity, account and currency."""
    return [msgspec.json.decode(value, type=AccountBalance) for _key, value in rows]
