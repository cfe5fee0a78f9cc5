"""The charges of encounters: duplicate detection, and credits netted against their charges.

Duplicate rule. A charge is a duplicate of an earlier one when both are charges (not credits) with
the same encounter, the same procedure code (the revenue code when there is none), the same
modifiers in any order, the same service date and the same units, and a different line id; the
earlier one still has units that no credit took back. The same line id received twice is a
re-delivery, not a duplicate. A repeat service is billed with a repeat modifier (76, 77, 91),
which makes its key different, so the rule never blocks a real repeat.

Credit rule. A credit (FT1 CD, a cancelled case) reverses the charge named by ``reverses_line_id``
when the sender gives it; otherwise the earliest open charge with the same encounter, code,
modifiers and service date that still has enough units and amount. A credit naming no matching
charge is an orphan, and a credit larger (in units or amount) than what is left of its charge is
refused: both become exception cases rather than negative balances. A credit that takes the last
units of a charge takes back exactly the amount left, whatever amount it carries.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from careweave.model.revenue import ChargeLine, ChargeReason, ChargeTransactionType

_CENT = Decimal("0.01")

ChargeKey = tuple[str, str, tuple[str, ...], dt.date]
"""Encounter, code, sorted modifiers, service date: what a credit is matched on."""


def charge_key(line: ChargeLine) -> ChargeKey:
    """The service a line charges for, irrespective of modifier order."""
    code = line.procedure_code or f"rev:{line.revenue_code or '-'}"
    return (line.encounter_id, code, tuple(sorted(line.modifiers)), line.service_date)


class PositionStatus(enum.StrEnum):
    """How much of a charge still stands."""

    OPEN = "open"
    PARTIALLY_CREDITED = "partially_credited"
    REVERSED = "reversed"


class ChargePosition(msgspec.Struct, frozen=True, kw_only=True):
    """A charge and what credits took back from it."""

    line_id: str
    encounter_id: str
    key: ChargeKey
    charged_units: Decimal
    charged_amount: Decimal | None
    credited_units: Decimal = Decimal(0)
    credited_amount: Decimal = Decimal(0)
    credited_by: tuple[str, ...] = ()

    @property
    def net_units(self) -> Decimal:
        """Units still billed."""
        return self.charged_units - self.credited_units

    @property
    def net_amount(self) -> Decimal | None:
        """Amount still billed, when the charge was priced."""
        if self.charged_amount is None:
            return None
        return self.charged_amount - self.credited_amount

    @property
    def status(self) -> PositionStatus:
        """Open, partially credited or fully reversed."""
        if self.credited_units == 0:
            return PositionStatus.OPEN
        if self.net_units > 0:
            return PositionStatus.PARTIALLY_CREDITED
        return PositionStatus.REVERSED


class LedgerOutcomeKind(enum.StrEnum):
    """What recording a line did."""

    ACCEPTED = "accepted"
    REDELIVERED = "redelivered"
    DUPLICATE = "duplicate"
    CREDITED = "credited"
    REFUSED = "refused"


class LedgerOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """The result of recording one line; ``reason`` is set when a person must look at it."""

    line_id: str
    kind: LedgerOutcomeKind
    original_line_id: str | None = None
    """The charge a duplicate repeats, or the charge a credit was netted against."""
    reason: ChargeReason | None = None
    message: str = ""


class LedgerSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A ledger as business state keeps it: positions in capture order, credits and held lines."""

    positions: tuple[ChargePosition, ...] = ()
    credits: dict[str, LedgerOutcome] = msgspec.field(default_factory=dict)
    """Credits netted, by line id (a re-delivered credit is recognised, not netted twice)."""
    held: dict[str, LedgerOutcome] = msgspec.field(default_factory=dict)
    """Lines refused or held as duplicates, by line id (a re-delivery gets the same outcome)."""


