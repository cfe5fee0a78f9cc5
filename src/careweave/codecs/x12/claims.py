"""Claims to send as 837P / 837I: the submission, its providers, members and service lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec


class Address(msgspec.Struct, frozen=True):
    """A postal address (N3/N4). Billing provider ZIP codes must have 9 digits."""

    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""


class Organization(msgspec.Struct, frozen=True):
    """A submitter, receiver or payer: name and the identifier its loop needs."""

    name: str
    id: str
    contact_name: str = ""
    contact_phone: str = ""


class BillingProvider(msgspec.Struct, frozen=True):
    """The billing provider (loop 2010AA): organization, NPI, tax id, address."""

    name: str
    npi: str
    tax_id: str
    address: Address
    taxonomy: str = ""


class Person(msgspec.Struct, frozen=True):
    """A subscriber or patient."""

    last_name: str
    first_name: str
    birth_date: date
    gender: str
    """M, F or U."""
    address: Address


class Subscriber(msgspec.Struct, frozen=True):
    """The insured member (loop 2000B/2010BA) and their coverage with the payer."""

    person: Person
    member_id: str
    payer: Organization
    payer_responsibility: str = "P"
    """SBR01: P primary, S secondary, T tertiary."""
    group_number: str = ""
    claim_filing: str = "CI"
    """SBR09: CI commercial, MB Medicare B, MC Medicaid, BL Blue Cross..."""


class Drug(msgspec.Struct, frozen=True):
    """A drug on a service line (loop 2410): NDC and quantity."""

    ndc: str
    quantity: Decimal
    unit: str = "UN"


class ServiceLine(msgspec.Struct, frozen=True):
    """One service line: SV1 (professional) or SV2 (institutional), its date and drug."""

    charge: Decimal
    units: Decimal
    service_date: date
    procedure_code: str = ""
    modifiers: tuple[str, ...] = ()
    revenue_code: str = ""
    """Institutional only (SV201)."""
    diagnosis_pointers: tuple[int, ...] = (1,)
    """Professional only (SV107): 1-based indexes into the claim's diagnoses."""
    drug: Drug | None = None


class Claim(msgspec.Struct, frozen=True):
    """One claim (loop 2300) and who it is for."""

    claim_id: str
    subscriber: Subscriber
    diagnoses: tuple[str, ...]
    """ICD-10-CM codes without the dot; the first is the principal diagnosis."""
    lines: tuple[ServiceLine, ...]
    facility_code: str = "11"
    """CLM05-1: place of service (837P) or the first two digits of the bill type (837I)."""
    frequency: str = "1"
    patient: Person | None = None
    """The patient when not the subscriber."""
    patient_relationship: str = "19"
    """PAT01 when a patient is given (19 child, 01 spouse...)."""
    statement_start: date | None = None
    """837I statement period (DTP*434); defaults to the first and last service dates."""
    statement_end: date | None = None
    admission_type: str = "3"
    admission_source: str = "1"
    patient_status: str = "01"

    @property
    def total_charge(self) -> Decimal:
        """CLM02: the sum of the line charges."""
        return sum((line.charge for line in self.lines), Decimal(0))


class ClaimSubmission(msgspec.Struct, frozen=True):
    """A batch of claims from one billing provider, sent as one or more 837 transactions."""

    submitter: Organization
    receiver: Organization
    billing_provider: BillingProvider
    claims: tuple[Claim, ...]
    claims_per_transaction: int = 25
