"""An EHR pushes FHIR to careweave's endpoint over a real socket: stored first, then answered."""

from __future__ import annotations

import httpx
import msgspec

from careweave.engine.runtime import Engine
from careweave.model.records import MessageQuery, MessageState
from careweave.sandbox.ehr_fhir import cardiology_case
from tests.integration.fhir.conftest import fhir_channel_toml, fhir_url, push


def _transaction(bundle_id: str, n: int) -> bytes:
    entries = [
        {
            "fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{n}",
            "resource": r,
            "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
        }
        for r in cardiology_case(n)
    ]
    return msgspec.json.encode(
        {"resourceType": "Bundle", "id": bundle_id, "type": "transaction", "entry": entries}
    )


async def _events(engine: Engine, message_id: int) -> list[str]:
    lineage = await engine.store.lineage(message_id)
    return [e.event_type for e in lineage.events]


async def test_single_resource_is_stored_then_answered_201(engines):
    engine = await engines(fhir_channel_toml())
    base = fhir_url(engine)
    charge = msgspec.json.encode(cardiology_case(4)[3])
    async with httpx.AsyncClient() as client:
        answer = await push(client, "POST", f"{base}/ChargeItem", charge)
    assert answer.status_code == 201
    assert answer.headers["content-type"].startswith("application/fhir+json")
    assert answer.headers["location"] == f"{base}/ChargeItem/c4/_history/1"
    assert answer.json()["id"] == "c4"
    (stored,) = await engine.store.list_messages(MessageQuery(channel="fhir-in"))
    assert stored.state is MessageState.PROCESSED
    assert (await engine.store.get_message(stored.id)).raw == charge
    assert stored.content_type == "application/fhir+json"
    assert await _events(engine, stored.id) == ["ChargeCaptured"]


async def test_put_answers_200_and_json_content_type_is_accepted(engines):
    engine = await engines(fhir_channel_toml())
    base = fhir_url(engine)
    patient = cardiology_case(2)[0] | {"meta": {"versionId": "7"}}
    async with httpx.AsyncClient() as client:
        answer = await push(
            client, "PUT", f"{base}/Patient/p2", msgspec.json.encode(patient), "application/json"
        )
    assert answer.status_code == 200
    assert answer.headers["location"].endswith("/Patient/p2/_history/7")
    assert answer.headers["etag"] == 'W/"7"'
    (stored,) = await engine.store.list_messages(MessageQuery(channel="fhir-in"))
    assert stored.dedup_key == "Patient/p2/_history/7"
    assert await _events(engine, stored.id) == ["PatientUpdated"]


async def test_transaction_bundle_gets_a_transaction_response(engines):
    engine = await engines(fhir_channel_toml())
    async with httpx.AsyncClient() as client:
        answer = await push(client, "POST", fhir_url(engine), _transaction("tx-1", 1))
    assert answer.status_code == 200
    body = answer.json()
    assert body["type"] == "transaction-response"
    assert [e["response"]["status"] for e in body["entry"]] == ["200 OK"] * 4
    assert body["entry"][1]["response"]["location"] == "Encounter/e1/_history/1"
    (stored,) = await engine.store.list_messages(MessageQuery(channel="fhir-in"))
    assert stored.dedup_key == "Bundle/tx-1"
    assert stored.ordering_key == "Patient/p1"
    assert await _events(engine, stored.id) == [
        "PatientAdmitted",
        "ProcedureDocumented",
        "ChargeCaptured",
    ]


async def test_retried_push_gets_the_same_answer_and_is_not_processed_twice(engines):
    engine = await engines(fhir_channel_toml())
    bundle = _transaction("tx-retry", 3)
    async with httpx.AsyncClient() as client:
        first = await push(client, "POST", fhir_url(engine), bundle)
        again = await push(client, "POST", fhir_url(engine), bundle)
        created = await push(
            client,
            "POST",
            f"{fhir_url(engine)}/Procedure",
            b'{"resourceType":"Procedure",'
            b'"status":"completed","code":{"text":"echo"},"subject":{"reference":"Patient/p9"}}',
        )
        created_again = await push(
            client,
            "POST",
            f"{fhir_url(engine)}/Procedure",
            b'{"resourceType":"Procedure",'
            b'"status":"completed","code":{"text":"echo"},"subject":{"reference":"Patient/p9"}}',
        )
    assert (again.status_code, again.content) == (first.status_code, first.content)
    # A created resource without an id gets one from the message: the retry sees the same one.
    assert created.status_code == created_again.status_code == 201
    assert created.headers["location"] == created_again.headers["location"]
    messages = await engine.store.list_messages(MessageQuery(channel="fhir-in"))
    assert len(messages) == 2
    counts = await engine.store.counts()
    assert counts["messages.duplicates"] == 2
    tx = next(m for m in messages if m.dedup_key == "Bundle/tx-retry")
    assert tx.duplicates == 1
    assert len(await _events(engine, tx.id)) == 3


