"""Segments shared by every message: MSH, EVN, PID, PV1, DG1, IN1, MRG.

A segment is built as its full list of fields; :func:`segment` drops the trailing empty ones unless
the sender pads (Cerner-like systems keep them: ``PV1|1|I|...|||``).
"""

from __future__ import annotations

import datetime as dt

from careweave.sandbox.ehr import fields as f
from careweave.sandbox.ehr.chargemaster import Diagnosis
from careweave.sandbox.ehr.events import ClinicalEvent, EventKind, VisitSnapshot
from careweave.sandbox.ehr.organization import Facility, VendorDialect

STRUCTURES = {
    EventKind.ADMIT: "ADT_A01",
    EventKind.TRANSFER: "ADT_A02",
    EventKind.DISCHARGE: "ADT_A03",
    EventKind.REGISTER: "ADT_A01",
    EventKind.UPDATE: "ADT_A01",
    EventKind.CANCEL_ADMIT: "ADT_A09",
    EventKind.CANCEL_TRANSFER: "ADT_A12",
    EventKind.CANCEL_DISCHARGE: "ADT_A01",
    EventKind.MERGE: "ADT_A39",
    EventKind.ORDER: "ORM_O01",
    EventKind.BOOK: "SIU_S12",
    EventKind.RESCHEDULE: "SIU_S12",
    EventKind.MODIFY: "SIU_S12",
    EventKind.CANCEL_BOOKING: "SIU_S12",
    EventKind.CHARGES: "DFT_P03",
}

RECEIVING_APPLICATION = "CAREWEAVE"
RECEIVING_FACILITY = "RBH"


def segment(name: str, values: list[str], dialect: VendorDialect) -> str:
    """``name|value1|value2...``; trailing empty fields kept only by padding senders."""
    if not dialect.pad_fields:
        while values and not values[-1]:
            values.pop()
    return "|".join([name, *values])


def msh(event: ClinicalEvent, control_id: str) -> str:
    """The MSH segment (MSH-1 and MSH-2 are the standard ``|^~\\&``)."""
    facility, dialect = event.facility, event.facility.dialect
    code, trigger = event.kind.value.split("^")
    message_type = f"{code}^{trigger}"
    if dialect.message_structure:
        message_type += f"^{STRUCTURES[event.kind]}"
    sending_facility = (
        f"{facility.code}^{facility.oid}^ISO" if dialect.name == "epic" else facility.code
    )
    values = [
        "^~\\&",
        dialect.sending_application,
        sending_facility,
        RECEIVING_APPLICATION,
        RECEIVING_FACILITY,
        f.timestamp(event.time, dialect),
        "",
        message_type,
        control_id,
        "P",
        dialect.version,
        "",
        "",
        "",
        "",
        "",
        dialect.character_set,
    ]
    # MSH is never padded past MSH-18: even padding senders stop at the last valued field.
    while values and not values[-1]:
        values.pop()
    return "|".join(["MSH", *values])


def evn(event: ClinicalEvent) -> str:
    """EVN: event type (still sent by most systems), recorded time, operator."""
    dialect = event.facility.dialect
    trigger = event.kind.value.split("^")[1]
    operator = f.provider(event.operator, dialect) if event.operator else ""
    stamp = f.timestamp(event.time, dialect)
    values = [trigger, stamp, "", "", operator]
    if dialect.version != "2.3":
        values += [stamp, event.facility.code]
    return segment("EVN", values, dialect)


def pid(event: ClinicalEvent, system_empi: str) -> str:
    """PID: repeating PID-3 with assigning authorities, in each vendor's shape."""
    patient, facility, dialect = event.patient, event.facility, event.facility.dialect
    account = ""
    if event.visit is not None:
        account = f.identifier(event.visit.account_number, facility.code, "AN")
    mrn = event.mrn
    empi = f.identifier(patient.enterprise_id, system_empi, "PI")
    if dialect.name == "epic":
        pid2, pid3 = "", f"{f.identifier(mrn, facility.mrn_authority, 'MR')}~{empi}"
    elif dialect.name == "cerner":
        pid2 = empi
        community = f.identifier(patient.enterprise_id, "CMRN", "CMRN")
        pid3 = f"{f.identifier(mrn, facility.mrn_authority, 'MRN')}~{community}"
        if event.visit is not None:
            account = f.identifier(event.visit.account_number, "LCH FIN", "FIN NBR")
    else:
        # The practice system knows the Epic MRN only as an external id in PID-2.
        pid2, pid3 = patient.epic_mrn, f.identifier(mrn, facility.mrn_authority, "")
    address = f.components(
        f.text(patient.street), "", f.text(patient.city), patient.state, patient.postal_code,
        "USA", "P" if dialect.name == "epic" else "HOME",
    )  # fmt: skip
    phone = (
        f"^PRN^PH^^^{patient.phone[:3]}^{patient.phone[3:]}"
        if dialect.name != "practice"
        else f"({patient.phone[:3]}){patient.phone[3:6]}-{patient.phone[6:]}"
    )
    values = [
        "1", pid2, pid3, "", f.patient_name(patient, dialect), "",
        f.date(patient.birth_date), patient.sex, "", "", address, "", phone, "",
        patient.language, "", "", account, "", "", "", "", "", "", "", "", "", "", "", "",
    ]  # fmt: skip
    return segment("PID", values, dialect)


