"""A parsed (or built) HL7 v2 message: segments in order, read and written by path.

The message keeps the exact text between its segments (CR, LF, CRLF, blank lines, a byte-order
mark) and the codec it was decoded with, so an unmodified message encodes back to its bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from careweave.codecs.hl7v2.delimiters import Delimiters
from careweave.codecs.hl7v2.header import MessageHeader
from careweave.codecs.hl7v2.paths import Hl7Path, parse_path
from careweave.codecs.hl7v2.segment import Segment, check_segment_id
from careweave.exceptions import Hl7Error

SEGMENT_TERMINATOR = "\r"
"""What HL7 puts after every segment, used for segments added to a message."""


def header_from_segment(msh: Segment) -> MessageHeader:
    """The :class:`MessageHeader` of an MSH segment, read leniently (empty fields allowed)."""
    fields = msh.fields()

    def field(n: int) -> str:
        return fields[n] if n < len(fields) else ""

    return MessageHeader(
        field_separator=field(1),
        encoding_characters=field(2),
        sending_application=field(3),
        sending_facility=field(4),
        receiving_application=field(5),
        receiving_facility=field(6),
        message_datetime=field(7),
        message_type=field(9),
        control_id=field(10),
        processing_id=field(11),
        version_id=field(12),
        accept_ack_type=field(15),
        application_ack_type=field(16),
        character_set=field(18),
    )


class Message:
    """An HL7 v2 message. Build one with ``parse_message`` or ``MessageBuilder``."""

    __slots__ = (
        "_gaps",
        "_header",
        "_index",
        "_lead",
        "_raws",
        "_segments",
        "codec",
        "delimiters",
    )

    def __init__(
        self,
        segments: list[str],
        delimiters: Delimiters,
        *,
        codec: str = "utf-8",
        lead: str = "",
        gaps: list[str] | None = None,
        index: dict[str, list[int]] | None = None,
    ) -> None:
        """Wrap raw ``segments`` (checked by the caller) and the text around them.

        ``gaps[i]`` is the text after segment ``i``, ``lead`` what precedes the first one and
        ``index`` maps each segment id to its positions. :class:`Segment` objects are made
        only for the segments that are read.
        """
        self._raws = segments
        self._segments: list[Segment | None] = [None] * len(segments)
        self.delimiters = delimiters
        """The delimiters declared by MSH-1 and MSH-2."""
        self.codec = codec
        """The Python codec the message was decoded with and is encoded with."""
        self._lead = lead
        self._gaps = gaps if gaps is not None else [SEGMENT_TERMINATOR] * len(segments)
        self._index = index
        self._header: MessageHeader | None = None

    def _at(self, position: int) -> Segment:
        seg = self._segments[position]
        if seg is None:
            seg = Segment(self._raws[position], self.delimiters, self.codec)
            self._segments[position] = seg
        return seg

    @property
    def header(self) -> MessageHeader:
        """The MSH fields (raw, still escaped) as a :class:`MessageHeader`."""
        if self._header is None:
            self._header = header_from_segment(self._at(0))
        return self._header

    def _by_id(self) -> dict[str, list[int]]:
        index = self._index
        if index is None:
            index = {}
            for position, raw in enumerate(self._raws):
                index.setdefault(raw[:3], []).append(position)
            self._index = index
        return index

    def segments(self, segment_id: str) -> list[Segment]:
        """All segments with that id, in message order (empty when there is none)."""
        return [self._at(i) for i in self._by_id().get(segment_id, ())]

    def segment(self, segment_id: str) -> Segment | None:
        """The first segment with that id, or None."""
        found = self._by_id().get(segment_id)
        return self._at(found[0]) if found else None

    def __iter__(self) -> Iterator[Segment]:
        return iter([self._at(i) for i in range(len(self._raws))])

    def __len__(self) -> int:
        return len(self._raws)

    def _locate(self, path: Hl7Path) -> Segment | None:
        found = self._by_id().get(path.segment_id)
        if not found or path.segment_index > len(found):
            return None
        return self._at(found[path.segment_index - 1])

    def _value(self, path: str, *, decode: bool) -> str | None:
        parsed = parse_path(path)
        seg = self._locate(parsed)
        if seg is None:
            return None
        if not parsed.field:
            return seg.raw
        return seg.value(parsed, decode=decode)

    def get(self, path: str, default: str = "") -> str:
        """Decoded text at ``path`` (``PID-5.1``, ``PID-3[2].1``, ``OBX[2]-5``).

        A path that stops at a field or component returns the whole first repetition (or that
        component) with its inner delimiters kept and escapes decoded. ``default`` is returned
        when the message lacks the value or it is empty.
        """
        return self._value(path, decode=True) or default

    def get_raw(self, path: str, default: str = "") -> str:
        """Still-escaped text at ``path``; ``default`` when absent or empty."""
        return self._value(path, decode=False) or default

    def get_all(self, path: str) -> list[str]:
        """Every repetition of the field at ``path``, decoded (``PID-3.1``: each id's value)."""
        parsed = parse_path(path)
        seg = self._locate(parsed)
        if seg is None or not parsed.field:
            return []
        return seg.repetitions(parsed, decode=True)

    def set(self, path: str, value: str) -> None:
        """Write text at ``path``, escaping delimiters; a missing segment is appended."""
        self._put(path, value, raw=False)

    def set_raw(self, path: str, value: str) -> None:
        """Write already-encoded text at ``path`` (delimiters in ``value`` are kept)."""
        self._put(path, value, raw=True)

    def _put(self, path: str, value: str, *, raw: bool) -> None:
        parsed = parse_path(path)
        if not parsed.field:
            raise Hl7Error(f"path {path!r} names no field to set", location=path)
        while len(self._by_id().get(parsed.segment_id, ())) < parsed.segment_index:
            self.append(parsed.segment_id)
        seg = self._locate(parsed)
        assert seg is not None
        seg.put(parsed, value, raw=raw)
        if parsed.segment_id == "MSH":
            self._header = None

    def append(self, segment: str | Segment) -> Segment:
        """Append a segment (an id like ``"NTE"``, a raw segment or a :class:`Segment`)."""
        seg = segment if isinstance(segment, Segment) else self._new_segment(segment)
        if self._gaps and not self._gaps[-1].strip(" \t"):
            # The last segment had no terminator in the original: it needs one now.
            self._gaps[-1] = SEGMENT_TERMINATOR + self._gaps[-1]
        self._by_id().setdefault(seg.id, []).append(len(self._raws))
        self._raws.append(seg.raw)
        self._segments.append(seg)
        self._gaps.append(SEGMENT_TERMINATOR)
        return seg

    def _new_segment(self, text: str) -> Segment:
        check_segment_id(text, self.delimiters.field, len(self._raws) + 1)
        return Segment(text, self.delimiters, self.codec)

    def to_text(self) -> str:
        """The message as text, with its original segment separators."""
        parts = [self._lead]
        for raw, seg, gap in zip(self._raws, self._segments, self._gaps, strict=True):
            # An untouched segment is its raw text; a read or changed one re-serializes itself.
            parts.append(raw if seg is None else seg.raw)
            parts.append(gap)
        return "".join(parts)

    def encode(self) -> bytes:
        """The message as bytes in its codec; byte-exact for an unmodified parsed message."""
        text = self.to_text()
        try:
            return text.encode(self.codec)
        except UnicodeEncodeError as exc:
            raise Hl7Error(
                f"character {text[exc.start]!r} cannot be encoded in {self.codec}",
                location="MSH-18",
            ) from None

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Message {self.header.message_type!r} {self.header.control_id!r}>"
