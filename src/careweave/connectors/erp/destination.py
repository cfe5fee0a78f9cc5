"""The ERP as an engine destination: one stored effect in, one ERP document out.

The effect's ``content_type`` names the ERP operation and its payload is the canonical request
as JSON. The effect's idempotency key becomes the request's business key, so the ERP sees the
same Idempotency-Key on every attempt the engine makes for that effect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from careweave.connectors.base import BaseDestination, Receipt
from careweave.connectors.erp.client import ErpConnector
from careweave.exceptions import PermanentDeliveryError
from careweave.model.erp import (
    INVENTORY_TRANSACTION,
    JOURNAL,
    PURCHASE_ORDER,
    REQUISITION,
    InventoryTransactionRequest,
    JournalRequest,
    PostOutcome,
    PurchaseOrderRequest,
    RequisitionRequest,
)
from careweave.model.records import Effect

_Operation = tuple[type[Any], Callable[[ErpConnector, Any], Awaitable[PostOutcome]]]
_OPERATIONS: dict[str, _Operation] = {
    JOURNAL: (JournalRequest, ErpConnector.post_journal),
    INVENTORY_TRANSACTION: (InventoryTransactionRequest, ErpConnector.record_inventory_transaction),
    REQUISITION: (RequisitionRequest, ErpConnector.create_requisition),
    PURCHASE_ORDER: (PurchaseOrderRequest, ErpConnector.create_purchase_order),
}


class ErpDestination(BaseDestination):
    """Delivers journal, inventory, requisition and purchase-order effects to the ERP."""

    def __init__(self, connector: ErpConnector) -> None:
        self.connector = connector

    async def close(self) -> None:
        """Close the connector's connections."""
        await self.connector.aclose()

    async def deliver(self, effect: Effect) -> Receipt:
        """Send the effect's request; the receipt's response is the ERP document id."""
        operation = _OPERATIONS.get(effect.content_type)
        if operation is None:
            raise PermanentDeliveryError(
                f"effect {effect.id}: the ERP destination cannot deliver {effect.content_type!r}"
            )
        request_type, send = operation
        try:
            request = msgspec.json.decode(effect.payload or b"", type=request_type)
        except msgspec.DecodeError as exc:
            raise PermanentDeliveryError(f"effect {effect.id}: malformed payload: {exc}") from exc
        request = msgspec.structs.replace(request, business_key=effect.idempotency_key)
        outcome = await send(self.connector, request)
        return Receipt(
            status=200 if outcome.status == "replayed" else 201, response=outcome.document_id
        )
