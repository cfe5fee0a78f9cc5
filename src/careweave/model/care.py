"""Where and by whom care happens: codes, providers, locations and encounters.

Time convention (applies to every canonical event): a timestamp that arrived with a UTC offset is
kept as an aware :class:`datetime.datetime`; one that arrived without an offset stays *naive* and
means "the sender's local wall-clock time" (careweave never guesses a zone); a value that carried
only a date becomes a naive datetime at midnight where a datetime is expected. Pure calendar
facts (birth date, service date) are :class:`datetime.date`.
"""

from __future__ import annotations

import datetime as dt
import enum

import msgspec

from careweave.model.identity import Identifier, PersonName


class Code(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A coded concept: ``system`` is the coding system as sent (``C4``, ``I10``, a URI)."""

    code: str
    system: str | None = None
    display: str | None = None


class Provider(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A clinician. ``npi`` is set only when the sender marked the identifier as an NPI."""

    npi: str | None = None
    identifier: Identifier | None = None
    name: PersonName | None = None

    def key(self) -> str | None:
        """The NPI, else the local identifier's key."""
        if self.npi:
            return f"npi|{self.npi}"
        return self.identifier.key() if self.identifier else None


class Location(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A place in a facility (HL7 v2 PL: point of care, room, bed, facility, building, floor)."""

    facility: str | None = None
    point_of_care: str | None = None
    room: str | None = None
    bed: str | None = None
    building: str | None = None
    floor: str | None = None
    description: str | None = None

    def display(self) -> str:
        """``facility/point of care/room/bed``, skipping empty parts."""
        parts = (self.facility, self.point_of_care, self.room, self.bed)
        return "/".join(p for p in parts if p) or (self.description or "")


class EncounterClass(enum.StrEnum):
    """The kind of encounter (HL7 v2 table 0004 and FHIR v3 ActCode mapped onto one list)."""

    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"
    EMERGENCY = "emergency"
    PREADMISSION = "preadmission"
    RECURRING = "recurring"
    OBSTETRICS = "obstetrics"
    OBSERVATION = "observation"
    COMMERCIAL = "commercial"
    HOME_HEALTH = "home-health"
    VIRTUAL = "virtual"
    SHORT_STAY = "short-stay"
    NOT_APPLICABLE = "not-applicable"
    UNKNOWN = "unknown"


class InsuranceCoverage(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One insurance plan covering the patient for a visit (HL7 v2 IN1/IN2, FHIR Coverage).

    ``sequence`` orders coordination of benefits: 1 is the primary payer. ``plan_type`` is the
    sender's plan type (IN1-15: ``MC`` Medicare, ``MD`` Medicaid, ``HMO``, ``PPO``, ``SP`` self-pay)
    from which, with the payer master, claims take their filing indicator (SBR09).
    """

    sequence: int = 1
    payer_id: str
    """IN1-3: the insurance company's id (the payer id claims name)."""
    payer_name: str | None = None
    plan_id: str | None = None
    plan_type: str | None = None
    member_id: str | None = None
    """IN1-36 policy number, else IN2-8 Medicaid or IN2-6 Medicare number (FHIR subscriberId)."""
    group_number: str | None = None
    relationship: str | None = None
    """The patient's relationship to the insured (IN1-17, table 0063: ``SEL`` self, ``SPO`` ...)."""
    insured_name: PersonName | None = None
    effective: dt.date | None = None
    expires: dt.date | None = None

    @property
    def self_pay(self) -> bool:
        """True for a self-pay "plan" (nothing to bill a payer for)."""
        return (self.plan_type or "").upper() == "SP"


class Encounter(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A visit: what the charges, procedures and supplies of a stay hang off."""

    visit_number: Identifier | None = None
    account_number: Identifier | None = None
    encounter_class: EncounterClass | None = None
    location: Location | None = None
    attending: Provider | None = None
    admitting: Provider | None = None
    hospital_service: str | None = None
    admitted_at: dt.datetime | None = None
    discharged_at: dt.datetime | None = None
    coverages: tuple[InsuranceCoverage, ...] = ()
    """The insurance the message carried for the visit, primary first (empty when it sent none)."""

    def primary_coverage(self) -> InsuranceCoverage | None:
        """The coverage with the lowest sequence that is not self-pay, if any."""
        billable = [c for c in self.coverages if not c.self_pay]
        return min(billable, key=lambda c: c.sequence, default=None)

    def key(self) -> str | None:
        """The visit number's key, else the account number's."""
        ident = self.visit_number or self.account_number
        return ident.key() if ident else None
