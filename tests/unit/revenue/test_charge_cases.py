"""Invalid charges become exception cases owned by revenue integrity."""

from __future__ import annotations

from careweave.model.revenue import (
    ChargeProblem,
    ChargeReason,
    ChargeValidationResult,
    Severity,
)
from careweave.revenue.charge_cases import SUGGESTED_FIXES, validation_case

R = ChargeReason


def test_every_reason_has_a_suggested_fix():
    assert set(SUGGESTED_FIXES) == set(ChargeReason)


def test_valid_or_warning_only_result_opens_no_case():
    assert validation_case(ChargeValidationResult(line_id="L1")) is None
    late = ChargeProblem(
        reason=R.LATE_CHARGE, field="captured_at", message="late", severity=Severity.WARNING
    )
    assert validation_case(ChargeValidationResult(line_id="L1", problems=(late,))) is None


def test_case_carries_reason_team_fix_and_payload():
    problems = (
        ChargeProblem(reason=R.NPI_CHECK_DIGIT, field="rendering_npi", message="m", value="1"),
        ChargeProblem(reason=R.INVALID_ICD10, field="diagnosis_codes[0]", message="m", value="X"),
        ChargeProblem(
            reason=R.LATE_CHARGE, field="captured_at", message="m", severity=Severity.WARNING
        ),
    )
    case = validation_case(ChargeValidationResult(line_id="FT1-9", problems=problems))
    assert case is not None
    assert case.reason_code == "NPI_CHECK_DIGIT"
    assert case.owning_team == "revenue-integrity"
    assert case.case_key == "charge-validation:FT1-9"
    assert case.payload_reference == "charge:FT1-9"
    assert case.summary == "Charge FT1-9: 2 problems (rendering_npi, diagnosis_codes[0])"
    assert SUGGESTED_FIXES[R.NPI_CHECK_DIGIT] in case.suggested_fix
    assert SUGGESTED_FIXES[R.INVALID_ICD10] in case.suggested_fix
    assert len(case.details) == 3
    assert case.details[1].startswith("INVALID_ICD10 diagnosis_codes[0]='X'")


def test_same_result_yields_the_same_case_key():
    problem = ChargeProblem(reason=R.MISSING_NDC, field="ndc", message="m")
    first = validation_case(ChargeValidationResult(line_id="L", problems=(problem,)))
    again = validation_case(ChargeValidationResult(line_id="L", problems=(problem,), lag_days=1))
    assert first is not None and again is not None
    assert first.case_key == again.case_key
