"""Character sets: MSH-18 (HL7 table 0211) to Python codecs, and lossless decoding.

A message is decoded once, with the codec its MSH-18 names. Senders often declare ASCII (or nothing)
and send UTF-8 or Latin-1, so an undeclared or ASCII message is read as UTF-8 and, when it is not
valid UTF-8, as Latin-1. Every codec chosen decodes losslessly, which is what lets an unmodified
message encode back to its exact bytes.
"""

from __future__ import annotations

import codecs

from careweave.exceptions import Hl7Error, Hl7ParseError

_TABLE_0211 = {
    "ASCII": "utf-8",
    "ISO IR6": "utf-8",
    "8859/1": "latin-1",
    "ISO IR100": "latin-1",
    "8859/2": "iso8859-2",
    "ISO IR101": "iso8859-2",
    "8859/3": "iso8859-3",
    "8859/4": "iso8859-4",
    "8859/5": "iso8859-5",
    "ISO IR144": "iso8859-5",
    "8859/6": "iso8859-6",
    "ISO IR127": "iso8859-6",
    "8859/7": "iso8859-7",
    "ISO IR126": "iso8859-7",
    "8859/8": "iso8859-8",
    "ISO IR138": "iso8859-8",
    "8859/9": "iso8859-9",
    "ISO IR148": "iso8859-9",
    "8859/15": "iso8859-15",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "UNICODE": "utf-8",
    "ISO IR192": "utf-8",
    "GB 18030-2000": "gb18030",
    "KS X 1001": "euc-kr",
    "BIG-5": "big5",
    "CNS 11643-1992": "big5",
    "ISO IR87": "iso2022_jp",
    "ISO IR159": "iso2022_jp_2",
}

_FALLBACK = "latin-1"


def codec_for(charset: str) -> str:
    """The Python codec for an MSH-18 value or a Python text-codec name; UTF-8 when empty.

    Raises :class:`Hl7Error` when neither HL7 table 0211 nor Python knows it as a text encoding.
    """
    name = charset.strip()
    if not name:
        return "utf-8"
    known = _TABLE_0211.get(name.upper())
    if known:
        return known
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        info = None
    # Python also registers bytes-to-bytes codecs (base64, zlib): not character sets.
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise Hl7Error(f"unknown character set {charset!r}", location="MSH-18")
    return info.name


def declared_charset(first_segment: bytes) -> str:
    """MSH-18 (first repetition, first component) read from the raw first segment, or ''."""
    if len(first_segment) < 8 or not first_segment.startswith(b"MSH"):
        return ""
    fs = first_segment[3:4]
    fields = first_segment.split(fs)
    if len(fields) < 18:
        return ""
    value = fields[17]
    enc = fields[1]
    for sep in (enc[1:2], enc[0:1]):
        # Repetition then component: "UNICODE UTF-8~8859/1" or "8859/1^..." keep the first.
        if sep:
            value = value.split(sep)[0]
    return value.decode("latin-1").strip()


def decode_message(raw: bytes, charset: str | None) -> tuple[str, str]:
    """Decode ``raw``; return the text and the codec that re-encodes it to the same bytes.

    With an explicit ``charset`` the decoding is strict and a failure raises
    :class:`Hl7ParseError` naming the offset; otherwise MSH-18 is honoured leniently.
    """
    if charset is not None:
        codec = codec_for(charset)
        try:
            return raw.decode(codec), codec
        except UnicodeDecodeError as exc:
            raise Hl7ParseError(
                f"message is not valid {charset}: byte 0x{raw[exc.start]:02x} at offset "
                f"{exc.start}",
                hl7_code="102",
                location="MSH-18",
            ) from None
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    head = raw[start : start + 4096].lstrip()
    end = len(head)
    for brk in (b"\r", b"\n"):
        i = head.find(brk)
        if 0 <= i < end:
            end = i
    # A declared charset outside table 0211 is ignored, never looked up as a Python codec name.
    codec = _TABLE_0211.get(declared_charset(head[:end]).upper(), "utf-8")
    try:
        return raw.decode(codec), codec
    except UnicodeDecodeError:
        return raw.decode(_FALLBACK), _FALLBACK
