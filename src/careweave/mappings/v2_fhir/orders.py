"""ORC/OBR -> ServiceRequest and DiagnosticReport; RXO/RXE -> MedicationRequest; RXA ->
Immunization; RXR -> the route of the medication or immunization before it.

An ORC waits for the segment that details it (OBR, RXO, RXE, RXA); an ORC nothing details
becomes a ServiceRequest of its own when the next order, patient or the end of the message
comes.
"""

from __future__ import annotations

from careweave.codecs.hl7v2 import Segment
from careweave.mappings.v2_fhir import datatypes as d
from careweave.mappings.v2_fhir import scheduling, vocab
from careweave.mappings.v2_fhir.bundle import Json, compact
from careweave.mappings.v2_fhir.state import WalkState
from careweave.mappings.v2_fhir.times import fhir_date, fhir_datetime

RESULT_MESSAGES = frozenset({"ORU", "OUL", "OPU", "ORA"})
"""Message codes whose OBR groups are results (a DiagnosticReport) even without OBR-25."""
PRIORITY = {"S": "stat", "A": "asap", "R": "routine", "P": "urgent", "T": "urgent"}
"""Table 0027 priority (OBR-5, TQ1-9) onto request priority."""


def _order_ids(
    state: WalkState, orc: Segment | None, detail: Segment, placer: int, filler: int
) -> list[Json]:
    """Placer and filler order numbers (ORC-2/3, else the detail's own), typed PLAC/FILL."""
    w = state.writer
    found: list[Json] = []
    for kind, own in (("PLAC", placer), ("FILL", filler)):
        ident = d.ei(w, orc, 2 if kind == "PLAC" else 3, kind) if orc is not None else None
        if ident is None and own:
            ident = d.ei(w, detail, own, kind)
        if ident is not None:
            found.append(ident)
    return found


def _request_status(orc: Segment | None) -> str | None:
    if orc is None:
        return None
    status = (d.text(orc, "5.1") or "").upper()
    if status in vocab.ORDER_STATUS:
        return vocab.ORDER_STATUS[status]
    return vocab.ORDER_CONTROL_STATUS.get((d.text(orc, "1.1") or "").upper())


def read_common_order(state: WalkState, orc: Segment) -> None:
    """An ORC: flush an ORC nothing detailed, then wait for this one's detail."""
    flush_order(state)
    state.end_order()
    state.pending_orc = orc


def flush_order(state: WalkState) -> None:
    """An ORC that no OBR/RXO/RXE/RXA followed becomes a ServiceRequest of its own."""
    orc = state.pending_orc
    state.pending_orc = None
    if orc is not None:
        _service_request(state, orc, None)


def _take_orc(state: WalkState) -> Segment | None:
    orc = state.pending_orc
    state.pending_orc = None
    if orc is not None:
        state.order_control = orc
    return state.order_control


def _service_request(state: WalkState, orc: Segment | None, obr: Segment | None) -> Json | None:
    w = state.writer
    if state.patient is None:
        w.warn(
            obr.id if obr is not None else "ORC",
            "no PID before it; ServiceRequest needs a patient; left out",
        )
        return None
    detail = obr if obr is not None else orc
    assert detail is not None
    requesters = (d.xcn_all(w, orc, 12) if orc is not None else []) or (
        d.xcn_all(w, obr, 16) if obr is not None else []
    )
    priority = (d.text(obr, "5.1") or "").upper() if obr is not None else ""
    request = compact(
        {
            "resourceType": "ServiceRequest",
            "identifier": _order_ids(state, orc, detail, 2 if obr else 0, 3 if obr else 0),
            "requisition": d.ei(w, orc, 4) if orc is not None else None,
            "status": _request_status(orc) or "unknown",
            "intent": "order",
            "priority": PRIORITY.get(priority),
            "code": d.cwe(obr, 4) if obr is not None else None,
            "subject": state.subject(),
            "encounter": state.context(),
            "authoredOn": fhir_datetime(d.text(orc, "9.1"), w, "ORC-9") if orc else None,
            "requester": {"reference": requesters[0]} if requesters else None,
            "reasonCode": d.every(obr, 31, d.cwe) if obr is not None else [],
        }
    )
    w.add(request)
    state.service_request = request
    state.last = request
    if state.pending_timing is not None:
        _order_timing(state, request, state.pending_timing)
        state.pending_timing = None
    return request


