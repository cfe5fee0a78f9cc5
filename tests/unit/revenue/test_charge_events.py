"""ChargeCaptured events (from FT1 or FHIR ChargeItem) become validated charge lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from careweave.exceptions import ValidationError
from careweave.model.care import Code, Encounter, Provider
from careweave.model.charges import ChargeCaptured, Money, TransactionType
from careweave.model.identity import Identifier, PatientIdentity
from careweave.model.revenue import ChargeTransactionType, ClaimForm
from careweave.revenue.charge_events import charge_line_from_event
from careweave.revenue.charge_rules import ChargeValidationConfig, ChargeValidator

PATIENT = PatientIdentity(identifiers=(Identifier(value="MRN1", system="HOSP", type="MR"),))
ENCOUNTER = Encounter(visit_number=Identifier(value="V1001", system="HOSP", type="VN"))


def captured(**changes) -> ChargeCaptured:
    fields: dict[str, object] = {
        "idempotency_key": "charge:V1001:T1",
        "patient": PATIENT,
        "encounter": ENCOUNTER,
        "transaction_id": "T1",
        "transaction_type": TransactionType.CHARGE,
        "transaction_code": Code(code="CDM-4410", system="CDM"),
        "quantity": Decimal(2),
        "procedure_code": Code(code="93458", system="C4"),
        "modifiers": ("26",),
        "unit_amount": Money(amount=Decimal("125.50")),
        "performing_provider": Provider(npi="1234567893"),
        "diagnoses": (Code(code="I21.4", system="I10"),),
        "service_date": dt.date(2026, 3, 9),
        "posted_at": dt.datetime(2026, 3, 9, 17, 5, tzinfo=dt.UTC),
        "department": Code(code="CATH"),
    }
    fields.update(changes)
    return ChargeCaptured(**fields)  # type: ignore[arg-type]


def test_professional_charge_line(icd10, clock):
    line = charge_line_from_event(captured(), entity="RHS-HOSP1", place_of_service="22")
    assert line.line_id == "T1"
    assert line.encounter_id == "HOSP|V1001"
    assert line.entity == "RHS-HOSP1"
    assert line.claim_form is ClaimForm.PROFESSIONAL
    assert line.procedure_code == "93458"
    assert line.units == 2
    assert line.amount == Decimal("251.00")  # unit price x quantity
    assert line.rendering_npi == "1234567893"
    assert line.diagnosis_codes == ("I21.4",)
    assert line.department == "CATH"
    validator = ChargeValidator(ChargeValidationConfig(), icd10, clock)
    assert validator.validate(line).problems == ()


def test_revenue_code_makes_it_institutional_and_extended_amount_wins():
    line = charge_line_from_event(
        captured(revenue_code="0481", extended_amount=Money(amount=Decimal("300.00")))
    )
    assert line.claim_form is ClaimForm.INSTITUTIONAL
    assert line.amount == Decimal("300.00")


def test_credit_and_posting_date_fallback():
    line = charge_line_from_event(
        captured(transaction_type=TransactionType.CREDIT, quantity=Decimal(-2), service_date=None)
    )
    assert line.transaction_type is ChargeTransactionType.CREDIT
    assert line.service_date == dt.date(2026, 3, 9)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"transaction_type": TransactionType.PAYMENT}, "is a payment"),
        ({"encounter": None}, "names no encounter"),
        ({"service_date": None, "posted_at": None}, "no service or posting date"),
    ],
)
def test_events_that_are_not_charges_are_rejected_clearly(changes, message):
    with pytest.raises(ValidationError, match=message):
        charge_line_from_event(captured(**changes))
