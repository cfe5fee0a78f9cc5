"""Canonical -> FHIR validates with fhir.resources; HL7 v2 and FHIR land on the same events."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.chargeitem import ChargeItem as OracleChargeItem
from fhir.resources.R4B.encounter import Encounter as OracleEncounter
from fhir.resources.R4B.patient import Patient as OraclePatient
from fhir.resources.R4B.procedure import Procedure as OracleProcedure

from careweave.codecs.fhir.administration import Resource
from careweave.codecs.fhir.decode import decode_resource, encode_resource
from careweave.codecs.hl7v2 import parse_message
from careweave.mappings.fhir_clinical import map_fhir
from careweave.mappings.fhir_emit import (
    charge_item_resource,
    encounter_resource,
    patient_resource,
    procedure_resource,
)
from careweave.mappings.hl7v2_clinical import map_message
from careweave.model.base import BusinessEvent
from careweave.model.charges import ChargeCaptured
from careweave.model.clinical import PatientAdmitted, ProcedureDocumented
from tests.conftest import corpus_path

A01 = (
    "MSH|^~\\&|EHR|H1|CW|H1|20240305101500-0500||ADT^A01^ADT_A01|C1|P|2.5\r"
    "EVN|A01|20240305101500-0500\r"
    "PID|1||MRN1^^^H1^MR||DOE^JANE||19800102|F|||1 Main St^^Springfield^IL^62701\r"
    "PV1|1|I|CATH^01^A^H1||||||||||||||||V100^^^H1^VN|||||||||||||||||||||||||"
    "20240305090000-0500\r"
    "PR1|1||33208^Pacemaker insertion^C4||20240305100000-0500||||||||||||||PX1\r"
)

FHIR_A01 = {
    "resourceType": "Bundle",
    "id": "b1",
    "type": "transaction",
    "entry": [
        {
            "fullUrl": "urn:uuid:p",
            "request": {"method": "POST", "url": "Patient"},
            "resource": {
                "resourceType": "Patient",
                "identifier": [
                    {
                        "system": "H1",
                        "value": "MRN1",
                        "type": {"coding": [{"code": "MR"}]},
                    }
                ],
                "name": [{"family": "DOE", "given": ["JANE"]}],
                "gender": "female",
                "birthDate": "1980-01-02",
            },
        },
        {
            "fullUrl": "urn:uuid:e",
            "request": {"method": "POST", "url": "Encounter"},
            "resource": {
                "resourceType": "Encounter",
                "identifier": [
                    {"system": "H1", "value": "V100", "type": {"coding": [{"code": "VN"}]}}
                ],
                "status": "in-progress",
                "class": {"code": "IMP"},
                "subject": {"reference": "urn:uuid:p"},
                "period": {"start": "2024-03-05T09:00:00-05:00"},
            },
        },
        {
            "fullUrl": "urn:uuid:x",
            "request": {"method": "POST", "url": "Procedure"},
            "resource": {
                "resourceType": "Procedure",
                "identifier": [{"value": "PX1"}],
                "status": "completed",
                "code": {"coding": [{"system": "C4", "code": "33208"}]},
                "subject": {"reference": "urn:uuid:p"},
                "encounter": {"reference": "urn:uuid:e"},
                "performedDateTime": "2024-03-05T10:00:00-05:00",
            },
        },
    ],
}


def _facts(events: list[BusinessEvent]) -> dict[str, object]:
    admitted = next(e for e in events if isinstance(e, PatientAdmitted))
    procedure = next(e for e in events if isinstance(e, ProcedureDocumented))
    p, enc = admitted.patient, admitted.encounter
    assert enc is not None
    return {
        "patient": p.key(),
        "names": [(n.family, n.given) for n in p.names],
        "birth": p.birth_date,
        "sex": p.sex,
        "visit": enc.key(),
        "class": enc.encounter_class,
        "admitted": enc.admitted_at,
        "keys": sorted(e.idempotency_key for e in events),
        "procedure": (procedure.code.code, procedure.performed_at, procedure.procedure_id),
    }


def test_adt_a01_and_its_fhir_equivalent_produce_equal_key_facts():
    from_v2 = map_message(parse_message(A01))
    from_fhir = map_fhir(decode_resource(json.dumps(FHIR_A01).encode()))
    assert _facts(from_v2) == _facts(from_fhir)


def _oracle_round(resource: Resource, oracle: Any) -> Any:
    payload = json.loads(encode_resource(resource))
    return oracle.model_validate(payload)


def test_emitted_resources_validate_with_fhir_resources():
    raw = corpus_path("hl7v2", "ms-fhir-converter", "messages", "DFT-P03-01.hl7").read_bytes()
    events = map_message(parse_message(raw))
    charge = next(e for e in events if isinstance(e, ChargeCaptured))
    procedure = next(e for e in events if isinstance(e, ProcedureDocumented))
    assert charge.encounter is not None
    patient = patient_resource(charge.patient, "p1")
    encounter = encounter_resource(charge.encounter, "e1", "Patient/p1")
    item = charge_item_resource(charge, "c1", "Patient/p1", "Encounter/e1")
    proc = procedure_resource(procedure, "x1", "Patient/p1", "Encounter/e1")
    oracle_patient = _oracle_round(patient, OraclePatient)
    assert str(oracle_patient.birthDate) == "1988-08-18"
    assert _oracle_round(encounter, OracleEncounter).class_fhir.code == "IMP"
    oracle_item = _oracle_round(item, OracleChargeItem)
    assert oracle_item.code.coding[0].code == "71045"
    assert float(oracle_item.quantity.value) == 2
    assert float(oracle_item.priceOverride.value) == 100
    assert _oracle_round(proc, OracleProcedure).code.coding[0].system == (
        "http://www.ama-assn.org/go/cpt"
    )


def test_emitted_charge_maps_back_to_the_same_charge_facts():
    raw = corpus_path("hl7v2", "ms-fhir-converter", "messages", "DFT-P03-01.hl7").read_bytes()
    charge = next(e for e in map_message(parse_message(raw)) if isinstance(e, ChargeCaptured))
    patient = patient_resource(charge.patient, "p1")
    item = charge_item_resource(charge, "c1", "Patient/p1", None)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "Patient/p1", "resource": json.loads(encode_resource(patient))},
            {"resource": json.loads(encode_resource(item))},
        ],
    }
    [back] = map_fhir(decode_resource(json.dumps(bundle).encode()))
    assert isinstance(back, ChargeCaptured)
    assert back.patient.key() == charge.patient.key()
    assert (back.transaction_id, back.transaction_code.code, back.quantity) == (
        charge.transaction_id,
        charge.transaction_code.code,
        charge.quantity,
    )
    assert back.extended_amount == charge.extended_amount
    assert back.service_date == charge.service_date
