"""OBX -> Observation: the value by OBX-2 (NM, SN, CE/CWE, ST/TX/FT, DT/DTM...), units in UCUM
where possible, reference range, abnormal flags as interpretation, result status."""

from __future__ import annotations

import decimal
import re

from careweave.codecs.hl7v2 import Segment
from careweave.codecs.hl7v2.paths import parse_segment_path
from careweave.mappings.v2_fhir import datatypes as d
from careweave.mappings.v2_fhir import documents, vocab
from careweave.mappings.v2_fhir.bundle import BundleWriter, Json, compact
from careweave.mappings.v2_fhir.state import WalkState
from careweave.mappings.v2_fhir.times import fhir_datetime, readable

ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
_FIVE = parse_segment_path("5")
# TM: hh[mm[ss[.s]]] (an offset, FHIR's time has none of, is not accepted).
_TIME = re.compile(r"(\d{2})(\d{2})?([0-5]\d)?(?:\.\d{1,4})?")
_NUMBER = re.compile(r"([<>]=?)?\s*([+-]?(\d+\.?\d*|\.\d+))")
_RANGE = re.compile(r"\s*([+-]?\d*\.?\d+)\s*-\s*([+-]?\d*\.?\d+)\s*")
_TEXT_TYPES = frozenset({"ST", "TX", "FT", "ID", "IS", "TN", "AD", "XAD", "XPN", "XTN", "XCN"})
_CODED_TYPES = frozenset({"CE", "CWE", "CNE", "CF", "CD"})
_DATE_TYPES = frozenset({"DT", "DTM", "TS"})


def unit(seg: Segment, field: int) -> Json:
    """A CWE unit as Quantity unit/system/code: UCUM when the sender says so or writes a UCUM
    code (or a common spelling of one), else the unit as text only."""
    code = d.text(seg, f"{field}.1")
    label = d.text(seg, f"{field}.2") or code
    system = (d.text(seg, f"{field}.3") or "").upper()
    if code is None:
        return compact({"unit": label})
    if system in ("UCUM", "ANSI+", "ISO+") or code in vocab.UCUM_CODES:
        return compact({"unit": label, "system": vocab.UCUM, "code": code})
    ucum = vocab.UCUM_UNITS.get(code.lower())
    if ucum:
        return compact({"unit": label, "system": vocab.UCUM, "code": ucum})
    return compact({"unit": label})


def quantity(raw: str, units: Json) -> Json | None:
    """``raw`` (``5.2``, ``<0.5``, ``>=10``) as a Quantity with ``units``; None when not a number."""
    m = _NUMBER.fullmatch(raw.strip())
    if m is None:
        return None
    comparator, number = m.group(1), m.group(2)
    return compact({"value": decimal.Decimal(number), "comparator": comparator, **units})


def _structured(seg: Segment, units: Json) -> tuple[str, Json] | None:
    """An SN (comparator^num1^separator^num2) as a Quantity, Range or Ratio."""
    comparator = d.text(seg, "5.1") or ""
    first, separator, second = d.text(seg, "5.2"), d.text(seg, "5.3"), d.text(seg, "5.4")
    if first is None:
        return None
    low = quantity(first, units)
    if low is None:
        return None
    if separator in (":", "/") and second:
        high = quantity(second, {})
        if high is not None:
            return "valueRatio", {"numerator": low, "denominator": high}
    if separator == "-" and second:
        high = quantity(second, units)
        if high is not None:
            return "valueRange", {"low": low, "high": high}
    if comparator in ("<", ">", "<=", ">="):
        low["comparator"] = comparator
    return "valueQuantity", low


def value(
    w: BundleWriter, obx: Segment, where: str, escape: str = "\\"
) -> tuple[str, object] | None:
    """The ``value[x]`` name and value of an OBX; a value that does not read as its type is
    kept as a string (with a warning), never dropped. ``escape`` is the message's escape
    character, for the formatting commands of text values."""
    kind = (d.text(obx, "2.1") or "").upper()
    raw = [r.strip() for r in obx.repetitions(_FIVE, decode=True) if r.strip()]
    if not raw:
        return None
    units = unit(obx, 6)
    if kind == "NM":
        # An NM has no components; a sender that adds some (``2100^g^LN``) still means the first.
        first = d.text(obx, "5.1") or ""
        found = quantity(first, units)
        if found is not None:
            if first != raw[0]:
                w.warn(where, f"NM value {raw[0]!r} has components; the first is the number")
            return "valueQuantity", found
    elif kind == "SN":
        structured = _structured(obx, units)
        if structured is not None:
            return structured
    elif kind in _CODED_TYPES:
        concept = d.cwe(obx, 5)
        if len(raw) > 1:
            w.warn(where, f"{len(raw)} coded values; the first is the value, all kept as text")
            concept = compact({**(concept or {}), "text": "; ".join(raw)})
        if concept:
            return "valueCodeableConcept", concept
    elif kind in _DATE_TYPES and readable(raw[0]):
        when = fhir_datetime(raw[0], w, where)
        if when:
            return "valueDateTime", when
    elif kind == "TM":
        clock = _TIME.fullmatch(raw[0])
        if clock and int(clock.group(1)) < 24 and int(clock.group(2) or 0) < 60:
            hh, mm, ss = clock.group(1), clock.group(2) or "00", clock.group(3) or "00"
            return "valueTime", f"{hh}:{mm}:{ss}"
    elif kind == "ED":
        return None  # an attachment, which R4 Observations cannot hold: see read_observation
    if kind in ("NM", "SN", "TM") or kind in _CODED_TYPES or kind in _DATE_TYPES:
        w.warn(where, f"{raw[0]!r} does not read as {kind}; kept as text")
    elif kind and kind not in _TEXT_TYPES:
        w.warn(where, f"value type {kind!r} kept as text")
    return "valueString", d.plain("\n".join(raw), escape)


