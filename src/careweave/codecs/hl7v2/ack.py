"""Acknowledgements built from the message they answer.

MSA-1 is AA (accepted), AE (error: stored, but could not be processed) or AR (rejected: not
processable at all, e.g. no readable MSH). MSA-2 echoes MSH-10; the sender and receiver of MSH are
swapped. In enhanced mode (MSH-15/16 present) the codes are CA/CE/CR for the commit ACK. An ERR
segment carries the HL7 error code (table 0357) and a human-readable text.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import os

from careweave.codecs.hl7v2.header import MessageHeader

_counter = itertools.count(1)
_PREFIX = f"CW{os.getpid() % 100000:05d}"


class AckCode(enum.StrEnum):
    """MSA-1 acknowledgement codes."""

    ACCEPT = "AA"
    ERROR = "AE"
    REJECT = "AR"
    COMMIT_ACCEPT = "CA"
    COMMIT_ERROR = "CE"
    COMMIT_REJECT = "CR"


_ENHANCED = {
    AckCode.ACCEPT: AckCode.COMMIT_ACCEPT,
    AckCode.ERROR: AckCode.COMMIT_ERROR,
    AckCode.REJECT: AckCode.COMMIT_REJECT,
}

_DEFAULT_HEADER = MessageHeader(
    field_separator="|",
    encoding_characters="^~\\&",
    sending_application="",
    sending_facility="",
    receiving_application="",
    receiving_facility="",
    message_datetime="",
    message_type="",
    control_id="",
    processing_id="P",
    version_id="2.5.1",
)


def _escape(text: str, field_sep: str, encoding: str) -> str:
    """Escape free text for MSA-3 / ERR-8 with the message's own delimiters."""
    escape = encoding[2] if len(encoding) > 2 else "\\"
    comp = encoding[0] if encoding else "^"
    rep = encoding[1] if len(encoding) > 1 else "~"
    sub = encoding[3] if len(encoding) > 3 else "&"
    out = text.replace(escape, f"{escape}E{escape}")
    for char, code in ((field_sep, "F"), (comp, "S"), (rep, "R"), (sub, "T")):
        out = out.replace(char, f"{escape}{code}{escape}")
    return out.replace("\r", " ").replace("\n", " ")


def is_enhanced_mode(header: MessageHeader) -> bool:
    """True when the sender asked for enhanced-mode acknowledgements (MSH-15 or MSH-16 valued)."""
    return bool(header.accept_ack_type or header.application_ack_type)


def build_ack(
    header: MessageHeader | None,
    code: AckCode,
    *,
    text: str = "",
    error_code: str = "",
    error_location: str = "",
    now: dt.datetime | None = None,
    control_id: str | None = None,
) -> bytes:
    """Build the ACK for a message whose header is ``header``.

    ``header`` is None when the message had no readable MSH; the ACK then uses default delimiters
    and an empty MSA-2, which is all a receiver can honestly say. In enhanced mode the original
    codes AA/AE/AR are turned into their commit equivalents CA/CE/CR.
    """
    h = header or _DEFAULT_HEADER
    fs, enc = h.field_separator, h.encoding_characters
    if header is not None and is_enhanced_mode(header) and code in _ENHANCED:
        code = _ENHANCED[code]
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d%H%M%S")
    trigger = h.trigger_event()
    comp = h.component_separator
    msg_type = f"ACK{comp}{trigger}{comp}ACK" if trigger else "ACK"
    ack_id = control_id or f"{_PREFIX}{next(_counter):010d}"
    msh = fs.join(
        [
            "MSH",
            enc,
            h.receiving_application,
            h.receiving_facility,
            h.sending_application,
            h.sending_facility,
            stamp,
            "",
            msg_type,
            ack_id,
            h.processing_id or "P",
            h.version_id or "2.5.1",
        ]
    )
    msa = fs.join(
        ["MSA", str(code), h.control_id, _escape(text, fs, enc)]
        if text
        else ["MSA", str(code), h.control_id]
    )
    segments = [msh, msa]
    if code not in (AckCode.ACCEPT, AckCode.COMMIT_ACCEPT):
        severity = "E"
        # ERR-2 location, ERR-3 error code (table 0357), ERR-4 severity, ERR-8 user message.
        err = fs.join(
            [
                "ERR",
                "",
                _location(error_location, comp),
                f"{error_code or '207'}{comp}{_error_text(error_code or '207')}{comp}HL70357",
                severity,
                "",
                "",
                "",
                _escape(text, fs, enc),
            ]
        )
        segments.append(err)
    return ("\r".join(segments) + "\r").encode("utf-8")


_ERROR_TEXTS = {
    "0": "Message accepted",
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "202": "Unsupported processing id",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "206": "Application record locked",
    "207": "Application internal error",
}


def _location(location: str, comp: str) -> str:
    """ERR-2 error location: ``PID-3`` becomes ``PID^1^3`` (segment, sequence, field)."""
    if not location:
        return ""
    segment, _, field = location.partition("-")
    return comp.join([segment, "1", field.split(".")[0]]) if field else segment


def _error_text(code: str) -> str:
    return _ERROR_TEXTS.get(code, "Application internal error")
