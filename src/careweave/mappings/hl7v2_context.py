"""What every HL7 v2 mapping reads first: the patient (PID), the visit (PV1) and the event time.

The segments are walked in message order; a ``Context`` holds the patient and visit in force at
a given point, so a BAR with several visits or a DFT with several financial groups gives each
charge the visit it belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import msgspec

from careweave.codecs.hl7v2 import Message, Segment
from careweave.exceptions import MappingError
from careweave.mappings import hl7v2_values as v
from careweave.mappings.hl7v2_coverage import read_coverages
from careweave.model.care import Encounter, EncounterClass
from careweave.model.identity import PatientIdentity

ENCOUNTER_CLASSES: dict[str, EncounterClass] = {
    "I": EncounterClass.INPATIENT,
    "O": EncounterClass.OUTPATIENT,
    "E": EncounterClass.EMERGENCY,
    "P": EncounterClass.PREADMISSION,
    "R": EncounterClass.RECURRING,
    "B": EncounterClass.OBSTETRICS,
    "C": EncounterClass.COMMERCIAL,
    "N": EncounterClass.NOT_APPLICABLE,
    "U": EncounterClass.UNKNOWN,
}
"""HL7 v2 table 0004 (PV1-2 patient class) onto canonical encounter classes."""


class Context(msgspec.Struct, frozen=True, kw_only=True):
    """The message-level facts a mapping stamps on each event it makes."""

    control_id: str
    occurred_at: dt.datetime | None
    event_stamp: str
    """The event's recorded time as sent (EVN-2, else MSH-7): part of keys for repeatable events."""
    patient: PatientIdentity
    encounter: Encounter | None = None

    def with_visit(self, pv1: Segment, pid: Segment | None) -> Context:
        """This context with the visit of ``pv1`` (account number from ``pid``)."""
        return msgspec.structs.replace(self, encounter=read_encounter(pv1, pid))

    def visit_key(self) -> str | None:
        """The encounter's key, else None."""
        return self.encounter.key() if self.encounter else None

    def event_fields(self) -> dict[str, object]:
        """The fields every clinical event made here carries (patient, visit, source, time)."""
        return {
            "patient": self.patient,
            "encounter": self.encounter,
            "source_message_id": self.control_id,
            "occurred_at": self.occurred_at,
        }


def read_patient(pid: Segment) -> PatientIdentity:
    """The patient of a PID segment: PID-3 identifiers first, then PID-2 and PID-4 (legacy)."""
    identifiers = v.cx_all(pid, 3)
    for legacy in (2, 4):
        for ident in v.cx_all(pid, legacy):
            if all(i.value != ident.value for i in identifiers):
                identifiers.append(ident)
    if not identifiers:
        raise MappingError("PID-3: the patient has no identifier")
    return PatientIdentity(
        identifiers=tuple(identifiers),
        names=tuple(v.xpn_all(pid, 5)),
        birth_date=v.parse_date(v.text(pid, "7.1"), "PID-7"),
        sex=v.sex(pid, 8),
        addresses=tuple(v.xad_all(pid, 11)),
    )


def read_encounter(pv1: Segment, pid: Segment | None) -> Encounter:
    """The visit of a PV1 segment; the account number comes from PID-18."""
    klass = v.text(pv1, "2.1")
    return Encounter(
        visit_number=v.cx(pv1, 19),
        account_number=v.cx(pid, 18) if pid is not None else None,
        encounter_class=ENCOUNTER_CLASSES.get(klass.upper(), EncounterClass.UNKNOWN)
        if klass
        else None,
        location=v.pl(pv1, 3),
        attending=v.xcn(pv1, 7),
        admitting=v.xcn(pv1, 17),
        hospital_service=v.text(pv1, "10.1"),
        admitted_at=v.dtm(pv1, "44.1"),
        discharged_at=v.dtm(pv1, "45.1"),
    )


def read_context(msg: Message, pid: Segment | None = None) -> Context:
    """The context of ``msg`` for the patient of ``pid`` (default: the first PID)."""
    pid = pid if pid is not None else msg.segment("PID")
    if pid is None:
        raise MappingError(f"{msg.header.message_type}: message has no PID segment")
    evn = msg.segment("EVN")
    occurred = recorded = None
    stamp = ""
    if evn is not None:
        occurred = v.dtm(evn, "6.1")
        recorded = v.dtm(evn, "2.1")
        stamp = v.text(evn, "2.1") or ""
    msh_time = v.parse_dtm(msg.get("MSH-7.1") or None, "MSH-7")
    return Context(
        control_id=msg.header.control_id,
        occurred_at=occurred or recorded or msh_time,
        event_stamp=stamp or msg.get("MSH-7.1"),
        patient=read_patient(pid),
    )


def visit_context(msg: Message, ctx: Context) -> Context:
    """``ctx`` with the message's (first) visit and the insurance the message carries for it."""
    pv1 = msg.segment("PV1")
    if pv1 is None:
        return ctx
    ctx = ctx.with_visit(pv1, msg.segment("PID"))
    coverages = read_coverages(msg)
    if coverages and ctx.encounter is not None:
        encounter = msgspec.structs.replace(ctx.encounter, coverages=coverages)
        ctx = msgspec.structs.replace(ctx, encounter=encounter)
    return ctx


def _visit_group(segments: list[Segment], start: int) -> Iterator[Segment]:
    """The segments after ``start`` up to the next patient or visit."""
    for seg in segments[start + 1 :]:
        if seg.id in ("PID", "PV1"):
            return
        yield seg


def walk(msg: Message, base: Context) -> Iterator[tuple[Context, Segment]]:
    """Every segment of ``msg`` with the patient and visit in force where it stands.

    A visit carries the insurance (IN1/IN2) of its group, wherever in the group it was sent (a DFT
    may send IN1 after its FT1s): every event of the visit sees the same coverage.
    """
    ctx = base
    pid: Segment | None = None
    segments = list(msg)
    for index, seg in enumerate(segments):
        if seg.id == "PID":
            pid = seg
            ctx = msgspec.structs.replace(base, patient=read_patient(seg), encounter=None)
        elif seg.id == "PV1":
            ctx = ctx.with_visit(seg, pid)
            coverages = read_coverages(_visit_group(segments, index))
            if coverages and ctx.encounter is not None:
                encounter = msgspec.structs.replace(ctx.encounter, coverages=coverages)
                ctx = msgspec.structs.replace(ctx, encounter=encounter)
        yield ctx, seg
