"""Revenue-cycle objects: charge lines, their validation results, denial categories and work items.

A :class:`ChargeLine` is the revenue view of one captured charge (an HL7 FT1, a FHIR ChargeItem or
a row of a charge file) after decoding. Validation produces a :class:`ChargeValidationResult`
listing every problem with a :class:`ChargeReason` code and the field it concerns, so that an
invalid charge can be routed to the revenue-integrity team as an exception case.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import msgspec


class ClaimForm(enum.StrEnum):
    """The claim a charge is billed on: professional (837P/CMS-1500) or institutional (837I/UB-04)."""

    PROFESSIONAL = "professional"
    INSTITUTIONAL = "institutional"


class ChargeTransactionType(enum.StrEnum):
    """Whether a line adds a charge or credits (reverses) one; HL7 table 0017 CG and CD."""

    CHARGE = "charge"
    CREDIT = "credit"


class ChargeLine(msgspec.Struct, frozen=True, kw_only=True):
    """One captured charge, in the shape the revenue rules validate.

    Credits carry ``transaction_type=CREDIT``; their units and amount may be sent with either sign
    (HL7 senders differ) and are netted by magnitude. ``reverses_line_id`` names the charge a
    credit reverses, when the sender knows it.
    """

    line_id: str
    """The sender's unique id for this charge transaction (for example FT1-2)."""
    encounter_id: str
    service_date: dt.date
    entity: str = ""
    """The legal entity or facility that bills the charge."""
    claim_form: ClaimForm = ClaimForm.PROFESSIONAL
    transaction_type: ChargeTransactionType = ChargeTransactionType.CHARGE
    procedure_code: str | None = None
    """CPT or HCPCS Level II code."""
    modifiers: tuple[str, ...] = ()
    diagnosis_codes: tuple[str, ...] = ()
    """ICD-10-CM codes, with or without the dot."""
    revenue_code: str | None = None
    ndc: str | None = None
    units: Decimal = Decimal(1)
    amount: Decimal | None = None
    """Extended charge amount (units x unit price), when the sender prices the charge."""
    rendering_npi: str | None = None
    ordering_npi: str | None = None
    place_of_service: str | None = None
    department: str | None = None
    captured_at: dt.datetime | None = None
    """When the charge was captured in the source system (time zone aware)."""
    reverses_line_id: str | None = None

    @property
    def is_credit(self) -> bool:
        """Whether this line credits an earlier charge."""
        return self.transaction_type is ChargeTransactionType.CREDIT


class ChargeReason(enum.StrEnum):
    """Why a charge line failed validation; the reason code of its exception case."""

    MISSING_PROCEDURE_CODE = "MISSING_PROCEDURE_CODE"
    INVALID_PROCEDURE_CODE = "INVALID_PROCEDURE_CODE"
    INVALID_MODIFIER = "INVALID_MODIFIER"
    UNKNOWN_MODIFIER = "UNKNOWN_MODIFIER"
    TOO_MANY_MODIFIERS = "TOO_MANY_MODIFIERS"
    DUPLICATE_MODIFIER = "DUPLICATE_MODIFIER"
    MISSING_DIAGNOSIS = "MISSING_DIAGNOSIS"
    INVALID_ICD10 = "INVALID_ICD10"
    ICD10_NOT_BILLABLE = "ICD10_NOT_BILLABLE"
    INVALID_UNITS = "INVALID_UNITS"
    FRACTIONAL_UNITS = "FRACTIONAL_UNITS"
    UNITS_EXCEED_MAX = "UNITS_EXCEED_MAX"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    MISSING_REVENUE_CODE = "MISSING_REVENUE_CODE"
    INVALID_REVENUE_CODE = "INVALID_REVENUE_CODE"
    UNKNOWN_REVENUE_CODE = "UNKNOWN_REVENUE_CODE"
    MISSING_NDC = "MISSING_NDC"
    INVALID_NDC = "INVALID_NDC"
    AMBIGUOUS_NDC = "AMBIGUOUS_NDC"
    MISSING_NPI = "MISSING_NPI"
    NPI_FORMAT = "NPI_FORMAT"
    NPI_CHECK_DIGIT = "NPI_CHECK_DIGIT"
    MISSING_PLACE_OF_SERVICE = "MISSING_PLACE_OF_SERVICE"
    INVALID_PLACE_OF_SERVICE = "INVALID_PLACE_OF_SERVICE"
    UNKNOWN_PLACE_OF_SERVICE = "UNKNOWN_PLACE_OF_SERVICE"
    SERVICE_DATE_IN_FUTURE = "SERVICE_DATE_IN_FUTURE"
    LATE_CHARGE = "LATE_CHARGE"
    DUPLICATE_CHARGE = "DUPLICATE_CHARGE"
    ORPHAN_CREDIT = "ORPHAN_CREDIT"
    CREDIT_EXCEEDS_CHARGE = "CREDIT_EXCEEDS_CHARGE"


