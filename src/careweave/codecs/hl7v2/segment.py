"""One segment: split into fields on first access, then into repetitions, components and
subcomponents only along the path asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from careweave.codecs.hl7v2.delimiters import Delimiters
from careweave.codecs.hl7v2.escapes import escape, unescape
from careweave.codecs.hl7v2.paths import Hl7Path, parse_segment_path
from careweave.exceptions import Hl7Error, Hl7ParseError

HEADER_SEGMENTS = frozenset({"MSH", "FHS", "BHS"})
"""Segments whose field 1 is the field separator itself and field 2 the encoding characters."""

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")


def check_segment_id(raw: str, field_separator: str, number: int) -> None:
    """Raise :class:`Hl7ParseError` unless ``raw`` starts with a valid segment id.

    A valid id is three upper-case letters or digits, the first a letter, followed by the field
    separator or the end of the segment. ``number`` is the segment's 1-based position.
    """
    if _SEGMENT_ID.match(raw) is None or (len(raw) > 3 and raw[3] != field_separator):
        shown = raw[:3] if len(raw) >= 3 else raw
        raise Hl7ParseError(
            f"segment {number} {shown!r}: invalid segment id", location=f"segment {number}"
        )


def _pick(text: str, separator: str, position: int) -> str | None:
    """The 1-based ``position``-th part of ``text`` split on ``separator``, None when absent."""
    if not separator or separator not in text:
        return text if position == 1 else None
    parts = text.split(separator)
    return parts[position - 1] if position <= len(parts) else None


def _replace(text: str, separator: str, position: int, value: str) -> str:
    """``text`` with its ``position``-th part (split on ``separator``) replaced, padded."""
    parts = text.split(separator) if separator else [text]
    if len(parts) < position:
        parts.extend([""] * (position - len(parts)))
    parts[position - 1] = value
    return separator.join(parts)


class Segment:
    """A segment of a message; ``id`` is its three-character segment id (``PID``)."""

    __slots__ = ("_codec", "_delimiters", "_fields", "_raw", "id")

    def __init__(self, raw: str, delimiters: Delimiters, codec: str = "utf-8") -> None:
        self.id = raw[:3]
        self._raw: str | None = raw
        self._fields: list[str] | None = None
        self._delimiters = delimiters
        self._codec = codec

    @property
    def raw(self) -> str:
        """The segment as written (re-serialized after a change), without its terminator."""
        if self._raw is None:
            fields = self._split()
            if self.id in HEADER_SEGMENTS:
                self._raw = self._delimiters.field.join([fields[0], *fields[2:]])
            else:
                self._raw = self._delimiters.field.join(fields)
        return self._raw

    def _split(self) -> list[str]:
        fields = self._fields
        if fields is None:
            assert self._raw is not None
            fields = self._raw.split(self._delimiters.field)
            if self.id in HEADER_SEGMENTS:
                # MSH-1 is the separator itself, so it never appears between two separators.
                fields.insert(1, self._delimiters.field)
            self._fields = fields
        return fields

    def fields(self) -> list[str]:
        """Raw (still escaped) fields, the segment id first; for MSH, MSH-1 is the separator."""
        return list(self._split())

    def __len__(self) -> int:
        """The number of fields, the segment id counted as field 0."""
        return len(self._split())

    def field(self, number: int) -> str:
        """Raw field ``number`` (1-based, all repetitions), '' when absent."""
        fields = self._split()
        return fields[number] if 0 <= number < len(fields) else ""

    def value(self, path: Hl7Path, *, decode: bool) -> str | None:
        """The value at ``path`` (its segment part ignored), None when the message lacks it."""
        fields = self._split()
        if path.field >= len(fields):
            return None
        text = fields[path.field]
        if path.field <= 2 and self.id in HEADER_SEGMENTS:
            # MSH-1 and MSH-2 are delimiters, not data: no splitting, no unescaping.
            first = path.repetition == 1 and path.component <= 1 and path.subcomponent <= 1
            return text if first else None
        delims = self._delimiters
        picked = _pick(text, delims.repetition, path.repetition)
        if picked is not None and path.component:
            picked = _pick(picked, delims.component, path.component)
            if picked is not None and path.subcomponent:
                picked = _pick(picked, delims.subcomponent, path.subcomponent)
        if picked is None or not decode:
            return picked
        return unescape(picked, delims, self._codec)

    def get(self, path: str, default: str = "") -> str:
        """Decoded text at ``path`` (``5.1``, ``3[2].1``); ``default`` when absent or empty."""
        return self.value(parse_segment_path(path), decode=True) or default

    def get_raw(self, path: str, default: str = "") -> str:
        """Still-escaped text at ``path``; ``default`` when absent or empty."""
        return self.value(parse_segment_path(path), decode=False) or default

    def repetitions(self, path: Hl7Path, *, decode: bool) -> list[str]:
        """Every repetition of the field at ``path``, narrowed to its component/subcomponent."""
        text = self.field(path.field)
        if not text:
            return []
        delims = self._delimiters
        if path.field <= 2 and self.id in HEADER_SEGMENTS:
            return [text]
        reps = text.split(delims.repetition) if delims.repetition else [text]
        out: list[str] = []
        for rep in reps:
            picked: str | None = rep
            if path.component:
                picked = _pick(rep, delims.component, path.component)
                if picked is not None and path.subcomponent:
                    picked = _pick(picked, delims.subcomponent, path.subcomponent)
            picked = picked or ""
            out.append(unescape(picked, delims, self._codec) if decode else picked)
        return out

    def put(self, path: Hl7Path, value: str, *, raw: bool = False) -> None:
        """Write ``value`` at ``path``, escaping it unless ``raw``; missing parts are created."""
        if self.id in HEADER_SEGMENTS and path.field <= 2:
            raise Hl7Error(
                f"{self.id}-{path.field} holds the delimiters and cannot be set",
                location=f"{self.id}-{path.field}",
            )
        delims = self._delimiters
        text = value if raw else escape(value, delims)
        fields = self._split()
        if len(fields) <= path.field:
            fields.extend([""] * (path.field + 1 - len(fields)))
        field = fields[path.field]
        if path.repetition > 1 and not delims.repetition:
            raise Hl7Error("this message declares no repetition separator", location=str(path))
        rep = _pick(field, delims.repetition, path.repetition) or ""
        if path.component:
            comp = _pick(rep, delims.component, path.component) or ""
            if path.subcomponent:
                if not delims.subcomponent:
                    raise Hl7Error(
                        "this message declares no subcomponent separator", location=str(path)
                    )
                comp = _replace(comp, delims.subcomponent, path.subcomponent, text)
            else:
                comp = text
            rep = _replace(rep, delims.component, path.component, comp)
        else:
            rep = text
        fields[path.field] = _replace(field, delims.repetition, path.repetition, rep)
        self._raw = None

    def set(self, path: str, value: str) -> None:
        """Set the text at ``path`` (``5.1``), escaping delimiters in ``value``."""
        self.put(parse_segment_path(path), value)

    def set_raw(self, path: str, value: str) -> None:
        """Set already-encoded text at ``path`` (``5`` to ``DOE^JOHN``), delimiters kept."""
        self.put(parse_segment_path(path), value, raw=True)

    def set_fields(self, values: Sequence[str]) -> None:
        """Replace every field after the id with raw ``values`` (MSH: starting at MSH-3)."""
        head = self._split()[:3] if self.id in HEADER_SEGMENTS else [self.id]
        self._fields = [*head, *values]
        self._raw = None

    def __str__(self) -> str:
        return self.raw

    def __repr__(self) -> str:
        return f"Segment({self.raw!r})"
