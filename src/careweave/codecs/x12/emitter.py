"""Write X12: segments from Python values, and the ISA/GS/ST envelopes around them.

Elements are strings; a composite is a tuple of strings. Trailing empty elements and components
are dropped, as the standard requires. Counts (SE01, GE01, IEA01) are computed, never typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from careweave.codecs.x12.control import ControlNumberSource
from careweave.codecs.x12.tokenizer import Delimiters
from careweave.exceptions import X12Error

Element = str | tuple[str, ...]
SegmentValues = tuple[str, Sequence[Element]]


class EnvelopeConfig(msgspec.Struct, frozen=True):
    """Who sends to whom, and how the interchange is marked."""

    sender_id: str
    """ISA06 (and GS02 unless ``application_sender`` is set)."""
    receiver_id: str
    """ISA08 (and GS03 unless ``application_receiver`` is set)."""
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    usage: str = "P"
    """ISA15: P production, T test."""
    acknowledgment_requested: str = "0"
    """ISA14: 1 asks for a TA1."""
    delimiters: Delimiters = Delimiters("*", ":", "~", "^")
    newline: bool = True
    """Put a newline after each terminator (easier to read, ignored by readers)."""
    application_sender: str = ""
    """GS02 (empty: ``sender_id``)."""
    application_receiver: str = ""
    """GS03 (empty: ``receiver_id``)."""


def _check(value: str, delimiters: Delimiters) -> str:
    for delimiter in (delimiters.element, delimiters.component, delimiters.segment):
        if delimiter in value:
            raise X12Error(f"value {value!r} contains the delimiter {delimiter!r}")
    return value


def render_segment(segment_id: str, elements: Sequence[Element], delimiters: Delimiters) -> str:
    """One segment as text, terminator included, trailing empties dropped."""
    parts = [segment_id]
    for element in elements:
        if isinstance(element, tuple):
            components = [_check(c, delimiters) for c in element]
            while components and not components[-1]:
                components.pop()
            parts.append(delimiters.component.join(components))
        else:
            parts.append(_check(element, delimiters))
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    return delimiters.element.join(parts) + delimiters.segment


class TransactionBody(msgspec.Struct, frozen=True):
    """The segments of one transaction set between ST and SE."""

    transaction_id: str
    implementation: str
    segments: list[SegmentValues]


def build_interchange(
    groups: Sequence[tuple[str, str, Sequence[TransactionBody]]],
    config: EnvelopeConfig,
    numbers: ControlNumberSource,
    created: datetime,
) -> str:
    """An interchange holding one functional group per ``(GS01, GS08, transactions)`` item."""
    d = config.delimiters
    end = d.segment + ("\n" if config.newline else "")
    isa_number = f"{numbers.next('interchange'):09d}"
    isa = [
        "ISA", "00", " " * 10, "00", " " * 10, config.sender_qualifier,
        config.sender_id.ljust(15)[:15], config.receiver_qualifier,
        config.receiver_id.ljust(15)[:15], created.strftime("%y%m%d"), created.strftime("%H%M"),
        d.repetition or "U", "00501", isa_number, config.acknowledgment_requested,
        config.usage, d.component,
    ]  # fmt: skip
    out = [d.element.join(isa) + end]

    def emit(segment_id: str, elements: Sequence[Element]) -> None:
        out.append(render_segment(segment_id, elements, d)[:-1] + end)

    for functional_id, version, transactions in groups:
        group_number = str(numbers.next("group"))
        emit("GS", [functional_id, config.application_sender or config.sender_id,
                    config.application_receiver or config.receiver_id,
                    created.strftime("%Y%m%d"), created.strftime("%H%M"), group_number, "X",
                    version])  # fmt: skip
        for body in transactions:
            st_number = f"{numbers.next('transaction'):04d}"
            emit("ST", [body.transaction_id, st_number, body.implementation])
            for segment_id, elements in body.segments:
                emit(segment_id, elements)
            emit("SE", [str(len(body.segments) + 2), st_number])
        emit("GE", [str(len(transactions)), group_number])
    emit("IEA", [str(len(groups)), isa_number])
    return "".join(out)
