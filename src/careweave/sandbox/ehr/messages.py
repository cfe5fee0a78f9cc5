"""What the generator hands out: HL7 bytes with the facts a test or a benchmark needs about them."""

from __future__ import annotations

import enum

import msgspec


class MalformedKind(enum.StrEnum):
    """The deliberate defects; each must make a receiver answer with a negative ACK."""

    BAD_MSH = "bad_msh"
    """The first segment is not ``MSH`` (misspelled header)."""
    MISSING_CONTROL_ID = "missing_control_id"
    """MSH-10 is empty."""
    TRUNCATED = "truncated"
    """Transmission cut inside the MSH segment, before MSH-9/MSH-10."""
    WRONG_DELIMITERS = "wrong_delimiters"
    """MSH-1 is missing: ``MSH^~\\&|...`` makes ``^`` the field separator and MSH-2 nonsense."""
    NON_HL7 = "non_hl7"
    """Not HL7 at all (an HTTP request, JSON, a log line)."""
    INVALID_ENCODING = "invalid_encoding"
    """Declares UTF-8 in MSH-18 but carries byte sequences that are not UTF-8."""


class GeneratedMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One message of the simulated feed, in sending order."""

    sequence: int
    """Position in the feed (0-based)."""
    raw: bytes
    """The message as it goes on the wire (unframed)."""
    message_type: str
    """``ADT^A01``, ``DFT^P03``...: what was meant, even for a damaged copy."""
    control_id: str
    """MSH-10 as sent (empty when missing or unreadable)."""
    sending_facility: str
    patient_key: str
    """Enterprise id of the patient; the sender keeps one patient's messages on one connection."""
    visit_number: str = ""
    event_time: str = ""
    """ISO 8601 local time of the clinical event."""
    malformed: MalformedKind | None = None
    """Set on deliberately damaged messages, which a receiver must reject (NAK)."""

    @property
    def should_ack(self) -> bool:
        """True when a conforming receiver accepts this message."""
        return self.malformed is None