def read_timing(state: WalkState, tq1: Segment) -> None:
    """TQ1: the times of the appointment being read, else of the order (which may come after
    it: an OML's TQ1 stands between its ORC and OBR)."""
    if state.appointment is not None:
        scheduling.appointment_timing(state, tq1)
    elif state.pending_orc is not None:
        state.pending_timing = tq1
    elif state.last is not None and state.last["resourceType"] == "MedicationRequest":
        # RDE: the encoded order's own timing follows its RXE.
        state.pending_timing = tq1
        timing, priority = _medication_timing(state)
        dosage = state.last.setdefault("dosageInstruction", [{}])[0]
        if timing:
            dosage["timing"] = timing
        if priority:
            state.last["priority"] = priority
    elif state.service_request is not None:
        _order_timing(state, state.service_request, tq1)
    elif d.text(tq1, "7") or d.text(tq1, "8"):
        state.writer.warn("TQ1", "no appointment or order before it; left out")


def _order_timing(state: WalkState, request: Json, tq1: Segment) -> None:
    """TQ1-7/8 as the ServiceRequest's occurrence, TQ1-9 as its priority."""
    w = state.writer
    when = d.period(
        fhir_datetime(d.text(tq1, "7.1"), w, "TQ1-7"), fhir_datetime(d.text(tq1, "8.1"), w, "TQ1-8")
    )
    if when and "end" in when:
        request["occurrencePeriod"] = when
    elif when and "start" in when:
        request["occurrenceDateTime"] = when["start"]
    priority = (d.text(tq1, "9.1") or "").upper()
    if priority in PRIORITY:
        request["priority"] = PRIORITY[priority]


def read_request(state: WalkState, obr: Segment) -> None:
    """An OBR: the ServiceRequest, and for results a DiagnosticReport its OBX segments fill."""
    w = state.writer
    orc = _take_orc(state)
    state.report = None
    request = _service_request(state, orc, obr)
    result_status = (d.text(obr, "25.1") or "").upper()
    is_result = bool(result_status) or state.message.get("MSH-9.1").upper() in RESULT_MESSAGES
    if not is_result:
        return
    start = fhir_datetime(d.text(obr, "7.1"), w, "OBR-7")
    end = fhir_datetime(d.text(obr, "8.1"), w, "OBR-8")
    report = compact(
        {
            "resourceType": "DiagnosticReport",
            "identifier": [i for i in (d.ei(w, obr, 3, "FILL"),) if i],
            "basedOn": [{"reference": f"urn:uuid:{request['id']}"}] if request else [],
            "status": vocab.REPORT_STATUS.get(result_status, "unknown"),
            "category": [c for c in (d.table_code(obr, 24, "0074"),) if c],
            "code": d.cwe(obr, 4) or {"text": "unidentified"},
            "subject": state.subject(),
            "encounter": state.context(),
            "effectiveDateTime": start if not end else None,
            "effectivePeriod": d.period(start, end) if end else None,
            "issued": None,
            "performer": [{"reference": r} for r in d.xcn_all(w, obr, 34)],
        }
    )
    if d.cwe(obr, 4) is None:
        w.warn("OBR-4", "result group without a service identifier; coded as text")
    w.add(report)
    state.report = report
    state.last = report


def read_medication_order(state: WalkState, seg: Segment) -> None:
    """RXO (order) or RXE (encoded order) -> MedicationRequest."""
    w = state.writer
    orc = _take_orc(state)
    if state.patient is None:
        w.warn(seg.id, "no PID before it; MedicationRequest needs a patient; left out")
        return
    rxe = seg.id == "RXE"
    code_field, amount, units, dispense, dispense_units, refills = (
        (2, 3, 5, 10, 11, 12) if rxe else (1, 2, 4, 11, 12, 13)
    )
    medication = d.cwe(seg, code_field) or {"text": "unidentified"}
    dose = compact({"value": _number(d.text(seg, str(amount))), "unit": d.text(seg, f"{units}.1")})
    timing, priority = _medication_timing(state)
    dosage = compact(
        {
            "text": d.text(seg, "21.2") if rxe else d.text(seg, "7.2"),
            "timing": timing,
            "doseAndRate": [{"doseQuantity": dose}] if "value" in dose else [],
        }
    )
    supply = compact(
        {"value": _number(d.text(seg, str(dispense))), "unit": d.text(seg, f"{dispense_units}.1")}
    )
    repeats = d.text(seg, str(refills))
    status = _request_status(orc)
    requesters = d.xcn_all(w, orc, 12) if orc is not None else []
    request = compact(
        {
            "resourceType": "MedicationRequest",
            "identifier": _order_ids(state, orc, seg, 0, 15 if rxe else 0),
            "status": vocab.MEDICATION_STATUS.get(status or "", "unknown"),
            "intent": "order",
            "priority": priority,
            "medicationCodeableConcept": medication,
            "subject": state.subject(),
            "encounter": state.context(),
            "authoredOn": fhir_datetime(d.text(orc, "9.1"), w, "ORC-9") if orc else None,
            "requester": {"reference": requesters[0]} if requesters else None,
            "dosageInstruction": [dosage] if dosage else [],
            "dispenseRequest": compact(
                {
                    "quantity": supply if "value" in supply else None,
                    "numberOfRepeatsAllowed": int(repeats)
                    if repeats and repeats.isdigit()
                    else None,
                }
            ),
        }
    )
    w.add(request)
    state.last = request


