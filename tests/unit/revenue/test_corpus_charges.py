"""Real DFT messages (corpus) decoded to ChargeCaptured, then validated by the revenue rules."""

from __future__ import annotations

import pytest

from careweave.codecs.hl7v2 import parse_message
from careweave.mappings.hl7v2_clinical import map_message
from careweave.model.charges import ChargeCaptured
from careweave.model.revenue import ChargeReason
from careweave.revenue.charge_cases import validation_case
from careweave.revenue.charge_events import charge_line_from_event
from careweave.revenue.charge_ledger import LedgerOutcomeKind, net_charges
from careweave.revenue.charge_rules import ChargeValidationConfig, ChargeValidator
from tests.conftest import corpus_path

R = ChargeReason


def charges_of(name: str) -> list[ChargeCaptured]:
    path = corpus_path("hl7v2", "ms-fhir-converter", "messages", f"{name}.hl7")
    events = map_message(parse_message(path.read_bytes()))
    return [e for e in events if isinstance(e, ChargeCaptured)]


@pytest.mark.parametrize("name", ["DFT-P03-01", "DFT-P11-01"])
def test_corpus_charges_are_validated_and_parked_with_reasons(name, icd10, clock):
    validator = ChargeValidator(ChargeValidationConfig(), icd10, clock)
    charges = charges_of(name)
    assert len(charges) == 2
    results = [validator.validate_event(c, place_of_service="21") for c in charges]
    first = results[0]
    # The sample codes its diagnoses in SNOMED CT and sends an NPI starting with 9.
    assert {p.reason for p in first.errors} == {R.INVALID_ICD10, R.NPI_FORMAT}
    assert [p.value for p in first.errors if p.reason is R.INVALID_ICD10] == [
        "29857009",
        "68235000",
    ]
    assert first.normalized_ndc == "00182106105"  # printed 4-4-2 as 0182-1061-05
    # FT1-4 posting date equals the service date: no lag, even years later by the clock.
    assert [r.lag_days for r in results] == [0, 0]
    case = validation_case(first)
    assert case is not None
    assert case.reason_code == "INVALID_ICD10"
    assert case.owning_team == "revenue-integrity"
    assert case.payload_reference == "charge:12345"
    # The second FT1 names no performing provider.
    assert R.MISSING_NPI in results[1].reasons()


def test_corpus_charges_are_not_duplicates_of_each_other():
    lines = [charge_line_from_event(c) for c in charges_of("DFT-P03-01")]
    ledger = net_charges(lines)
    assert ledger.held() == ()
    assert [p.line_id for p in ledger.positions()] == ["12345", "2"]
    assert ledger.record(lines[0]).kind is LedgerOutcomeKind.REDELIVERED
