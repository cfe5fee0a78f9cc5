"""Issue 16, acceptance 1: every corpus HL7 v2 message converts to a FHIR R4 Bundle that both
fhir.resources and careweave's validator accept, and whose key facts agree with the message as
python-hl7 (the oracle) reads it: identifiers, names, birth date, gender, telecom, addresses,
encounter class and period, observation codes, values and units, allergy codes, coverage.

A message whose MSH-9 names no type (a fragment in the parsers' test suites) is refused with a
MappingError that says so; the oracle decides which messages those are.
"""

from __future__ import annotations

import decimal
import json
import re
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from careweave.cli.hl7 import read_messages
from careweave.codecs.fhir.validator import validate
from careweave.exceptions import MappingError
from careweave.mappings.v2_fhir import Conversion, convert_message
from tests.conftest import corpus_path
from tests.unit.hl7v2.corpus import parseable_names
from tests.unit.mappings.v2_fhir_oracle import (
    MessageFacts,
    facts,
    get,
    hl7_date,
    number,
    oracle_messages,
    repetitions,
)

GENDER = {"M": "male", "F": "female", "O": "other", "A": "other", "N": "other", "U": "unknown"}
CLASS = {"I": "IMP", "O": "AMB", "E": "EMER", "P": "PRENC", "R": "AMB", "B": "IMP"}
OBS_STATUS = {"F": "final", "C": "corrected", "P": "preliminary", "X": "cancelled", "A": "amended"}
_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:\S+")


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _by_ref(bundle: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == ref)


def _codes(concept: dict[str, Any] | None) -> set[str]:
    return {c.get("code") for c in (concept or {}).get("coding", [])}


def _check_patient(pid: Any, patient: dict[str, Any]) -> None:
    values = {i["value"] for i in patient.get("identifier", [])}
    for field in (2, 3, 4, 18):
        for rep in range(1, repetitions(pid, field) + 1):
            value = get(pid, field, rep)
            if value:
                assert value in values, f"PID-{field}[{rep}] {value!r} missing from {values}"
    for field in (19, 20):
        value = get(pid, field)
        if value:
            assert value in values, f"PID-{field} {value!r} missing"
    for ident in patient.get("identifier", []):
        if "system" in ident:
            assert _URI.fullmatch(ident["system"]), ident
    names = patient.get("name", [])
    for rep in range(1, repetitions(pid, 5) + 1):
        family, given = get(pid, 5, rep, 1), get(pid, 5, rep, 2)
        if family or given:
            assert any(
                n.get("family") == (family or None) and (not given or given in n.get("given", []))
                for n in names
            ), f"PID-5[{rep}] {family}^{given} not in {names}"
    birth = hl7_date(get(pid, 7))
    assert patient.get("birthDate") == birth, "PID-7"
    assert patient.get("gender") == GENDER.get(get(pid, 8).upper()), "PID-8"
    phones = 0
    for field in (13, 14, 40):
        for rep in range(1, repetitions(pid, field) + 1):
            if any(get(pid, field, rep, c) for c in (1, 4, 7, 12)):
                phones += 1
    assert len(patient.get("telecom", [])) == phones, "PID-13/14/40"
    addresses = patient.get("address", [])
    written = [
        rep
        for rep in range(1, repetitions(pid, 11) + 1)
        if any(get(pid, 11, rep, c) for c in range(1, 7)) or get(pid, 11, rep, 9)
    ]
    assert len(addresses) == len(written), "PID-11"
    for address, rep in zip(addresses, written, strict=True):
        assert address.get("city") == (get(pid, 11, rep, 3) or None)
        assert address.get("postalCode") == (get(pid, 11, rep, 5) or None)


def _check_visit(pv1: Any, encounter: dict[str, Any]) -> None:
    code = get(pv1, 2).upper()
    expected = CLASS.get(code, code or "UNK")
    assert encounter["class"]["code"] == expected, "PV1-2"
    start = hl7_date(get(pv1, 44))
    if start:
        assert encounter["period"]["start"][:10] == start, "PV1-44"
    end = hl7_date(get(pv1, 45))
    if end:
        assert encounter["period"]["end"][:10] == end, "PV1-45"
        assert encounter["status"] == "finished"


def _words(text: str) -> str:
    return re.sub(r"[\s_]+", "", text)


def _check_observation(obx: Any, observation: dict[str, Any]) -> None:
    code = get(obx, 3) or get(obx, 3, 1, 4)
    if code:
        assert code in _codes(observation["code"]), "OBX-3"
    status = get(obx, 11).upper()
    if status in OBS_STATUS:
        assert observation["status"] == OBS_STATUS[status], "OBX-11"
    kind, value = get(obx, 2).upper(), get(obx, 5)
    if kind == "NM" and number(value) is not None:
        quantity = observation["valueQuantity"]
        assert quantity["value"] == number(value), "OBX-5"
        unit = get(obx, 6, 1, 2) or get(obx, 6)
        assert quantity.get("unit") == (unit or None), "OBX-6"
    elif kind in ("CE", "CWE", "CNE") and value and repetitions(obx, 5) == 1:
        assert value in _codes(observation["valueCodeableConcept"]), "OBX-5"
    elif kind in ("ST", "TX", "FT") and value:
        # python-hl7 writes line breaks as CR and highlighting as "_": compare the words.
        assert _words(observation["valueString"]).startswith(_words(value)), "OBX-5"


