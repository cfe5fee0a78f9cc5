"""MSH -> MessageHeader; EVN -> its reason and author; MSA -> its response."""

from __future__ import annotations

import re

from careweave.codecs.hl7v2 import Message, Segment
from careweave.exceptions import MappingError
from careweave.mappings.v2_fhir import datatypes as d
from careweave.mappings.v2_fhir import vocab
from careweave.mappings.v2_fhir.authorities import AUTHORITY_PREFIX, slug
from careweave.mappings.v2_fhir.bundle import BundleWriter, Json, compact

EVENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0003"
MESSAGE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0076"
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def endpoint(w: BundleWriter, seg: Segment, application: int, facility: int) -> str:
    """A URI naming a v2 application (HD), else its facility: its universal id when it has one,
    else ``urn:careweave:authority:<slug>``."""
    for field in (application, facility):
        system = w.authorities.system(
            d.text(seg, f"{field}.1"), d.text(seg, f"{field}.2"), d.text(seg, f"{field}.3")
        )
        if system:
            return system
    return AUTHORITY_PREFIX + slug("unknown")


def message_header(w: BundleWriter, msg: Message) -> Json:
    """Add the MessageHeader of ``msg`` (the first resource) and return it; raises MappingError
    when MSH-9 names no message type."""
    msh = msg.segment("MSH")
    assert msh is not None
    code, trigger = d.text(msh, "9.1"), d.text(msh, "9.2")
    if code is None:
        raise MappingError("MSH-9 names no message type")
    event = (
        {"system": EVENT_SYSTEM, "code": trigger}
        if trigger
        else {"system": MESSAGE_TYPE_SYSTEM, "code": code}
    )
    destination = None
    if d.text(msh, "5") or d.text(msh, "6"):
        destination = compact(
            {"name": d.text(msh, "5.1") or d.text(msh, "6.1"), "endpoint": endpoint(w, msh, 5, 6)}
        )
    software = msg.segment("SFT")
    # Added first, so that it is the Bundle's first entry (the clinicians EVN names come after).
    header: Json = {"resourceType": "MessageHeader"}
    w.add(header)
    header.update(
        compact(
            {
                "eventCoding": event,
                "destination": [destination] if destination else [],
                "source": compact(
                    {
                        "name": d.text(msh, "3.1") or d.text(msh, "4.1"),
                        "software": d.text(software, "3.1") if software is not None else None,
                        "version": d.text(software, "2.1") if software is not None else None,
                        "endpoint": endpoint(w, msh, 3, 4),
                    }
                ),
            }
        )
    )
    evn = msg.segment("EVN")
    if evn is not None:
        # EVN-4 event reason and EVN-5 operator: why and by whom the event was recorded.
        reason = d.table_code(evn, 4, "0062")
        operators = d.xcn_all(w, evn, 5)
        if reason:
            header["reason"] = reason
        if operators:
            header["author"] = {"reference": operators[0]}
    msa = msg.segment("MSA")
    if msa is not None:
        _response(w, msa, header)
    return header


def _response(w: BundleWriter, msa: Segment, header: Json) -> None:
    """MSA-1 acknowledgment code and MSA-2 the acknowledged control id."""
    code = vocab.ACK_RESPONSE.get((d.text(msa, "1.1") or "").upper())
    acknowledged = d.text(msa, "2.1")
    if code is None or acknowledged is None:
        return
    if _FHIR_ID.fullmatch(acknowledged) is None:
        w.warn("MSA-2", f"{acknowledged!r} cannot be a FHIR id; response left out")
        return
    header["response"] = {"identifier": acknowledged, "code": code}
