"""Rebuilding careweave's ERP-side views from the store after a restart.

The ledger book and the inventory position are views over the effects the flows queued, which the
store keeps durably. At start, a process rebuilds them from the ERP destination's effects (pending,
in flight and delivered: all of them will reach the ERP, and a dead one waits for a replay), so the
month-end accrual and the par checks see what was posted before the restart.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from careweave.connectors.erp.destination import INVENTORY_TRANSACTION, JOURNAL, REQUISITION
from careweave.connectors.erp.models import (
    InventoryTransactionRequest,
    JournalRequest,
    RequisitionRequest,
)
from careweave.engine.records import Effect, EffectState
from careweave.engine.store.base import BaseStore
from careweave.erp.inventory import InventoryPosition
from careweave.erp.ledger import LedgerBook

_LIVE = (EffectState.PENDING, EffectState.IN_FLIGHT, EffectState.DELIVERED, EffectState.DEAD)


async def erp_effects(store: BaseStore, destination: str, limit: int = 10_000_000) -> list[Effect]:
    """Every effect of the ERP destination, oldest first."""
    effects: list[Effect] = []
    for state in _LIVE:
        effects += await store.list_effects(destination=destination, state=state, limit=limit)
    return sorted(effects, key=lambda e: e.id)


def journals_of(effects: list[Effect]) -> list[JournalRequest]:
    """The journals among ``effects``, once per business key."""
    seen: dict[str, JournalRequest] = {}
    for effect in effects:
        if effect.content_type == JOURNAL and effect.payload is not None:
            journal = msgspec.json.decode(effect.payload, type=JournalRequest)
            seen.setdefault(journal.business_key, journal)
    return list(seen.values())


def position_of(
    effects: list[Effect], opening: Mapping[tuple[str, str], int] | None = None
) -> InventoryPosition:
    """Opening stock plus every movement and requisition among ``effects``, once per key."""
    position = InventoryPosition(opening)
    for effect in effects:
        if effect.payload is None:
            continue
        if effect.content_type == INVENTORY_TRANSACTION:
            tx = msgspec.json.decode(effect.payload, type=InventoryTransactionRequest)
            sign = -1 if tx.transaction_type == "issue" else 1
            position.apply(
                effect.idempotency_key, tx.location_id, tx.item_number, sign * tx.quantity
            )
        elif effect.content_type == REQUISITION:
            req = msgspec.json.decode(effect.payload, type=RequisitionRequest)
            for line in req.lines:
                position.order(
                    effect.idempotency_key, req.location_id, line.item_number, line.quantity
                )
    return position


async def rebuild(
    store: BaseStore,
    destination: str,
    opening: Mapping[tuple[str, str], int] | None = None,
) -> tuple[LedgerBook, InventoryPosition]:
    """The ledger book and inventory position as the store's ERP effects leave them."""
    effects = await erp_effects(store, destination)
    return LedgerBook(journals_of(effects)), position_of(effects, opening)
