"""The simulated revenue-cycle platform's wire contract: charge batches, accounts, claims.

Endpoints (JSON, Decimal amounts as strings, dates ISO 8601):

- ``POST /api/charges/batch`` with header ``Idempotency-Key`` (required) and a ``ChargeBatch``
  body: answers ``BatchResult`` (200) with one ``LineResult`` per line. A batch key seen before
  answers the first result again with ``replayed = true``; a line key seen before answers
  ``duplicate`` and is not applied twice. A missing header answers 400.
- ``PUT /api/encounters/{encounter_id}`` with an ``EncounterUpdate``: registers or updates the
  encounter (patient, coverage, status). Answers the ``BilledAccount`` as it now stands.
- ``GET /api/charges`` (optional ``?encounter_id=``): ``list[ChargeRecord]``.
- ``GET /api/accounts`` / ``GET /api/accounts/{encounter_id}``: ``list[BilledAccount]`` /
  ``BilledAccount`` (404 when unknown). An account is ``open`` until its encounter is
  discharged or final, then ``ready`` (has coverage and a net charge), then ``billed``.
- ``GET /api/claims/ready``: ``list[BilledAccount]`` in state ``ready``, ordered by encounter.
- ``POST /api/claims/billed`` with a ``BilledNotice``: marks accounts billed under a claim id
  (idempotent; a charge that arrives for a billed account is rejected as late). The account's
  total at that moment is what the claim billed.
- ``POST /api/remittances`` with a ``RemittanceBatch`` (the payer's outcome per claim, as an
  electronic remittance delivers it): answers one ``PostingResult`` per posting, ``applied``,
  ``duplicate`` (the same payer, trace and claim posted before) or ``unapplied`` (no billed
  claim of that id: the money is kept aside, as unapplied cash).
- ``GET /api/receivables``: ``list[Receivable]``, the accounts receivable per billed claim:
  billed, payments, adjustments by group code, insurance and patient balances.

``careweave.sandbox.rcm.claims.claim_for`` turns a ready account into an X12 ``Claim``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec

TransactionKind = Literal["charge", "credit"]
LineStatus = Literal["accepted", "rejected", "duplicate"]
EncounterStatus = Literal["open", "discharged", "final"]
AccountState = Literal["open", "ready", "billed"]
ClaimKind = Literal["professional", "institutional"]


class ChargeLine(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One charge (or a credit reversing one) for an encounter."""

    line_key: str
    """Unique per charge line and version, e.g. ``encounter/transaction_id/1``."""
    encounter_id: str
    patient_id: str
    service_date: dt.date
    procedure_code: str
    """CPT/HCPCS code billed; may be ``""`` on a line billed by revenue code alone."""
    quantity: Decimal = Decimal(1)
    unit_amount: Decimal
    modifiers: tuple[str, ...] = ()
    revenue_code: str = ""
    diagnoses: tuple[str, ...] = ()
    """ICD-10-CM codes, dot optional."""
    ndc: str = ""
    transaction: TransactionKind = "charge"
    reverses: str = ""
    """For a credit: the line key of the charge it reverses."""
    entity: str = ""
    """Legal entity / facility the charge belongs to."""
    performing_npi: str = ""

    @property
    def amount(self) -> Decimal:
        """Quantity times unit amount."""
        return self.quantity * self.unit_amount


class ChargeBatch(msgspec.Struct, frozen=True, kw_only=True):
    """A batch of charge lines, sent with one Idempotency-Key."""

    lines: list[ChargeLine]
    source: str = ""


class LineResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The verdict on one line: accepted, rejected (with a reason) or duplicate."""

    line_key: str
    status: LineStatus
    reason: str = ""


class BatchResult(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict on a batch, one result per line in the order sent."""

    batch_key: str
    replayed: bool
    """True when this batch key was seen before and this is the first answer again."""
    results: list[LineResult]

    @property
    def accepted(self) -> int:
        """How many lines were accepted."""
        return sum(1 for r in self.results if r.status == "accepted")


