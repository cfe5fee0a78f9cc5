"""SCH, AIS, AIG, AIL, AIP -> Appointment and its participants.

An Appointment's ``start`` and ``end`` are instants, so they are written only when the sender
gave an offset (or the caller named the sender's zone). Without them FHIR lets an appointment
be only proposed, cancelled or waitlisted: a booked one keeps its date in ``requestedPeriod`` and
is written as proposed, with a warning.
"""

from __future__ import annotations

from careweave.codecs.hl7v2 import Segment
from careweave.mappings.v2_fhir import datatypes as d
from careweave.mappings.v2_fhir import vocab
from careweave.mappings.v2_fhir.bundle import Json, compact
from careweave.mappings.v2_fhir.state import WalkState
from careweave.mappings.v2_fhir.times import fhir_datetime, fhir_instant

UNTIMED_STATUSES = frozenset({"proposed", "cancelled", "waitlist"})


def _times(state: WalkState, sch: Segment) -> tuple[str | None, str | None, str | None, str | None]:
    """(start, end) as instants and as dateTimes, from SCH-11 (TQ) or the TQ1 of v2.6+."""
    w = state.writer
    start_raw = d.text(sch, "11.4.1") or d.text(sch, "11.4")
    end_raw = d.text(sch, "11.5.1") or d.text(sch, "11.5")
    return (
        fhir_instant(start_raw, w, "SCH-11.4"),
        fhir_instant(end_raw, w, "SCH-11.5"),
        fhir_datetime(start_raw, w, "SCH-11.4") if start_raw else None,
        fhir_datetime(end_raw, w, "SCH-11.5") if end_raw else None,
    )


def read_schedule(state: WalkState, sch: Segment) -> None:
    """SCH -> Appointment: ids, status (SCH-25, else the trigger), reason, type, times."""
    w = state.writer
    filler = (d.text(sch, "25.1") or "").upper()
    status = vocab.APPOINTMENT_STATUS.get(filler) or vocab.APPOINTMENT_TRIGGER_STATUS.get(
        state.trigger, "booked"
    )
    start, end, start_day, end_day = _times(state, sch)
    if not (start and end):
        start = end = None
    duration = d.text(sch, "9.1")
    appointment = compact(
        {
            "resourceType": "Appointment",
            "identifier": [i for i in (d.ei(w, sch, 1, "PLAC"), d.ei(w, sch, 2, "FILL")) if i],
            "status": status,
            "appointmentType": d.table_code(sch, 8, "0277"),
            "reasonCode": [r for r in (d.table_code(sch, 7, "0276"),) if r],
            "start": start,
            "end": end,
            "minutesDuration": int(duration)
            if duration and duration.isdigit() and int(duration) > 0
            else None,
            "requestedPeriod": [d.period(start_day, end_day)] if not start and start_day else [],
            "participant": [],
        }
    )
    w.add(appointment)
    state.appointment = appointment
    state.last = appointment


def _participant(state: WalkState, actor: str | None, kind: Json | None, seg: Segment) -> None:
    appointment = state.appointment
    if appointment is None:
        state.writer.warn(seg.id, "no SCH before it; left out")
        return
    if actor is None and kind is None:
        return
    appointment.setdefault("participant", []).append(
        compact(
            {
                "type": [kind] if kind else [],
                "actor": {"reference": actor} if actor else None,
                "status": "accepted",
            }
        )
    )


def read_service(state: WalkState, ais: Segment) -> None:
    """AIS-3 universal service -> Appointment.serviceType."""
    if state.appointment is None:
        state.writer.warn("AIS", "no SCH before it; left out")
        return
    service = d.cwe(ais, 3)
    if service:
        state.appointment.setdefault("serviceType", []).append(service)


def read_resource(state: WalkState, aig: Segment) -> None:
    """AIG-3 resource -> a participant named by its type."""
    _participant(state, None, d.cwe(aig, 3) or d.cwe(aig, 4), aig)


def read_location(state: WalkState, ail: Segment) -> None:
    """AIL-3 location -> a Location participant."""
    _participant(state, d.pl(state.writer, ail, 3), None, ail)


def read_personnel(state: WalkState, aip: Segment) -> None:
    """AIP-3 personnel -> a Practitioner participant with AIP-4 as its role."""
    _participant(state, d.xcn(state.writer, aip, 3), d.cwe(aip, 4), aip)


def appointment_timing(state: WalkState, tq1: Segment) -> None:
    """TQ1-7/8 (v2.6+) as the start and end of the appointment being read."""
    appointment = state.appointment
    assert appointment is not None
    start = fhir_instant(d.text(tq1, "7.1"), state.writer, "TQ1-7")
    end = fhir_instant(d.text(tq1, "8.1"), state.writer, "TQ1-8")
    if start and end and "start" not in appointment:
        appointment.update({"start": start, "end": end})
        appointment.pop("requestedPeriod", None)


def finish_appointment(state: WalkState) -> None:
    """The patient joins the participants; FHIR needs at least one."""
    appointment = state.appointment
    if appointment is None:
        return
    state.appointment = None
    if "start" not in appointment and appointment["status"] not in UNTIMED_STATUSES:
        state.writer.warn(
            "SCH-11",
            f"no start/end with a time zone; a {appointment['status']} slot written as proposed",
        )
        appointment["status"] = "proposed"
    participants = appointment.setdefault("participant", [])
    if state.patient:
        participants.insert(0, {"actor": {"reference": state.patient}, "status": "accepted"})
    if not participants:
        participants.append({"type": [{"text": "unspecified"}], "status": "needs-action"})
