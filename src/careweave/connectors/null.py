"""A destination that accepts everything and does nothing (benchmarks, dry runs)."""

from __future__ import annotations

import msgspec

from careweave.connectors.base import BaseDestination, ConnectorConfig, Receipt
from careweave.model.records import Effect


class NullDestinationConfig(
    msgspec.Struct,
    ConnectorConfig,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="null",
    tag_field="type",
):
    """Settings of the null destination (it has none)."""


class NullDestination(BaseDestination):
    """Accepts every effect at once."""

    def __init__(self) -> None:
        self.delivered = 0

    async def deliver(self, effect: Effect) -> Receipt:
        """Count the effect and accept it."""
        self.delivered += 1
        return Receipt(status=0, response="discarded")
