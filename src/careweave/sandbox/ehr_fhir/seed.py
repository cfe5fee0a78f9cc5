"""A simulated EHR's FHIR content: cardiology cases with a patient, an encounter, a procedure
and the implant's charge.

Codes are SNOMED CT (procedures) and HCPCS Level II (devices): no CPT content is shipped.
"""

from __future__ import annotations

from typing import Any

from careweave.sandbox.ehr_fhir.resources import ResourceStore

HOSPITAL = "urn:oid:2.16.840.1.113883.3.1000"
MRN_SYSTEM = f"{HOSPITAL}.1"
VISIT_SYSTEM = f"{HOSPITAL}.2"
SNOMED = "http://snomed.info/sct"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

_FAMILIES = ("ALVAREZ", "BROOKS", "CHEN", "DUBOIS", "EKWUEME", "FISCHER", "GARCIA", "HUANG")


def cardiology_case(n: int) -> list[dict[str, Any]]:
    """Patient ``p{n}``, inpatient Encounter ``e{n}``, Procedure ``pr{n}`` and ChargeItem ``c{n}``."""
    day = 1 + n % 28
    patient = {
        "resourceType": "Patient",
        "id": f"p{n}",
        "identifier": [
            {
                "system": MRN_SYSTEM,
                "value": f"MRN{n:05d}",
                "type": {"coding": [{"code": "MR"}]},
            }
        ],
        "name": [{"family": _FAMILIES[n % len(_FAMILIES)], "given": ["SAM"]}],
        "gender": "female" if n % 2 else "male",
        "birthDate": f"19{50 + n % 40}-0{1 + n % 9}-1{n % 10}",
    }
    subject = {"reference": f"Patient/p{n}"}
    encounter = {
        "resourceType": "Encounter",
        "id": f"e{n}",
        "identifier": [
            {"system": VISIT_SYSTEM, "value": f"V{n:06d}", "type": {"coding": [{"code": "VN"}]}}
        ],
        "status": "in-progress",
        "class": {"system": ACT, "code": "IMP", "display": "inpatient encounter"},
        "subject": subject,
        "period": {"start": f"2026-01-{day:02d}T08:00:00Z"},
    }
    procedure = {
        "resourceType": "Procedure",
        "id": f"pr{n}",
        "identifier": [{"value": f"PX{n:05d}"}],
        "status": "completed",
        "code": {
            "coding": [
                {"system": SNOMED, "code": "307280005", "display": "Implantation of pacemaker"}
            ]
        },
        "subject": subject,
        "encounter": {"reference": f"Encounter/e{n}"},
        "performedDateTime": f"2026-01-{day:02d}T10:30:00Z",
    }
    charge = {
        "resourceType": "ChargeItem",
        "id": f"c{n}",
        "identifier": [{"value": f"CH{n:05d}"}],
        "status": "billable",
        "code": {
            "coding": [{"system": HCPCS, "code": "C1785", "display": "Pacemaker, dual chamber"}]
        },
        "subject": subject,
        "context": {"reference": f"Encounter/e{n}"},
        "occurrenceDateTime": f"2026-01-{day:02d}",
        "quantity": {"value": 1},
        "priceOverride": {"value": 8250.00, "currency": "USD"},
    }
    return [patient, encounter, procedure, charge]


def seed_cardiology(store: ResourceStore, count: int) -> None:
    """Add ``count`` cardiology cases to ``store``."""
    for n in range(1, count + 1):
        for resource in cardiology_case(n):
            store.add(resource)
