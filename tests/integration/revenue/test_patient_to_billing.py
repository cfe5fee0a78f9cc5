"""patient-to-billing on the simulated EHR's charges: routed, parked, netted, cancelled, discharged.

The flow runs as a channel runs it (``run(event, out)``), on ChargeCaptured events the HL7 mapping
makes of the EHR simulator's DFT^P03 messages, altered where a test needs a defect.
"""

from __future__ import annotations

import datetime as dt
import functools

import msgspec
import pytest

from careweave.codecs.hl7v2 import parse_message
from careweave.engine.clock import ManualClock
from careweave.flows.patient_to_billing import ChargeRouted, PatientToBillingFlow
from careweave.flows.rcm_payloads import line_key
from careweave.mappings.hl7v2_clinical import map_message
from careweave.model.care import Code
from careweave.model.charges import ChargeCaptured, Money, TransactionType
from careweave.model.clinical import CancelledAction, PatientDischarged, VisitCancelled
from careweave.model.flow import FlowOutput
from careweave.model.rcm import (
    CHARGE_CONTENT_TYPE,
    ENCOUNTER_CONTENT_TYPE,
    RcmChargeLine,
    RcmEncounterUpdate,
)
from careweave.model.state import InMemoryState, StateTable
from careweave.revenue import ChargeValidationConfig, ChargeValidator, Icd10CmCodeSet
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.revenue_masters import billing_references, coverage_table


@functools.cache
def scenario_charges() -> tuple[tuple[ChargeCaptured, ...], object]:
    scenario = generate_scenario(EhrScenarioConfig(seed=11, encounters_per_day=12))
    charges = tuple(
        event
        for message in scenario.messages
        for event in map_message(parse_message(message.raw))
        if isinstance(event, ChargeCaptured) and event.procedure_code is not None
    )
    return charges, scenario


@functools.cache
def diagnoses() -> Icd10CmCodeSet:
    return Icd10CmCodeSet()


def new_flow() -> PatientToBillingFlow:
    _charges, scenario = scenario_charges()
    clock = ManualClock(dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC))
    validator = ChargeValidator(ChargeValidationConfig(), diagnoses(), clock)
    return PatientToBillingFlow(
        billing_references(scenario),  # type: ignore[arg-type]
        coverage_table(scenario),  # type: ignore[arg-type]
        validator,
    )


@pytest.fixture
def charge() -> ChargeCaptured:
    return scenario_charges()[0][0]


def enc(event: ChargeCaptured) -> str:
    key = event.encounter.key() if event.encounter is not None else None
    assert key is not None
    return key


def routed(out: FlowOutput) -> list[ChargeRouted]:
    found = [e for e in out.events if isinstance(e, ChargeRouted)]
    assert len(found) == len(out.events)
    return found


def sent(out: FlowOutput, content_type: str) -> list[bytes]:
    return [e.payload for e in out.effects if e.content_type == content_type]


def charges_sent(out: FlowOutput) -> list[RcmChargeLine]:
    return [msgspec.json.decode(p, type=RcmChargeLine) for p in sent(out, CHARGE_CONTENT_TYPE)]


def test_a_valid_charge_registers_its_encounter_then_goes_to_the_platform(charge) -> None:
    flow, state = new_flow(), InMemoryState()
    out = FlowOutput(state=state)
    flow.run(charge, out)
    assert out.cases == []
    assert [e.content_type for e in out.effects] == [ENCOUNTER_CONTENT_TYPE, CHARGE_CONTENT_TYPE]
    assert {e.ordering_key for e in out.effects} == {f"encounter:{enc(charge)}"}
    update = msgspec.json.decode(out.effects[0].payload, type=RcmEncounterUpdate)
    assert update.encounter_id == enc(charge)
    assert update.update.coverage is not None or update.update.patient is not None
    [line] = charges_sent(out)
    assert line.line_key == line_key(enc(charge), charge.transaction_id)
    assert line.quantity * line.unit_amount == charge.extended_amount.amount
    assert line.procedure_code == charge.procedure_code.code
    assert line.entity and line.transaction == "charge"
    [first] = routed(out)
    assert first.lag_days is not None and first.amount == charge.extended_amount.amount
    # The same charge delivered again: the same effect key, no case, no second registration.
    again = FlowOutput(state=state)
    flow.run(charge, again)
    assert [e.idempotency_key for e in again.effects] == [out.effects[1].idempotency_key]


def test_an_invalid_charge_is_parked_for_revenue_integrity_and_the_others_go_on() -> None:
    charges, _ = scenario_charges()
    good, bad = charges[0], charges[1]
    broken = msgspec.structs.replace(bad, procedure_code=Code(code="9345", system="C4"))
    flow, state = new_flow(), InMemoryState()
    out = FlowOutput(state=state)
    flow.run(broken, out)
    flow.run(good, out)
    [case] = out.cases
    assert case.reason_code == "INVALID_PROCEDURE_CODE"
    assert case.owning_team == "revenue-integrity"
    assert case.case_key == f"charge-validation:{bad.transaction_id}"
    assert any("procedure_code='9345'" in d for d in case.details)
    assert case.suggested_fix
    assert [c.line_key for c in charges_sent(out)] == [line_key(enc(good), good.transaction_id)]