class Severity(enum.StrEnum):
    """An error stops the charge; a warning travels with it for the record."""

    ERROR = "error"
    WARNING = "warning"


class ChargeProblem(msgspec.Struct, frozen=True, kw_only=True):
    """One problem found on a charge line."""

    reason: ChargeReason
    field: str
    """The ChargeLine field at fault, with an index for repeated fields (``modifiers[1]``)."""
    message: str
    severity: Severity = Severity.ERROR
    value: str | None = None
    """The offending value as sent (never PHI: codes, identifiers of providers, units)."""


class ChargeValidationResult(msgspec.Struct, frozen=True, kw_only=True):
    """Every problem found on one charge line, and the values normalised on the way."""

    line_id: str
    problems: tuple[ChargeProblem, ...] = ()
    normalized_ndc: str | None = None
    """The NDC in 11-digit 5-4-2 form without hyphens, when the line carries a valid one."""
    lag_days: int | None = None
    """Days from service date to capture."""

    @property
    def errors(self) -> tuple[ChargeProblem, ...]:
        """The problems that stop the charge."""
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[ChargeProblem, ...]:
        """The problems that travel with the charge without stopping it."""
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """Whether the charge may go on to billing."""
        return not self.errors

    def reasons(self) -> frozenset[ChargeReason]:
        """The distinct reason codes found."""
        return frozenset(p.reason for p in self.problems)


class DenialCategory(enum.StrEnum):
    """Root-cause category of a denial, which decides the owning team and the suggested action."""

    ELIGIBILITY = "eligibility"
    AUTHORIZATION = "authorization"
    CODING = "coding"
    MEDICAL_NECESSITY = "medical_necessity"
    TIMELY_FILING = "timely_filing"
    DUPLICATE = "duplicate"
    BUNDLING = "bundling"
    OTHER = "other"


class AdjustmentKind(enum.StrEnum):
    """What a claim adjustment (CAS) means for the books."""

    CONTRACTUAL = "contractual"
    """An expected reduction under the payer contract (CARC 45, 253 ...)."""
    PATIENT_RESPONSIBILITY = "patient_responsibility"
    """Moves the balance to the patient (group PR: deductible, coinsurance, copay)."""
    DENIAL = "denial"
    """The payer refused to pay; a work item decides whether it is appealed or written off."""
    WRITE_OFF = "write_off"
    """Any other adjustment the provider absorbs (prior payer impact, reversals ...)."""


class DenialClassification(msgspec.Struct, frozen=True, kw_only=True):
    """How one CAS adjustment (group + CARC + RARCs) is understood."""

    kind: AdjustmentKind
    group_code: str
    carc: str
    rarcs: tuple[str, ...] = ()
    category: DenialCategory | None = None
    """Set for denials (and for patient-billed non-covered services)."""
    owner_team: str | None = None
    suggested_action: str | None = None
    decided_by: str = "carc"
    """Which code decided the category: ``carc``, ``rarc:<code>`` or ``default``."""


class AppealState(enum.StrEnum):
    """Where a denial stands in its appeal life cycle."""

    OPEN = "open"
    APPEALED = "appealed"
    WON = "won"
    LOST = "lost"
    WRITTEN_OFF = "written_off"


class AppealStep(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded state change of a denial work item."""

    state: AppealState
    at: dt.datetime
    by: str
    note: str = ""


class DenialWorkItem(msgspec.Struct, frozen=True, kw_only=True):
    """A denial a person must work: appeal it, fix and resubmit, or write it off."""

    item_id: str
    """The idempotency key of the denial it was opened from."""
    entity: str
    payer_id: str
    trace_number: str
    """The check/EFT trace (TRN02) of the remittance that denied it."""
    claim_id: str
    line_number: int | None
    category: DenialCategory
    owner_team: str
    suggested_action: str
    carc: str
    group_code: str
    rarcs: tuple[str, ...]
    adjustment_index: int
    amount: Decimal
    denied_on: dt.date
    state: AppealState = AppealState.OPEN
    history: tuple[AppealStep, ...] = ()
