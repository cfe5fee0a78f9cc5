"""Canonical clinical events: admissions, transfers, merges, orders, appointments, procedures.

Every event carries the patient it is about and, when known, the encounter. Events are ordered
per patient (``ordering_key``): a merge, an admission and the charges of the stay must reach a
destination in the order they happened, and the patient is the one key all of them share.
Time convention: see :mod:`careweave.model.care`.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar

from careweave.model.base import BusinessEvent
from careweave.model.care import Code, Encounter, EncounterClass, Location, Provider
from careweave.model.identity import Identifier, PatientIdentity

_PHI: frozenset[str] = frozenset({"patient", "encounter"})


def business_key(kind: str, *parts: str | None) -> str:
    """An idempotency key: ``kind:part:part``; a missing part is written ``-``.

    The parts name the business identity of the event (visit, order, line), never delivery facts
    such as a receive time, so a re-sent message yields the same key.
    """
    return ":".join((kind, *(p if p else "-" for p in parts)))


class ClinicalEvent(BusinessEvent, frozen=True, kw_only=True, omit_defaults=True):
    """An event about a patient, possibly within an encounter."""

    phi_fields: ClassVar[frozenset[str]] = _PHI

    patient: PatientIdentity
    encounter: Encounter | None = None

    def ordering_key(self) -> str | None:
        """Events about one patient are delivered in order."""
        return f"patient:{self.patient.key()}"


class PatientRegistered(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A patient was registered for a visit (ADT A04) or pre-admitted (A05)."""

    preadmission: bool = False


class PatientAdmitted(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A patient was admitted (ADT A01)."""


class PatientTransferred(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A patient moved to another location (ADT A02); the new location is on the encounter."""

    prior_location: Location | None = None


class PatientDischarged(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A patient's visit ended (ADT A03)."""

    disposition: Code | None = None


class PatientUpdated(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """Patient or visit information changed (ADT A08)."""


class EncounterReclassified(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A visit changed class: outpatient to inpatient (ADT A06) or back (A07).

    Billing cares: the claim type and the charges' revenue codes follow the class.
    """

    previous_class: EncounterClass | None = None
    prior_visit_number: Identifier | None = None
    prior_account_number: Identifier | None = None


class CancelledAction(enum.StrEnum):
    """What a cancellation undoes."""

    ADMISSION = "admission"
    TRANSFER = "transfer"
    DISCHARGE = "discharge"


class VisitCancelled(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """An earlier admission (A11), transfer (A12) or discharge (A13) was cancelled."""

    cancelled: CancelledAction


class PatientsMerged(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """Two patient records were merged (ADT A40): ``merged`` now lives on as ``patient``."""

    phi_fields: ClassVar[frozenset[str]] = _PHI | {"merged"}

    merged: PatientIdentity


class PatientIdentifierChanged(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A patient's identifier was corrected (ADT A47): ``prior`` is now ``patient``'s (PID-3)."""

    phi_fields: ClassVar[frozenset[str]] = _PHI | {"prior"}

    prior: PatientIdentity


class OrderPlaced(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """An order was placed or changed (ORM O01, OML O21); ``order_control`` says how (NW, CA)."""

    order_control: str
    placer_order_number: str | None = None
    filler_order_number: str | None = None
    code: Code | None = None
    ordering_provider: Provider | None = None
    ordered_at: dt.datetime | None = None
    diagnoses: tuple[Code, ...] = ()


class AppointmentEvent(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """Facts shared by every appointment event (SIU)."""

    appointment_id: Identifier
    filler_appointment_id: Identifier | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    duration_minutes: int | None = None
    service: Code | None = None
    reason: Code | None = None
    status: str | None = None
    location: Location | None = None
    provider: Provider | None = None


class AppointmentScheduled(AppointmentEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A new appointment was booked (SIU S12)."""


class AppointmentRescheduled(AppointmentEvent, frozen=True, kw_only=True, omit_defaults=True):
    """An appointment moved to another time (SIU S13)."""


class AppointmentModified(AppointmentEvent, frozen=True, kw_only=True, omit_defaults=True):
    """An appointment's details changed (SIU S14)."""


class AppointmentCancelled(AppointmentEvent, frozen=True, kw_only=True, omit_defaults=True):
    """An appointment was cancelled (SIU S15)."""

    cancel_reason: Code | None = None


class AppointmentDiscontinued(AppointmentEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A recurring appointment's remaining occurrences were discontinued (SIU S16)."""


class AppointmentDeleted(AppointmentEvent, frozen=True, kw_only=True, omit_defaults=True):
    """An appointment was deleted, as if never booked (SIU S17)."""


class AppointmentNoShow(AppointmentEvent, frozen=True, kw_only=True, omit_defaults=True):
    """The patient did not come (SIU S26)."""


class ProcedureDocumented(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A procedure was documented on the case (PR1, FHIR Procedure)."""

    procedure_id: str
    """The sender's procedure identifier, else the procedure's set id within the message."""
    code: Code
    performed_at: dt.datetime | None = None
    performed_end: dt.datetime | None = None
    surgeon: Provider | None = None
    performers: tuple[Provider, ...] = ()
    modifiers: tuple[str, ...] = ()
    status: str | None = None
