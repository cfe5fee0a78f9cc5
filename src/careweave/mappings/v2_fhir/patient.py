"""PID, PD1 -> Patient; MRG -> the replaced Patient; NK1 -> RelatedPerson."""

from __future__ import annotations

from careweave.codecs.hl7v2 import Segment
from careweave.mappings.v2_fhir import datatypes as d
from careweave.mappings.v2_fhir import vocab
from careweave.mappings.v2_fhir.authorities import DRIVERS_LICENSE_PREFIX, SSN_SYSTEM, slug
from careweave.mappings.v2_fhir.bundle import BundleWriter, Json, compact
from careweave.mappings.v2_fhir.state import WalkState
from careweave.mappings.v2_fhir.times import fhir_date, fhir_datetime

MOTHERS_MAIDEN_NAME = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"


def _typed(identifier: Json | None, kind: str) -> Json | None:
    """``identifier`` with type ``kind`` (table 0203) unless the sender typed it already."""
    if identifier is not None and "type" not in identifier:
        identifier = {
            "type": {"coding": [{"system": vocab.V2 + "0203", "code": kind}]},
            **identifier,
        }
    return identifier


def identifiers(w: BundleWriter, pid: Segment) -> list[Json]:
    """Every identifier of a PID: PID-3 list, PID-2 and PID-4 (older versions), PID-18 account
    number, PID-19 social security number and PID-20 driver's licence; duplicates once."""
    found = d.cx_all(w, pid, 3) + d.cx_all(w, pid, 2) + d.cx_all(w, pid, 4)
    found += [i for i in (_typed(x, "AN") for x in d.cx_all(w, pid, 18)) if i]
    ssn = d.text(pid, "19.1")
    if ssn:
        found.append(_typed({"system": SSN_SYSTEM, "value": ssn}, "SS") or {})
    licence = d.text(pid, "20.1")
    if licence:
        state = d.text(pid, "20.2")
        system = w.authorities.lookup(state) if state else None
        system = system or (DRIVERS_LICENSE_PREFIX + slug(state) if state else None)
        system = system or w.authorities.system(None, id_type="DL")
        expires = fhir_date(d.text(pid, "20.3"), w, "PID-20")
        dl = compact(
            {"system": system, "value": licence, "period": {"end": expires} if expires else None}
        )
        found.append(_typed(dl, "DL") or {})
    unique: list[Json] = []
    for ident in found:
        if all(
            (u.get("system"), u["value"]) != (ident.get("system"), ident["value"]) for u in unique
        ):
            unique.append(ident)
    return unique


def read_patient(state: WalkState, pid: Segment) -> None:
    """A PID starts a new patient (and ends the visit and order of the one before)."""
    w = state.writer
    names = d.xpn_all(pid, 5) + d.xpn_all(pid, 9)
    telecom = d.xtn_all(pid, 13, "home") + d.xtn_all(pid, 14, "work") + d.xtn_all(pid, 40)
    sex = (d.text(pid, "8.1") or "").upper()
    marital = (d.text(pid, "16.1") or "").upper()
    marital_code = vocab.MARITAL_STATUS.get(marital)
    addresses = d.xad_all(w, pid, 11)
    county = d.text(pid, "12.1")
    if county and addresses and "district" not in addresses[0]:
        addresses[0]["district"] = county
    mothers = [n.get("family") for n in d.xpn_all(pid, 6) if n.get("family")]
    patient: Json = compact(
        {
            "resourceType": "Patient",
            "extension": [{"url": MOTHERS_MAIDEN_NAME, "valueString": m} for m in mothers],
            "identifier": identifiers(w, pid),
            "name": names,
            "telecom": telecom,
            "gender": vocab.GENDER.get(sex) if sex else None,
            "birthDate": fhir_date(d.text(pid, "7.1"), w, "PID-7"),
            "address": addresses,
            "maritalStatus": {"coding": [{"system": marital_code[0], "code": marital_code[1]}]}
            if marital_code
            else d.table_code(pid, 16, "0002"),
            "communication": [{"language": lang} for lang in d.every(pid, 15, d.cwe)],
        }
    )
    if sex and sex not in vocab.GENDER:
        w.warn("PID-8", f"administrative sex {sex!r} is not in table 0001; gender left out")
    _deceased(state, pid, patient)
    _multiple_birth(pid, patient)
    state.patient = w.add(patient)
    state.patient_resource = patient
    state.encounter = state.encounter_resource = None
    state.end_order()
    state.last = patient


