"""Split raw X12 bytes into segments, with the delimiters the ISA header declares.

The ISA is fixed-length by the standard, but senders pad it wrongly often enough that the
delimiters are read from it by position of separators, not by byte offset: the element separator
is the character after ``ISA``, the component separator is ISA16 and the segment terminator is
the character right after it. Newlines after terminators are tolerated and dropped.
"""

from __future__ import annotations

import re

import msgspec

from careweave.exceptions import X12Error

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_ISA_ELEMENTS = 16


class Delimiters(msgspec.Struct, frozen=True):
    """The four X12 delimiters of one interchange."""

    element: str = "*"
    """Separates the elements of a segment (the 4th character of the ISA)."""
    component: str = ":"
    """Separates the components of a composite element (ISA16)."""
    segment: str = "~"
    """Ends a segment (the character after ISA16)."""
    repetition: str | None = "^"
    """Separates repeats of an element (ISA11 in 00501); None when ISA11 is a code (``U``)."""


class Segment(msgspec.Struct, frozen=True):
    """One segment: its id, its elements (``fields[0]`` is the id) and where it stands."""

    fields: list[str]
    """The id then the elements: ``fields[n]`` is element *n* (1-based, as in X12)."""
    position: int
    """1-based index of the segment within its interchange (the ISA is 1)."""

    @property
    def id(self) -> str:
        """The segment id (``CLP``, ``NM1``...)."""
        return self.fields[0]

    def element(self, index: int) -> str:
        """Element *index* (1-based), or ``""`` when the segment is shorter."""
        fields = self.fields
        return fields[index] if index < len(fields) else ""

    def component(self, index: int, sub: int, delimiters: Delimiters) -> str:
        """Component *sub* (1-based) of element *index*, or ``""``."""
        parts = self.element(index).split(delimiters.component)
        return parts[sub - 1] if sub <= len(parts) else ""

    def components(self, index: int, delimiters: Delimiters) -> list[str]:
        """The components of element *index* (a simple element gives a one-item list)."""
        return self.element(index).split(delimiters.component)

    @property
    def label(self) -> str:
        """``segment 12 (CLP)``: how errors name a segment."""
        return f"segment {self.position} ({self.id or '<empty id>'})"


def is_segment_id(text: str) -> bool:
    """Whether *text* is shaped like an X12 segment id (two or three upper-case alphanumerics)."""
    return _SEGMENT_ID.fullmatch(text) is not None


def decode_text(data: bytes | str) -> str:
    """Bytes to text: UTF-8 when it decodes (minus a byte-order mark), Latin-1 otherwise."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_delimiters(text: str) -> Delimiters:
    """The delimiters declared by the ISA at the start of *text*."""
    if not text.startswith("ISA") or len(text) < 4:
        first = re.split(r"[^A-Za-z0-9]", text[:4], maxsplit=1)[0] or "<empty>"
        raise X12Error(f"segment 1 ({first}): an interchange must start with an ISA segment")
    element = text[3]
    if element.isalnum() or element in " \r\n":
        raise X12Error(f"segment 1 (ISA): element separator {element!r} is not a delimiter")
    cursor = 3
    for _ in range(_ISA_ELEMENTS - 1):
        cursor = text.find(element, cursor + 1)
        if cursor < 0:
            raise X12Error("segment 1 (ISA): the ISA has fewer than 16 elements")
    # cursor is on the separator before ISA16; ISA16 is one character, the terminator follows.
    if cursor + 2 >= len(text):
        raise X12Error("segment 1 (ISA): the ISA ends before its segment terminator")
    component, terminator = text[cursor + 1], text[cursor + 2]
    isa11 = text.split(element, 12)[11]
    repetition = isa11 if len(isa11) == 1 and not isa11.isalnum() else None
    if terminator.isalnum() or terminator in (element, component):
        raise X12Error(f"segment 1 (ISA): segment terminator {terminator!r} is not a delimiter")
    return Delimiters(element, component, terminator, repetition)


def tokenize(data: bytes | str) -> tuple[Delimiters, list[Segment]]:
    """Split an X12 file into segments.

    Positions count from 1 at each ISA, so a file holding several interchanges numbers each
    interchange's segments from its own ISA. Raises X12Error when no ISA starts the data.
    """
    text = decode_text(data).lstrip(" \t\r\n")
    delimiters = read_delimiters(text)
    # Whitespace around segments is line-wrapping, unless the terminator itself is whitespace.
    strip = "\r" if delimiters.segment.isspace() else " \t\r\n"
    segments: list[Segment] = []
    position = 0
    for raw in text.split(delimiters.segment):
        chunk = raw.strip(strip)
        if not chunk:
            continue
        fields = chunk.split(delimiters.element)
        if fields[0] == "ISA":
            position = 0
        position += 1
        segments.append(Segment(fields, position))
    return delimiters, segments
