"""MLLP destination: send each effect as an HL7 message and require an accepting ACK.

AA/CA: delivered. AR/CR: the peer refused the message (permanent). AE/CE: the peer failed to process
it; retried, since that is most often a passing condition on the peer's side.

With ``tls = { ca = "...", cert = "...", key = "..." }`` the connection is TLS (files relative to the
settings file), with a client certificate for a peer that requires mutual TLS.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Self

import msgspec

from careweave.connectors.base import BaseDestination, ConnectorConfig, Receipt, shorten
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.connectors.tls import client_context
from careweave.exceptions import PermanentDeliveryError, TransientDeliveryError
from careweave.model.records import Effect


class MllpClientTlsConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """TLS towards an MLLP peer: PEM files, relative to the settings file."""

    ca: str | None = None
    """CA certificate(s) the peer's certificate must chain to (the system's when absent)."""
    cert: str | None = None
    """careweave's client certificate, for a peer that requires mutual TLS (with ``key``)."""
    key: str | None = None
    """Its private key, PEM."""

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            raise ValueError("cert and key go together: set both or neither")

    def relative_to(self, folder: Path) -> MllpClientTlsConfig:
        """The same files, relative paths read from ``folder``."""
        return MllpClientTlsConfig(
            ca=_under(folder, self.ca), cert=_under(folder, self.cert), key=_under(folder, self.key)
        )


def _under(folder: Path, path: str | None) -> str | None:
    return str(folder / path) if path is not None else None


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
    tls: MllpClientTlsConfig | None = None
    """TLS to the peer (plain TCP when absent)."""

    def with_files_from(self, folder: Path) -> Self:
        """The TLS files' relative paths read from ``folder``."""
        if self.tls is None:
            return self
        return msgspec.structs.replace(self, tls=self.tls.relative_to(folder))


class MllpDestination(BaseDestination):
    """Delivers effects to an MLLP peer over one connection.

    The TLS files are read here, so a wrong path stops ``check`` and ``run`` (ConfigError).
    """

    def __init__(self, config: MllpDestinationConfig) -> None:
        self.config = config
        tls = config.tls
        context = (
            client_context(
                Path(tls.ca) if tls.ca else None,
                Path(tls.cert) if tls.cert else None,
                Path(tls.key) if tls.key else None,
            )
            if tls is not None
            else None
        )
        self._client = MllpClient(
            config.host, config.port, ack_timeout=config.ack_timeout, tls=context
        )
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
