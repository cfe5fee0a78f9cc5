"""MSH header reading: just enough of a message to store, deduplicate and acknowledge it.

The listener reads only the MSH segment on the hot path; the full parser runs later, in the
channel's decode step. Raw values are returned still escaped.
"""

from __future__ import annotations

import msgspec

from careweave.codecs.hl7v2.delimiters import Delimiters
from careweave.exceptions import Hl7ParseError

_SEGMENT_ENDS = (b"\r", b"\n")
_BOM = b"\xef\xbb\xbf"


class MessageHeader(msgspec.Struct, frozen=True):
    """The MSH fields an engine needs before it has parsed the message body."""

    field_separator: str
    encoding_characters: str
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    message_datetime: str
    message_type: str
    """MSH-9 as sent, components joined by the component separator (``ADT^A01^ADT_A01``)."""
    control_id: str
    processing_id: str
    version_id: str
    accept_ack_type: str = ""
    application_ack_type: str = ""
    character_set: str = ""

    @property
    def component_separator(self) -> str:
        """The component separator (MSH-2, first character)."""
        return self.encoding_characters[:1] or "^"

    def message_code(self) -> str:
        """MSH-9.1, the message code (``ADT``)."""
        return self.message_type.split(self.component_separator)[0]

    def trigger_event(self) -> str:
        """MSH-9.2, the trigger event (``A01``), or empty."""
        parts = self.message_type.split(self.component_separator)
        return parts[1] if len(parts) > 1 else ""

    def dedup_key(self) -> str:
        """Sending application and facility plus MSH-10: how a re-sent message is recognised."""
        return f"{self.sending_application}|{self.sending_facility}|{self.control_id}"


def _first_segment(raw: bytes) -> bytes:
    end = len(raw)
    for sep in _SEGMENT_ENDS:
        i = raw.find(sep)
        if 0 <= i < end:
            end = i
    return raw[:end]


def parse_header(raw: bytes) -> MessageHeader:
    """Read the MSH segment of ``raw``.

    Raises :class:`Hl7ParseError` (HL7 error 100) when the message does not begin with a
    well-formed MSH segment.
    """
    data = raw[3:] if raw.startswith(_BOM) else raw
    data = data.lstrip(b"\r\n")
    if not data.startswith(b"MSH") or len(data) < 8:
        raise Hl7ParseError("message does not start with an MSH segment", location="MSH")
    segment = _first_segment(data).decode("latin-1")
    if len(segment) < 8:
        raise Hl7ParseError("the MSH segment is truncated", location="MSH")
    field_sep = segment[3]
    fields = segment.split(field_sep)
    encoding = fields[1] if len(fields) > 1 else ""
    # The same rules as the full parser: an ACK is written with these delimiters, so they must be
    # ones the sender (and any receiver) can parse back.
    Delimiters.from_msh(field_sep, encoding)
    if len(encoding) < 2:
        raise Hl7ParseError(f"invalid encoding characters {encoding!r} in MSH-2", location="MSH-2")

    def msh(n: int) -> str:
        # fields[0] is "MSH" and the field separator itself is MSH-1, so MSH-n is fields[n - 1].
        i = n - 1
        return fields[i] if i < len(fields) else ""

    header = MessageHeader(
        field_separator=field_sep,
        encoding_characters=encoding,
        sending_application=msh(3),
        sending_facility=msh(4),
        receiving_application=msh(5),
        receiving_facility=msh(6),
        message_datetime=msh(7),
        message_type=msh(9),
        control_id=msh(10),
        processing_id=msh(11),
        version_id=msh(12),
        accept_ack_type=msh(15),
        application_ack_type=msh(16),
        character_set=msh(18),
    )
    if not header.message_type:
        raise Hl7ParseError("MSH-9 message type is empty", hl7_code="101", location="MSH-9")
    if not header.control_id:
        raise Hl7ParseError("MSH-10 message control id is empty", hl7_code="101", location="MSH-10")
    return header
