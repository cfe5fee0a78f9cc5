"""Destination connectors: one async method, ``deliver``.

A connector converts every foreign failure (socket, HTTP client, driver) into careweave's own
:class:`~careweave.exceptions.DeliveryError` family at this boundary, and says whether it is retryable.
"""

from __future__ import annotations

import abc

import msgspec

from careweave.engine.records import Effect


class Receipt(msgspec.Struct, frozen=True):
    """What the destination answered to a delivered effect."""

    status: int | None = None
    response: str | None = None
    """The destination's answer, shortened for storage (ERP document id, ACK, HTTP body)."""


class BaseDestination(abc.ABC):
    """A system careweave delivers effects to."""

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Acquire connections; the default does nothing."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default does nothing."""

    @abc.abstractmethod
    async def deliver(self, effect: Effect) -> Receipt:
        """Deliver one effect, sending its idempotency key; raise DeliveryError on failure."""


def shorten(text: str, limit: int = 2000) -> str:
    """Cut a response for storage in the attempt record."""
    return text if len(text) <= limit else text[:limit] + "…"
