"""MLLP framing: ``0x0b <message> 0x1c 0x0d``, kept apart from any HL7 parsing.

:class:`FrameReader` is a pure, incremental decoder: feed it whatever the socket delivered and it
returns the complete frames and the problems it met, in stream order. It never raises on bad
input and never loops over single bytes in Python: it searches with ``bytes.find`` and slices.

Tolerances, chosen because real senders do these things:

- A missing ``0x0d`` after ``0x1c`` is accepted: the frame ends at ``0x1c``; a ``0x0d`` that
  follows (even in the next chunk) is swallowed, anything else is read as what comes next.
- Bytes between frames (a stray newline, a banner, garbage) are skipped and reported as
  :attr:`ProblemKind.JUNK` with their count.
- A start block inside an unfinished frame means the sender gave up on that frame and began
  another: the unfinished one is reported (:attr:`ProblemKind.INTERRUPTED`) with what arrived of
  it, so that the listener can store it; a stream that ends inside a frame is reported the same
  way by :meth:`FrameReader.close` (:attr:`ProblemKind.UNTERMINATED`).
- A frame larger than ``max_frame_bytes`` is never buffered whole: the reader keeps its first
  ``max_frame_bytes`` bytes (to store them, and to read MSH for the reject ACK), discards the rest
  as it arrives and reports :attr:`ProblemKind.OVERSIZED` when the frame ends, so the reply stays
  paired with its frame.

Memory per connection is therefore bounded by ``max_frame_bytes`` whatever the peer sends.
"""

from __future__ import annotations

import enum

import msgspec

from careweave.exceptions import FramingError

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c"
CARRIAGE_RETURN = b"\x0d"
_TRAILER = END_BLOCK + CARRIAGE_RETURN
_CR = 0x0D

_SAMPLE_BYTES = 64


class ProblemKind(enum.StrEnum):
    """What went wrong in the byte stream."""

    JUNK = "junk"
    """Bytes outside any frame were skipped."""
    OVERSIZED = "oversized"
    """A frame exceeded the size limit; its first ``max_frame_bytes`` bytes are kept."""
    EMPTY = "empty"
    """A frame had no content (``0x0b 0x1c``)."""
    INTERRUPTED = "interrupted"
    """A new start block arrived before the frame's end block: the sender began another frame."""
    UNTERMINATED = "unterminated"
    """The stream ended (or the reader was closed) inside a frame."""


class FramingProblem(msgspec.Struct, frozen=True):
    """One framing-level problem met by :class:`FrameReader`, in stream order with the frames."""

    kind: ProblemKind
    size: int
    """Bytes concerned: junk skipped, or the dropped frame's content length."""
    sample: bytes = b""
    """The first bytes concerned: 64 bytes of junk for logs; the content that arrived of an
    oversized, interrupted or unterminated frame (at most ``max_frame_bytes`` bytes)."""

    def describe(self) -> str:
        """A one-line description for logs and reject ACKs (never the content itself)."""
        if self.kind is ProblemKind.JUNK:
            return f"skipped {self.size} byte(s) outside any MLLP frame"
        if self.kind is ProblemKind.OVERSIZED:
            return f"MLLP frame of {self.size} bytes exceeds the size limit"
        if self.kind is ProblemKind.EMPTY:
            return "empty MLLP frame"
        if self.kind is ProblemKind.INTERRUPTED:
            return f"MLLP frame interrupted by a new start block after {self.size} bytes"
        return f"MLLP frame unfinished after {self.size} bytes"


def frame(message: bytes) -> bytes:
    """Wrap ``message`` in an MLLP frame.

    Raises :class:`FramingError` when the message itself contains a start or end block byte,
    which would desynchronise the receiver.
    """
    if START_BLOCK in message or END_BLOCK in message:
        raise FramingError("message contains an MLLP block character (0x0b or 0x1c)")
    return b"".join((START_BLOCK, message, _TRAILER))