class Coverage(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The patient's insurance for the encounter."""

    payer_id: str
    payer_name: str
    member_id: str
    group_number: str = ""
    claim_filing: str = "CI"
    """SBR09: CI commercial, MB Medicare B, MC Medicaid..."""
    responsibility: str = "P"


class PatientDemographics(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Who the patient is, as the claim needs it."""

    last_name: str
    first_name: str
    birth_date: dt.date
    gender: str = "U"
    address_line: str = "1 MAIN ST"
    city: str = "SPRINGFIELD"
    state: str = "IL"
    postal_code: str = "62701"


class EncounterUpdate(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Registration or update of an encounter: patient, coverage, status, claim kind."""

    patient_id: str
    status: EncounterStatus = "open"
    patient: PatientDemographics | None = None
    coverage: Coverage | None = None
    kind: ClaimKind = "professional"
    facility_code: str = "11"
    """Place of service (837P) or first two digits of the bill type (837I)."""
    entity: str = ""
    admitted: dt.date | None = None
    discharged: dt.date | None = None
    diagnoses: tuple[str, ...] = ()
    """Coded diagnoses of the encounter (principal first); charges add theirs after these."""


class ChargeRecord(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A charge line as the platform holds it."""

    line: ChargeLine
    batch_key: str
    sequence: int
    """Order of acceptance, from 1."""
    reversed_by: str = ""
    """The line key of the credit that reversed this charge, if any."""


class AccountLine(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One billable line of an account: a charge not reversed."""

    line_key: str
    service_date: dt.date
    procedure_code: str
    quantity: Decimal
    amount: Decimal
    modifiers: tuple[str, ...] = ()
    revenue_code: str = ""
    diagnoses: tuple[str, ...] = ()
    ndc: str = ""


class BilledAccount(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Charges of one encounter grouped for billing, with payer and coverage."""

    account_id: str
    """``ACCT-<encounter_id>``."""
    encounter_id: str
    patient_id: str
    state: AccountState
    encounter_status: EncounterStatus
    total: Decimal
    lines: list[AccountLine]
    diagnoses: tuple[str, ...]
    kind: ClaimKind = "professional"
    facility_code: str = "11"
    entity: str = ""
    patient: PatientDemographics | None = None
    coverage: Coverage | None = None
    claim_id: str = ""
    """The claim id (CLM01) once billed."""
    not_ready: str = ""
    """Why a discharged account is not ready (no coverage, no charges...)."""


class BilledNotice(msgspec.Struct, frozen=True, kw_only=True):
    """The billing system reports accounts it has put on claims."""

    account_id: str
    claim_id: str


class AdjustmentAmount(msgspec.Struct, frozen=True, kw_only=True):
    """One adjustment of a remittance: group code (CO, PR, OA, PI), reason code, amount."""

    group: str
    reason: str
    amount: Decimal


class RemittancePosting(msgspec.Struct, frozen=True, kw_only=True):
    """What a payer did with one claim on one check."""

    claim_id: str
    payer_id: str
    trace_number: str
    paid_on: dt.date
    charge: Decimal
    """What the payer saw billed."""
    paid: Decimal
    adjustments: list[AdjustmentAmount]


class RemittanceBatch(msgspec.Struct, frozen=True, kw_only=True):
    """Remittance postings delivered together (a check, a file)."""

    postings: list[RemittancePosting]


PostingStatus = Literal["applied", "duplicate", "unapplied"]


class PostingResult(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict on one posting."""

    claim_id: str
    trace_number: str
    status: PostingStatus


class Receivable(msgspec.Struct, frozen=True, kw_only=True):
    """The receivable of one billed claim (or, with no account, of unapplied postings).

    ``insurance_balance`` = billed - payments - every adjustment (zero once the payer settled the
    claim); ``patient_balance`` = the patient-responsibility (PR) adjustments.
    """

    account_id: str
    encounter_id: str
    claim_id: str
    entity: str
    billed: Decimal
    payments: Decimal
    adjustments: dict[str, Decimal]
    """Adjustments by group code."""
    insurance_balance: Decimal
    patient_balance: Decimal
    postings: list[RemittancePosting]
