"""Acknowledgements built from the message they answer.

MSA-1 is AA (accepted), AE (error: stored, but could not be processed) or AR (rejected: not
processable at all, e.g. no readable MSH). MSA-2 echoes MSH-10; the sender and receiver of MSH are
swapped. In enhanced mode (MSH-15/16 present) the codes are CA/CE/CR for the commit ACK. An ERR
segment carries the HL7 error code (table 0357) and a human-readable text: in ERR-1 (segment^
sequence^field^code&text&table) for versions before 2.5, in ERR-2/3/4/8 from 2.5 on. Everything is
written with the delimiters of the message being answered.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import itertools
import os

from careweave.codecs.hl7v2.delimiters import Delimiters
from careweave.codecs.hl7v2.escapes import escape
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


def _delimiters(header: MessageHeader) -> Delimiters:
    """The delimiters of the message being answered, read as leniently as the header was."""
    enc = header.encoding_characters
    return Delimiters(
        field=header.field_separator or "|",
        component=enc[0:1] or "^",
        repetition=enc[1:2],
        escape=enc[2:3],
        subcomponent=enc[3:4],
        truncation=enc[4:5],
    )


def _text(text: str, delimiters: Delimiters) -> str:
    """Free text for MSA-3 / ERR-8, escaped with the message's own delimiters, on one line."""
    return escape(text.replace("\r", " ").replace("\n", " "), delimiters)


def _uses_err_1(version: str) -> bool:
    """Before v2.5 the error is ERR-1 (ELD: segment^sequence^field^code); from v2.5 ERR-2..8."""
    return version[:3] in {"2.1", "2.2", "2.3", "2.4"}


def is_enhanced_mode(header: MessageHeader) -> bool:
    """True when the sender asked for enhanced-mode acknowledgements (MSH-15 or MSH-16 valued)."""
    return bool(header.accept_ack_type or header.application_ack_type)


@functools.lru_cache(maxsize=4)
def _stamp_of_second(second: dt.datetime) -> str:
    return second.strftime("%Y%m%d%H%M%S")


def _stamp(now: dt.datetime) -> str:
    """MSH-7 of an ACK; formatted once per second (strftime is a visible cost at 10k ACKs/s)."""
    return _stamp_of_second(now.replace(microsecond=0))


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
    delims = _delimiters(h)
    fs, comp = delims.field, delims.component
    if header is not None and is_enhanced_mode(header) and code in _ENHANCED:
        code = _ENHANCED[code]
    stamp = _stamp(now or dt.datetime.now(dt.UTC))
    trigger = h.trigger_event()
    msg_type = f"ACK{comp}{trigger}{comp}ACK" if trigger else "ACK"
    ack_id = control_id or f"{_PREFIX}{next(_counter):010d}"
    version = h.version_id or "2.5.1"
    msh = fs.join(
        [
            "MSH",
            h.encoding_characters,
            h.receiving_application,
            h.receiving_facility,
            h.sending_application,
            h.sending_facility,
            stamp,
            "",
            msg_type,
            escape(ack_id, delims),
            h.processing_id or "P",
            version,
        ]
    )
    msa = ["MSA", str(code), h.control_id]
    if text:
        msa.append(_text(text, delims))
    segments = [msh, fs.join(msa)]
    if code not in (AckCode.ACCEPT, AckCode.COMMIT_ACCEPT):
        hl7_code = error_code or "207"
        segments.append(_err_segment(hl7_code, error_location, text, version, delims))
    return ("\r".join(segments) + "\r").encode("utf-8")


def _err_segment(hl7_code: str, location: str, text: str, version: str, delims: Delimiters) -> str:
    fs, comp = delims.field, delims.component
    if _uses_err_1(version):
        # ERR-1 ELD: segment^sequence^field^code&text&table (subcomponents of the CE).
        sub = delims.subcomponent or "&"
        segment, sequence, field = _location_parts(location)
        code = sub.join([hl7_code, _error_text(hl7_code), "HL70357"])
        return fs.join(["ERR", comp.join([segment, sequence, field, code])])
    # ERR-2 location, ERR-3 error code (table 0357), ERR-4 severity, ERR-8 user message.
    return fs.join(
        [
            "ERR",
            "",
            _location(location, comp),
            comp.join([hl7_code, _error_text(hl7_code), "HL70357"]),
            "E",
            "",
            "",
            "",
            _text(text, delims),
        ]
    )


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


def _location_parts(location: str) -> tuple[str, str, str]:
    """``PID-3.1`` or ``OBX[2]-5`` as (segment id, sequence, field number)."""
    if not location:
        return "", "", ""
    segment, _, field = location.partition("-")
    sequence = "1"
    if "[" in segment and segment.endswith("]"):
        segment, _, index = segment[:-1].partition("[")
        sequence = index if index.isdigit() else "1"
    number = field.split(".")[0].split("[")[0]
    return segment, sequence if number else "", number


def _location(location: str, comp: str) -> str:
    """ERR-2 error location: ``PID-3`` becomes ``PID^1^3`` (segment, sequence, field)."""
    segment, sequence, field = _location_parts(location)
    return comp.join([segment, sequence, field]) if field else segment


def _error_text(code: str) -> str:
    return _ERROR_TEXTS.get(code, "Application internal error")
