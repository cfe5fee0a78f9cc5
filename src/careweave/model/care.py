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

    def key(self) -> str | None:
        """The visit number's key, else the account number's."""
        ident = self.visit_number or self.account_number
        return ident.key() if ident else None
