"""Which encounters patient-to-billing registered with the revenue-cycle platform, in business state.

One row of ``StateTable.BILLING_ENCOUNTERS`` per encounter: whether its registration (patient and
coverage) was sent, and the diagnoses its charges carried so far (the registration and every later
update send them all). Written in the commit of the message that changed it, so a restart or a
second process does not register an encounter twice or reopen a discharged account.
"""

from __future__ import annotations

import msgspec

from careweave.model.rcm import RcmCoverage
from careweave.model.state import BusinessState, StateTable, load, save


class BillingEncounter(msgspec.Struct, frozen=True, kw_only=True):
    """What patient-to-billing told the platform about one encounter."""

    registered: bool = False
    diagnoses: tuple[str, ...] = ()
    coverage: RcmCoverage | None = None
    """The primary coverage the EHR last sent for the visit (IN1 of its ADT), if any."""


class BillingEncounters:
    """Registrations and diagnoses per encounter, in business state."""

    def __init__(self, state: BusinessState) -> None:
        self._state = state

    def get(self, encounter_id: str) -> BillingEncounter:
        """The encounter as recorded (not registered, no diagnosis when never seen)."""
        found = load(self._state, StateTable.BILLING_ENCOUNTERS, encounter_id, BillingEncounter)
        return found or BillingEncounter()

    def add_diagnoses(self, encounter_id: str, codes: tuple[str, ...]) -> tuple[str, ...]:
        """Append the codes not yet recorded, in order; returns every diagnosis of the encounter."""
        before = self.get(encounter_id)
        merged = before.diagnoses + tuple(
            dict.fromkeys(c for c in codes if c not in before.diagnoses)
        )
        if merged != before.diagnoses:
            self._put(encounter_id, msgspec.structs.replace(before, diagnoses=merged))
        return merged

    def record_coverage(self, encounter_id: str, coverage: RcmCoverage) -> bool:
        """Keep the visit's coverage; False when it is the one already recorded."""
        before = self.get(encounter_id)
        if before.coverage == coverage:
            return False
        self._put(encounter_id, msgspec.structs.replace(before, coverage=coverage))
        return True

    def register(self, encounter_id: str) -> bool:
        """Mark the encounter registered; False when it already was (send nothing again)."""
        before = self.get(encounter_id)
        if before.registered:
            return False
        self._put(encounter_id, msgspec.structs.replace(before, registered=True))
        return True

    def _put(self, encounter_id: str, value: BillingEncounter) -> None:
        save(self._state, StateTable.BILLING_ENCOUNTERS, encounter_id, value)
