"""The ``x12`` channel format: an inbound X12 file decoded into its interchanges and transactions.

The decode step keeps the raw text next to the parsed document, since the 999 and 277 readers
read from text. An X12 file that cannot be read at all (no ISA) puts the message in error.
"""

from __future__ import annotations

import msgspec

from careweave.codecs.x12.document import X12Document, read_document
from careweave.model.envelope import Envelope, Step

X12_CONTENT_TYPE = "application/edi-x12"


class X12Inbound(msgspec.Struct, frozen=True):
    """An inbound X12 file: its bytes and its parsed document."""

    raw: bytes
    document: X12Document


def x12_decode() -> Step:
    """A channel step that parses the message as X12 (envelopes and loop trees)."""

    def step(envelope: Envelope) -> None:
        raw = envelope.message.raw
        envelope.decoded = X12Inbound(raw=raw, document=read_document(raw, check=False))

    return step
