"""PV1, PV2 -> Encounter (class, period, locations, participants, hospitalization)."""

from __future__ import annotations

from careweave.codecs.hl7v2 import Segment
from careweave.mappings.v2_fhir import datatypes as d
from careweave.mappings.v2_fhir import vocab
from careweave.mappings.v2_fhir.bundle import Json, compact
from careweave.mappings.v2_fhir.state import WalkState
from careweave.mappings.v2_fhir.times import fhir_datetime

PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PARTICIPANTS = ((7, "ATND"), (8, "REF"), (9, "CON"), (17, "ADM"))
"""PV1 clinician fields and their v3 participation types."""

PLANNED_TRIGGERS = frozenset({"A05", "A14", "A38"})
"""Pre-admissions and pending admissions: the visit has not started."""
CANCELLED_TRIGGERS = frozenset({"A11", "A27"})
"""Cancelled admissions (A11) and pending admissions (A27)."""


def encounter_class(pv1: Segment) -> Json:
    """PV1-2 onto v3 ActCode; a class the map lacks stays a table 0004 code, none is UNK."""
    code = (d.text(pv1, "2.1") or "").upper()
    if code in vocab.PATIENT_CLASS:
        act, display = vocab.PATIENT_CLASS[code]
        return {"system": vocab.ACT_CODE, "code": act, "display": display}
    if code:
        return {"system": vocab.V2 + "0004", "code": code}
    return {"system": vocab.NULL_FLAVOR, "code": "UNK", "display": "unknown"}


def _status(state: WalkState, start: str | None, end: str | None) -> str:
    if state.trigger in CANCELLED_TRIGGERS:
        return "cancelled"
    if end:
        return "finished"
    if state.trigger in PLANNED_TRIGGERS:
        return "planned"
    return "in-progress" if start else "unknown"


def read_visit(state: WalkState, pv1: Segment) -> None:
    """A PV1 starts the visit that the segments after it (to the next PID) belong to."""
    w = state.writer
    start = fhir_datetime(d.text(pv1, "44.1"), w, "PV1-44")
    end = fhir_datetime(d.text(pv1, "45.1"), w, "PV1-45")
    participants = [
        {
            "type": [{"coding": [{"system": PARTICIPATION, "code": role}]}],
            "individual": {"reference": ref},
        }
        for field, role in PARTICIPANTS
        for ref in d.xcn_all(w, pv1, field)
    ]
    locations = []
    for field, status in ((3, "active"), (11, "active"), (6, "completed")):
        ref = d.pl(w, pv1, field)
        if ref:
            locations.append({"location": {"reference": ref}, "status": status})
    visit = [x for x in (d.cx(w, pv1, 19), d.cx(w, pv1, 50)) if x]
    for ident in visit[:1]:
        ident.setdefault("type", {"coding": [{"system": vocab.V2 + "0203", "code": "VN"}]})
    hospitalization = compact(
        {
            "preAdmissionIdentifier": d.cx(w, pv1, 5),
            "admitSource": d.table_code(pv1, 14, "0023"),
            "reAdmission": d.table_code(pv1, 13, "0092"),
            "dischargeDisposition": d.table_code(pv1, 36, "0112"),
        }
    )
    encounter: Json = compact(
        {
            "resourceType": "Encounter",
            "identifier": visit,
            "status": _status(state, start, end),
            "class": encounter_class(pv1),
            "type": [t for t in (d.table_code(pv1, 4, "0007"),) if t],
            "serviceType": d.table_code(pv1, 10, "0069"),
            "subject": state.subject(),
            "participant": participants,
            "period": d.period(start, end),
            "hospitalization": hospitalization,
            "location": locations,
        }
    )
    state.encounter = w.add(encounter)
    state.encounter_resource = encounter
    state.end_order()
    state.last = encounter


def read_visit_detail(state: WalkState, pv2: Segment) -> None:
    """PV2-3 admit reason -> Encounter.reasonCode; PV2-25 visit priority -> Encounter.priority."""
    encounter = state.encounter_resource
    if encounter is None:
        state.writer.warn("PV2", "no PV1 before it; left out")
        return
    reason = d.cwe(pv2, 3)
    if reason:
        encounter.setdefault("reasonCode", []).append(reason)
    priority = d.table_code(pv2, 25, "0217")
    if priority:
        encounter["priority"] = priority
