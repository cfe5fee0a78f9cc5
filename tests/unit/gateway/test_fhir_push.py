"""Pushes are judged and answered as pure functions: same push, same stored result, same answer."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from careweave.gateway.fhir_push import (
    Interaction,
    PushRequest,
    answer_push,
    apply_prefer,
    dedup_key,
    inspect_push,
)
from careweave.gateway.outcome import fhir_path, json_position
from careweave.model.records import IngestResult, MessageState
from tests.conftest import corpus_path

PATIENT = b'{"resourceType":"Patient","id":"p1","gender":"female"}'
BASE = "http://cw.example/fhir"


def _ok(message_id: int = 7) -> IngestResult:
    return IngestResult(message_id, False, MessageState.PROCESSED)


def test_create_answer_carries_location_etag_and_the_resource():
    push = PushRequest(Interaction.CREATE, PATIENT, resource_type="Patient")
    inspection = inspect_push(push)
    assert inspection.problem is None
    answer = answer_push(push, inspection, _ok(), None, base_url=BASE)
    assert answer.status == 201
    assert answer.headers["Location"] == f"{BASE}/Patient/p1/_history/1"
    assert json.loads(answer.body) == {
        "resourceType": "Patient",
        "id": "p1",
        "gender": "female",
        "meta": {"versionId": "1"},
    }


def test_a_resource_without_id_gets_one_from_its_message():
    body = b'{"resourceType":"Patient","gender":"male"}'
    push = PushRequest(Interaction.CREATE, body, resource_type="Patient")
    answer = answer_push(push, inspect_push(push), _ok(41), None, base_url=BASE)
    assert answer.headers["Location"] == f"{BASE}/Patient/cw41/_history/1"


def test_dedup_keys():
    versioned = b'{"resourceType":"Patient","id":"p1","meta":{"versionId":"3"}}'
    assert dedup_key(versioned, inspect_push(_create(versioned)).document) == (
        "Patient/p1/_history/3"
    )
    bundle = b'{"resourceType":"Bundle","id":"b9","type":"transaction"}'
    assert inspect_push(PushRequest(Interaction.TRANSACTION, bundle)).dedup_key == "Bundle/b9"
    # Same id, different content, no version: both processed; an identical retry is not.
    changed = PATIENT.replace(b"female", b"male")
    keys = {inspect_push(_create(b)).dedup_key for b in (PATIENT, changed, PATIENT)}
    assert len(keys) == 2 and all(k.startswith("Patient/p1#") for k in keys)
    assert inspect_push(_create(b"{oops")).dedup_key.startswith("fhir#")


def _create(body: bytes, kind: str = "Patient") -> PushRequest:
    return PushRequest(Interaction.CREATE, body, resource_type=kind)


def test_malformed_json_names_line_and_column_and_is_stored():
    body = b'{\n  "resourceType": "Patient",\n  "id": "p1" "gender": "x"\n}'
    problem = inspect_push(_create(body)).problem
    assert problem is not None and problem.store and problem.status == 400
    issue = problem.outcome.issue[0]
    assert issue.code == "structure"
    assert "line 3, column 14" in (issue.diagnostics or "")


@pytest.mark.parametrize(
    ("body", "expression"),
    [
        (b'{"resourceType":"Patient","gender":"bogus"}', "Patient.gender"),
        (b'{"resourceType":"Patient","name":[{"family":7}]}', "Patient.name[0].family"),
        (b'{"resourceType":"Encounter","class":{"code":"IMP"}}', "Encounter.status"),
    ],
)
def test_invalid_resources_name_the_element(body, expression):
    kind = json.loads(body)["resourceType"]
    problem = inspect_push(_create(body, kind)).problem
    assert problem is not None and problem.status == 400 and problem.store
    assert problem.outcome.issue[0].expression == (expression,)


def test_interaction_errors_are_refused_without_storing():
    update = PushRequest(Interaction.UPDATE, PATIENT, "Patient", "p2")
    problem = inspect_push(update).problem
    assert problem is not None and not problem.store
    assert "'p1' differs from the id in the URL 'p2'" in (
        problem.outcome.issue[0].diagnostics or ""
    )
    get_entry = (
        b'{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET",'
        b'"url":"Patient/1"}}]}'
    )
    problem = inspect_push(PushRequest(Interaction.TRANSACTION, get_entry)).problem
    assert problem is not None and not problem.store
    assert problem.outcome.issue[0].expression == ("Bundle.entry[0].request.method",)


def test_stored_in_error_is_422_with_the_processing_error():
    body = (
        b'{"resourceType":"ChargeItem","id":"c1","status":"billable","code":{"text":"x"},'
        b'"subject":{"reference":"Patient/p1"}}'
    )
    push = _create(body, "ChargeItem")
    failed = IngestResult(3, True, MessageState.ERROR)
    answer = answer_push(push, inspect_push(push), failed, None, base_url=BASE)
    assert answer.status == 422
    assert b"message 3 is held in error" in answer.body


def test_transaction_response_has_one_entry_per_request():
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {
                "resource": {"resourceType": "Patient"},
                "request": {"method": "POST", "url": "Patient"},
            },
            {"request": {"method": "DELETE", "url": "Patient/9"}},
        ],
    }
    push = PushRequest(Interaction.TRANSACTION, msgspec.json.encode(bundle))
    answer = answer_push(push, inspect_push(push), _ok(5), None, base_url=BASE)
    body = json.loads(answer.body)
    assert body["type"] == "batch-response"
    assert body["entry"][0]["response"]["location"] == "Patient/cw5-0/_history/1"
    assert body["entry"][0]["response"]["status"] == "201 Created"
    assert body["entry"][1]["response"]["status"] == "204 No Content"


def test_fhir_path_and_json_position():
    message = "Bundle entry[4]: invalid Patient/x: Expected `str` - at `$.name[0].given[1]`"
    assert fhir_path(message, "Bundle") == "Bundle.entry[4].resource.name[0].given[1]"
    assert fhir_path("no path here", "Patient") is None
    nested = "Object missing required field `method` - at `$.entry[0].request`"
    assert fhir_path(nested, "Bundle") == "Bundle.entry[0].request.method"
    assert json_position(b'{"a":\n  ]', "JSON is malformed: x (byte 8)") == "line 2, column 3"


def test_every_converter_bundle_in_the_corpus_is_judged():
    folder = corpus_path("hl7v2", "ms-fhir-converter", "expected-fhir-r4")
    refused = {}
    for path in sorted(Path(folder).glob("*.json")):
        inspection = inspect_push(PushRequest(Interaction.TRANSACTION, path.read_bytes()))
        bundle_id = json.loads(path.read_bytes())["id"]
        assert inspection.dedup_key == f"Bundle/{bundle_id}"
        if inspection.problem is not None:
            refused[path.name] = inspection.problem.outcome.issue[0].expression
    # Two of the converter's batches have an entry without the request a batch requires.
    assert refused == {
        "OUL-R24-01-expected.json": ("Bundle.entry[100].request.method",),
        "VXU-V04-01-expected.json": ("Bundle.entry[88].request.method",),
    }


def test_every_official_r4_example_is_accepted_as_a_create():
    folder = corpus_path("fhir-r4", "hl7-r4-examples")
    paths = sorted(Path(folder).glob("*.json"))
    assert len(paths) > 100
    for path in paths:
        raw = path.read_bytes()
        kind = json.loads(raw)["resourceType"]
        inspection = inspect_push(_create(raw, kind))
        assert inspection.problem is None, (path.name, inspection.problem)


def test_prefer_return_minimal_and_operation_outcome():
    push = _create(PATIENT)
    answer = answer_push(push, inspect_push(push), _ok(9), None, base_url=BASE)
    minimal = apply_prefer(answer, "return=minimal", _ok(9))
    assert (minimal.status, minimal.body) == (201, b"")
    assert minimal.headers["Location"] == answer.headers["Location"]
    info = json.loads(apply_prefer(answer, "return=OperationOutcome", _ok(9)).body)
    assert info["issue"][0]["diagnostics"] == "stored as message 9 (processed)"
    assert apply_prefer(answer, "", _ok(9)) is answer
    refused = answer_push(_create(b"{x"), inspect_push(_create(b"{x")), _ok(9), None, base_url=BASE)
    assert apply_prefer(refused, "return=minimal", _ok(9)) is refused
