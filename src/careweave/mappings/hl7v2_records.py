"""HL7 v2 -> canonical events for the rest of the clinical record.

=====================  ====================================================================
ORU R01, OUL R22-R24   ResultReported per OBR, with its OBX observations
MDM T01-T11            DocumentNotified (TXA)
VXU V04                ImmunizationRecorded per RXA
RDE O11 / O25          MedicationOrdered per RXE (order number from the ORC before it)
RDS O13                MedicationDispensed per RXD
REF I12 / I14          ReferralReceived (RF1)
PPR PC1-PC3            ProblemUpdated per PRB
OMG O19                OrderPlaced per ORC (as ORM O01)
ADT A09 A10 A14-A16    PatientTracked (tracking and pending events)
    A25-A27
ADT A29                PersonInformationDeleted
ADT A41                AccountMerged (MRG-3 prior account)
ADT A45                VisitMoved (MRG: the patient the visit came from)
ADT A60                AllergiesUpdated (IAM, else AL1)
BAR P02                AccountsPurged
=====================  ====================================================================
"""

from __future__ import annotations

from collections.abc import Callable

from careweave.codecs.hl7v2 import Message, Segment
from careweave.exceptions import MappingError
from careweave.mappings import hl7v2_values as v
from careweave.mappings.hl7v2_context import Context, read_patient, visit_context, walk
from careweave.model.base import BusinessEvent
from careweave.model.clinical import business_key
from careweave.model.clinical_records import (
    AccountMerged,
    AccountsPurged,
    AllergiesUpdated,
    DocumentNotified,
    ImmunizationRecorded,
    MedicationDispensed,
    MedicationOrdered,
    ObservationValue,
    PatientTracked,
    PersonInformationDeleted,
    ProblemUpdated,
    ReferralReceived,
    ResultReported,
    TrackingKind,
    VisitMoved,
)
from careweave.model.identity import PatientIdentity

Mapper = Callable[[Message, Context, str], list[BusinessEvent]]


def observation(obx: Segment) -> ObservationValue:
    """One OBX; a numeric value (NM, SN with a plain number) is also read as a number.

    An OBX without an identifier (OBX-3, required by the standard, left empty by some senders) is
    kept with its value: dropping it would lose a result line.
    """
    code = v.cwe(obx, 3)
    value_type = v.text(obx, "2")
    value = v.text(obx, "5")
    numeric = coded = None
    if value_type == "NM" and value:
        numeric = v.number(obx, "5")
    elif value_type == "SN" and (v.text(obx, "5.1") or "=") in ("=", "") and v.text(obx, "5.2"):
        numeric = v.number(obx, "5.2")
    elif value_type in ("CE", "CWE", "CNE") and value:
        coded = v.cwe(obx, 5)
    return ObservationValue(
        set_id=v.text(obx, "1"),
        code=code,
        value_type=value_type,
        value=value,
        numeric=numeric,
        coded=coded,
        units=v.text(obx, "6.1"),
        reference_range=v.text(obx, "7"),
        abnormal_flags=tuple(c.code for c in v.cwe_all(obx, 8)),
        status=v.text(obx, "11"),
        observed_at=v.dtm(obx, "14.1"),
    )


def _results(msg: Message, ctx: Context, trigger: str) -> list[BusinessEvent]:
    events: list[BusinessEvent] = []
    obr: Segment | None = None
    obr_ctx = ctx
    observations: list[ObservationValue] = []

    def close() -> None:
        if obr is None:
            return
        placer, filler = v.text(obr, "2.1"), v.text(obr, "3.1")
        service = v.cwe(obr, 4)
        events.append(
            ResultReported(
                idempotency_key=business_key(
                    f"result-{trigger}",
                    filler or placer or obr_ctx.control_id,
                    v.text(obr, "1"),
                    v.text(obr, "22.1") or obr_ctx.event_stamp,
                ),
                placer_order_number=placer,
                filler_order_number=filler,
                service=service,
                status=v.text(obr, "25"),
                observed_at=v.dtm(obr, "7.1"),
                observations=tuple(observations),
                **obr_ctx.event_fields(),  # type: ignore[arg-type]
            )
        )

    # OBX outside an order group (patient-level observations of an ORU, specimen observations of an
    # OUL before its OBR) are kept on a result of their own rather than dropped.
    loose: list[ObservationValue] = []
    loose_ctx = ctx
    for seg_ctx, seg in walk(msg, ctx):
        if seg.id == "OBR":
            close()
            obr, obr_ctx, observations = seg, seg_ctx, []
        elif seg.id == "OBX":
            if obr is not None:
                observations.append(observation(seg))
            else:
                loose.append(observation(seg))
                loose_ctx = seg_ctx
        elif seg.id in ("SPM", "PID"):
            close()
            obr = None
    close()
    if loose:
        events.append(
            ResultReported(
                idempotency_key=business_key(
                    f"result-{trigger}", loose_ctx.control_id, "unordered", loose_ctx.event_stamp
                ),
                observations=tuple(loose),
                **loose_ctx.event_fields(),  # type: ignore[arg-type]
            )
        )
    if not events:
        raise MappingError(f"{msg.header.message_type}: no OBR or OBX segment with results")
    return events


