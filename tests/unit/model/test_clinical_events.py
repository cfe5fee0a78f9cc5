"""Canonical events: JSON round trip by tag, keys, PHI declarations."""

from __future__ import annotations

import datetime as dt
import decimal

import msgspec

from careweave.model.base import BusinessEvent
from careweave.model.care import Code, Encounter
from careweave.model.charges import ChargeCaptured, Money, TransactionType
from careweave.model.clinical import (
    AppointmentCancelled,
    ClinicalEvent,
    PatientAdmitted,
    business_key,
)
from careweave.model.identity import Identifier, PatientIdentity
from careweave.model.supplies import SupplyUsed

PATIENT = PatientIdentity(
    identifiers=(Identifier(value="9", system="H1", type="SS"), Identifier(value="1", type="MR"))
)
AWARE = dt.datetime(2024, 3, 5, 9, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
EVENTS: list[ClinicalEvent] = [
    PatientAdmitted(
        idempotency_key="a",
        patient=PATIENT,
        encounter=Encounter(visit_number=Identifier(value="V1"), admitted_at=AWARE),
    ),
    ChargeCaptured(
        idempotency_key="c",
        patient=PATIENT,
        transaction_id="1",
        transaction_type=TransactionType.CREDIT,
        transaction_code=Code(code="X"),
        quantity=decimal.Decimal("1.5"),
        extended_amount=Money(amount=decimal.Decimal("10.05")),
    ),
    SupplyUsed(idempotency_key="s", patient=PATIENT, line_id="1", item=Code(code="I")),
    AppointmentCancelled(
        idempotency_key="x", patient=PATIENT, appointment_id=Identifier(value="A")
    ),
]


def test_events_round_trip_through_json_by_tag():
    decoder = msgspec.json.Decoder(
        PatientAdmitted | ChargeCaptured | SupplyUsed | AppointmentCancelled
    )
    for event in EVENTS:
        again = decoder.decode(msgspec.json.encode(event))
        assert again == event
    assert decoder.decode(msgspec.json.encode(EVENTS[0])).encounter.admitted_at == AWARE


def test_money_and_quantity_stay_exact():
    payload = msgspec.json.encode(EVENTS[1])
    assert b'"10.05"' in payload and b'"1.5"' in payload
    assert EVENTS[1].is_credit  # type: ignore[attr-defined]


def test_ordering_and_phi():
    for event in EVENTS:
        assert isinstance(event, BusinessEvent)
        # The MR identifier is the primary one even when it is not listed first.
        assert event.ordering_key() == "patient:1"
        assert {"patient", "encounter"} <= event.phi_fields


def test_business_key_marks_missing_parts():
    assert business_key("charge", "V1", None, "X") == "charge:V1:-:X"
