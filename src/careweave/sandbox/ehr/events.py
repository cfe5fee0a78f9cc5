"""Clinical events the simulator produces before they are written as HL7 messages.

Each event carries a snapshot of the visit as it stood when the event happened, so rendering is a
pure function of the event and the sender's dialect.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import msgspec

from careweave.sandbox.ehr.catalog import CatalogItem
from careweave.sandbox.ehr.chargemaster import ChargeDefinition, Diagnosis
from careweave.sandbox.ehr.organization import CareUnit, Facility, Provider
from careweave.sandbox.ehr.population import Patient


class EventKind(enum.StrEnum):
    """What happened; the value is the HL7 message type and trigger it becomes."""

    ADMIT = "ADT^A01"
    TRANSFER = "ADT^A02"
    DISCHARGE = "ADT^A03"
    REGISTER = "ADT^A04"
    UPDATE = "ADT^A08"
    CANCEL_ADMIT = "ADT^A11"
    CANCEL_TRANSFER = "ADT^A12"
    CANCEL_DISCHARGE = "ADT^A13"
    MERGE = "ADT^A40"
    ORDER = "ORM^O01"
    BOOK = "SIU^S12"
    RESCHEDULE = "SIU^S13"
    MODIFY = "SIU^S14"
    CANCEL_BOOKING = "SIU^S15"
    CHARGES = "DFT^P03"


class Location(msgspec.Struct, frozen=True):
    """A bed or room inside a unit."""

    unit: CareUnit
    room: str
    bed: str


class VisitSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A visit (encounter) as it stood at one moment."""

    visit_number: str
    account_number: str
    mrn: str
    """The MRN this visit was registered under (a duplicate one until merged)."""
    patient_class: str
    """PV1-2: I inpatient, O outpatient, E emergency."""
    admission_type: str
    hospital_service: str
    location: Location
    prior_location: Location | None
    attending: Provider
    referring: Provider | None
    admit_time: dt.datetime
    discharge_time: dt.datetime | None
    diagnoses: tuple[Diagnosis, ...]
    hospital_visit_number: str = ""
    """For professional charges: the hospital visit the service belongs to (sent in PV1-50)."""


class SupplyUse(msgspec.Struct, frozen=True, kw_only=True):
    """An item used on a case: what the ZSU segment after its FT1 line says."""

    item: CatalogItem
    quantity: int
    lot: str
    serial: str
    expiry: dt.date

    def udi(self) -> str:
        """The GS1 UDI in human-readable form: (01) GTIN (17) expiry (10) lot (21) serial."""
        text = f"(01){self.item.gtin}(17){self.expiry:%y%m%d}(10){self.lot}"
        return text + (f"(21){self.serial}" if self.serial else "")


class ChargeLine(msgspec.Struct, frozen=True, kw_only=True):
    """One FT1: a charge (CG) or a credit (CD) reversing an earlier charge."""

    transaction_id: str
    transaction_type: str
    charge: ChargeDefinition
    service_time: dt.datetime
    quantity: int
    unit_amount: Decimal
    modifiers: tuple[str, ...]
    performed_by: Provider | None
    ordered_by: Provider | None
    diagnoses: tuple[Diagnosis, ...]
    unit: CareUnit
    supply: SupplyUse | None = None
    reverses: str = ""
    """Transaction id of the charge this credit reverses (sent in FT1-31)."""

    @property
    def extended_amount(self) -> Decimal:
        """Quantity times unit amount (negative for credits)."""
        return self.unit_amount * self.quantity


class ProcedureDone(msgspec.Struct, frozen=True, kw_only=True):
    """The procedure documented on a case (PR1)."""

    code: str
    description: str
    start: dt.datetime
    minutes: int
    surgeon: Provider
    modifiers: tuple[str, ...]
    diagnosis: Diagnosis


class Appointment(msgspec.Struct, frozen=True, kw_only=True):
    """A scheduled slot (SCH/AIS/AIL/AIP)."""

    placer_id: str
    filler_id: str
    start: dt.datetime
    minutes: int
    service_code: str
    service_text: str
    location: Location
    provider: Provider
    reason: str
    status: str


class Order(msgspec.Struct, frozen=True, kw_only=True):
    """An order (ORC/OBR)."""

    control: str
    """ORC-1: NW new, CA cancel."""
    placer_number: str
    code: str
    text: str
    ordering: Provider
    requested_time: dt.datetime
    diagnosis: Diagnosis


class ClinicalEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One thing the EHR tells the world about."""

    kind: EventKind
    time: dt.datetime
    facility: Facility
    patient: Patient
    mrn: str
    visit: VisitSnapshot | None = None
    charges: tuple[ChargeLine, ...] = ()
    procedure: ProcedureDone | None = None
    appointment: Appointment | None = None
    order: Order | None = None
    prior_mrn: str = ""
    """For merges: the MRN retired into ``mrn``."""
    operator: Provider | None = None
