"""Paths into a message: ``SEG[n]-F[r].C.S``, every number 1-based.

``PID-5.1`` is the family name, ``PID-3[2].1`` the id of the second identifier, ``OBX[2]-5`` the
value of the second OBX. ``[n]`` picks the n-th segment with that id and ``[r]`` the field
repetition; both default to the first. Inside a segment the same path is written without the
segment part (``5.1``, ``3[2].1``).
"""

from __future__ import annotations

import functools
import re

import msgspec

from careweave.exceptions import Hl7Error

_MESSAGE_PATH = re.compile(
    r"([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?(?:-(\d+)(?:\[(\d+)\])?(?:\.(\d+)(?:\.(\d+))?)?)?"
)
_SEGMENT_PATH = re.compile(r"(\d+)(?:\[(\d+)\])?(?:\.(\d+)(?:\.(\d+))?)?")


class Hl7Path(msgspec.Struct, frozen=True):
    """A parsed path; ``field`` 0 means the whole segment, ``component`` 0 the whole repetition."""

    segment_id: str
    segment_index: int = 1
    field: int = 0
    repetition: int = 1
    component: int = 0
    subcomponent: int = 0

    def __str__(self) -> str:
        text = self.segment_id
        if self.segment_index != 1:
            text += f"[{self.segment_index}]"
        if self.field:
            text += f"-{self.field}"
            if self.repetition != 1:
                text += f"[{self.repetition}]"
            if self.component:
                text += f".{self.component}"
                if self.subcomponent:
                    text += f".{self.subcomponent}"
        return text


def _number(text: str | None, default: int, path: str) -> int:
    if text is None:
        return default
    value = int(text)
    if value < 1:
        raise Hl7Error(f"invalid HL7 path {path!r}: positions count from 1", location=path)
    return value


@functools.lru_cache(maxsize=4096)
def parse_path(path: str) -> Hl7Path:
    """Parse ``SEG[n]-F[r].C.S`` (only the segment id is required).

    Raises :class:`Hl7Error` naming the path when it is not of that form.
    """
    match = _MESSAGE_PATH.fullmatch(path.strip())
    if match is None:
        raise Hl7Error(
            f"invalid HL7 path {path!r}: expected SEG[n]-F[r].C.S, e.g. PID-5.1 or OBX[2]-5",
            location=path,
        )
    seg, index, field, rep, comp, sub = match.groups()
    return Hl7Path(
        segment_id=seg,
        segment_index=_number(index, 1, path),
        field=_number(field, 0, path),
        repetition=_number(rep, 1, path),
        component=_number(comp, 0, path),
        subcomponent=_number(sub, 0, path),
    )


@functools.lru_cache(maxsize=4096)
def parse_segment_path(path: str) -> Hl7Path:
    """Parse ``F[r].C.S`` relative to a segment; ``segment_id`` is left empty."""
    match = _SEGMENT_PATH.fullmatch(path.strip())
    if match is None:
        raise Hl7Error(
            f"invalid segment path {path!r}: expected F[r].C.S, e.g. 5.1 or 3[2].1",
            location=path,
        )
    field, rep, comp, sub = match.groups()
    if int(field) < 1:
        raise Hl7Error(f"invalid segment path {path!r}: fields count from 1", location=path)
    return Hl7Path(
        segment_id="",
        field=int(field),
        repetition=_number(rep, 1, path),
        component=_number(comp, 0, path),
        subcomponent=_number(sub, 0, path),
    )
