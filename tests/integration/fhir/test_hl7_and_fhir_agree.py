"""HL7 v2 over MLLP and FHIR over HTTP land on the same canonical events, in one engine."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from careweave.connectors.mllp import MllpClient, ack_code
from careweave.engine.runtime import Engine
from careweave.model.records import MessageQuery
from tests.integration.fhir.conftest import fhir_channel_toml, fhir_url

A01 = (
    b"MSH|^~\\&|EHR|HOSP|CW|HOSP|20260112081500-0500||ADT^A01^ADT_A01|CTRL0042|P|2.5.1\r"
    b"EVN|A01|20260112081500-0500\r"
    b"PID|1||MRN0042^^^HOSP^MR||RIVERA^ANA^M||19610704|F|||12 Elm St^^Springfield^IL^62701\r"
    b"PV1|1|I|CATH^02^B^HOSP||||||||||||||||V0042^^^HOSP^VN|||||||||||||||||||||||||"
    b"20260112080000-0500\r"
    b"PR1|1||307280005^Implantation of pacemaker^SCT||20260112093000-0500||||||||||||||PX42\r"
)

FHIR_A01 = {
    "resourceType": "Bundle",
    "id": "adt-a01-ctrl0042",
    "type": "transaction",
    "entry": [
        {
            "fullUrl": "urn:uuid:patient",
            "request": {"method": "POST", "url": "Patient"},
            "resource": {
                "resourceType": "Patient",
                "identifier": [
                    {"system": "HOSP", "value": "MRN0042", "type": {"coding": [{"code": "MR"}]}}
                ],
                "name": [{"family": "RIVERA", "given": ["ANA", "M"]}],
                "gender": "female",
                "birthDate": "1961-07-04",
            },
        },
        {
            "fullUrl": "urn:uuid:encounter",
            "request": {"method": "POST", "url": "Encounter"},
            "resource": {
                "resourceType": "Encounter",
                "identifier": [
                    {"system": "HOSP", "value": "V0042", "type": {"coding": [{"code": "VN"}]}}
                ],
                "status": "in-progress",
                "class": {"code": "IMP"},
                "subject": {"reference": "urn:uuid:patient"},
                "period": {"start": "2026-01-12T08:00:00-05:00"},
            },
        },
        {
            "fullUrl": "urn:uuid:procedure",
            "request": {"method": "POST", "url": "Procedure"},
            "resource": {
                "resourceType": "Procedure",
                "identifier": [{"value": "PX42"}],
                "status": "completed",
                "code": {"coding": [{"system": "SCT", "code": "307280005"}]},
                "subject": {"reference": "urn:uuid:patient"},
                "encounter": {"reference": "urn:uuid:encounter"},
                "performedDateTime": "2026-01-12T09:30:00-05:00",
            },
        },
    ],
}

MLLP_CHANNEL = """
[[channels]]
name = "adt-in"
mapping = "hl7v2-clinical"
source = { type = "mllp", port = 0 }
"""


async def _stored_events(engine: Engine, channel: str) -> list[dict[str, Any]]:
    (message,) = await engine.store.list_messages(MessageQuery(channel=channel))
    lineage = await engine.store.lineage(message.id)
    return [msgspec.json.decode(e.payload or b"{}") for e in lineage.events]


def _facts(events: list[dict[str, Any]]) -> dict[str, object]:
    admitted, procedure = events
    patient, encounter = admitted["patient"], admitted["encounter"]
    return {
        "types": [e["type"] for e in events],
        "keys": [e["idempotency_key"] for e in events],
        "mrn": [(i["value"], i.get("system"), i.get("type")) for i in patient["identifiers"]],
        "name": [(n["family"], n["given"]) for n in patient["names"]],
        "birth": (patient["birth_date"], patient["sex"]),
        "visit": encounter["visit_number"]["value"],
        "class": encounter["encounter_class"],
        "admitted": encounter["admitted_at"],
        "procedure": (procedure["code"]["code"], procedure["performed_at"]),
    }


async def test_adt_a01_over_mllp_and_its_fhir_bundle_over_http_agree(engines):
    engine = await engines(MLLP_CHANNEL + fhir_channel_toml())
    async with MllpClient("127.0.0.1", engine.listeners["adt-in"].port) as mllp:
        assert ack_code(await mllp.send(A01)) == "AA"
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            fhir_url(engine),
            content=msgspec.json.encode(FHIR_A01),
            headers={"Content-Type": "application/fhir+json"},
        )
    assert answer.status_code == 200
    from_hl7 = _facts(await _stored_events(engine, "adt-in"))
    from_fhir = _facts(await _stored_events(engine, "fhir-in"))
    assert from_hl7["types"] == ["PatientAdmitted", "ProcedureDocumented"]
    assert from_fhir == from_hl7
