"""Charge capture validation: each rule with a valid and an invalid example."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from careweave.model.revenue import (
    ChargeLine,
    ChargeReason,
    ChargeTransactionType,
    ChargeValidationResult,
    ClaimForm,
    Severity,
)
from careweave.revenue.charge_lag import ChargeLagPolicy
from careweave.revenue.charge_rules import ChargeValidationConfig, ChargeValidator

from .conftest import NOW

R = ChargeReason

# A professional cardiology charge that passes every rule: PCI of one vessel (CPT 92928,
# format only), right coronary artery modifier, NSTEMI diagnosis, office-independent POS 22.
PROFESSIONAL = ChargeLine(
    line_id="FT1-1001",
    encounter_id="VN|V1001",
    service_date=dt.date(2026, 3, 9),
    claim_form=ClaimForm.PROFESSIONAL,
    procedure_code="92928",
    modifiers=("RC",),
    diagnosis_codes=("I21.4", "I25.10"),
    units=Decimal(1),
    amount=Decimal("4200.00"),
    rendering_npi="1234567893",
    place_of_service="22",
    captured_at=dt.datetime(2026, 3, 9, 18, 0, tzinfo=dt.UTC),
)

# An institutional implant charge: drug-eluting stent (HCPCS C1874) on revenue code 0278.
INSTITUTIONAL = ChargeLine(
    line_id="FT1-2001",
    encounter_id="VN|V1001",
    service_date=dt.date(2026, 3, 9),
    claim_form=ClaimForm.INSTITUTIONAL,
    procedure_code="C1874",
    revenue_code="0278",
    units=Decimal(1),
    amount=Decimal("1850.00"),
    captured_at=dt.datetime(2026, 3, 9, 18, 0, tzinfo=dt.UTC),
)


@pytest.fixture
def validator(icd10, clock):
    return ChargeValidator(ChargeValidationConfig(), icd10, clock)


def check(validator: ChargeValidator, line: ChargeLine, **changes: Any) -> ChargeValidationResult:
    return validator.validate(msgspec.structs.replace(line, **changes))


def test_valid_lines_have_no_problems(validator):
    for line in (PROFESSIONAL, INSTITUTIONAL):
        result = validator.validate(line)
        assert result.problems == ()
        assert result.ok
        assert result.lag_days == 0


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"procedure_code": None}, R.MISSING_PROCEDURE_CODE, "procedure_code"),
        ({"procedure_code": "9292"}, R.INVALID_PROCEDURE_CODE, "procedure_code"),
        ({"procedure_code": "W1874"}, R.INVALID_PROCEDURE_CODE, "procedure_code"),
        ({"modifiers": ("RC", "5")}, R.INVALID_MODIFIER, "modifiers[1]"),
        ({"modifiers": ("59", "59")}, R.DUPLICATE_MODIFIER, "modifiers[1]"),
        ({"modifiers": ("RC", "59", "XU", "LT", "RT")}, R.TOO_MANY_MODIFIERS, "modifiers"),
        ({"diagnosis_codes": ()}, R.MISSING_DIAGNOSIS, "diagnosis_codes"),
        ({"diagnosis_codes": ("I21.4", "I21.99")}, R.INVALID_ICD10, "diagnosis_codes[1]"),
        ({"diagnosis_codes": ("A00-A09",)}, R.INVALID_ICD10, "diagnosis_codes[0]"),
        ({"diagnosis_codes": ("I21",)}, R.ICD10_NOT_BILLABLE, "diagnosis_codes[0]"),
        ({"diagnosis_codes": ("I25.1",)}, R.ICD10_NOT_BILLABLE, "diagnosis_codes[0]"),
        ({"units": Decimal(0)}, R.INVALID_UNITS, "units"),
        ({"units": Decimal(-2)}, R.INVALID_UNITS, "units"),
        ({"units": Decimal(1000)}, R.UNITS_EXCEED_MAX, "units"),
        ({"units": Decimal("1.5")}, R.FRACTIONAL_UNITS, "units"),
        ({"amount": Decimal("-1.00")}, R.INVALID_AMOUNT, "amount"),
        ({"amount": Decimal("10.005")}, R.INVALID_AMOUNT, "amount"),
        ({"rendering_npi": None}, R.MISSING_NPI, "rendering_npi"),
        ({"rendering_npi": "1234567890"}, R.NPI_CHECK_DIGIT, "rendering_npi"),
        ({"rendering_npi": "123456789"}, R.NPI_FORMAT, "rendering_npi"),
        ({"ordering_npi": "1234567894"}, R.NPI_CHECK_DIGIT, "ordering_npi"),
        ({"place_of_service": None}, R.MISSING_PLACE_OF_SERVICE, "place_of_service"),
        ({"place_of_service": "2"}, R.INVALID_PLACE_OF_SERVICE, "place_of_service"),
        ({"place_of_service": "30"}, R.UNKNOWN_PLACE_OF_SERVICE, "place_of_service"),
        ({"ndc": "0002759701"}, R.AMBIGUOUS_NDC, "ndc"),
        ({"ndc": "12-34"}, R.INVALID_NDC, "ndc"),
        ({"service_date": dt.date(2026, 3, 11)}, R.SERVICE_DATE_IN_FUTURE, "service_date"),
    ],
)
def test_professional_errors(validator, changes, reason, field):
    result = check(validator, PROFESSIONAL, **changes)
    assert not result.ok
    assert [(p.reason, p.field) for p in result.errors] == [(reason, field)]


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"revenue_code": None}, R.MISSING_REVENUE_CODE, "revenue_code"),
        ({"revenue_code": "278"}, R.INVALID_REVENUE_CODE, "revenue_code"),
        ({"revenue_code": "0050"}, R.INVALID_REVENUE_CODE, "revenue_code"),
        ({"procedure_code": "J1100", "revenue_code": "0636"}, R.MISSING_NDC, "ndc"),
        ({"procedure_code": None, "revenue_code": "0250"}, R.MISSING_NDC, "ndc"),
    ],
)
def test_institutional_errors(validator, changes, reason, field):
    result = check(validator, INSTITUTIONAL, **changes)
    assert [(p.reason, p.field) for p in result.errors] == [(reason, field)]


def test_institutional_lines_need_no_diagnosis_pos_or_npi(validator):
    # Room and board: a revenue code alone, diagnoses on the claim.
    result = check(validator, INSTITUTIONAL, procedure_code=None, revenue_code="0120")
    assert result.problems == ()


def test_drug_line_with_ndc_is_normalised(validator):
    result = check(
        validator, INSTITUTIONAL, procedure_code="J1100", revenue_code="0636", ndc="0641-6145-01"
    )
    assert result.ok
    assert result.normalized_ndc == "00641614501"


def test_ndc_requirement_can_be_switched_off(icd10, clock):
    lenient = ChargeValidator(ChargeValidationConfig(require_ndc_on_drugs=False), icd10, clock)
    assert check(lenient, INSTITUTIONAL, procedure_code="J1100", revenue_code="0636").ok


def test_units_limit_is_configurable(icd10, clock):
    strict = ChargeValidator(ChargeValidationConfig(max_units=Decimal(10)), icd10, clock)
    assert check(strict, PROFESSIONAL, units=Decimal(10)).ok
    assert check(strict, PROFESSIONAL, units=Decimal(11)).reasons() == {R.UNITS_EXCEED_MAX}


def test_warnings_do_not_stop_the_charge(validator):
    result = check(validator, PROFESSIONAL, modifiers=("RC", "ZZ"), revenue_code="0890")
    assert result.ok
    assert {(p.reason, p.severity) for p in result.problems} == {
        (R.UNKNOWN_MODIFIER, Severity.WARNING),
        (R.UNKNOWN_REVENUE_CODE, Severity.WARNING),
    }


def test_all_problems_are_listed_in_one_pass(validator):
    result = check(
        validator,
        PROFESSIONAL,
        procedure_code="ABC",
        diagnosis_codes=("XYZ",),
        rendering_npi="1234567890",
        place_of_service="2",
    )
    assert [p.reason for p in result.errors] == [
        R.INVALID_PROCEDURE_CODE,
        R.INVALID_ICD10,
        R.NPI_CHECK_DIGIT,
        R.INVALID_PLACE_OF_SERVICE,
    ]
    assert result.errors[1].value == "XYZ"


def test_credits_may_carry_negative_units_and_amount(validator):
    credit = msgspec.structs.replace(
        PROFESSIONAL,
        line_id="FT1-1002",
        transaction_type=ChargeTransactionType.CREDIT,
        units=Decimal(-1),
        amount=Decimal("-4200.00"),
        diagnosis_codes=(),
        rendering_npi=None,
        place_of_service=None,
    )
    assert validator.validate(credit).problems == ()


def test_late_charge_is_a_warning_with_the_lag(validator):
    result = check(validator, PROFESSIONAL, service_date=dt.date(2026, 3, 1))
    assert result.ok
    assert result.lag_days == 8
    (late,) = result.warnings
    assert late.reason is R.LATE_CHARGE
    assert late.value == "8"


def test_late_threshold_is_configurable(icd10, clock):
    config = ChargeValidationConfig(lag=ChargeLagPolicy(late_after_days=10))
    relaxed = ChargeValidator(config, icd10, clock)
    assert check(relaxed, PROFESSIONAL, service_date=dt.date(2026, 3, 1)).problems == ()


def test_lag_uses_the_clock_when_capture_time_is_unknown(validator):
    result = check(validator, PROFESSIONAL, captured_at=None, service_date=dt.date(2026, 3, 5))
    assert result.lag_days == (NOW.date() - dt.date(2026, 3, 5)).days == 5
    assert result.reasons() == {R.LATE_CHARGE}


def test_service_after_capture_is_flagged(validator):
    result = check(validator, PROFESSIONAL, service_date=dt.date(2026, 3, 10))
    assert result.reasons() == {R.SERVICE_DATE_IN_FUTURE}
