"""ORM^O01 and SIU^S12-S15 content: ORC/OBR orders and SCH/RGS/AIS/AIL/AIP bookings."""

from __future__ import annotations

import datetime as dt

from careweave.sandbox.ehr import fields as f
from careweave.sandbox.ehr.events import Appointment, ClinicalEvent, EventKind, Order
from careweave.sandbox.ehr.segments import segment

_NAMESPACE = {"epic": "EPC", "cerner": "HNAM", "practice": "PM"}
_EVENT_REASON = {
    EventKind.BOOK: "NEW^New appointment",
    EventKind.RESCHEDULE: "RESCHED^Rescheduled",
    EventKind.MODIFY: "MODIFY^Resources changed",
    EventKind.CANCEL_BOOKING: "CANCEL^Cancelled by patient",
}
_ACTION = {
    EventKind.BOOK: "A",
    EventKind.RESCHEDULE: "U",
    EventKind.MODIFY: "U",
    EventKind.CANCEL_BOOKING: "D",
}


def order_segments(event: ClinicalEvent, order: Order) -> list[str]:
    """ORC and OBR of an order."""
    dialect = event.facility.dialect
    namespace = _NAMESPACE[dialect.name]
    placer = f"{order.placer_number}^{namespace}"
    ordering = f.provider(order.ordering, dialect)
    requested = f.timestamp(order.requested_time, dialect)
    orc = [""] * 12
    orc[0] = order.control
    orc[1] = placer
    orc[6] = f"^^^{requested}^^R"
    orc[8] = f.timestamp(event.time, dialect)
    orc[11] = ordering
    obr = [""] * 31
    obr[0] = "1"
    obr[1] = placer
    system = "EAP" if dialect.name == "epic" else "CDM"
    obr[3] = f.coded(order.code, order.text, system)
    obr[6] = requested
    obr[15] = ordering
    obr[30] = f.coded(order.diagnosis.code, order.diagnosis.description, "I10")
    return [segment("ORC", orc, dialect), segment("OBR", obr, dialect)]


def _window(start: dt.datetime, minutes: int, event: ClinicalEvent) -> tuple[str, str]:
    dialect = event.facility.dialect
    end = start + dt.timedelta(minutes=minutes)
    return f.timestamp(start, dialect), f.timestamp(end, dialect)


def schedule_segments(
    event: ClinicalEvent, appointment: Appointment
) -> tuple[list[str], list[str]]:
    """(SCH [+ TQ1], RGS + AIS + AIL + AIP): the booking goes before PID, resources after."""
    facility, dialect = event.facility, event.facility.dialect
    namespace = _NAMESPACE[dialect.name]
    start, end = _window(appointment.start, appointment.minutes, event)
    provider = f.provider(appointment.provider, dialect)
    status = appointment.status
    sch = [""] * 25
    sch[0] = f"{appointment.placer_id}^{namespace}"
    sch[1] = f"{appointment.filler_id}^{namespace}"
    sch[5] = _EVENT_REASON[event.kind]
    sch[6] = f.coded(appointment.service_code, appointment.reason, "")
    sch[7] = "ROUTINE"
    sch[8] = str(appointment.minutes)
    sch[9] = "min"
    sch[10] = f"^^{appointment.minutes}^{start}^{end}"
    sch[15] = provider
    sch[24] = status
    head = [segment("SCH", sch, dialect)]
    if dialect.version != "2.3":
        head.append(segment("TQ1", ["1", "", "", "", "", "", start, end], dialect))
    action = _ACTION[event.kind]
    service = f.coded(appointment.service_code, appointment.service_text, "")
    timing = [start, "", "", str(appointment.minutes), "min", "", status]
    tail = [
        segment("RGS", ["1", action], dialect),
        segment("AIS", ["1", action, service, *timing], dialect),
        segment(
            "AIL",
            ["1", action, f.location(appointment.location, facility, dialect), "", "", *timing],
            dialect,
        ),
        segment("AIP", ["1", action, provider, "ATT^Attending", "", *timing], dialect),
    ]
    return head, tail