def _patient_type(visit: VisitSnapshot) -> str:
    return {"I": "IP", "E": "ER"}.get(visit.patient_class, "OP")


def pv1(event: ClinicalEvent, visit: VisitSnapshot, *, swap_locations: bool = False) -> str:
    """PV1. ``swap_locations`` serves A12: PV1-3 the location kept, PV1-6 the one cancelled."""
    facility, dialect = event.facility, event.facility.dialect
    here, prior = visit.location, visit.prior_location
    if swap_locations and prior is not None:
        here, prior = prior, here
    attending = f.provider(visit.attending, dialect)
    values = [""] * 52
    values[0] = "1"
    values[1] = visit.patient_class
    values[2] = f.location(here, facility, dialect)
    values[3] = visit.admission_type
    values[5] = f.location(prior, facility, dialect) if prior is not None else ""
    values[6] = attending
    values[7] = f.provider(visit.referring, dialect) if visit.referring else ""
    values[9] = visit.hospital_service
    values[13] = "7" if visit.patient_class == "E" else "1"
    values[16] = attending if visit.patient_class == "I" else ""
    values[17] = _patient_type(visit)
    values[18] = f.identifier(visit.visit_number, facility.code, "VN")
    values[19] = event.patient.coverage.plan_type
    if visit.discharge_time is not None and event.kind is EventKind.DISCHARGE:
        values[35] = "01"
        values[44] = f.timestamp(visit.discharge_time, dialect)
    values[38] = facility.code
    values[43] = f.timestamp(visit.admit_time, dialect)
    values[49] = visit.hospital_visit_number
    return segment("PV1", values, dialect)


def dg1(
    number: int, diagnosis: Diagnosis, when: dt.datetime, kind: str, dialect: VendorDialect
) -> str:
    """DG1; 2.3 senders still fill the coding method (DG1-2) and description (DG1-4)."""
    code = f.coded(diagnosis.code, diagnosis.description, "I10")
    if dialect.version == "2.3":
        values = [str(number), "I10", code, f.text(diagnosis.description),
                  f.timestamp(when, dialect), kind]  # fmt: skip
    else:
        values = [str(number), "", code, "", f.timestamp(when, dialect), kind]
    return segment("DG1", values, dialect)


def diagnoses(event: ClinicalEvent, visit: VisitSnapshot, kind: str) -> list[str]:
    """One DG1 per visit diagnosis."""
    dialect = event.facility.dialect
    return [
        dg1(n, d, visit.admit_time, kind, dialect) for n, d in enumerate(visit.diagnoses, start=1)
    ]


def in1(event: ClinicalEvent, facility: Facility) -> list[str]:
    """IN1 for the primary coverage; none for self-pay patients."""
    coverage, dialect = event.patient.coverage, facility.dialect
    if coverage.plan_type == "SP":
        return []
    values = [""] * 36
    values[0] = "1"
    values[1] = f.components(coverage.plan_id, f.text(coverage.payer_name))
    values[2] = coverage.payer_id
    values[3] = f.text(coverage.payer_name)
    values[7] = coverage.group_number
    values[14] = coverage.plan_type
    values[15] = f.patient_name(event.patient, dialect)
    values[16] = "SEL" if dialect.version != "2.3" else "01"
    values[35] = coverage.member_id
    return [segment("IN1", values, dialect)]


def mrg(event: ClinicalEvent) -> str:
    """MRG: the MRN retired by a merge."""
    facility = event.facility
    return segment("MRG", [f.identifier(event.prior_mrn, facility.mrn_authority, "MR")],
                   facility.dialect)  # fmt: skip
