"""Charge capture validation: every rule a charge line must pass before it is billed.

The validator never stops at the first problem: it lists them all, each with a reason code and the
field, so the revenue-integrity team fixes a charge in one pass. Errors stop the charge; warnings
(an unlisted modifier, a late charge) travel with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from careweave.model.charges import ChargeCaptured
from careweave.model.revenue import (
    ChargeLine,
    ChargeProblem,
    ChargeReason,
    ChargeValidationResult,
    ClaimForm,
    Severity,
)
from careweave.revenue.charge_events import charge_line_from_event
from careweave.revenue.charge_lag import ChargeLagPolicy, Clock, measure_charge_lag
from careweave.revenue.diagnoses import DiagnosisCodeSet, DiagnosisStatus
from careweave.revenue.identifiers import NdcError, NpiProblem, normalize_ndc, npi_problem
from careweave.revenue.place_of_service import is_place_of_service_format, place_of_service_label
from careweave.revenue.procedure_codes import (
    COMMON_MODIFIERS,
    MAX_MODIFIERS,
    is_drug_code,
    is_modifier_format,
    procedure_code_system,
)
from careweave.revenue.revenue_codes import (
    is_drug_revenue_code,
    is_revenue_code_format,
    revenue_code_category,
)

R = ChargeReason


@dataclass(frozen=True, slots=True)
class ChargeValidationConfig:
    """What the charge validator requires; defaults follow common payer edits."""

    max_units: Decimal = Decimal(999)
    """Units above this on one line are a data-entry error, not a service."""
    require_ndc_on_drugs: bool = True
    """J-code and pharmacy revenue code lines must carry an NDC (Medicaid and most payers)."""
    require_rendering_npi: bool = True
    """Professional lines must name the rendering provider's NPI."""
    lag: ChargeLagPolicy = dataclasses.field(default_factory=ChargeLagPolicy)
    """When a charge is flagged late."""


