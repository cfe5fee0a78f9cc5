"""The EHR's rest-hook notifications reach a careweave channel; id-only ones are fetched first."""

from __future__ import annotations

import httpx
import msgspec

from careweave.engine.runtime import Engine
from careweave.model.records import InboundMessage, Lineage, MessageQuery, MessageState
from tests.integration.fhir.conftest import fhir_channel_toml, fhir_url, write_key


async def _only_message(engine: Engine) -> tuple[InboundMessage, Lineage]:
    (message,) = await engine.store.list_messages(MessageQuery(channel="fhir-in"))
    return message, await engine.store.lineage(message.id)


async def test_id_only_notification_is_fetched_and_ingested(engines, ehr, es384_key, tmp_path):
    engine = await engines(fhir_channel_toml(ehr=ehr, key_path=write_key(tmp_path, es384_key)))
    hook = f"{fhir_url(engine)}/notifications"
    refs = ["Patient/p2", "Encounter/e2", "ChargeItem/c2"]
    answer = await ehr.simulator.notify(
        hook, subscription="Subscription/adt", references=refs, base_url=ehr.fhir_base
    )
    assert answer.status_code == 200, answer.text
    message, lineage = await _only_message(engine)
    assert message.state is MessageState.PROCESSED
    assert message.dedup_key == "Subscription/adt/notification/1,2,3"
    assert [e.event_type for e in lineage.events] == ["PatientAdmitted", "ChargeCaptured"]
    charge = msgspec.json.decode(lineage.events[1].payload or b"{}")
    assert charge["transaction_code"]["code"] == "C1785"
    assert charge["patient"]["identifiers"][0]["value"] == "MRN00002"  # resolved in the Bundle
    reads = [path for method, path, _ in ehr.simulator.requests if method == "GET"]
    assert reads == ["/fhir/Patient/p2", "/fhir/Encounter/e2", "/fhir/ChargeItem/c2"]
    assert ehr.simulator.tokens.issued == 1


async def test_a_resent_notification_is_not_processed_twice(engines, ehr, es384_key, tmp_path):
    engine = await engines(fhir_channel_toml(ehr=ehr, key_path=write_key(tmp_path, es384_key)))
    hook = f"{fhir_url(engine)}/notifications"
    notification = ehr.simulator.notification(
        subscription="Subscription/adt", references=["Encounter/e3"], base_url=ehr.fhir_base
    )

    async with httpx.AsyncClient() as client:
        for _ in range(2):
            answer = await client.post(
                hook,
                content=msgspec.json.encode(notification),
                headers={"Content-Type": "application/fhir+json"},
            )
            assert answer.status_code == 200
    message, lineage = await _only_message(engine)
    assert message.duplicates == 1
    assert [e.event_type for e in lineage.events] == ["PatientAdmitted"]


async def test_full_resource_notification_needs_no_fetch(engines, ehr):
    engine = await engines(fhir_channel_toml())  # no EHR client at all
    hook = f"{fhir_url(engine)}/notifications"
    answer = await ehr.simulator.notify(
        hook,
        subscription="Subscription/procedures",
        references=["Procedure/pr4"],
        content="full-resource",
        base_url=ehr.fhir_base,
    )
    assert answer.status_code == 200
    _message, lineage = await _only_message(engine)
    assert [e.event_type for e in lineage.events] == ["ProcedureDocumented"]
    assert ehr.simulator.requests == []


async def test_heartbeat_is_acknowledged_and_not_stored(engines, ehr):
    engine = await engines(fhir_channel_toml())
    hook = f"{fhir_url(engine)}/notifications"
    answer = await ehr.simulator.notify(
        hook, subscription="Subscription/adt", references=[], kind="heartbeat"
    )
    assert answer.status_code == 200
    assert "heartbeat" in answer.json()["issue"][0]["diagnostics"]
    assert await engine.store.list_messages(MessageQuery(channel="fhir-in")) == []


async def test_id_only_while_the_ehr_is_down_is_503_and_not_stored(
    engines, ehr, es384_key, tmp_path
):
    engine = await engines(fhir_channel_toml(ehr=ehr, key_path=write_key(tmp_path, es384_key)))
    hook = f"{fhir_url(engine)}/notifications"
    notification = ehr.simulator.notification(
        subscription="Subscription/adt", references=["Patient/p1"], base_url=ehr.fhir_base
    )
    ehr.stop()

    async with httpx.AsyncClient() as client:
        answer = await client.post(
            hook,
            content=msgspec.json.encode(notification),
            headers={"Content-Type": "application/fhir+json"},
        )
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["issue"][0]["code"] == "transient"
    assert await engine.store.list_messages(MessageQuery(channel="fhir-in")) == []
