"""The segment walker: one FHIR message Bundle per HL7 v2 message, by segment presence.

No mapping is written per message type: every segment the walker knows becomes its resource(s)
in message order, with the patient, visit and order in force where it stands (see
:class:`~careweave.mappings.v2_fhir.state.WalkState`). So an ADT^A60, a REF^I12 or an OUL^R22
convert with the same code as an ADT^A01 or an ORU^R01. Segments it does not convert are named
in one warning, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

import msgspec

from careweave.codecs.hl7v2 import Message
from careweave.mappings.v2_fhir import (
    clinical,
    coverage,
    documents,
    encounter,
    header,
    observation,
    orders,
    patient,
    scheduling,
)
from careweave.mappings.v2_fhir.authorities import AuthorityTable
from careweave.mappings.v2_fhir.bundle import BundleWriter, Json
from careweave.mappings.v2_fhir.state import Handler, WalkState
from careweave.mappings.v2_fhir.times import fhir_instant

HANDLERS: dict[str, Handler] = {
    "PID": patient.read_patient,
    "PD1": patient.read_pd1,
    "MRG": patient.read_merge,
    "NK1": patient.read_next_of_kin,
    "PV1": encounter.read_visit,
    "PV2": encounter.read_visit_detail,
    "ORC": orders.read_common_order,
    "OBR": orders.read_request,
    "RXO": orders.read_medication_order,
    "RXE": orders.read_medication_order,
    "RXA": orders.read_administration,
    "RXR": orders.read_route,
    "TQ1": orders.read_timing,
    "OBX": observation.read_observation,
    "AL1": clinical.read_allergy,
    "IAM": clinical.read_allergy,
    "DG1": clinical.read_diagnosis,
    "NTE": clinical.read_note,
    "IN1": coverage.read_insurance,
    "IN2": coverage.read_insurance_detail,
    "TXA": documents.read_document,
    "SCH": scheduling.read_schedule,
    "AIS": scheduling.read_service,
    "AIG": scheduling.read_resource,
    "AIL": scheduling.read_location,
    "AIP": scheduling.read_personnel,
}
"""Segment id -> what converts it."""

HEADER_SEGMENTS = frozenset({"MSH", "MSA", "SFT", "EVN"})
"""Read by the MessageHeader or as context, not converted on their own."""

DOCUMENT_SEGMENTS = frozenset({"OBX", "NTE"})
"""What may follow a TXA and still belong to its document (CON, unconverted, as well)."""

CONTROL_ID_SYSTEM = "urn:careweave:hl7v2:control-id"

# Decimals are written as JSON numbers with the digits the sender wrote ("0.62500" stays so).
_ENCODER = msgspec.json.Encoder(decimal_format="number")


class Conversion(msgspec.Struct, frozen=True):
    """One message converted: the Bundle and what it could not carry over."""

    control_id: str
    bundle: Json
    warnings: tuple[str, ...] = ()

    def to_json(self) -> bytes:
        """The Bundle as compact JSON (decimals as numbers, precision kept)."""
        return _ENCODER.encode(self.bundle)


def convert_message(
    msg: Message,
    *,
    authorities: AuthorityTable | None = None,
    timezone: dt.tzinfo | None = None,
) -> Conversion:
    """Convert one parsed message into a FHIR R4 ``message`` Bundle (MessageHeader first).

    ``authorities`` maps assigning authorities to identifier systems (defaults when None);
    ``timezone`` is the zone of times sent without an offset (None: they keep only their date).
    Raises :class:`MappingError` naming the cause when the message cannot be converted.
    """
    seed = hashlib.sha256(msg.encode()).hexdigest()
    writer = BundleWriter(seed, authorities or AuthorityTable(), timezone)
    header.message_header(writer, msg)
    state = WalkState(msg, writer)
    skipped: Counter[str] = Counter()
    for seg in msg:
        handler = HANDLERS.get(seg.id)
        if handler is not None:
            if seg.id not in DOCUMENT_SEGMENTS:
                documents.finish_document(state)
            if seg.id in ("PID", "ORC", "SCH"):
                _close(state, keep_appointment=seg.id == "PID")
            handler(state, seg)
        elif seg.id not in HEADER_SEGMENTS:
            skipped[seg.id] += 1
    _close(state)
    if skipped:
        listed = ", ".join(f"{sid} x{n}" if n > 1 else sid for sid, n in sorted(skipped.items()))
        writer.warn("segments", f"not converted: {listed}")
    control_id = msg.header.control_id
    bundle = writer.bundle(
        bundle_type="message",
        identifier={"system": CONTROL_ID_SYSTEM, "value": control_id} if control_id else None,
        timestamp=fhir_instant(msg.get("MSH-7.1") or None, writer, "MSH-7"),
    )
    return Conversion(control_id=control_id, bundle=bundle, warnings=tuple(writer.warnings))


def _close(state: WalkState, *, keep_appointment: bool = False) -> None:
    """Finish what the segments read so far left open: an undetailed ORC, a document, and
    (unless the patient of an SIU comes next) an appointment."""
    orders.flush_order(state)
    documents.finish_document(state)
    if not keep_appointment:
        scheduling.finish_appointment(state)
