"""AL1, IAM -> AllergyIntolerance; DG1 -> Condition; NTE -> a note on the resource before it."""

from __future__ import annotations

from careweave.codecs.hl7v2 import Segment
from careweave.codecs.hl7v2.paths import parse_segment_path
from careweave.mappings.v2_fhir import datatypes as d
from careweave.mappings.v2_fhir import vocab
from careweave.mappings.v2_fhir.bundle import Json, compact
from careweave.mappings.v2_fhir.state import WalkState
from careweave.mappings.v2_fhir.times import fhir_datetime

CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
NOTED = frozenset(
    {
        "Observation",
        "ServiceRequest",
        "MedicationRequest",
        "Immunization",
        "AllergyIntolerance",
        "Condition",
    }
)
"""Resource types with a ``note`` element (R4 gives Encounter and DiagnosticReport none)."""


def _manifestation(seg: Segment, field: int, rep: int) -> Json | None:
    """A reaction: plain text (ST before v2.7), or coded when the sender codes it (CWE)."""
    if d.text(seg, f"{field}[{rep}].2") or d.text(seg, f"{field}[{rep}].3"):
        return d.cwe(seg, field, rep)
    label = d.text(seg, f"{field}[{rep}]")
    return {"text": label} if label else None


def _reactions(seg: Segment, field: int, severity: str) -> list[Json]:
    manifestations = d.every(seg, field, _manifestation)
    if not manifestations:
        return []
    return [
        compact(
            {
                "manifestation": manifestations,
                "severity": vocab.ALLERGY_REACTION_SEVERITY.get(severity),
            }
        )
    ]


def read_allergy(state: WalkState, seg: Segment) -> None:
    """AL1 (or IAM, whose fields sit one further for the code and carry an action code)."""
    w = state.writer
    if state.patient is None:
        w.warn(seg.id, "no PID before it; AllergyIntolerance needs a patient; left out")
        return
    iam = seg.id == "IAM"
    kind = (d.text(seg, "2.1") or "").upper()
    severity = (d.text(seg, "4.1") or "").upper()
    onset = fhir_datetime(d.text(seg, "11.1" if iam else "6.1"), w, f"{seg.id}-{11 if iam else 6}")
    action = (d.text(seg, "6.1") or "").upper() if iam else ""
    clinical = "inactive" if action == "D" else "active"
    allergy = compact(
        {
            "resourceType": "AllergyIntolerance",
            "identifier": [i for i in ((d.ei(state.writer, seg, 7) if iam else None),) if i],
            "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": clinical}]},
            "category": [vocab.ALLERGY_CATEGORY[kind]] if kind in vocab.ALLERGY_CATEGORY else [],
            "criticality": vocab.ALLERGY_CRITICALITY.get(severity),
            "code": d.cwe(seg, 3),
            "patient": state.subject(),
            "encounter": state.context(),
            "onsetDateTime": onset,
            "reaction": _reactions(seg, 5, severity),
        }
    )
    if "code" not in allergy:
        w.warn(f"{seg.id}-3", "allergy without an allergen code")
    w.add(allergy)
    state.last = allergy


def read_diagnosis(state: WalkState, dg1: Segment) -> None:
    """DG1 -> Condition, an encounter diagnosis of the current visit."""
    w = state.writer
    if state.patient is None:
        w.warn("DG1", "no PID before it; Condition needs a patient; left out")
        return
    clinicians = d.xcn_all(w, dg1, 16)
    code = d.cwe(dg1, 3)
    description = d.text(dg1, "4.1")
    if code is None and description:
        code = {"text": description}
    elif code is not None and description and "text" not in code:
        code["text"] = description
    condition = compact(
        {
            "resourceType": "Condition",
            "identifier": [i for i in (d.ei(w, dg1, 20),) if i],
            "category": [
                {"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}
            ],
            "code": code,
            "subject": state.subject(),
            "encounter": state.context(),
            "onsetDateTime": fhir_datetime(d.text(dg1, "5.1"), w, "DG1-5"),
            "recordedDate": fhir_datetime(d.text(dg1, "19.1"), w, "DG1-19"),
            "asserter": {"reference": clinicians[0]} if clinicians else None,
        }
    )
    if "code" not in condition:
        w.warn("DG1-3", "diagnosis without a code or description")
    w.add(condition)
    state.last = condition


def read_note(state: WalkState, nte: Segment) -> None:
    """NTE-3 comment lines -> a note on the last clinical resource that has notes."""
    escape = state.message.delimiters.escape
    found = nte.repetitions(parse_segment_path("3"), decode=True)
    lines = [d.plain(line, escape) for line in found if line]
    if not lines:
        return
    target = state.last
    if target is not None and target["resourceType"] == "DiagnosticReport":
        # R4 gives a report no notes; the NTE of a result group's OBR is about the order.
        target = state.service_request
    if target is not None and target["resourceType"] == "Appointment":
        previous = target.get("comment")
        target["comment"] = "\n".join([previous, *lines] if previous else lines)
        return
    if target is None or target["resourceType"] not in NOTED:
        state.writer.warn("NTE", "no resource that takes notes before it; left out")
        return
    target.setdefault("note", []).append({"text": "\n".join(lines)})
