"""Acceptance 2: HL7 v2 corpus messages map to events whose key facts agree with the Bundles
that microsoft/FHIR-Converter expects for the same messages."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

import pytest

from careweave.codecs.hl7v2 import parse_message
from careweave.exceptions import MappingError
from careweave.mappings.fhir_emit import ACT_CODES
from careweave.mappings.hl7v2_clinical import map_message
from careweave.model.charges import ChargeCaptured
from careweave.model.clinical import ClinicalEvent, ProcedureDocumented
from tests.conftest import corpus_names, corpus_path
from tests.unit.mappings.converter_disagreements import DISAGREEMENTS, UNMAPPED

FOLDER = ("hl7v2", "ms-fhir-converter")
NAMES = [n.removesuffix(".hl7") for n in corpus_names(*FOLDER, "messages", pattern="*.hl7")]


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _codes(resources: list[dict[str, Any]]) -> set[str]:
    return {c["code"] for r in resources for c in r.get("code", {}).get("coding", [])}


def _instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _check(name: str, fact: str, ok: bool, detail: str) -> None:
    if (name, fact) in DISAGREEMENTS:
        return
    assert ok, f"{name} {fact}: {detail}"


@pytest.mark.parametrize("name", NAMES)
def test_message_agrees_with_converter(name: str) -> None:
    raw = corpus_path(*FOLDER, "messages", f"{name}.hl7").read_bytes()
    msg = parse_message(raw)
    kind = f"{msg.header.message_code()}^{msg.header.trigger_event()}"
    if kind in UNMAPPED:
        with pytest.raises(MappingError, match=kind.replace("^", r"\^")):
            map_message(msg)
        return
    events = map_message(msg)
    assert events, f"{name}: a mapped message type produced no events"
    expected = json.loads(
        corpus_path(*FOLDER, "expected-fhir-r4", f"{name}-expected.json").read_bytes()
    )

    patients = _resources(expected, "Patient")
    clinical = [e for e in events if isinstance(e, ClinicalEvent)]
    if patients:
        fhir_patient = patients[0]
        values = {i.get("value") for p in patients for i in p.get("identifier", [])}
        families = {n.get("family") for p in patients for n in p.get("name", [])}
        for event in clinical:
            ours = {i.value for i in event.patient.identifiers}
            _check(name, "patient.identifiers", ours <= values, f"{ours - values} not in {values}")
            fam = {n.family for n in event.patient.names}
            _check(name, "patient.names", fam <= families, f"{fam} vs {families}")
            if event.patient.birth_date:
                _check(
                    name,
                    "patient.birthDate",
                    event.patient.birth_date.isoformat() == fhir_patient.get("birthDate"),
                    f"{event.patient.birth_date} vs {fhir_patient.get('birthDate')}",
                )
            if event.patient.sex:
                _check(
                    name,
                    "patient.gender",
                    event.patient.sex.value == fhir_patient.get("gender"),
                    f"{event.patient.sex} vs {fhir_patient.get('gender')}",
                )

    encounters = _resources(expected, "Encounter")
    with_visit = [e for e in clinical if e.encounter is not None]
    if encounters and with_visit:
        fhir_enc, ours_enc = encounters[0], with_visit[0].encounter
        assert ours_enc is not None
        if ours_enc.encounter_class in ACT_CODES:
            code = ACT_CODES[ours_enc.encounter_class][0]
            _check(
                name,
                "encounter.class",
                code == fhir_enc["class"]["code"],
                f"{code} vs {fhir_enc['class']}",
            )
        start = fhir_enc.get("period", {}).get("start")
        if ours_enc.admitted_at and start:
            _check(
                name,
                "encounter.period.start",
                ours_enc.admitted_at == _instant(start),
                f"{ours_enc.admitted_at} vs {start}",
            )
        visit_ids = {i.get("value") for i in fhir_enc.get("identifier", [])}
        if ours_enc.visit_number and visit_ids:
            _check(
                name,
                "encounter.identifier",
                ours_enc.visit_number.value in visit_ids,
                f"{ours_enc.visit_number.value} vs {visit_ids}",
            )

    procedures = [e for e in events if isinstance(e, ProcedureDocumented)]
    if procedures:
        theirs = _codes(_resources(expected, "Procedure"))
        ours_codes = {p.code.code for p in procedures}
        _check(name, "procedure.code", ours_codes <= theirs, f"{ours_codes} vs {theirs}")

    charges = [e for e in events if isinstance(e, ChargeCaptured)]
    items = {
        c["code"]: item
        for item in _resources(expected, "ChargeItem")
        for c in item["code"].get("coding", [])
    }
    for charge in charges:
        item = items.get(charge.transaction_code.code)
        _check(name, "charge.code", item is not None, f"{charge.transaction_code} not charged")
        if item is None:
            continue
        qty = decimal.Decimal(str(item.get("quantity", {}).get("value", 1)))
        _check(name, "charge.quantity", charge.quantity == qty, f"{charge.quantity} vs {qty}")
        price = item.get("priceOverride")
        if price and charge.extended_amount:
            _check(
                name,
                "charge.amount",
                charge.extended_amount.amount == decimal.Decimal(str(price["value"])),
                f"{charge.extended_amount} vs {price}",
            )