def _check_allergy(seg: Any, allergy: dict[str, Any]) -> None:
    code, label = get(seg, 3), get(seg, 3, 1, 2)
    if code:
        assert code in _codes(allergy["code"]), "AL1-3"
    elif label:
        assert allergy["code"]["text"] == label, "AL1-3"


def _check_coverage(bundle: dict[str, Any], in1: Any, coverage: dict[str, Any]) -> None:
    policy = get(in1, 36)
    if policy:
        assert policy in {i["value"] for i in coverage["identifier"]}, "IN1-36"
        assert coverage["subscriberId"] == policy
    payer = _by_ref(bundle, coverage["payor"][0]["reference"])
    assert payer.get("name") == (get(in1, 4) or None), "IN1-4"
    group = get(in1, 8)
    if group:
        assert group in {c["value"] for c in coverage.get("class", [])}, "IN1-8"
    start = hl7_date(get(in1, 12))
    if start:
        assert coverage["period"]["start"] == start, "IN1-12"


def _check_facts(said: MessageFacts, bundle: dict[str, Any]) -> int:
    """Compare; returns how many resources were checked."""
    patients = [p for p in _resources(bundle, "Patient") if p.get("active") is not False]
    pairs: list[tuple[list[Any], list[dict[str, Any]]]] = [
        (said.patients, patients),
        (said.visits, _resources(bundle, "Encounter")),
        (said.observations, _resources(bundle, "Observation")),
        (said.allergies, _resources(bundle, "AllergyIntolerance")),
        (said.coverages, _resources(bundle, "Coverage")),
    ]
    for segs, resources in pairs:
        assert len(segs) == len(resources), [type(s) for s in segs[:1]]
    for pid, patient in zip(said.patients, patients, strict=True):
        _check_patient(pid, patient)
    for pv1, encounter in zip(said.visits, pairs[1][1], strict=True):
        _check_visit(pv1, encounter)
    for obx, observation in zip(said.observations, pairs[2][1], strict=True):
        _check_observation(obx, observation)
    for seg, allergy in zip(said.allergies, pairs[3][1], strict=True):
        _check_allergy(seg, allergy)
    for in1, coverage in zip(said.coverages, pairs[4][1], strict=True):
        _check_coverage(bundle, in1, coverage)
    return sum(len(s) for s, _ in pairs)


def _validates(conversion: Conversion) -> dict[str, Any]:
    text = conversion.to_json()
    get_fhir_model_class("Bundle").model_validate_json(text)
    bundle: dict[str, Any] = json.loads(text, parse_float=decimal.Decimal)
    issues = validate(json.loads(text))
    assert issues == [], issues[:5]
    assert bundle["type"] == "message"
    assert bundle["entry"][0]["resource"]["resourceType"] == "MessageHeader"
    return bundle


@pytest.mark.parametrize("name", parseable_names())
def test_corpus_message_converts_and_agrees_with_python_hl7(name: str) -> None:
    data = corpus_path("hl7v2", name).read_bytes()
    ours = read_messages(data)
    theirs = oracle_messages(data)
    assert len(ours) == len(theirs)
    for message, oracle in zip(ours, theirs, strict=True):
        said = facts(oracle)
        if not said.message_type:
            with pytest.raises(MappingError, match="MSH-9 names no message type"):
                convert_message(message)
            continue
        conversion = convert_message(message)
        bundle = _validates(conversion)
        _check_facts(said, bundle)
        # Converting again gives the same Bundle: ids come from the message, not from chance.
        assert convert_message(message).to_json() == conversion.to_json()


def test_corpus_conversion_covers_the_issue_message_types() -> None:
    """The message types issue 16 lists all convert, by the same segment walker."""
    wanted = {
        "ORU^R01", "MDM^T01", "MDM^T02", "MDM^T05", "MDM^T06", "MDM^T09", "MDM^T10", "VXU^V04",
        "RDE^O11", "RDE^O25", "RDS^O13", "OUL^R22", "OUL^R23", "OUL^R24", "OMG^O19", "REF^I12",
        "REF^I14", "SIU^S12", "SIU^S16", "SIU^S17", "SIU^S26", "BAR^P01", "BAR^P02", "ADT^A09",
        "ADT^A10", "ADT^A14", "ADT^A15", "ADT^A16", "ADT^A25", "ADT^A26", "ADT^A27", "ADT^A29",
        "ADT^A41", "ADT^A45", "ADT^A47", "ADT^A60",
    }  # fmt: skip
    folder = corpus_path("hl7v2", "ms-fhir-converter", "messages")
    converted: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.hl7")):
        for message in read_messages(path.read_bytes()):
            bundle = json.loads(convert_message(message).to_json())
            kind = "^".join(message.get("MSH-9").split("^")[:2])
            converted[kind] = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert wanted <= set(converted)
    # Each family brings the resources its segments stand for.
    assert {"Observation", "DiagnosticReport", "ServiceRequest"} <= converted["ORU^R01"]
    assert "DocumentReference" in converted["MDM^T02"]
    assert "Immunization" in converted["VXU^V04"]
    assert "MedicationRequest" in converted["RDE^O11"]
    assert "Appointment" in converted["SIU^S12"]
    assert {"Coverage", "AllergyIntolerance", "Condition"} <= converted["ADT^A01"]
    assert "RelatedPerson" in converted["ADT^A01"]