class _Problems:
    """Collects the problems of one line."""

    def __init__(self) -> None:
        self.items: list[ChargeProblem] = []

    def add(
        self,
        reason: ChargeReason,
        field: str,
        message: str,
        value: object = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        text = None if value is None else str(value)
        self.items.append(
            ChargeProblem(
                reason=reason, field=field, message=message, severity=severity, value=text
            )
        )


class ChargeValidator:
    """Validates charge lines against code formats, code lists and identifiers."""

    def __init__(
        self, config: ChargeValidationConfig, diagnoses: DiagnosisCodeSet, clock: Clock
    ) -> None:
        self._config = config
        self._diagnoses = diagnoses
        self._clock = clock

    def warm_up(self) -> None:
        """Load the diagnosis code list now (the ICD-10-CM list takes seconds on first use)."""
        self._diagnoses.status("I10")

    def validate(self, line: ChargeLine) -> ChargeValidationResult:
        """Every problem of one charge line (an empty tuple when it may be billed)."""
        problems = _Problems()
        self._check_procedure(line, problems)
        self._check_modifiers(line, problems)
        self._check_diagnoses(line, problems)
        self._check_units_and_amount(line, problems)
        self._check_revenue_code(line, problems)
        ndc = self._check_ndc(line, problems)
        self._check_providers(line, problems)
        self._check_place_of_service(line, problems)
        lag_days = self._check_dates(line, problems)
        return ChargeValidationResult(
            line_id=line.line_id,
            problems=tuple(problems.items),
            normalized_ndc=ndc,
            lag_days=lag_days,
        )

    def validate_event(
        self,
        event: ChargeCaptured,
        *,
        entity: str = "",
        place_of_service: str | None = None,
    ) -> ChargeValidationResult:
        """Validate a captured charge event (see :func:`charge_line_from_event`).

        Raises:
            ValidationError: the event is not a charge or credit, or lacks an encounter or date.
        """
        line = charge_line_from_event(event, entity=entity, place_of_service=place_of_service)
        return self.validate(line)

    def _check_procedure(self, line: ChargeLine, problems: _Problems) -> None:
        code = line.procedure_code
        if not code:
            # Institutional room-and-board lines bill a revenue code alone.
            if line.claim_form is ClaimForm.PROFESSIONAL:
                problems.add(
                    R.MISSING_PROCEDURE_CODE, "procedure_code", "professional charge has no code"
                )
            return
        if procedure_code_system(code) is None:
            problems.add(
                R.INVALID_PROCEDURE_CODE,
                "procedure_code",
                "not a CPT code (5 digits, or 4 digits + F/T) nor HCPCS Level II (A-V + 4 digits)",
                code,
            )

    def _check_modifiers(self, line: ChargeLine, problems: _Problems) -> None:
        if len(line.modifiers) > MAX_MODIFIERS:
            problems.add(
                R.TOO_MANY_MODIFIERS,
                "modifiers",
                f"{len(line.modifiers)} modifiers; a claim line carries at most {MAX_MODIFIERS}",
                ",".join(line.modifiers),
            )
        seen: set[str] = set()
        for index, modifier in enumerate(line.modifiers):
            field = f"modifiers[{index}]"
            if not is_modifier_format(modifier):
                problems.add(R.INVALID_MODIFIER, field, "not two letters or digits", modifier)
                continue
            if modifier in seen:
                problems.add(R.DUPLICATE_MODIFIER, field, "modifier repeated", modifier)
            seen.add(modifier)
            if modifier not in COMMON_MODIFIERS:
                problems.add(
                    R.UNKNOWN_MODIFIER,
                    field,
                    "not in careweave's list of common modifiers; check it is current",
                    modifier,
                    Severity.WARNING,
                )

    def _check_diagnoses(self, line: ChargeLine, problems: _Problems) -> None:
        if not line.diagnosis_codes:
            # Institutional diagnoses live on the claim, not on each revenue line.
            if line.claim_form is ClaimForm.PROFESSIONAL and not line.is_credit:
                problems.add(R.MISSING_DIAGNOSIS, "diagnosis_codes", "no diagnosis on the line")
            return
        for index, code in enumerate(line.diagnosis_codes):
            status = self._diagnoses.status(code)
            field = f"diagnosis_codes[{index}]"
            if status is DiagnosisStatus.INVALID:
                problems.add(R.INVALID_ICD10, field, "not an ICD-10-CM code", code)
            elif status is DiagnosisStatus.NOT_BILLABLE:
                problems.add(
                    R.ICD10_NOT_BILLABLE,
                    field,
                    "ICD-10-CM header code; code to the highest specificity (a billable child)",
                    code,
                )

    def _check_units_and_amount(self, line: ChargeLine, problems: _Problems) -> None:
        # Credits may arrive with negative units (HL7 senders differ); their magnitude counts.
        units = abs(line.units) if line.is_credit else line.units
        if not units.is_finite() or units <= 0:
            problems.add(R.INVALID_UNITS, "units", "units must be positive", line.units)
        elif units > self._config.max_units:
            problems.add(
                R.UNITS_EXCEED_MAX,
                "units",
                f"more than {self._config.max_units} units on one line",
                line.units,
            )
        elif line.procedure_code and units != units.to_integral_value():
            problems.add(R.FRACTIONAL_UNITS, "units", "service units must be whole", line.units)
        if line.amount is None:
            return
        amount = abs(line.amount) if line.is_credit else line.amount
        if not amount.is_finite() or amount < 0:
            problems.add(R.INVALID_AMOUNT, "amount", "charge amount is negative", line.amount)
        elif amount != amount.quantize(Decimal("0.01")):
            problems.add(R.INVALID_AMOUNT, "amount", "more than two decimal places", line.amount)

    def _check_revenue_code(self, line: ChargeLine, problems: _Problems) -> None:
        code = line.revenue_code
        if not code:
            if line.claim_form is ClaimForm.INSTITUTIONAL:
                problems.add(
                    R.MISSING_REVENUE_CODE, "revenue_code", "institutional charge has no code"
                )
            return
        if not is_revenue_code_format(code):
            problems.add(
                R.INVALID_REVENUE_CODE, "revenue_code", "not four digits in 0100-0999", code
            )
        elif revenue_code_category(code) is None:
            problems.add(
                R.UNKNOWN_REVENUE_CODE,
                "revenue_code",
                "revenue code category not in careweave's list",
                code,
                Severity.WARNING,
            )

    def _check_ndc(self, line: ChargeLine, problems: _Problems) -> str | None:
        if line.ndc:
            try:
                return normalize_ndc(line.ndc)
            except NdcError as exc:
                reason = R.AMBIGUOUS_NDC if exc.ambiguous else R.INVALID_NDC
                problems.add(reason, "ndc", exc.message, line.ndc)
                return None
        is_drug = bool(line.procedure_code and is_drug_code(line.procedure_code)) or bool(
            line.revenue_code and is_drug_revenue_code(line.revenue_code)
        )
        if is_drug and self._config.require_ndc_on_drugs and not line.is_credit:
            problems.add(R.MISSING_NDC, "ndc", "drug charge without an NDC")
        return None

    def _check_providers(self, line: ChargeLine, problems: _Problems) -> None:
        for field, npi in (
            ("rendering_npi", line.rendering_npi),
            ("ordering_npi", line.ordering_npi),
        ):
            if not npi:
                continue
            problem = npi_problem(npi)
            if problem is NpiProblem.FORMAT:
                problems.add(R.NPI_FORMAT, field, "NPI is ten digits starting with 1 or 2", npi)
            elif problem is NpiProblem.CHECK_DIGIT:
                problems.add(R.NPI_CHECK_DIGIT, field, "NPI check digit is wrong (Luhn)", npi)
        needs_npi = line.claim_form is ClaimForm.PROFESSIONAL and not line.is_credit
        if needs_npi and self._config.require_rendering_npi and not line.rendering_npi:
            problems.add(R.MISSING_NPI, "rendering_npi", "professional charge names no NPI")

    def _check_place_of_service(self, line: ChargeLine, problems: _Problems) -> None:
        pos = line.place_of_service
        if not pos:
            if line.claim_form is ClaimForm.PROFESSIONAL and not line.is_credit:
                problems.add(
                    R.MISSING_PLACE_OF_SERVICE, "place_of_service", "professional charge has none"
                )
            return
        if not is_place_of_service_format(pos):
            problems.add(R.INVALID_PLACE_OF_SERVICE, "place_of_service", "not two digits", pos)
        elif place_of_service_label(pos) is None:
            problems.add(
                R.UNKNOWN_PLACE_OF_SERVICE, "place_of_service", "not a CMS place of service", pos
            )

    def _check_dates(self, line: ChargeLine, problems: _Problems) -> int:
        now = self._clock.now()
        lag = measure_charge_lag(line, self._config.lag, self._clock)
        # A service dated after its own capture, or after today, was charged before it happened.
        if lag.lag_days < 0 or line.service_date > _local_date(now, line.captured_at):
            problems.add(
                R.SERVICE_DATE_IN_FUTURE,
                "service_date",
                "service date is after the capture date or today",
                line.service_date.isoformat(),
            )
        elif lag.late:
            problems.add(
                R.LATE_CHARGE,
                "captured_at",
                f"captured {lag.lag_days} days after service "
                f"(late after {self._config.lag.late_after_days})",
                lag.lag_days,
                Severity.WARNING,
            )
        return lag.lag_days


def _local_date(now: dt.datetime, captured_at: dt.datetime | None) -> dt.date:
    """Today, read in the capture time's zone when the sender gave one (else the clock's)."""
    if captured_at is not None and captured_at.tzinfo is not None and now.tzinfo is not None:
        return now.astimezone(captured_at.tzinfo).date()
    return now.date()