class ChargeLedger:
    """Charges and credits of encounters, in the order they were captured.

    The netting rules are pure: a ledger starts from a :class:`LedgerSnapshot` (empty by default)
    and :meth:`snapshot` gives back what to keep (``careweave.revenue.charge_book`` keeps it in
    business state).
    """

    def __init__(self, snapshot: LedgerSnapshot | None = None) -> None:
        start = snapshot or LedgerSnapshot()
        self._positions: dict[str, ChargePosition] = {p.line_id: p for p in start.positions}
        self._credits: dict[str, LedgerOutcome] = dict(start.credits)
        self._held: dict[str, LedgerOutcome] = dict(start.held)

    def snapshot(self) -> LedgerSnapshot:
        """Everything the ledger recorded, to be stored and given back to a new ledger."""
        return LedgerSnapshot(
            positions=tuple(self._positions.values()),
            credits=dict(self._credits),
            held=dict(self._held),
        )

    def record(self, line: ChargeLine) -> LedgerOutcome:
        """Record a charge or a credit; the outcome says whether it stands."""
        if line.line_id in self._positions or line.line_id in self._credits:
            return LedgerOutcome(line_id=line.line_id, kind=LedgerOutcomeKind.REDELIVERED)
        if line.line_id in self._held:
            return self._held[line.line_id]
        outcome = self._credit(line) if line.is_credit else self._charge(line)
        if outcome.kind is LedgerOutcomeKind.CREDITED:
            self._credits[line.line_id] = outcome
        elif outcome.reason is not None:
            self._held[line.line_id] = outcome
        return outcome

    def positions(self, encounter_id: str | None = None) -> tuple[ChargePosition, ...]:
        """Every charge recorded (of one encounter), with its credits netted."""
        return tuple(p for p in self._positions.values() if encounter_id in (None, p.encounter_id))

    def held(self) -> tuple[LedgerOutcome, ...]:
        """Lines refused or held as duplicates: each needs an exception case."""
        return tuple(self._held.values())

    def cancel_encounter(self, encounter_id: str, at: dt.datetime) -> tuple[ChargeLine, ...]:
        """Credit every open charge of a cancelled encounter; returns the credits it recorded.

        Credit line ids are ``<charge line id>:cancel`` so that cancelling twice credits once.
        """
        credits: list[ChargeLine] = []
        for position in self.positions(encounter_id):
            if position.net_units <= 0:
                continue
            encounter, code, modifiers, service_date = position.key
            credit = ChargeLine(
                line_id=f"{position.line_id}:cancel",
                encounter_id=encounter,
                service_date=service_date,
                transaction_type=ChargeTransactionType.CREDIT,
                procedure_code=None if code.startswith("rev:") else code,
                revenue_code=code[4:] if code.startswith("rev:") else None,
                modifiers=modifiers,
                units=position.net_units,
                amount=position.net_amount,
                captured_at=at,
                reverses_line_id=position.line_id,
            )
            self.record(credit)
            credits.append(credit)
        return tuple(credits)

    def _charge(self, line: ChargeLine) -> LedgerOutcome:
        key = charge_key(line)
        for position in self._positions.values():
            if position.key == key and position.charged_units == line.units and position.net_units:
                return LedgerOutcome(
                    line_id=line.line_id,
                    kind=LedgerOutcomeKind.DUPLICATE,
                    original_line_id=position.line_id,
                    reason=ChargeReason.DUPLICATE_CHARGE,
                    message=f"same encounter, code, modifiers, date and units as {position.line_id}",
                )
        self._positions[line.line_id] = ChargePosition(
            line_id=line.line_id,
            encounter_id=line.encounter_id,
            key=key,
            charged_units=line.units,
            charged_amount=line.amount,
        )
        return LedgerOutcome(line_id=line.line_id, kind=LedgerOutcomeKind.ACCEPTED)

    def _credit(self, line: ChargeLine) -> LedgerOutcome:
        units = abs(line.units)
        candidates = self._candidates(line)
        if not candidates:
            return self._refuse(line, ChargeReason.ORPHAN_CREDIT, "no charge matches the credit")
        amount = abs(line.amount) if line.amount is not None else None
        target = next((p for p in candidates if _covers(p, units, amount)), None)
        if target is None:
            left = ", ".join(f"{p.line_id} has {p.net_units} ({p.net_amount})" for p in candidates)
            return self._refuse(
                line,
                ChargeReason.CREDIT_EXCEEDS_CHARGE,
                f"credit of {units} units ({amount}) but {left}",
            )
        self._positions[target.line_id] = _apply_credit(target, line, units)
        return LedgerOutcome(
            line_id=line.line_id,
            kind=LedgerOutcomeKind.CREDITED,
            original_line_id=target.line_id,
        )

    def _candidates(self, line: ChargeLine) -> list[ChargePosition]:
        if line.reverses_line_id is not None:
            named = self._positions.get(line.reverses_line_id)
            return [named] if named is not None else []
        key = charge_key(line)
        return [p for p in self._positions.values() if p.key == key]

    @staticmethod
    def _refuse(line: ChargeLine, reason: ChargeReason, message: str) -> LedgerOutcome:
        return LedgerOutcome(
            line_id=line.line_id,
            kind=LedgerOutcomeKind.REFUSED,
            original_line_id=line.reverses_line_id,
            reason=reason,
            message=message,
        )


def _covers(position: ChargePosition, units: Decimal, amount: Decimal | None) -> bool:
    """Whether what is left of a charge can absorb a credit of these units and amount."""
    if position.net_units < units:
        return False
    net_amount = position.net_amount
    return amount is None or net_amount is None or amount <= net_amount


def _apply_credit(position: ChargePosition, credit: ChargeLine, units: Decimal) -> ChargePosition:
    if units == position.net_units and position.net_amount is not None:
        # A credit taking the last units takes back exactly what is left: no cent of rounding
        # or of a price changed since the charge may stay billed on a line with no units.
        amount = position.net_amount
    elif credit.amount is not None:
        amount = abs(credit.amount)
    elif position.charged_amount is None:
        amount = Decimal(0)
    else:
        amount = (position.charged_amount * units / position.charged_units).quantize(_CENT)
    return msgspec.structs.replace(
        position,
        credited_units=position.credited_units + units,
        credited_amount=position.credited_amount + amount,
        credited_by=(*position.credited_by, credit.line_id),
    )


def net_charges(lines: Iterable[ChargeLine]) -> ChargeLedger:
    """A ledger with the lines recorded in the order given (capture order)."""
    ledger = ChargeLedger()
    for line in lines:
        ledger.record(line)
    return ledger
