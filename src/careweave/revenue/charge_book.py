"""The charge ledgers of encounters, kept in business state so that a restart forgets nothing.

One row of ``StateTable.CHARGE_POSITIONS`` per encounter holds one :class:`ChargeLedger` snapshot
per chargemaster item (two different items billed under one HCPCS code, two balloon sizes under
C1725, are two charges, not a duplicate, and a credit reverses a charge of its own item). The row
is read and written inside the commit of the message that carries the charge, so duplicates and
credits are detected across restarts and across processes sharing PostgreSQL, and a message in
error leaves the ledger as it found it. Recording the same line id twice (a replay, a re-delivery)
gives back the first outcome: the netting itself stays in :mod:`careweave.revenue.charge_ledger`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from careweave.model.revenue import ChargeLine
from careweave.model.state import BusinessState, StateTable, load, save
from careweave.revenue.charge_ledger import (
    ChargeLedger,
    ChargePosition,
    LedgerOutcome,
    LedgerSnapshot,
)


class EncounterCharges(msgspec.Struct, frozen=True, kw_only=True):
    """One encounter's ledgers, by chargemaster item (transaction code)."""

    items: dict[str, LedgerSnapshot] = msgspec.field(default_factory=dict)


class ChargeBook:
    """Charge positions per encounter and chargemaster item, in business state."""

    def __init__(self, state: BusinessState) -> None:
        self._state = state

    def _encounter(self, encounter_id: str) -> EncounterCharges:
        found = load(self._state, StateTable.CHARGE_POSITIONS, encounter_id, EncounterCharges)
        return found or EncounterCharges()

    def ledger(self, encounter_id: str, charge_code: str) -> ChargeLedger:
        """The ledger of one item of an encounter, as committed (changes to it are not kept)."""
        return ChargeLedger(self._encounter(encounter_id).items.get(charge_code))

    def record(self, line: ChargeLine, charge_code: str) -> LedgerOutcome:
        """Record a charge or credit of item ``charge_code``; the outcome says whether it stands."""
        charges = self._encounter(line.encounter_id)
        ledger = ChargeLedger(charges.items.get(charge_code))
        outcome = ledger.record(line)
        if ledger.snapshot() != charges.items.get(charge_code):
            self._keep(line.encounter_id, charges, {charge_code: ledger})
        return outcome

    def positions(self, encounter_id: str) -> tuple[ChargePosition, ...]:
        """Every charge of an encounter (all items), with its credits netted."""
        return tuple(
            position
            for snapshot in self._encounter(encounter_id).items.values()
            for position in snapshot.positions
        )

    def reversed_by(self, encounter_id: str, charge_code: str, credit_line_id: str) -> str | None:
        """The line id of the charge a credit was netted against, if it was."""
        for position in self.ledger(encounter_id, charge_code).positions():
            if credit_line_id in position.credited_by:
                return position.line_id
        return None

    def cancel_encounter(self, encounter_id: str, at: dt.datetime) -> tuple[ChargeLine, ...]:
        """Credit every open charge of a cancelled encounter; returns the credits recorded.

        Credit line ids are ``<charge line id>:cancel``: cancelling twice credits once.
        """
        charges = self._encounter(encounter_id)
        ledgers = {code: ChargeLedger(snapshot) for code, snapshot in charges.items.items()}
        credits = tuple(
            credit
            for ledger in ledgers.values()
            for credit in ledger.cancel_encounter(encounter_id, at)
        )
        if credits:
            self._keep(encounter_id, charges, ledgers)
        return credits

    def _keep(
        self, encounter_id: str, charges: EncounterCharges, changed: dict[str, ChargeLedger]
    ) -> None:
        items = dict(charges.items)
        items.update((code, ledger.snapshot()) for code, ledger in changed.items())
        save(
            self._state,
            StateTable.CHARGE_POSITIONS,
            encounter_id,
            EncounterCharges(items=items),
        )


def encounter_positions(rows: Iterable[tuple[str, bytes]]) -> dict[str, tuple[ChargePosition, ...]]:
    """Every encounter's charge positions from committed ``CHARGE_POSITIONS`` rows.

    For reports and tests (``await store.state_rows(StateTable.CHARGE_POSITIONS)``).
    """
    found: dict[str, tuple[ChargePosition, ...]] = {}
    for encounter_id, value in rows:
        charges = msgspec.json.decode(value, type=EncounterCharges)
        found[encounter_id] = tuple(p for s in charges.items.values() for p in s.positions)
    return found
