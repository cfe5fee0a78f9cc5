"""Reading HL7 v2 text: one message, or a batch of them.

Parsing only decodes the text, checks MSH-1/MSH-2 and each segment id, and cuts the text into
segments; fields are split when first read. The text between segments (CR, LF, CRLF, blank lines)
is kept so that the message encodes back to the same bytes.
"""

from __future__ import annotations

import re

from careweave.codecs.hl7v2.charsets import codec_for, decode_message
from careweave.codecs.hl7v2.delimiters import Delimiters
from careweave.codecs.hl7v2.message import Message
from careweave.codecs.hl7v2.segment import check_segment_id
from careweave.exceptions import Hl7ParseError

_SEGMENT_BREAKS = re.compile(r"([\r\n]+)")
_BOM = "\ufeff"
# What may surround a message without being part of it: ASCII whitespace and the MLLP framing
# characters a careless sender leaves in a file. Other Unicode spaces are data.
_AROUND = " \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f"
_BATCH_SEGMENTS = frozenset({"FHS", "BHS", "BTS", "FTS"})


def _to_text(raw: bytes | str, charset: str | None) -> tuple[str, str]:
    if isinstance(raw, str):
        # Already text: only an explicit or declared charset decides how it encodes back.
        return raw, "utf-8" if charset is None else codec_for(charset)
    return decode_message(raw, charset)


def _split_uniform(text: str) -> list[str] | None:
    """Segments of ``text`` when one separator (CR, LF or CRLF) ends every segment and there is
    no blank line; None otherwise.

    Plain string splitting is several times faster than the regular expression that handles
    mixed separators, and almost every message uses a single one.
    """
    if "\n" not in text:
        segments = text.split("\r")
    elif "\r" not in text:
        segments = text.split("\n")
    else:
        segments = text.split("\r\n")
        breaks = len(segments) - 1
        if text.count("\r") != breaks or text.count("\n") != breaks:
            return None
    return None if "" in segments else segments


def _cut(text: str) -> tuple[str, list[str], list[str]]:
    """Split ``text`` into (lead, segments, gaps): gaps[i] is the text after segments[i]."""
    body = text.lstrip(_BOM)
    body = body.lstrip(_AROUND)
    lead = text[: len(text) - len(body)]
    stripped = body.rstrip(_AROUND)
    trailing = body[len(stripped) :]
    # Spaces and tabs ending the last segment are its data, unless a break comes after them.
    kept = len(trailing) - len(trailing.lstrip(" \t"))
    if kept:
        stripped, trailing = stripped + trailing[:kept], trailing[kept:]
    if not stripped:
        return lead, [], []
    uniform = _split_uniform(stripped)
    if uniform is not None:
        segments = uniform
        sep = "\r" if "\n" not in stripped else "\n" if "\r" not in stripped else "\r\n"
        gaps = [sep] * (len(segments) - 1)
    else:
        parts = _SEGMENT_BREAKS.split(stripped)
        segments = parts[0::2]
        gaps = parts[1::2]
    gaps.append(trailing)
    return lead, segments, gaps


def _delimiters_of(msh: str, number: int) -> Delimiters:
    if len(msh) < 4:
        raise Hl7ParseError(
            f"segment {number} 'MSH': MSH-1 field separator is missing", location="MSH-1"
        )
    fs = msh[3]
    end = msh.find(fs, 4)
    encoding = msh[4:] if end < 0 else msh[4:end]
    return Delimiters.from_msh(fs, encoding)


def _build(lead: str, segments: list[str], gaps: list[str], codec: str, offset: int = 0) -> Message:
    """Turn cut text whose first segment is an MSH into a :class:`Message`."""
    delims = _delimiters_of(segments[0], offset + 1)
    fs = delims.field
    index: dict[str, list[int]] = {}
    for position, raw in enumerate(segments):
        sid = raw[:3]
        found = index.get(sid)
        if found is None:
            # Each distinct id is checked in full once; every segment checks its separator.
            check_segment_id(raw, fs, offset + position + 1)
            index[sid] = [position]
        else:
            if len(raw) > 3 and raw[3] != fs:
                check_segment_id(raw, fs, offset + position + 1)
            found.append(position)
    return Message(segments, delims, codec=codec, lead=lead, gaps=gaps, index=index)


def parse_message(raw: bytes | str, *, charset: str | None = None) -> Message:
    """Parse one HL7 v2 message.

    ``charset`` (an MSH-18 value such as ``8859/1`` or a Python codec name) overrides MSH-18.
    Raises :class:`Hl7ParseError`, with ``hl7_code`` and ``location`` set, when the text does
    not start with an MSH segment, MSH-1/MSH-2 are invalid or a segment id is malformed.
    """
    text, codec = _to_text(raw, charset)
    lead, segments, gaps = _cut(text)
    if not segments:
        raise Hl7ParseError("message is empty", location="MSH")
    first = segments[0]
    if not first.startswith("MSH"):
        shown = first[:3]
        hint = ": a batch, use parse_batch" if shown in _BATCH_SEGMENTS else ""
        raise Hl7ParseError(
            f"segment 1 {shown!r}: message does not start with MSH{hint}", location="MSH"
        )
    return _build(lead, segments, gaps, codec)


def parse_batch(raw: bytes | str, *, charset: str | None = None) -> list[Message]:
    """Parse a batch file (FHS/BHS ... BTS/FTS) or several concatenated messages.

    The batch envelope segments are dropped; each MSH starts a new message. Raises
    :class:`Hl7ParseError` when a segment other than the envelope comes before the first MSH.
    """
    text, codec = _to_text(raw, charset)
    _lead, segments, gaps = _cut(text)
    messages: list[Message] = []
    start = -1
    for number, seg in enumerate(segments, start=1):
        sid = seg[:3]
        if sid == "MSH" or sid in _BATCH_SEGMENTS:
            if start >= 0:
                end = number - 1
                messages.append(_build("", segments[start:end], gaps[start:end], codec, start))
                start = -1
            if sid == "MSH":
                start = number - 1
        elif start < 0:
            raise Hl7ParseError(
                f"segment {number} {sid!r}: segment outside a message (no MSH before it)",
                location=f"segment {number}",
            )
    if start >= 0:
        messages.append(_build("", segments[start:], gaps[start:], codec, start))
    return messages
