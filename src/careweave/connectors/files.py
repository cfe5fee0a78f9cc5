"""File destination: each effect becomes a file in a folder, written atomically.

The file name carries the idempotency key, so a re-delivered effect overwrites its own file instead of
creating a second one.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Annotated

import msgspec

from careweave.connectors.base import BaseDestination, ConnectorConfig, Receipt
from careweave.exceptions import TransientDeliveryError
from careweave.model.records import Effect


class FileDestinationConfig(
    msgspec.Struct,
    ConnectorConfig,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="file",
    tag_field="type",
):
    """Settings of a file destination."""

    directory: Annotated[str, msgspec.Meta(min_length=1)]
    """The folder effects are written to (created if missing)."""
    suffix: str = ".dat"
    """File name suffix (``.hl7``, ``.x12``, ``.json``)."""


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


class FileDestination(BaseDestination):
    """Writes each effect to a file."""

    def __init__(self, config: FileDestinationConfig) -> None:
        self.config = config
        self.directory = Path(config.directory)

    async def deliver(self, effect: Effect) -> Receipt:
        """Write the effect's payload under a name derived from its idempotency key."""
        digest = hashlib.sha256(effect.idempotency_key.encode()).hexdigest()[:24]
        path = self.directory / f"{digest}{self.config.suffix}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(_write_atomically, path, effect.payload or b"")
        except OSError as exc:
            raise TransientDeliveryError(f"cannot write {path}: {exc}") from exc
        return Receipt(status=None, response=str(path))
