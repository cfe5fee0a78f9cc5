"""The payload codec: the one seam between the store's opaque payload columns and their bytes.

Raw messages, event payloads and effect payloads pass through it on the way in and out. Turning on
encryption at rest (AES-GCM with a key id) means passing another codec; no schema or flow changes.
"""

from __future__ import annotations

from typing import Protocol


class PayloadCodec(Protocol):
    """Turns payload bytes into stored bytes and back."""

    def seal(self, data: bytes) -> bytes:
        """Bytes to store for ``data``."""
        ...

    def open(self, stored: bytes) -> bytes:
        """The original bytes of a stored payload."""
        ...


class PlainCodec:
    """Stores payloads as they are."""

    def seal(self, data: bytes) -> bytes:
        """Return ``data`` unchanged."""
        return data

    def open(self, stored: bytes) -> bytes:
        """Return ``stored`` unchanged."""
        return stored
