"""MLLP destination: send each effect as an HL7 message and require an accepting ACK.

AA/CA: delivered. AR/CR: the peer refused the message (permanent). AE/CE: the peer failed to process
it; retried, since that is most often a passing condition on the peer's side.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec

from careweave.connectors.base import BaseDestination, ConnectorConfig, Receipt, shorten
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.exceptions import PermanentDeliveryError, TransientDeliveryError
from careweave.model.records import Effect


class MllpDestinationConfig(
    msgspec.Struct,
    ConnectorConfig,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="mllp",
    tag_field="type",
):
    """An MLLP peer as a destination: each effect is sent as an HL7 message and must be ACKed AA."""

    host: Annotated[str, msgspec.Meta(min_length=1)]
    """Peer address."""
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)]
    """Peer port."""
    ack_timeout: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    """Seconds to wait for the ACK."""


class MllpDestination(BaseDestination):
    """Delivers effects to an MLLP peer over one connection."""

    def __init__(self, config: MllpDestinationConfig) -> None:
        self.config = config
        self._client = MllpClient(config.host, config.port, ack_timeout=config.ack_timeout)
        self._lock = asyncio.Lock()  # MLLP is stop-and-wait on one connection

    async def close(self) -> None:
        """Close the connection."""
        await self._client.close()

    async def deliver(self, effect: Effect) -> Receipt:
        """Send the message and judge its ACK."""
        async with self._lock:
            ack = await self._client.send(effect.payload or b"")
        code = ack_code(ack)
        text = shorten(ack.decode("utf-8", "replace"))
        if code in {"AA", "CA"}:
            return Receipt(status=None, response=text)
        if code in {"AR", "CR"}:
            raise PermanentDeliveryError(f"peer rejected the message ({code})", response=text)
        raise TransientDeliveryError(f"peer answered {code or 'no MSA-1'}", response=text)
