"""The ERP system connector: items, stock, procurement and journals over a cloud ERP's REST API.

:class:`ErpConnector` speaks API v1 or v2 (``ErpConfig.api_version``), holds OAuth2 tokens,
keeps to the rate limit, batches through bulk endpoints and sends an Idempotency-Key derived
from each request's ``business_key``; failures are careweave delivery errors. The requests are
careweave's canonical ones (:mod:`careweave.model.erp`), re-exported here.
"""

from careweave.connectors.erp.client import ApiDeprecation, ErpConnector
from careweave.connectors.erp.config import ApiVersion, ErpConfig
from careweave.connectors.erp.destination import ErpDestination
from careweave.connectors.erp.rate_limit import AsyncRateLimiter, TokenBucket
from careweave.connectors.erp.translate import idempotency_key
from careweave.model.erp import (
    ErpItem,
    GlSegments,
    InventoryTransactionRequest,
    JournalLine,
    JournalRequest,
    PostOutcome,
    PurchaseOrderLine,
    PurchaseOrderRequest,
    RequisitionLine,
    RequisitionRequest,
)

__all__ = [
    "ApiDeprecation",
    "ApiVersion",
    "AsyncRateLimiter",
    "ErpConfig",
    "ErpConnector",
    "ErpDestination",
    "ErpItem",
    "GlSegments",
    "InventoryTransactionRequest",
    "JournalLine",
    "JournalRequest",
    "PostOutcome",
    "PurchaseOrderLine",
    "PurchaseOrderRequest",
    "RequisitionLine",
    "RequisitionRequest",
    "TokenBucket",
    "idempotency_key",
]
