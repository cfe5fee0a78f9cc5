"""Insurance from the EHR's IN1/IN2 reaches the claim: no coverage table needed.

The EHR simulator's registrations carry IN1 (Epic-like DFTs too); the mapping reads them into
canonical coverage on the visit, patient-to-billing keeps the ADT's for the visit and registers the
encounter with the platform under it, and the claim builder files under that payer. The simulator's
own coverage (its scenario) is read here only to check the answer, never given to the flow.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from careweave.codecs.hl7v2 import parse_message
from careweave.engine.clock import ManualClock
from careweave.flows.billing_encounters import BillingEncounters
from careweave.flows.patient_to_billing import PatientToBillingFlow
from careweave.mappings.hl7v2_clinical import map_message
from careweave.mappings.hl7v2_coverage import read_coverages
from careweave.masterdata.billing import CoverageTable
from careweave.masterdata.payers import Payer, PayerDirectory
from careweave.model.base import BusinessEvent
from careweave.model.clinical import ClinicalEvent, PatientAdmitted
from careweave.model.flow import FlowOutput
from careweave.model.rcm import ENCOUNTER_CONTENT_TYPE, RcmEncounterUpdate
from careweave.model.state import InMemoryState
from careweave.revenue import ChargeValidationConfig, ChargeValidator, Icd10CmCodeSet
from careweave.revenue.coverage import claim_coverage
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.revenue_masters import billing_references


def _segment(name: str, fields: dict[int, str]) -> str:
    values = [""] * max(fields)
    for number, value in fields.items():
        values[number - 1] = value
    return "|".join([name, *values]) + "\r"


ADT_WITH_TWO_PLANS = (
    "MSH|^~\\&|EPIC|RBH||CW|20261103101500||ADT^A01|MSG0001|P|2.5.1\r"
    "EVN|A01|20261103101500\r"
    "PID|1||MRN123^^^RBH^MR||DOE^JANE||19700101|F\r"
    "PV1|1|I|3N^301^A^RBH||||1234567893^SMITH^ANN|||MED|||||||||V123^^^RBH^VN\r"
    + _segment(
        "IN1",
        {
            1: "1",
            2: "PPO1^Gold PPO",
            3: "BCBS01^^^^NIIP",
            4: "BLUE CROSS",
            8: "GRP77",
            12: "20260101",
            13: "20261231",
            15: "PPO",
            16: "DOE^JANE",
            17: "SEL",
            36: "MEM-555",
        },
    )
    + "IN2|1\r"
    + _segment("IN1", {1: "2", 2: "MCD^Medicaid", 3: "MCD01", 4: "STATE MEDICAID", 15: "MD"})
    + _segment("IN2", {1: "1", 6: "MCR-HIC-1", 8: "MCD-CASE-9"})
)


def test_in1_and_in2_become_coverage_in_coordination_order() -> None:
    message = parse_message(ADT_WITH_TWO_PLANS.encode())
    primary, secondary = read_coverages(message)
    assert (primary.sequence, primary.payer_id, primary.payer_name) == (1, "BCBS01", "BLUE CROSS")
    assert (primary.plan_id, primary.plan_type, primary.group_number) == ("PPO1", "PPO", "GRP77")
    assert primary.member_id == "MEM-555" and primary.relationship == "SEL"
    assert primary.effective == dt.date(2026, 1, 1) and primary.expires == dt.date(2026, 12, 31)
    assert primary.insured_name is not None and primary.insured_name.family == "DOE"
    # No IN1-36: the member id is the Medicaid case number of the IN2 that follows.
    assert (secondary.sequence, secondary.member_id, secondary.plan_type) == (2, "MCD-CASE-9", "MD")

    [admitted, *_] = map_message(message)
    assert isinstance(admitted, PatientAdmitted) and admitted.encounter is not None
    assert admitted.encounter.coverages == (primary, secondary)
    assert admitted.encounter.primary_coverage() == primary


def test_the_payer_master_names_the_payer_and_its_filing_indicator() -> None:
    [coverage, secondary] = read_coverages(parse_message(ADT_WITH_TWO_PLANS.encode()))
    payers = PayerDirectory([Payer(payer_id="BCBS01", name="BCBS OF WISCONSIN", claim_filing="BL")])
    filed = claim_coverage(coverage, payers)
    assert filed is not None
    assert (filed.payer_name, filed.claim_filing, filed.member_id) == (
        "BCBS OF WISCONSIN",
        "BL",
        "MEM-555",
    )
    # A payer the master does not list: the EHR's name, the indicator its plan type implies.
    unlisted = claim_coverage(secondary, payers)
    assert unlisted is not None and (unlisted.payer_name, unlisted.claim_filing) == (
        "STATE MEDICAID",
        "MC",
    )
    assert unlisted.responsibility == "S"
    self_pay = msgspec.structs.replace(coverage, plan_type="SP")
    assert claim_coverage(self_pay, payers) is None


def _flow() -> PatientToBillingFlow:
    scenario = generate_scenario(EhrScenarioConfig(seed=11, encounters_per_day=12))
    clock = ManualClock(dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC))
    return PatientToBillingFlow(
        billing_references(scenario),
        CoverageTable(by_patient={}),  # nothing from the scenario: only what the EHR sent
        ChargeValidator(ChargeValidationConfig(), Icd10CmCodeSet(), clock),
    )


def _registrations(out: FlowOutput) -> list[RcmEncounterUpdate]:
    return [
        msgspec.json.decode(e.payload, type=RcmEncounterUpdate)
        for e in out.effects
        if e.content_type == ENCOUNTER_CONTENT_TYPE
    ]


@pytest.mark.timeout(120)
def test_a_simulated_day_registers_every_insured_visit_under_the_ehr_s_insurance() -> None:
    scenario = generate_scenario(EhrScenarioConfig(seed=11, encounters_per_day=12))
    flow, state = _flow(), InMemoryState()
    insured_by_patient = {
        key: p.coverage
        for p in scenario.patients
        if p.coverage.plan_type != "SP"
        for key in (p.enterprise_id, p.epic_mrn, p.cerner_mrn, p.practice_chart)
    }
    checked = 0
    for message in scenario.well_formed():
        for event in map_message(parse_message(message.raw)):
            if not isinstance(event, tuple(flow.handles)):
                continue
            out = FlowOutput(state=state)
            flow.run(event, out)
            for update in _registrations(out):
                assert isinstance(event, ClinicalEvent)
                expected = next(
                    (
                        insured_by_patient[i.value]
                        for i in event.patient.identifiers
                        if i.value in insured_by_patient
                    ),
                    None,
                )
                coverage = update.update.coverage
                if expected is None:
                    assert coverage is None, update
                    continue
                assert coverage is not None, f"{update.encounter_id}: no coverage registered"
                assert (coverage.payer_id, coverage.member_id, coverage.group_number) == (
                    expected.payer_id,
                    expected.member_id,
                    expected.group_number,
                )
                checked += 1
    assert checked > 10


def test_an_adt_s_insurance_is_kept_for_a_later_charge_without_in1() -> None:
    flow, state = _flow(), InMemoryState()
    admitted = map_message(parse_message(ADT_WITH_TWO_PLANS.encode()))[0]
    assert isinstance(admitted, BusinessEvent) and isinstance(admitted, PatientAdmitted)
    out = FlowOutput(state=state)
    flow.run(admitted, out)
    assert out.effects == []  # an admission registers nothing by itself
    encounter = admitted.encounter.key() if admitted.encounter else None
    assert encounter is not None
    kept = BillingEncounters(state).get(encounter).coverage
    assert kept is not None and (kept.payer_id, kept.member_id) == ("BCBS01", "MEM-555")