class FrameReader:
    """Incremental MLLP decoder: ``feed(data)`` returns the frames and problems it completed."""

    __slots__ = ("_discarded", "_head", "_max", "_partial", "_swallow_cr")

    def __init__(self, max_frame_bytes: int = 1_048_576) -> None:
        if max_frame_bytes < 1:
            raise ValueError("max_frame_bytes must be positive")
        self._max = max_frame_bytes
        # Content of the frame in progress; None between frames.
        self._partial: bytearray | None = None
        # Length of the oversized frame in progress (-1 when not discarding) and its head.
        self._discarded = -1
        self._head = b""
        # A 0x1c ended the previous chunk: a 0x0d at the start of the next one belongs to it.
        self._swallow_cr = False

    @property
    def in_frame(self) -> bool:
        """True while a frame has started and not ended."""
        return self._partial is not None or self._discarded >= 0

    @property
    def buffered(self) -> int:
        """Bytes of the unfinished frame held in memory."""
        return len(self._partial) if self._partial is not None else len(self._head)

    def feed(self, data: bytes) -> list[bytes | FramingProblem]:
        """Consume ``data``; return the frame contents and problems it completed, in order."""
        out: list[bytes | FramingProblem] = []
        size = len(data)
        pos = 0
        if self._swallow_cr and size:
            self._swallow_cr = False
            if data[0] == _CR:
                pos = 1
        while pos < size:
            if not self.in_frame:
                start = data.find(START_BLOCK, pos)
                if start < 0:
                    out.append(_junk(data, pos, size))
                    break
                if start > pos:
                    out.append(_junk(data, pos, start))
                pos = start + 1
                self._partial = bytearray()
            end = data.find(END_BLOCK, pos)
            limit = size if end < 0 else end
            restart = data.find(START_BLOCK, pos, limit)
            if restart >= 0:
                self._append(data, pos, restart)
                out.append(self._drop_unfinished(ProblemKind.INTERRUPTED))
                pos = restart
                continue
            if end < 0:
                self._append(data, pos, size)
                break
            out.append(self._finish(data, pos, end))
            pos = end + 1
            if pos == size:
                self._swallow_cr = True
            elif data[pos] == _CR:
                pos += 1
        return out

    def close(self) -> FramingProblem | None:
        """The stream ended: report an unfinished frame, if any, and reset."""
        if not self.in_frame:
            return None
        return self._drop_unfinished(ProblemKind.UNTERMINATED)

    def _append(self, data: bytes, start: int, stop: int) -> None:
        """Keep a piece of the unfinished frame, switching to discard mode past the limit."""
        if self._discarded >= 0:
            self._discarded += stop - start
            return
        partial = self._partial
        assert partial is not None
        length = len(partial) + stop - start
        if length > self._max:
            self._head = self._first(partial, data, start, stop)
            self._discarded = length
            self._partial = None
            return
        partial += memoryview(data)[start:stop]

    def _finish(self, data: bytes, start: int, end: int) -> bytes | FramingProblem:
        """The frame ends at ``end``: return its content, or the problem it is."""
        if self._discarded >= 0:
            problem = FramingProblem(
                ProblemKind.OVERSIZED, self._discarded + end - start, self._head
            )
            self._discarded, self._head = -1, b""
            return problem
        partial = self._partial
        assert partial is not None
        self._partial = None
        length = len(partial) + end - start
        if length > self._max:
            head = self._first(partial, data, start, end)
            return FramingProblem(ProblemKind.OVERSIZED, length, head)
        if partial:
            partial += data[start:end]
            return bytes(partial)
        if length == 0:
            return FramingProblem(ProblemKind.EMPTY, 0)
        # The common case: the whole frame arrived in one chunk, one slice and no buffer.
        return data[start:end]

    def _drop_unfinished(self, kind: ProblemKind) -> FramingProblem:
        """Abandon the frame in progress, reporting what arrived of it (bounded by the limit)."""
        if self._discarded >= 0:
            problem = FramingProblem(kind, self._discarded, self._head)
        else:
            content = bytes(self._partial or b"")
            problem = FramingProblem(kind, len(content), content)
        self._partial, self._discarded, self._head = None, -1, b""
        return problem

    def _first(self, partial: bytearray, data: bytes, start: int, stop: int) -> bytes:
        """The first ``max_frame_bytes`` of a frame begun in ``partial`` and going on in ``data``."""
        head = bytes(partial[: self._max])
        missing = self._max - len(head)
        if missing > 0:
            head += data[start : min(stop, start + missing)]
        return head


def _junk(data: bytes, start: int, stop: int) -> FramingProblem:
    sample = data[start : min(stop, start + _SAMPLE_BYTES)]
    return FramingProblem(ProblemKind.JUNK, stop - start, sample)
