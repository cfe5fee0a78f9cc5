"""TXA (with the OBX lines after it) -> DocumentReference."""

from __future__ import annotations

import base64

from careweave.codecs.hl7v2 import Segment
from careweave.codecs.hl7v2.paths import parse_segment_path
from careweave.mappings.v2_fhir import datatypes as d
from careweave.mappings.v2_fhir import vocab
from careweave.mappings.v2_fhir.bundle import compact
from careweave.mappings.v2_fhir.state import WalkState
from careweave.mappings.v2_fhir.times import fhir_instant


def read_document(state: WalkState, txa: Segment) -> None:
    """A TXA: the document's header; the OBX segments that follow are its text."""
    w = state.writer
    finish_document(state)
    availability = (d.text(txa, "19.1") or "").upper()
    completion = (d.text(txa, "17.1") or "").upper()
    authors = d.xcn_all(w, txa, 9) + d.xcn_all(w, txa, 5)
    authenticators = d.xcn_all(w, txa, 10) + d.xcn_all(w, txa, 22)
    related = d.ei(w, txa, 13)
    document = compact(
        {
            "resourceType": "DocumentReference",
            "masterIdentifier": d.ei(w, txa, 12),
            "identifier": [i for i in (d.ei(w, txa, 14, "PLAC"), d.ei(w, txa, 15, "FILL")) if i],
            "status": vocab.DOCUMENT_AVAILABILITY.get(availability, "current"),
            "docStatus": vocab.DOCUMENT_STATUS.get(completion),
            "type": d.table_code(txa, 2, "0270"),
            "subject": state.subject(),
            # DocumentReference.date is an instant: only a time with a known offset fits.
            "date": fhir_instant(d.text(txa, "4.1"), w, "TXA-4"),
            "author": [{"reference": ref} for ref in dict.fromkeys(authors)],
            "authenticator": {"reference": authenticators[0]} if authenticators else None,
            "relatesTo": [{"code": "replaces", "target": {"identifier": related}}]
            if related
            else [],
            "context": {"encounter": [state.context()]} if state.encounter else None,
        }
    )
    w.add(document)
    state.document = document
    state.document_text = []
    state.document_files = []
    state.last = document


def add_part(state: WalkState, obx: Segment) -> None:
    """An OBX of the open document: an ED part becomes an attachment, text becomes lines."""
    where = f"OBX-5 (set {d.text(obx, '1.1') or '?'})"
    if (d.text(obx, "2.1") or "").upper() != "ED":
        lines = "\n".join(r for r in obx.repetitions(parse_segment_path("5"), decode=True) if r)
        state.document_text.append(d.plain(lines, state.message.delimiters.escape))
        return
    attachment = d.ed_attachment(state.writer, obx, 5, where)
    if attachment is not None:
        state.document_files.append(attachment)


def finish_document(state: WalkState) -> None:
    """Close the open document: its text and encapsulated parts become its content."""
    document = state.document
    if document is None:
        return
    state.document = None
    body = "\n".join(state.document_text)
    attachments = state.document_files
    state.document_text, state.document_files = [], []
    if body:
        data = base64.b64encode(body.encode("utf-8")).decode("ascii")
        attachments.insert(0, {"contentType": "text/plain; charset=utf-8", "data": data})
    if not attachments:
        # FHIR needs content; a document sent without its body is named, not invented.
        attachments = [{"title": "document body not sent"}]
    document["content"] = [{"attachment": a} for a in attachments]