def reference_range(obx: Segment, units: Json) -> list[Json]:
    """OBX-7 (``3.5-5.0``, ``<10``, ``>60`` or text) as an Observation reference range."""
    raw = d.text(obx, "7.1")
    if raw is None:
        return []
    span = _RANGE.fullmatch(raw)
    if span:
        low = quantity(span.group(1), units)
        high = quantity(span.group(2), units)
        return [compact({"low": low, "high": high, "text": raw})]
    bound = _NUMBER.fullmatch(raw.strip())
    if bound and bound.group(1):
        limit = compact({"value": decimal.Decimal(bound.group(2)), **units})
        side = "high" if bound.group(1).startswith("<") else "low"
        return [{side: limit, "text": raw}]
    return [{"text": raw}]


def interpretation(obx: Segment) -> list[Json]:
    """OBX-8 abnormal flags as v3 ObservationInterpretation codes (table 0078 when not there)."""
    out = []
    for flag in obx.repetitions(parse_segment_path("8.1"), decode=True):
        code = flag.strip()
        if not code:
            continue
        system = vocab.INTERPRETATION if code in vocab.INTERPRETATION_CODES else vocab.V2 + "0078"
        out.append({"coding": [{"system": system, "code": code}]})
    return out


def read_observation(state: WalkState, obx: Segment) -> None:
    """An OBX: document text under a TXA, else an Observation of the current result group."""
    w = state.writer
    where = f"OBX-5 (set {d.text(obx, '1') or '?'})"
    if state.document is not None:
        # MDM: OBX-5 carries the document's body, not an observation.
        documents.add_part(state, obx)
        return
    code = d.cwe(obx, 3)
    if code is None:
        w.warn("OBX-3", "observation without an identifier; coded as text 'unidentified'")
        code = {"text": "unidentified"}
    status_code = (d.text(obx, "11.1") or "").upper()
    kind = (d.text(obx, "2.1") or "").upper()
    found = value(w, obx, where, state.message.delimiters.escape)
    effective = fhir_datetime(d.text(obx, "14.1"), w, "OBX-14")
    if effective is None and state.report is not None:
        effective = state.report.get("effectiveDateTime")
    performers = d.xcn_all(w, obx, 16)
    observation: Json = compact(
        {
            "resourceType": "Observation",
            "identifier": [i for i in (d.ei(w, obx, 21),) if i],
            "basedOn": [{"reference": ref} for ref in _request(state)],
            "status": vocab.OBSERVATION_STATUS.get(status_code, "unknown"),
            "code": code,
            "subject": state.subject(),
            "encounter": state.context(),
            "effectiveDateTime": effective,
            "performer": [{"reference": ref} for ref in performers],
            "interpretation": interpretation(obx),
            "method": d.cwe(obx, 17),
            "referenceRange": reference_range(obx, unit(obx, 6)),
        }
    )
    if found is not None:
        observation[found[0]] = found[1]
    elif status_code not in ("X", "D", "W"):
        absent = _encapsulated(state, obx, where) if kind == "ED" else "unknown"
        observation["dataAbsentReason"] = {"coding": [{"system": ABSENT, "code": absent}]}
    ref = w.add(observation)
    if state.report is not None:
        state.report.setdefault("result", []).append({"reference": ref})
    elif state.service_request is not None:
        state.service_request.setdefault("supportingInfo", []).append({"reference": ref})
    state.last = observation


def _encapsulated(state: WalkState, obx: Segment, where: str) -> str:
    """An ED result (a PDF report...) goes to the report's presentedForm; without a report it
    is left out with a warning. The Observation's absent-value reason: unsupported (R4 has no
    Attachment value), error when the data does not decode."""
    attachment = d.ed_attachment(state.writer, obx, 5, where)
    if attachment is None:
        return "error"
    if state.report is None:
        state.writer.warn(where, "encapsulated data outside a result group; left out")
        return "unsupported"
    state.report.setdefault("presentedForm", []).append(attachment)
    return "unsupported"


def _request(state: WalkState) -> list[str]:
    sr = state.service_request
    return [f"urn:uuid:{sr['id']}"] if sr is not None and state.report is not None else []