def _document(msg: Message, ctx: Context, trigger: str) -> list[BusinessEvent]:
    txa = msg.segment("TXA")
    if txa is None:
        raise MappingError(f"MDM^{trigger}: message has no TXA segment")
    ctx = visit_context(msg, ctx)
    document_id = v.ei(txa, 12)
    return [
        DocumentNotified(
            idempotency_key=business_key(
                f"document-{trigger}", document_id.key() if document_id else None, ctx.event_stamp
            ),
            document_id=document_id,
            document_type=v.text(txa, "2.1"),
            activity_at=v.dtm(txa, "4.1"),
            completion_status=v.text(txa, "17"),
            trigger=trigger,
            **ctx.event_fields(),  # type: ignore[arg-type]
        )
    ]


def _immunizations(msg: Message, ctx: Context, _trigger: str) -> list[BusinessEvent]:
    events: list[BusinessEvent] = []
    for seg_ctx, seg in walk(msg, ctx):
        if seg.id != "RXA":
            continue
        vaccine = v.cwe(seg, 5)
        if vaccine is None:
            raise MappingError("RXA-5: the immunization has no vaccine code")
        given = v.dtm(seg, "3.1")
        events.append(
            ImmunizationRecorded(
                idempotency_key=business_key(
                    "immunization",
                    seg_ctx.patient.key(),
                    vaccine.code,
                    given.isoformat() if given else seg_ctx.event_stamp,
                ),
                vaccine=vaccine,
                administered_at=given,
                amount=v.number(seg, "6") if v.text(seg, "6") not in (None, "999") else None,
                units=v.text(seg, "7.1"),
                lot=v.text(seg, "15"),
                manufacturer=v.cwe(seg, 17),
                completion_status=v.text(seg, "20"),
                **seg_ctx.event_fields(),  # type: ignore[arg-type]
            )
        )
    if not events:
        raise MappingError("VXU: message has no RXA segment")
    return events


def _pharmacy(msg: Message, ctx: Context, trigger: str) -> list[BusinessEvent]:
    events: list[BusinessEvent] = []
    orc: Segment | None = None
    for seg_ctx, seg in walk(msg, ctx):
        if seg.id == "ORC":
            orc = seg
        elif seg.id == "RXE":
            medication = v.cwe(seg, 2)
            if medication is None:
                raise MappingError("RXE-2: the order has no give code")
            placer = v.text(orc, "2.1") if orc is not None else None
            events.append(
                MedicationOrdered(
                    idempotency_key=business_key(
                        f"medication-{trigger}", placer or seg_ctx.control_id, medication.code
                    ),
                    order_control=v.text(orc, "1") if orc is not None else None,
                    placer_order_number=placer,
                    medication=medication,
                    amount=v.number(seg, "3"),
                    units=v.text(seg, "5.1"),
                    ordering_provider=v.xcn(orc, 12) if orc is not None else None,
                    **seg_ctx.event_fields(),  # type: ignore[arg-type]
                )
            )
        elif seg.id == "RXD":
            medication = v.cwe(seg, 2)
            if medication is None:
                raise MappingError("RXD-2: the dispense has no drug code")
            placer = v.text(orc, "2.1") if orc is not None else None
            dispensed = v.dtm(seg, "3.1")
            events.append(
                MedicationDispensed(
                    idempotency_key=business_key(
                        "dispense",
                        placer or seg_ctx.control_id,
                        medication.code,
                        dispensed.isoformat() if dispensed else None,
                    ),
                    placer_order_number=placer,
                    medication=medication,
                    dispensed_at=dispensed,
                    amount=v.number(seg, "4"),
                    units=v.text(seg, "5.1"),
                    **seg_ctx.event_fields(),  # type: ignore[arg-type]
                )
            )
    if not events:
        raise MappingError(f"{msg.header.message_type}: no RXE or RXD segment")
    return events


def _referral(msg: Message, ctx: Context, trigger: str) -> list[BusinessEvent]:
    rf1 = msg.segment("RF1")
    ctx = visit_context(msg, ctx)
    referral = v.ei(rf1, 6) if rf1 is not None else None
    return [
        ReferralReceived(
            idempotency_key=business_key(
                f"referral-{trigger}", referral.key() if referral else None, ctx.event_stamp
            ),
            referral_id=referral,
            status=v.cwe(rf1, 1) if rf1 is not None else None,
            referral_type=v.cwe(rf1, 3) if rf1 is not None else None,
            reason=v.cwe(rf1, 10) if rf1 is not None else None,
            trigger=trigger,
            **ctx.event_fields(),  # type: ignore[arg-type]
        )
    ]