async def test_malformed_json_is_stored_in_error_and_answered_400(engines):
    engine = await engines(fhir_channel_toml())
    broken = b'{"resourceType": "Patient",\n "id": "p1",\n "gender": }'
    async with httpx.AsyncClient() as client:
        answer = await push(client, "POST", f"{fhir_url(engine)}/Patient", broken)
        again = await push(client, "POST", f"{fhir_url(engine)}/Patient", broken)
    assert answer.status_code == 400
    issue = answer.json()["issue"][0]
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert issue["code"] == "structure"
    assert "line 3, column 12" in issue["diagnostics"]
    assert again.content == answer.content
    (stored,) = await engine.store.list_messages(MessageQuery(channel="fhir-in"))
    assert stored.state is MessageState.ERROR
    assert (await engine.store.get_message(stored.id)).raw == broken
    assert "malformed" in (stored.error or "")


async def test_invalid_resource_names_the_element_at_fault(engines):
    engine = await engines(fhir_channel_toml())
    bundle = msgspec.json.decode(_transaction("tx-bad", 5))
    bundle["entry"][0]["resource"]["gender"] = "bogus"
    async with httpx.AsyncClient() as client:
        answer = await push(client, "POST", fhir_url(engine), msgspec.json.encode(bundle))
    assert answer.status_code == 400
    issue = answer.json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[0].resource.gender"]
    assert "bogus" in issue["diagnostics"]
    (stored,) = await engine.store.list_messages(MessageQuery(channel="fhir-in"))
    assert stored.state is MessageState.ERROR


async def test_content_that_cannot_become_events_is_422(engines):
    engine = await engines(fhir_channel_toml())
    no_code = {
        "resourceType": "ChargeItem",
        "id": "c1",
        "status": "billable",
        "code": {"text": ""},
        "subject": {"reference": "Patient/p1"},
    }
    async with httpx.AsyncClient() as client:
        answer = await push(
            client, "PUT", f"{fhir_url(engine)}/ChargeItem/c1", msgspec.json.encode(no_code)
        )
    assert answer.status_code == 422
    assert "ChargeItem/c1.code" in answer.json()["issue"][0]["diagnostics"]
    (stored,) = await engine.store.list_messages(MessageQuery(channel="fhir-in"))
    assert stored.state is MessageState.ERROR


async def test_requests_that_break_the_interaction_are_refused_unstored(engines):
    engine = await engines(fhir_channel_toml())
    base = fhir_url(engine)
    patient = msgspec.json.encode(cardiology_case(1)[0])
    async with httpx.AsyncClient() as client:
        wrong_type = await push(client, "POST", f"{base}/Encounter", patient)
        wrong_id = await push(client, "PUT", f"{base}/Patient/p2", patient)
        collection = await push(
            client, "POST", base, b'{"resourceType":"Bundle","type":"collection"}'
        )
        plain_text = await push(client, "POST", f"{base}/Patient", patient, "text/plain")
        too_big = await push(client, "POST", f"{base}/Patient", b" " * 70_000 + patient)
    assert wrong_type.status_code == 400
    assert "the URL names Encounter" in wrong_type.json()["issue"][0]["diagnostics"]
    assert wrong_id.status_code == 400
    assert collection.status_code == 400
    assert plain_text.status_code == 415
    assert too_big.status_code == 413
    assert too_big.json()["resourceType"] == "OperationOutcome"
    assert await engine.store.list_messages(MessageQuery(channel="fhir-in")) == []


async def test_capability_statement(engines):
    engine = await engines(fhir_channel_toml())
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{fhir_url(engine)}/metadata")
    assert answer.status_code == 200
    body = answer.json()
    assert body["resourceType"] == "CapabilityStatement"
    assert {"code": "transaction"} in body["rest"][0]["interaction"]


async def test_a_non_fhir_http_channel_stores_each_post(engines):
    engine = await engines(
        '[[channels]]\nname = "webhook"\nformat = "raw"\n'
        'source = { type = "http", port = 0, path = "/erp/events" }\n'
    )
    url = f"{engine.http_sources['webhook'].base_url}/erp/events"
    async with httpx.AsyncClient() as client:
        answer = await client.post(url, content=b"po-4711 received", headers={"X-A": "1"})
    assert answer.status_code == 202
    body = answer.json()
    assert body["state"] == "processed" and body["duplicate"] is False
    stored = await engine.store.get_message(body["message_id"])
    assert stored.channel == "webhook" and stored.raw == b"po-4711 received"
