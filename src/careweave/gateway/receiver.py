"""What the gateway needs of the engine: one call that stores a message after running its channel."""

from __future__ import annotations

from typing import Protocol

from careweave.model.records import IngestResult, Processing


class Receiver(Protocol):
    """Stores an inbound message (``careweave.engine.runtime.Engine`` is one)."""

    async def receive(
        self,
        channel: str,
        raw: bytes,
        *,
        content_type: str,
        sender: str = "",
        dedup_key: str | None = None,
    ) -> tuple[IngestResult, Processing]:
        """Run the channel on ``raw`` and commit it; returns once the message is durable."""
        ...
