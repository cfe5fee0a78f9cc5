"""Settings of an EHR traffic scenario: volume, encounter mix, event rates, defects."""

from __future__ import annotations

import datetime as dt

import msgspec


class EncounterMix(msgspec.Struct, frozen=True, kw_only=True):
    """Relative weights of the encounter kinds started each day (they need not sum to 1)."""

    clinic_visit: float = 0.35
    """Ambulatory clinic visit: SIU booking, A04, office charges from the physician group."""
    ed_visit: float = 0.15
    """Emergency department visit treated and released: A04, labs, ED charges, A03."""
    inpatient_stay: float = 0.2
    """Medical admission: A01, transfers, daily room charges, A03."""
    cath_lab_case: float = 0.2
    """Scheduled coronary catheterization (diagnostic or PCI with stents) with supplies."""
    device_implant: float = 0.1
    """Pacemaker implant: generator and leads, serial-tracked implants."""


class EventRates(msgspec.Struct, frozen=True, kw_only=True):
    """Probabilities of optional lifecycle events, each drawn once per eligible encounter."""

    demographics_update: float = 0.3
    """An A08 update during the encounter."""
    transfer: float = 0.5
    """An A02 transfer during an inpatient stay."""
    cancel_transfer: float = 0.1
    """An A12 cancelling the transfer just sent."""
    cancel_admit: float = 0.03
    """An A11 cancelling an admission or registration entered in error (the encounter ends there)."""
    cancel_discharge: float = 0.05
    """An A13 cancelling a discharge, followed later by the real A03."""
    charge_credit: float = 0.08
    """A DFT crediting (reversing) a charge line posted earlier on the same visit."""
    duplicate_registration: float = 0.04
    """The patient is registered under a second MRN and later merged back by an A40."""
    reschedule: float = 0.15
    """An SIU^S13 moving a booked appointment."""
    modify_appointment: float = 0.1
    """An SIU^S14 changing a booked appointment's resources."""
    cancel_appointment: float = 0.06
    """An SIU^S15 (and ORC CA) cancelling a booked case: no encounter follows."""


class EhrScenarioConfig(msgspec.Struct, frozen=True, kw_only=True):
    """What the simulated EHR sends: one seed makes one byte-identical stream."""

    seed: int = 1
    """Seed of the scenario's ``random.Random``; nothing else is random."""
    enterprise_seed: int | None = None
    """Seed of the enterprise: facility NPIs, providers, the patient population and which catalog
    codes the ERP lacks; None: ``seed``. Fixed, it keeps one health system (one set of master data,
    see :mod:`careweave.sandbox.health_system`) across days generated with different seeds."""
    start_date: dt.date = dt.date(2025, 3, 3)
    """First simulated day (local time of the health system)."""
    days: int = 1
    """Number of days on which new encounters start (stays may run past the last one)."""
    encounters_per_day: int = 40
    """Encounters started per day across all facilities."""
    patients: int = 0
    """Size of the patient population; 0 means two patients per encounter started."""
    mix: EncounterMix = msgspec.field(default_factory=EncounterMix)
    """Weights of the encounter kinds."""
    rates: EventRates = msgspec.field(default_factory=EventRates)
    """Probabilities of optional lifecycle events."""
    malformed_rate: float = 0.0
    """Fraction of the emitted messages that are deliberately damaged copies (flagged)."""
    item_mismatch_rate: float = 0.1
    """Fraction of EHR supply item codes deliberately absent from the ERP item master."""

    def __post_init__(self) -> None:
        if self.days < 1 or self.encounters_per_day < 0 or self.patients < 0:
            raise ValueError("days must be >= 1, encounters_per_day and patients >= 0")
        for name in ("malformed_rate", "item_mismatch_rate"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value}")
