"""IN1, IN2 -> Coverage, with the payer as an Organization."""

from __future__ import annotations

from careweave.codecs.hl7v2 import Segment
from careweave.mappings.v2_fhir import datatypes as d
from careweave.mappings.v2_fhir import vocab
from careweave.mappings.v2_fhir.bundle import Json, compact
from careweave.mappings.v2_fhir.state import WalkState
from careweave.mappings.v2_fhir.times import fhir_date

COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"


def _class(kind: str, value: str | None, name: str | None = None) -> Json | None:
    if value is None:
        return None
    return compact(
        {
            "type": {"coding": [{"system": COVERAGE_CLASS, "code": kind}]},
            "value": value,
            "name": name,
        }
    )


def read_insurance(state: WalkState, in1: Segment) -> None:
    """IN1: payer (IN1-3/4/5/7) as an Organization; plan, group, period, relationship, policy."""
    w = state.writer
    state.coverage = None
    if state.patient is None:
        w.warn("IN1", "no PID before it; Coverage needs a beneficiary; left out")
        return
    payer_name = d.text(in1, "4.1")
    payer_ids = d.cx_all(w, in1, 3)
    payer = d.organization(
        w, payer_name, payer_ids, d.xad_all(w, in1, 5), d.xtn_all(in1, 7, "work")
    )
    relation = (d.text(in1, "17.1") or "").upper()
    relationship = None
    if relation in vocab.SUBSCRIBER_RELATIONSHIP:
        code = vocab.SUBSCRIBER_RELATIONSHIP[relation]
        relationship = {"coding": [{"system": RELATIONSHIP, "code": code}]}
    elif relation:
        relationship = d.table_code(in1, 17, "0063")
    policy = d.text(in1, "36.1")
    member = {"coding": [{"system": vocab.V2 + "0203", "code": "MB"}]}
    identifiers: list[Json] = [{"type": member, "value": policy}] if policy else []
    identifiers += d.cx_all(w, in1, 49)
    plan_name = d.text(in1, "2.2") or d.text(in1, "2.1")
    coverage = compact(
        {
            "resourceType": "Coverage",
            "identifier": identifiers,
            "status": "active",
            "type": d.table_code(in1, 15, "0086"),
            "subscriberId": policy,
            "beneficiary": state.subject(),
            "relationship": relationship,
            "period": d.period(
                fhir_date(d.text(in1, "12.1"), w, "IN1-12"),
                fhir_date(d.text(in1, "13.1"), w, "IN1-13"),
            ),
            "payor": [{"reference": payer}],
            "class": [
                c
                for c in (
                    _class("plan", d.text(in1, "2.1"), plan_name),
                    _class("group", d.text(in1, "8.1"), d.text(in1, "9.1")),
                )
                if c
            ],
        }
    )
    w.add(coverage)
    state.coverage = coverage
    state.last = coverage


def read_insurance_detail(state: WalkState, in2: Segment) -> None:
    """IN2: the insured's employee id (IN2-1) and Medicare/Medicaid numbers (IN2-6, IN2-8) as
    further identifiers of the Coverage before it."""
    coverage = state.coverage
    if coverage is None:
        state.writer.warn("IN2", "no Coverage before it; left out")
        return
    for field, kind in ((1, "EI"), (6, "MC"), (8, "MA")):
        value = d.text(in2, f"{field}.1")
        if value:
            coverage.setdefault("identifier", []).append(
                {"type": {"coding": [{"system": vocab.V2 + "0203", "code": kind}]}, "value": value}
            )