def _medication_timing(state: WalkState) -> tuple[Json | None, str | None]:
    """The TQ1 of the order being detailed: TQ1-7/8 as the dosage's bounds, TQ1-9 priority."""
    tq1 = state.pending_timing
    state.pending_timing = None
    if tq1 is None:
        return None, None
    w = state.writer
    bounds = d.period(
        fhir_datetime(d.text(tq1, "7.1"), w, "TQ1-7"), fhir_datetime(d.text(tq1, "8.1"), w, "TQ1-8")
    )
    timing = {"repeat": {"boundsPeriod": bounds}} if bounds else None
    return timing, PRIORITY.get((d.text(tq1, "9.1") or "").upper())


def _number(raw: str | None) -> float | int | None:
    """A v2 NM as a JSON number, None when empty or not a number."""
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        return None
    return int(number) if number.is_integer() and "." not in raw else number


def read_administration(state: WalkState, rxa: Segment) -> None:
    """RXA -> Immunization (vaccine, date, dose, lot, manufacturer, performer, status)."""
    w = state.writer
    _take_orc(state)
    if state.patient is None:
        w.warn("RXA", "no PID before it; Immunization needs a patient; left out")
        return
    when = fhir_datetime(d.text(rxa, "3.1"), w, "RXA-3")
    amount = _number(d.text(rxa, "6.1"))
    status_code = (d.text(rxa, "20.1") or "").upper()
    status = vocab.IMMUNIZATION_STATUS.get(status_code, "completed")
    maker = _manufacturer(state, rxa)
    performers = d.xcn_all(w, rxa, 10)
    immunization = compact(
        {
            "resourceType": "Immunization",
            "status": status,
            "statusReason": d.cwe(rxa, 18) if status == "not-done" else None,
            "vaccineCode": d.cwe(rxa, 5) or {"text": "unidentified"},
            "patient": state.subject(),
            "encounter": state.context(),
            "occurrenceDateTime": when,
            "occurrenceString": None if when else (d.text(rxa, "3.1") or "unknown"),
            "lotNumber": d.text(rxa, "15.1"),
            "expirationDate": fhir_date(d.text(rxa, "16.1"), w, "RXA-16"),
            "manufacturer": {"reference": maker} if maker else None,
            "doseQuantity": compact({"value": amount, "unit": d.text(rxa, "7.1")})
            if amount is not None and amount != 999
            else None,
            "performer": [
                {
                    "function": {"coding": [{"system": vocab.V2 + "0443", "code": "AP"}]},
                    "actor": {"reference": ref},
                }
                for ref in performers
            ],
        }
    )
    w.add(immunization)
    state.last = immunization


def _manufacturer(state: WalkState, rxa: Segment) -> str | None:
    """RXA-17 (an MVX code and name) as the manufacturer's Organization."""
    code, name = d.text(rxa, "17.1"), d.text(rxa, "17.2")
    if code is None and name is None:
        return None
    system = vocab.code_system(d.text(rxa, "17.3"))
    identifiers = [compact({"system": system, "value": code})] if code else []
    return d.organization(state.writer, name or code, identifiers)


def read_route(state: WalkState, rxr: Segment) -> None:
    """RXR route and site onto the MedicationRequest or Immunization before it."""
    target = state.last
    route, site = d.table_code(rxr, 1, "0162"), d.table_code(rxr, 2, "0163")
    if target is None or target["resourceType"] not in ("MedicationRequest", "Immunization"):
        if route or site:
            state.writer.warn("RXR", "no medication or immunization before it; left out")
        return
    if target["resourceType"] == "Immunization":
        target.update(compact({"route": route, "site": site}))
        return
    dosage = target.setdefault("dosageInstruction", [{}])
    dosage[0].update(compact({"route": route, "site": site}))
