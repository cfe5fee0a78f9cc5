"""The facts an HL7 v2 message states, read with python-hl7 (the oracle), independently of
careweave's parser: what the FHIR conversion must agree with."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass, field
from typing import Any

import hl7

_BREAKS = re.compile(r"\r\n|\r|\n")
_ENVELOPE = ("FHS", "BHS", "BTS", "FTS")


def oracle_messages(data: bytes) -> list[Any]:
    """Every message of a file as python-hl7 parses it.

    python-hl7 splits on CR only and cannot address a segment with nothing after its id, so
    the text is cut into lines here, bare ids get one field separator, and each MSH starts a
    message (batch envelopes dropped).
    """
    text = _decode(data)
    text = text.strip(" \t\r\n\x0b\x1c")
    lines = [line for line in _BREAKS.split(text) if line.strip()]
    groups: list[list[str]] = []
    for line in lines:
        if line.startswith(_ENVELOPE):
            continue
        if line.startswith("MSH"):
            groups.append([])
        separator = groups[-1][0][3] if groups and groups[-1] else line[3:4] or "|"
        groups[-1].append(line + separator if len(line) == 3 else line)
    return [hl7.parse("\r".join(group)) for group in groups]


_CHARSETS = {
    "8859/1": "latin-1",
    "8859/15": "iso8859-15",
    "ASCII": "ascii",
    "UNICODE UTF-8": "utf-8",
}


def _decode(data: bytes) -> str:
    """The text in the charset MSH-18 declares (UTF-8 when none, Latin-1 when it is not)."""
    head = data.lstrip(b"\xef\xbb\xbf \r\n").split(b"\r")[0].split(b"\n")[0]
    fields = head.decode("latin-1").split(head[3:4].decode("latin-1") or "|")
    declared = fields[17].split("~")[0].strip().upper() if len(fields) > 17 else ""
    try:
        return data.decode(_CHARSETS.get(declared, "utf-8-sig")).lstrip("\ufeff")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def get(seg: Any, f: int, r: int = 1, c: int = 1, s: int = 1) -> str:
    """The stripped value at F.R.C.S of a python-hl7 segment, '' when absent."""
    try:
        return str(seg.extract_field(1, f, r, c, s)).strip()
    except (IndexError, KeyError):
        return ""


def repetitions(seg: Any, f: int) -> int:
    """How many repetitions field ``f`` holds (0 when empty)."""
    if f >= len(seg):
        return 0
    value = seg[f]
    if isinstance(value, str):
        return 1 if value else 0
    return len(value) if str(value) else 0


def segments(msg: Any) -> list[Any]:
    """The segments of a python-hl7 message, in order."""
    return list(msg)


def sid(seg: Any) -> str:
    """A python-hl7 segment's id."""
    return str(seg[0][0]) if isinstance(seg[0], list) else str(seg[0])


def hl7_date(value: str) -> str | None:
    """A DT/DTM's date part as FHIR writes it (``1980``, ``1980-04``, ``1980-04-12``), None when
    it is not a calendar date."""
    digits = re.match(r"\d+", value)
    if not digits:
        return None
    text = digits.group()[:8]
    formats = {4: "%Y", 6: "%Y%m", 8: "%Y%m%d"}
    if len(text) not in formats:
        return None
    try:
        dt.datetime.strptime(text, formats[len(text)])  # noqa: DTZ007 - a calendar check
    except ValueError:
        return None
    parts = [text[:4], text[4:6], text[6:8]]
    return "-".join(p for p in parts if p)


def number(value: str) -> decimal.Decimal | None:
    """An NM value, None when it is not a plain decimal."""
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", value):
        return None
    return decimal.Decimal(value)


@dataclass
class MessageFacts:
    """What the message says, segment by segment, for the resources it must become."""

    message_type: str
    patients: list[Any] = field(default_factory=list)
    visits: list[Any] = field(default_factory=list)
    observations: list[Any] = field(default_factory=list)
    allergies: list[Any] = field(default_factory=list)
    coverages: list[Any] = field(default_factory=list)


def facts(msg: Any) -> MessageFacts:
    """Sort a message's segments into what each resource type must reflect.

    OBX segments after a TXA (with only OBX, NTE and CON between) are the document, not
    observations; allergies and coverages need a patient before them.
    """
    msh = segments(msg)[0]
    out = MessageFacts(message_type=get(msh, 9))
    in_document = False
    has_patient = False
    for seg in segments(msg)[1:]:
        name = sid(seg)
        if name == "TXA":
            in_document = True
        elif name not in ("OBX", "NTE", "CON"):
            in_document = False
        if name == "PID":
            has_patient = True
            out.patients.append(seg)
        elif name == "PV1":
            out.visits.append(seg)
        elif name == "OBX" and not in_document:
            out.observations.append(seg)
        elif name in ("AL1", "IAM") and has_patient:
            out.allergies.append(seg)
        elif name == "IN1" and has_patient:
            out.coverages.append(seg)
    return out
