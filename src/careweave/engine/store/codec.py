"""The payload codec: the one seam between the store's columns that may hold PHI and their contents.

Raw messages, event payloads, effect payloads and business-state values pass through :meth:`seal`
and :meth:`open`; free text that can quote a field value (a message's error, an effect's last
error, a delivery attempt's response) through :meth:`seal_text` and :meth:`open_text`; keys the
store compares in SQL (dedup, ordering and idempotency keys) through :meth:`seal_key` and
:meth:`open_key`, which must be deterministic so that equality still works. Turning on encryption
at rest (:class:`careweave.engine.store.aes_codec.AesGcmCodec`) means passing another codec; no
schema or flow changes.
"""

from __future__ import annotations

from typing import Protocol


class PayloadCodec(Protocol):
    """Turns what the store is given into what it writes, and back."""

    @property
    def seals_fields(self) -> bool:
        """Whether text and keys change on the way in (False: the store skips copying records)."""
        ...

    def seal(self, data: bytes) -> bytes:
        """Bytes to store for ``data``."""
        ...

    def open(self, stored: bytes) -> bytes:
        """The original bytes of a stored payload."""
        ...

    def seal_text(self, text: str) -> str:
        """Text to store for ``text`` (an error message, a response body)."""
        ...

    def open_text(self, stored: str) -> str:
        """The original of a stored text."""
        ...

    def seal_key(self, key: str) -> str:
        """A key to store for ``key``: the same ``key`` always gives the same stored key."""
        ...

    def open_key(self, stored: str) -> str:
        """The original of a stored key."""
        ...

    def search_terms(self, text: str) -> list[str]:
        """SQL ``LIKE`` patterns that find the stored dedup keys an operator's ``text`` names."""
        ...

    def seal_dedup_key(self, key: str) -> str:
        """The stored form of a message's dedup key (unique per channel, searchable)."""
        ...

    def open_dedup_key(self, stored: str) -> str:
        """The original of a stored dedup key."""
        ...


class PlainCodec:
    """Stores everything as it is."""

    seals_fields = False

    def seal(self, data: bytes) -> bytes:
        """Return ``data`` unchanged."""
        return data

    def open(self, stored: bytes) -> bytes:
        """Return ``stored`` unchanged."""
        return stored

    def seal_text(self, text: str) -> str:
        """Return ``text`` unchanged."""
        return text

    def open_text(self, stored: str) -> str:
        """Return ``stored`` unchanged."""
        return stored

    def seal_key(self, key: str) -> str:
        """Return ``key`` unchanged."""
        return key

    def open_key(self, stored: str) -> str:
        """Return ``stored`` unchanged."""
        return stored

    def search_terms(self, text: str) -> list[str]:
        """Any dedup key containing ``text``."""
        return [f"%{text}%"]

    def seal_dedup_key(self, key: str) -> str:
        """Return ``key`` unchanged."""
        return key

    def open_dedup_key(self, stored: str) -> str:
        """Return ``stored`` unchanged."""
        return stored