def test_a_duplicate_charge_is_parked_not_billed(charge) -> None:
    flow, state = new_flow(), InMemoryState()
    out = FlowOutput(state=state)
    flow.run(charge, out)
    repeat = msgspec.structs.replace(charge, transaction_id=charge.transaction_id + "9")
    flow.run(repeat, out)
    [case] = out.cases
    assert case.reason_code == "DUPLICATE_CHARGE"
    assert charge.transaction_id in case.summary
    assert len(charges_sent(out)) == 1


def test_a_credit_reverses_its_charge_by_line_key(charge) -> None:
    flow, state = new_flow(), InMemoryState()
    out = FlowOutput(state=state)
    flow.run(charge, out)
    amount = charge.extended_amount.amount
    credit = msgspec.structs.replace(
        charge,
        idempotency_key="credit:" + charge.idempotency_key,
        transaction_id=charge.transaction_id + "C",
        transaction_type=TransactionType.CREDIT,
        quantity=-charge.quantity,
        extended_amount=Money(amount=-amount),
    )
    flow.run(credit, out)
    original, reversal = charges_sent(out)
    assert reversal.transaction == "credit"
    assert reversal.reverses == original.line_key
    assert reversal.quantity * reversal.unit_amount == amount
    assert routed(out)[-1].amount == -amount
    # A second credit for the same charge finds nothing left to reverse.
    twice = msgspec.structs.replace(credit, transaction_id=charge.transaction_id + "D")
    flow.run(twice, out)
    assert [c.reason_code for c in out.cases] == ["CREDIT_EXCEEDS_CHARGE"]
    assert len(charges_sent(out)) == 2


def test_a_cancelled_admission_credits_every_open_charge_of_the_visit() -> None:
    charges, _ = scenario_charges()
    encounter = enc(charges[0])
    mine = [c for c in charges if enc(c) == encounter and not c.is_credit]
    flow, state = new_flow(), InMemoryState()
    out = FlowOutput(state=state)
    for c in mine:
        flow.run(c, out)
    billed = {c.line_key for c in charges_sent(out)}
    cancel = VisitCancelled(
        idempotency_key="a11:" + encounter,
        patient=mine[0].patient,
        encounter=mine[0].encounter,
        cancelled=CancelledAction.ADMISSION,
        occurred_at=dt.datetime(2025, 3, 4, tzinfo=dt.UTC),
    )
    after = FlowOutput(state=state)
    flow.run(cancel, after)
    credits = charges_sent(after)
    assert {c.transaction for c in credits} == {"credit"}
    assert {c.reverses for c in credits} == billed
    # Cancelling again credits nothing more.
    again = FlowOutput(state=state)
    flow.run(cancel, again)
    assert charges_sent(again) == []


def test_a_charge_posted_after_discharge_does_not_reopen_the_account() -> None:
    charges, _ = scenario_charges()
    first = charges[0]
    later = next(c for c in charges[1:] if enc(c) == enc(first) and not c.is_credit)
    flow, state = new_flow(), InMemoryState()
    out = FlowOutput(state=state)
    flow.run(first, out)
    discharge = PatientDischarged(
        idempotency_key="a03:" + enc(first),
        patient=first.patient,
        encounter=first.encounter,
        occurred_at=dt.datetime(2025, 3, 5, tzinfo=dt.UTC),
    )
    flow.run(discharge, out)
    flow.run(later, out)
    updates = [
        msgspec.json.decode(p, type=RcmEncounterUpdate).update.status
        for p in sent(out, ENCOUNTER_CONTENT_TYPE)
    ]
    assert updates == ["open", "discharged"]
    assert len(charges_sent(out)) == 2


def test_a_late_charge_is_flagged_and_still_billed(charge) -> None:
    late = msgspec.structs.replace(
        charge,
        posted_at=dt.datetime.combine(charge.service_date, dt.time(9), tzinfo=dt.UTC)
        + dt.timedelta(days=6),
    )
    flow, state = new_flow(), InMemoryState()
    out = FlowOutput(state=state)
    flow.run(late, out)
    [flagged] = routed(out)
    assert flagged.late and flagged.lag_days == 6
    assert any(w.startswith("LATE_CHARGE") for w in flagged.warnings)
    assert len(charges_sent(out)) == 1
    assert out.cases == []


def test_a_charge_from_an_unknown_facility_is_parked(charge) -> None:
    location = msgspec.structs.replace(charge.encounter.location, facility="NOWHERE")
    stray = msgspec.structs.replace(
        charge, encounter=msgspec.structs.replace(charge.encounter, location=location)
    )
    out = FlowOutput(state=InMemoryState())
    new_flow().run(stray, out)
    [case] = out.cases
    assert case.reason_code == "UNKNOWN_FACILITY" and "NOWHERE" in case.summary
    assert out.effects == []
    assert routed(out) == []


def test_a_new_flow_over_the_same_state_knows_what_the_first_one_saw(charge) -> None:
    """What a restart or a second process is: the ledger and registrations come from the state."""
    state = InMemoryState()
    new_flow().run(charge, FlowOutput(state=state))
    assert [key for key, _ in state.items(StateTable.CHARGE_POSITIONS)] == [enc(charge)]
    repeat = msgspec.structs.replace(charge, transaction_id=charge.transaction_id + "9")
    out = FlowOutput(state=state)
    new_flow().run(repeat, out)
    [case] = out.cases
    assert case.reason_code == "DUPLICATE_CHARGE" and out.effects == []
    # The original re-delivered to a third instance: its own key again, no second registration.
    again = FlowOutput(state=state)
    new_flow().run(charge, again)
    assert [e.content_type for e in again.effects] == [CHARGE_CONTENT_TYPE]
    assert again.cases == []
