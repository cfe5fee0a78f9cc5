"""What the engine needs of a flow, and what a flow hands back (flows live in careweave.flows).

Defined in the model so that imports keep pointing one way: the engine runs flows and flows build
effects without either importing the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from careweave.model.base import BusinessEvent
from careweave.model.records import NewCase, NewEffect
from careweave.model.state import BusinessState, NoBusinessState

ERP_DESTINATION = "erp"
"""Where careweave's ERP flows send journals, movements, requisitions and POs by default."""
RCM_DESTINATION = "revenue-cycle"
"""Where patient-to-billing sends charges and encounters by default."""
GENERAL_LEDGER_DESTINATION = "general-ledger"
"""Where remittance-posting sends each 835 posting by default."""


class Flow(Protocol):
    """A process flow as a channel runs it."""

    def wants(self, event: BusinessEvent) -> bool:
        """True when the flow runs for ``event``."""
        ...

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """React to one event."""
        ...


@dataclass
class FlowOutput:
    """What flows emitted for one message, and the business state they read and change."""

    state: BusinessState = field(default_factory=NoBusinessState)
    """Business state inside the transaction that commits the message (see careweave.model.state)."""
    effects: list[NewEffect] = field(default_factory=list)
    cases: list[NewCase] = field(default_factory=list)
    events: list[BusinessEvent] = field(default_factory=list)
    """Derived events (``InventoryIssued``, ``JournalPrepared``), stored in the message's lineage."""

    def send(
        self,
        destination: str,
        idempotency_key: str,
        payload: msgspec.Struct | bytes,
        *,
        ordering_key: str | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Queue an effect for ``destination`` (a configured destination name)."""
        body = payload if isinstance(payload, bytes) else msgspec.json.encode(payload)
        self.effects.append(
            NewEffect(
                destination=destination,
                idempotency_key=idempotency_key,
                payload=body,
                content_type=content_type,
                ordering_key=ordering_key,
            )
        )

    def park(self, case: NewCase) -> None:
        """Park part of the message's work on an exception case (opened or joined by key)."""
        self.cases.append(case)

    def emit(self, event: BusinessEvent) -> None:
        """Record a derived event."""
        self.events.append(event)