def _deceased(state: WalkState, pid: Segment, patient: Json) -> None:
    when = fhir_datetime(d.text(pid, "29.1"), state.writer, "PID-29")
    flag = (d.text(pid, "30.1") or "").upper()
    if when:
        patient["deceasedDateTime"] = when
    elif flag in ("Y", "N"):
        patient["deceasedBoolean"] = flag == "Y"


def _multiple_birth(pid: Segment, patient: Json) -> None:
    order = d.text(pid, "25.1")
    flag = (d.text(pid, "24.1") or "").upper()
    if order and order.isdigit():
        patient["multipleBirthInteger"] = int(order)
    elif flag in ("Y", "N"):
        patient["multipleBirthBoolean"] = flag == "Y"


def read_pd1(state: WalkState, pd1: Segment) -> None:
    """PD1-3 primary facility and PD1-4 primary care provider -> Patient.generalPractitioner."""
    if state.patient_resource is None:
        state.writer.warn("PD1", "no PID before it; left out")
        return
    w = state.writer
    refs = d.every(pd1, 3, lambda s, f, r: d.xon(w, s, f, r)) + d.xcn_all(w, pd1, 4)
    if refs:
        general = state.patient_resource.setdefault("generalPractitioner", [])
        general.extend({"reference": ref} for ref in refs)


def read_merge(state: WalkState, mrg: Segment) -> None:
    """MRG: the prior patient record, inactive and replaced by the current one (links both ways)."""
    w = state.writer
    found = d.cx_all(w, mrg, 1) + d.cx_all(w, mrg, 4) + d.cx_all(w, mrg, 2)
    if not found or state.patient_resource is None:
        if found:
            w.warn("MRG", "no PID before it; left out")
        return
    prior = compact(
        {
            "resourceType": "Patient",
            "identifier": found,
            "active": False,
            "name": d.xpn_all(mrg, 7),
            "link": [{"other": {"reference": state.patient}, "type": "replaced-by"}],
        }
    )
    ref = w.add(prior)
    state.patient_resource.setdefault("link", []).append(
        {"other": {"reference": ref}, "type": "replaces"}
    )


def read_next_of_kin(state: WalkState, nk1: Segment) -> None:
    """NK1 -> RelatedPerson of the current patient."""
    w = state.writer
    if state.patient is None:
        w.warn("NK1", "no PID before it; RelatedPerson needs a patient; left out")
        return
    names = d.xpn_all(nk1, 2) + d.xpn_all(nk1, 30)
    idents = d.cx_all(w, nk1, 33)
    ssn = d.text(nk1, "37.1")
    if ssn:
        idents.append(_typed({"system": SSN_SYSTEM, "value": ssn}, "SS") or {})
    sex = (d.text(nk1, "15.1") or "").upper()
    telecom = d.xtn_all(nk1, 5, "home") + d.xtn_all(nk1, 6, "work") + d.xtn_all(nk1, 31)
    telecom += d.xtn_all(nk1, 40)
    relationship = [c for c in (d.table_code(nk1, 3, "0063"), d.table_code(nk1, 7, "0131")) if c]
    person = compact(
        {
            "resourceType": "RelatedPerson",
            "identifier": idents,
            "patient": state.subject(),
            "relationship": relationship,
            "name": names,
            "telecom": telecom,
            "gender": vocab.GENDER.get(sex) if sex else None,
            "birthDate": fhir_date(d.text(nk1, "16.1"), w, "NK1-16"),
            "address": d.xad_all(w, nk1, 4) + d.xad_all(w, nk1, 32),
            "period": d.period(
                fhir_date(d.text(nk1, "8.1"), w, "NK1-8"), fhir_date(d.text(nk1, "9.1"), w, "NK1-9")
            ),
        }
    )
    w.add(person)
