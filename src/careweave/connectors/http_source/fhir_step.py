"""The channel decode step of ``format = "fhir"``: a FHIR R4 resource or Bundle, checked whole.

The ordering key is the patient the message is about (``Patient/123``), so that a patient's
pushes reach each destination in order.
"""

from __future__ import annotations

import msgspec

from careweave.codecs.fhir.bundle import Bundle
from careweave.codecs.fhir.decode import bundle_entries, decode_resource
from careweave.model.envelope import Envelope, Step

FHIR_CONTENT_TYPE = "application/fhir+json"


class _Ref(msgspec.Struct):
    reference: str | None = None


class _Subject(msgspec.Struct, rename="camel"):
    resource_type: str | None = None
    id: str | None = None
    subject: _Ref | list[_Ref] | None = None
    patient: _Ref | None = None


def _patient_of(raw: bytes) -> str | None:
    try:
        head = msgspec.json.decode(raw, type=_Subject)
    except msgspec.DecodeError:
        return None  # an unusual shape orders nothing; decoding has judged validity already
    if head.resource_type == "Patient" and head.id:
        return f"Patient/{head.id}"
    subject = head.subject[0] if isinstance(head.subject, list) and head.subject else head.subject
    for ref in (subject, head.patient):
        if isinstance(ref, _Ref) and ref.reference:
            return ref.reference
    return None


def fhir_decode() -> Step:
    """Decode the message as FHIR JSON; every Bundle entry must be valid too."""

    def step(envelope: Envelope) -> None:
        raw = envelope.message.raw
        document = decode_resource(raw)
        envelope.decoded = document
        if isinstance(document, Bundle):
            for _ in bundle_entries(document):
                pass
            envelope.ordering_key = next(
                (p for e in document.entry if e.resource and (p := _patient_of(bytes(e.resource)))),
                None,
            )
        else:
            envelope.ordering_key = _patient_of(raw)

    return step
