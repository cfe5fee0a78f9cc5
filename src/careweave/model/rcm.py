"""What careweave sends a revenue-cycle platform and reads back from it, as canonical payloads.

Flows build these and queue them as effects whose content type says which kind they are
(:data:`CHARGE_CONTENT_TYPE`, :data:`ENCOUNTER_CONTENT_TYPE`, :data:`CLAIM_BILLED_CONTENT_TYPE`);
the revenue-cycle connector (:mod:`careweave.connectors.rcm`) delivers them. :class:`RcmAccount`
is how the platform answers for an encounter's billed account.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec

CHARGE_CONTENT_TYPE = "application/vnd.careweave.rcm-charge+json"
"""Content type of an effect carrying an :class:`RcmChargeLine`."""
ENCOUNTER_CONTENT_TYPE = "application/vnd.careweave.rcm-encounter+json"
"""Content type of an effect carrying an :class:`RcmEncounterUpdate`."""
CLAIM_BILLED_CONTENT_TYPE = "application/vnd.careweave.rcm-claim-billed+json"
"""Content type of an effect carrying an :class:`RcmClaimBilled`."""


class RcmChargeLine(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One charge or credit as the platform's charges API takes it."""

    line_key: str
    encounter_id: str
    patient_id: str
    service_date: dt.date
    procedure_code: str
    quantity: Decimal = Decimal(1)
    unit_amount: Decimal
    modifiers: tuple[str, ...] = ()
    revenue_code: str = ""
    diagnoses: tuple[str, ...] = ()
    ndc: str = ""
    transaction: Literal["charge", "credit"] = "charge"
    reverses: str = ""
    """For a credit: the line key of the charge it reverses."""
    entity: str = ""
    performing_npi: str = ""


class RcmCoverage(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The patient's insurance for an encounter."""

    payer_id: str
    payer_name: str
    member_id: str
    group_number: str = ""
    claim_filing: str = "CI"
    responsibility: str = "P"


class RcmPatient(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Demographics a claim needs."""

    last_name: str
    first_name: str
    birth_date: dt.date
    gender: str = "U"
    address_line: str = "1 MAIN ST"
    city: str = "SPRINGFIELD"
    state: str = "IL"
    postal_code: str = "62701"


class RcmEncounter(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The body of ``PUT /api/encounters/{id}``."""

    patient_id: str
    status: Literal["open", "discharged", "final"] = "open"
    patient: RcmPatient | None = None
    coverage: RcmCoverage | None = None
    kind: Literal["professional", "institutional"] = "professional"
    facility_code: str = "11"
    entity: str = ""
    admitted: dt.date | None = None
    discharged: dt.date | None = None
    diagnoses: tuple[str, ...] = ()


class RcmEncounterUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """An encounter update effect: which encounter, and what to put."""

    encounter_id: str
    update: RcmEncounter


class RcmClaimBilled(msgspec.Struct, frozen=True, kw_only=True):
    """A billed notice effect: the account went out on the claim (the platform applies it once)."""

    account_id: str
    claim_id: str


class RcmAccountLine(msgspec.Struct, frozen=True, kw_only=True):
    """One billable line of an account: a charge no credit reversed."""

    line_key: str
    service_date: dt.date
    procedure_code: str
    quantity: Decimal
    amount: Decimal
    modifiers: tuple[str, ...] = ()
    revenue_code: str = ""
    diagnoses: tuple[str, ...] = ()
    ndc: str = ""


class RcmAccount(msgspec.Struct, frozen=True, kw_only=True):
    """An encounter's charges grouped for billing, with the patient and coverage."""

    account_id: str
    encounter_id: str
    patient_id: str
    state: str
    """open, ready or billed."""
    total: Decimal
    lines: list[RcmAccountLine]
    diagnoses: tuple[str, ...]
    kind: Literal["professional", "institutional"] = "professional"
    facility_code: str = "11"
    entity: str = ""
    patient: RcmPatient | None = None
    coverage: RcmCoverage | None = None
    claim_id: str = ""
    not_ready: str = ""
