"""Canonical events of the rest of the clinical record: results, documents, immunizations,
medications, referrals, problems, and the ADT events that track or prepare a visit.

The HL7 v2 mapping makes them of ORU/OUL, MDM, VXU, RDE/RDS, REF, PPR and the ADT family; no
business flow consumes most of them today, but a channel that receives them stores and routes them
like any other event (a results feed on an ADT channel is not an error).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import ClassVar

import msgspec

from careweave.model.care import Code, Provider
from careweave.model.clinical import ClinicalEvent
from careweave.model.identity import Identifier, PatientIdentity


class ObservationValue(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One OBX: what was observed and its value as sent (numeric values also as a number)."""

    set_id: str | None = None
    code: Code | None = None
    """OBX-3 (None when the sender left it empty)."""
    value_type: str | None = None
    """OBX-2 (``NM``, ``CWE``, ``ST``, ``TX``, ``SN`` ...)."""
    value: str | None = None
    numeric: decimal.Decimal | None = None
    coded: Code | None = None
    units: str | None = None
    reference_range: str | None = None
    abnormal_flags: tuple[str, ...] = ()
    status: str | None = None
    """OBX-11 (``F`` final, ``P`` preliminary, ``C`` corrected ...)."""
    observed_at: dt.datetime | None = None


class ResultReported(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """Results of one order (ORU^R01, OUL^R22-R24: OBR with its OBX)."""

    placer_order_number: str | None = None
    filler_order_number: str | None = None
    service: Code | None = None
    """OBR-4: what was ordered (a panel, a test)."""
    status: str | None = None
    """OBR-25 result status."""
    observed_at: dt.datetime | None = None
    observations: tuple[ObservationValue, ...] = ()


class DocumentNotified(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A clinical document was created, changed or its status moved (MDM^T01-T11: TXA)."""

    document_id: Identifier | None = None
    """TXA-12 unique document number."""
    document_type: str | None = None
    activity_at: dt.datetime | None = None
    completion_status: str | None = None
    """TXA-17 (``AU`` authenticated, ``DO`` documented, ``IP`` in progress ...)."""
    trigger: str
    """The MDM trigger (``T02`` original with content, ``T08`` edit ...)."""


class ImmunizationRecorded(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A vaccine was given, or recorded as historical or refused (VXU^V04: RXA)."""

    vaccine: Code
    administered_at: dt.datetime | None = None
    amount: decimal.Decimal | None = None
    units: str | None = None
    lot: str | None = None
    manufacturer: Code | None = None
    completion_status: str | None = None
    """RXA-20 (``CP`` complete, ``RE`` refused, ``NA`` not administered, ``PA`` partial)."""


class MedicationOrdered(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A pharmacy order (RDE^O11, RDE^O25: ORC + RXE)."""

    order_control: str | None = None
    placer_order_number: str | None = None
    medication: Code
    amount: decimal.Decimal | None = None
    units: str | None = None
    ordering_provider: Provider | None = None


class MedicationDispensed(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A dispense (RDS^O13: RXD)."""

    placer_order_number: str | None = None
    medication: Code
    dispensed_at: dt.datetime | None = None
    amount: decimal.Decimal | None = None
    units: str | None = None


class ReferralReceived(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A referral or its status (REF^I12, I14: RF1)."""

    referral_id: Identifier | None = None
    status: Code | None = None
    referral_type: Code | None = None
    reason: Code | None = None
    trigger: str


class ProblemUpdated(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A problem-list entry was added, changed or removed (PPR^PC1-PC3: PRB)."""

    action: str
    """PRB-1 (``AD`` add, ``UP`` update, ``DE`` delete ...)."""
    problem: Code
    problem_instance: Identifier | None = None
    onset_at: dt.datetime | None = None


class TrackingKind(enum.StrEnum):
    """What an ADT tracking or pending event announces."""

    DEPARTED = "departed"
    """A09: the patient left the unit (tracking, not a transfer)."""
    ARRIVED = "arrived"
    """A10."""
    PENDING_ADMISSION = "pending-admission"
    """A14."""
    PENDING_TRANSFER = "pending-transfer"
    """A15."""
    PENDING_DISCHARGE = "pending-discharge"
    """A16."""
    PENDING_DISCHARGE_CANCELLED = "pending-discharge-cancelled"
    """A25."""
    PENDING_TRANSFER_CANCELLED = "pending-transfer-cancelled"
    """A26."""
    PENDING_ADMISSION_CANCELLED = "pending-admission-cancelled"
    """A27."""


class PatientTracked(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A tracking or pending ADT event: nothing is billed or stocked on it."""

    kind: TrackingKind


class PersonInformationDeleted(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """The sender deleted a person's record (ADT A29)."""


class AccountMerged(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """Two accounts of one patient were merged (ADT A41): ``prior`` (MRG-3) lives on as PID-18."""

    prior_account: Identifier | None = None


class VisitMoved(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A visit moved from one patient to another (ADT A45): MRG names where it came from."""

    phi_fields: ClassVar[frozenset[str]] = ClinicalEvent.phi_fields | {"from_patient"}

    from_patient: PatientIdentity | None = None
    prior_visit: Identifier | None = None


class AllergiesUpdated(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """The patient's adverse reactions were updated (ADT A60: IAM, or AL1)."""

    allergens: tuple[Code, ...] = ()


class AccountsPurged(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """Accounts were purged from the sender (BAR^P02): archival, nothing to undo here."""

    accounts: tuple[Identifier, ...] = ()
