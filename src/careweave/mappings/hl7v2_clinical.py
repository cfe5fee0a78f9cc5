"""HL7 v2 -> canonical clinical events.

``map_message(msg)`` turns one parsed message into the business events it stands for:

=================  ==================================================================
ADT A01            PatientAdmitted
ADT A04 / A05      PatientRegistered (A05: ``preadmission=True``); A28 likewise
ADT A02            PatientTransferred (prior location PV1-6)
ADT A03            PatientDischarged (disposition PV1-36)
ADT A06 / A07      EncounterReclassified (prior visit MRG-5, prior account MRG-3)
ADT A08 / A31      PatientUpdated
ADT A11 A12 A13    VisitCancelled (admission, transfer, discharge)
ADT A40            PatientsMerged, one per PID/MRG pair
ADT A47            PatientIdentifierChanged, one per PID/MRG pair (prior identifier MRG-1)
ORM O01, OML O21   OrderPlaced per ORC (code from the OBR that follows)
SIU S12 - S15      AppointmentScheduled / Rescheduled / Modified / Cancelled
DFT P03 / P11      ChargeCaptured per FT1
BAR P01 P05 P12    AccountUpdated per visit
=================  ==================================================================

Besides its main event, every message also yields the care documented in it (PR1 procedures,
FT1 charges and supplies: see :mod:`careweave.mappings.hl7v2_care`). A message type not in the
table raises :class:`MappingError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable

from careweave.codecs.hl7v2 import Message, Segment
from careweave.exceptions import MappingError
from careweave.mappings import hl7v2_values as v
from careweave.mappings.hl7v2_care import CareWalker
from careweave.mappings.hl7v2_context import (
    ENCOUNTER_CLASSES,
    Context,
    read_context,
    read_patient,
    visit_context,
    walk,
)
from careweave.mappings.hl7v2_records import MORE_MAPPERS
from careweave.model.base import BusinessEvent
from careweave.model.care import EncounterClass
from careweave.model.charges import AccountAction, AccountUpdated
from careweave.model.clinical import (
    AppointmentCancelled,
    AppointmentDeleted,
    AppointmentDiscontinued,
    AppointmentEvent,
    AppointmentModified,
    AppointmentNoShow,
    AppointmentRescheduled,
    AppointmentScheduled,
    CancelledAction,
    EncounterReclassified,
    OrderPlaced,
    PatientAdmitted,
    PatientDischarged,
    PatientIdentifierChanged,
    PatientRegistered,
    PatientsMerged,
    PatientTransferred,
    PatientUpdated,
    VisitCancelled,
    business_key,
)
from careweave.model.identity import PatientIdentity

Mapper = Callable[[Message, Context, str], list[BusinessEvent]]


def _adt(msg: Message, ctx: Context, trigger: str) -> list[BusinessEvent]:
    ctx = visit_context(msg, ctx)
    patient, visit = ctx.patient.key(), ctx.visit_key()
    base = ctx.event_fields()
    pv1 = msg.segment("PV1")
    event: BusinessEvent
    if trigger == "A01":
        event = PatientAdmitted(idempotency_key=business_key("admit", patient, visit), **base)  # type: ignore[arg-type]
    elif trigger in {"A04", "A05", "A28"}:
        event = PatientRegistered(
            idempotency_key=business_key("register", patient, visit),
            preadmission=trigger == "A05",
            **base,  # type: ignore[arg-type]
        )
    elif trigger == "A02":
        event = PatientTransferred(
            idempotency_key=business_key("transfer", patient, visit, ctx.event_stamp),
            prior_location=v.pl(pv1, 6) if pv1 is not None else None,
            **base,  # type: ignore[arg-type]
        )
    elif trigger == "A03":
        event = PatientDischarged(
            idempotency_key=business_key("discharge", patient, visit),
            disposition=v.cwe(pv1, 36) if pv1 is not None else None,
            **base,  # type: ignore[arg-type]
        )
    elif trigger in {"A06", "A07"}:
        mrg = msg.segment("MRG")
        event = EncounterReclassified(
            idempotency_key=business_key("reclassify", patient, visit, ctx.event_stamp),
            previous_class=EncounterClass.OUTPATIENT
            if trigger == "A06"
            else EncounterClass.INPATIENT,
            prior_visit_number=v.cx(mrg, 5) if mrg is not None else None,
            prior_account_number=v.cx(mrg, 3) if mrg is not None else None,
            **base,  # type: ignore[arg-type]
        )
    elif trigger in {"A08", "A31"}:
        event = PatientUpdated(
            idempotency_key=business_key("update", patient, visit, ctx.event_stamp),
            **base,  # type: ignore[arg-type]
        )
    else:
        cancelled = {
            "A11": CancelledAction.ADMISSION,
            "A12": CancelledAction.TRANSFER,
            "A13": CancelledAction.DISCHARGE,
        }[trigger]
        event = VisitCancelled(
            idempotency_key=business_key(f"cancel-{cancelled}", patient, visit, ctx.event_stamp),
            cancelled=cancelled,
            **base,  # type: ignore[arg-type]
        )
    return [event]


def _merged_identity(mrg: Segment, number: int) -> PatientIdentity:
    identifiers = v.cx_all(mrg, 1) + v.cx_all(mrg, 4)
    if not identifiers:
        raise MappingError(f"MRG[{number}]-1: the merged patient has no identifier")
    return PatientIdentity(identifiers=tuple(identifiers), names=tuple(v.xpn_all(mrg, 7)))


def _merge(msg: Message, ctx: Context, trigger: str) -> list[BusinessEvent]:
    events: list[BusinessEvent] = []
    pid: Segment | None = None
    for seg in msg:
        if seg.id == "PID":
            pid = seg
        elif seg.id == "MRG":
            if pid is None:
                raise MappingError(f"MRG[{len(events) + 1}]: no PID before the MRG segment")
            patient = read_patient(pid)
            merged = _merged_identity(seg, len(events) + 1)
            event: BusinessEvent
            if trigger == "A47":
                event = PatientIdentifierChanged(
                    idempotency_key=business_key("reidentify", patient.key(), merged.key()),
                    patient=patient,
                    prior=merged,
                    source_message_id=ctx.control_id,
                    occurred_at=ctx.occurred_at,
                )
            else:
                event = PatientsMerged(
                    idempotency_key=business_key("merge", patient.key(), merged.key()),
                    patient=patient,
                    merged=merged,
                    source_message_id=ctx.control_id,
                    occurred_at=ctx.occurred_at,
                )
            events.append(event)
    if not events:
        raise MappingError(f"ADT^{trigger}: merge message has no MRG segment")
    return events


def _order(msg: Message, ctx: Context, _trigger: str) -> list[BusinessEvent]:
    events: list[BusinessEvent] = []
    orc: Segment | None = None
    orc_ctx = ctx

    def close(obr: Segment | None) -> None:
        assert orc is not None
        control = v.text(orc, "1") or "NW"
        placer = v.text(orc, "2.1") or (v.text(obr, "2.1") if obr is not None else None)
        filler = v.text(orc, "3.1") or (v.text(obr, "3.1") if obr is not None else None)
        code = v.cwe(obr, 4) if obr is not None else None
        provider = v.xcn(orc, 12) or (v.xcn(obr, 16) if obr is not None else None)
        events.append(
            OrderPlaced(
                idempotency_key=business_key("order", placer or filler, control),
                order_control=control,
                placer_order_number=placer,
                filler_order_number=filler,
                code=code,
                ordering_provider=provider,
                ordered_at=v.dtm(orc, "9.1"),
                diagnoses=tuple(c for s in msg.segments("DG1") if (c := v.cwe(s, 3)) is not None),
                **orc_ctx.event_fields(),  # type: ignore[arg-type]
            )
        )

    for seg_ctx, seg in walk(msg, ctx):
        if seg.id == "ORC":
            if orc is not None:
                close(None)
            orc, orc_ctx = seg, seg_ctx
        elif seg.id in {"OBR", "RXO", "RXE"} and orc is not None:
            close(seg)
            orc = None
    if orc is not None:
        close(None)
    return events


_APPOINTMENTS: dict[str, type[AppointmentEvent]] = {
    "S12": AppointmentScheduled,
    "S13": AppointmentRescheduled,
    "S14": AppointmentModified,
    "S15": AppointmentCancelled,
    "S16": AppointmentDiscontinued,
    "S17": AppointmentDeleted,
    "S26": AppointmentNoShow,
}


def _appointment(msg: Message, ctx: Context, trigger: str) -> list[BusinessEvent]:
    sch = msg.segment("SCH")
    if sch is None:
        raise MappingError(f"SIU^{trigger}: message has no SCH segment")
    ctx = visit_context(msg, ctx)
    placer, filler = v.ei(sch, 1), v.ei(sch, 2)
    appointment_id = placer or filler
    if appointment_id is None:
        raise MappingError("SCH-1/SCH-2: the appointment has no identifier")
    tq1, ais, aip, ail = (msg.segment(s) for s in ("TQ1", "AIS", "AIP", "AIL"))
    start = (v.dtm(tq1, "7.1") if tq1 else None) or v.dtm(sch, "11.4.1")
    end = (v.dtm(tq1, "8.1") if tq1 else None) or v.dtm(sch, "11.5.1")
    duration = v.number(sch, "9")
    cls = _APPOINTMENTS[trigger]
    extra: dict[str, object] = {}
    if cls is AppointmentCancelled:
        extra["cancel_reason"] = v.cwe(sch, 6)
    stamp = start.isoformat() if trigger == "S13" and start else ctx.event_stamp
    event = cls(
        idempotency_key=business_key(
            f"appointment-{trigger}", appointment_id.key(), stamp if trigger != "S12" else None
        ),
        appointment_id=appointment_id,
        filler_appointment_id=filler if placer else None,
        start=start,
        end=end,
        duration_minutes=int(duration) if duration is not None else None,
        service=v.cwe(ais, 3) if ais else None,
        reason=v.cwe(sch, 7),
        status=v.text(sch, "25.1"),
        location=v.pl(ail, 3) if ail else None,
        provider=(v.xcn(aip, 3) if aip else None) or v.xcn(sch, 12),
        **extra,  # type: ignore[arg-type]
        **ctx.event_fields(),  # type: ignore[arg-type]
    )
    return [event]


def _account(msg: Message, ctx: Context, trigger: str) -> list[BusinessEvent]:
    action = {"P01": AccountAction.ADDED, "P05": AccountAction.UPDATED}.get(
        trigger, AccountAction.CODED
    )
    events: list[BusinessEvent] = []
    visit: Context | None = None
    diagnoses: list[object] = []
    procedures: list[object] = []

    def close() -> None:
        if visit is None:
            return
        account = visit.encounter.account_number if visit.encounter else None
        events.append(
            AccountUpdated(
                idempotency_key=business_key(
                    f"account-{action}",
                    account.key() if account else visit.patient.key(),
                    visit.visit_key(),
                    visit.event_stamp,
                ),
                action=action,
                account_number=account,
                diagnoses=tuple(diagnoses),  # type: ignore[arg-type]
                procedures=tuple(procedures),  # type: ignore[arg-type]
                **visit.event_fields(),  # type: ignore[arg-type]
            )
        )

    for seg_ctx, seg in walk(msg, ctx):
        if seg.id == "PV1":
            close()
            visit, diagnoses, procedures = seg_ctx, [], []
        elif seg.id == "DG1" and (code := v.cwe(seg, 3)) is not None:
            diagnoses.append(code)
        elif seg.id == "PR1" and (code := v.cwe(seg, 3)) is not None:
            procedures.append(code)
    close()
    return events


def _charges(_msg: Message, _ctx: Context, _trigger: str) -> list[BusinessEvent]:
    # DFT carries nothing beyond its FT1/PR1 lines, which the care walker maps for every type.
    return []


MAPPERS: dict[tuple[str, str], Mapper] = {
    **{
        ("ADT", t): _adt
        for t in ("A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A11", "A12")
    },
    ("ADT", "A13"): _adt,
    ("ADT", "A28"): _adt,
    ("ADT", "A31"): _adt,
    ("ADT", "A40"): _merge,
    ("ADT", "A47"): _merge,
    ("ORM", "O01"): _order,
    ("OML", "O21"): _order,
    **{("SIU", t): _appointment for t in _APPOINTMENTS},
    ("DFT", "P03"): _charges,
    ("DFT", "P11"): _charges,
    ("BAR", "P01"): _account,
    ("BAR", "P05"): _account,
    ("BAR", "P12"): _account,
    ("OMG", "O19"): _order,
    **MORE_MAPPERS,
}
"""The supported (message code, trigger event) pairs and their mappers."""


def map_message(msg: Message) -> list[BusinessEvent]:
    """The canonical events ``msg`` stands for, main event first, then documented care.

    Raises :class:`MappingError` naming the message type when it has no mapping, and naming
    the segment and field when a value it needs is missing or malformed.
    """
    header = msg.header
    code, trigger = header.message_code(), header.trigger_event()
    mapper = MAPPERS.get((code, trigger))
    if mapper is None:
        raise MappingError(f"no mapping for HL7 v2 message type {code}^{trigger}")
    ctx = read_context(msg)
    events = mapper(msg, ctx, trigger)
    if code == "ADT" and trigger in ("A40", "A47"):
        return events
    walker = CareWalker()
    for seg_ctx, seg in walk(msg, ctx):
        walker.visit(seg_ctx, seg)
    events.extend(e for e in walker.events if isinstance(e, BusinessEvent))
    return events


__all__ = ["ENCOUNTER_CLASSES", "MAPPERS", "map_message"]
