"""Helpers for the EHR simulator tests: read a generated message with python-hl7, the oracle."""

from __future__ import annotations

import hl7

from careweave.sandbox.ehr import GeneratedMessage

_CODECS = {"UNICODE UTF-8": "utf-8", "8859/1": "latin-1", "": "utf-8"}


def text_of(raw: bytes) -> str:
    """Decode with the charset MSH-18 declares; segments normalised to CR for python-hl7."""
    first = raw.split(b"\r", 1)[0].split(b"\n", 1)[0].decode("ascii")
    fields = first.split("|")
    charset = fields[17] if len(fields) > 17 else ""
    text = raw.decode(_CODECS[charset])
    return text.replace("\r\n", "\r").replace("\n", "\r")


def oracle(message: GeneratedMessage) -> hl7.Message:
    """The message parsed by python-hl7."""
    return hl7.parse(text_of(message.raw))


def segments(message: GeneratedMessage) -> list[list[str]]:
    """Each segment as its list of raw fields (index 0 is the segment id)."""
    return [s.split("|") for s in text_of(message.raw).split("\r") if s]


def field(seg: list[str], n: int) -> str:
    """Field n of a non-MSH segment (``seg[n]``), empty when absent."""
    return seg[n] if n < len(seg) else ""


def first(message: GeneratedMessage, name: str) -> list[str]:
    """The first segment named ``name``."""
    return next(s for s in segments(message) if s[0] == name)