def _problems(msg: Message, ctx: Context, _trigger: str) -> list[BusinessEvent]:
    events: list[BusinessEvent] = []
    for seg_ctx, seg in walk(msg, ctx):
        if seg.id != "PRB":
            continue
        problem = v.cwe(seg, 3)
        if problem is None:
            raise MappingError("PRB-3: the problem has no identifier")
        instance = v.ei(seg, 4)
        action = v.text(seg, "1") or "UP"
        events.append(
            ProblemUpdated(
                idempotency_key=business_key(
                    "problem",
                    seg_ctx.patient.key(),
                    instance.key() if instance else problem.code,
                    action,
                    seg_ctx.event_stamp,
                ),
                action=action,
                problem=problem,
                problem_instance=instance,
                onset_at=v.dtm(seg, "16.1"),
                **seg_ctx.event_fields(),  # type: ignore[arg-type]
            )
        )
    if not events:
        raise MappingError("PPR: message has no PRB segment")
    return events


_TRACKING: dict[str, TrackingKind] = {
    "A09": TrackingKind.DEPARTED,
    "A10": TrackingKind.ARRIVED,
    "A14": TrackingKind.PENDING_ADMISSION,
    "A15": TrackingKind.PENDING_TRANSFER,
    "A16": TrackingKind.PENDING_DISCHARGE,
    "A25": TrackingKind.PENDING_DISCHARGE_CANCELLED,
    "A26": TrackingKind.PENDING_TRANSFER_CANCELLED,
    "A27": TrackingKind.PENDING_ADMISSION_CANCELLED,
}


def _adt_more(msg: Message, ctx: Context, trigger: str) -> list[BusinessEvent]:
    ctx = visit_context(msg, ctx)
    base = ctx.event_fields()
    patient, visit = ctx.patient.key(), ctx.visit_key()
    key = business_key(f"adt-{trigger}", patient, visit, ctx.event_stamp)
    mrg = msg.segment("MRG")
    event: BusinessEvent
    if trigger in _TRACKING:
        event = PatientTracked(idempotency_key=key, kind=_TRACKING[trigger], **base)  # type: ignore[arg-type]
    elif trigger == "A29":
        event = PersonInformationDeleted(idempotency_key=key, **base)  # type: ignore[arg-type]
    elif trigger == "A41":
        prior = v.cx(mrg, 3) if mrg is not None else None
        event = AccountMerged(idempotency_key=key, prior_account=prior, **base)  # type: ignore[arg-type]
    elif trigger == "A45":
        origin = None
        if mrg is not None and (ids := v.cx_all(mrg, 1)):
            origin = PatientIdentity(identifiers=tuple(ids))
        prior = v.cx(mrg, 5) if mrg is not None else None
        event = VisitMoved(idempotency_key=key, from_patient=origin, prior_visit=prior, **base)  # type: ignore[arg-type]
    else:  # A60
        iam = [c for s in msg.segments("IAM") if (c := v.cwe(s, 3)) is not None]
        al1 = [c for s in msg.segments("AL1") if (c := v.cwe(s, 3)) is not None]
        event = AllergiesUpdated(idempotency_key=key, allergens=tuple(iam or al1), **base)  # type: ignore[arg-type]
    return [event]


def _purge(msg: Message, ctx: Context, _trigger: str) -> list[BusinessEvent]:
    accounts = []
    for seg in msg.segments("PID"):
        if (account := v.cx(seg, 18)) is not None:
            accounts.append(account)
    first = msg.segment("PID")
    patient = read_patient(first) if first is not None else ctx.patient
    return [
        AccountsPurged(
            idempotency_key=business_key("purge", ctx.control_id),
            accounts=tuple(accounts),
            patient=patient,
            source_message_id=ctx.control_id,
            occurred_at=ctx.occurred_at,
        )
    ]


MORE_MAPPERS: dict[tuple[str, str], Mapper] = {
    ("ORU", "R01"): _results,
    **{("OUL", t): _results for t in ("R22", "R23", "R24")},
    **{("MDM", f"T{n:02d}"): _document for n in range(1, 12)},
    ("VXU", "V04"): _immunizations,
    ("RDE", "O11"): _pharmacy,
    ("RDE", "O25"): _pharmacy,
    ("RDS", "O13"): _pharmacy,
    ("REF", "I12"): _referral,
    ("REF", "I14"): _referral,
    **{("PPR", t): _problems for t in ("PC1", "PC2", "PC3")},
    **{("ADT", t): _adt_more for t in (*_TRACKING, "A29", "A41", "A45", "A60")},
    ("BAR", "P02"): _purge,
}
"""The message types this module maps (merged into hl7v2_clinical's table)."""
