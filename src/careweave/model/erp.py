"""careweave's canonical ERP requests and what the ERP answers, independent of API version.

Flows build these requests and queue them as effects whose content type names the operation
(:data:`JOURNAL`, :data:`INVENTORY_TRANSACTION`, :data:`REQUISITION`, :data:`PURCHASE_ORDER`); the
ERP connector (:mod:`careweave.connectors.erp`) delivers them. Each request carries
``business_key``: the business identity of the effect (for example ``"encounter E1/charge 3/v1"``).
The connector derives the Idempotency-Key from it, so that a retried or re-delivered effect is
recognised by the ERP and never applied twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec

JOURNAL = "application/vnd.careweave.erp.journal+json"
"""Content type of an effect carrying a :class:`JournalRequest`."""
INVENTORY_TRANSACTION = "application/vnd.careweave.erp.inventory-transaction+json"
"""Content type of an effect carrying an :class:`InventoryTransactionRequest`."""
REQUISITION = "application/vnd.careweave.erp.requisition+json"
"""Content type of an effect carrying a :class:`RequisitionRequest`."""
PURCHASE_ORDER = "application/vnd.careweave.erp.purchase-order+json"
"""Content type of an effect carrying a :class:`PurchaseOrderRequest`."""


class GlSegments(msgspec.Struct, frozen=True):
    """Chart-of-accounts segments of a GL line."""

    entity: str
    cost_center: str
    account: str
    service_line: str = "000"
    physician_group: str = "000"

    def to_account_string(self) -> str:
        """The segments joined with ``-`` (entity-cost_center-account-service_line-group)."""
        return "-".join(
            (self.entity, self.cost_center, self.account, self.service_line, self.physician_group)
        )


class JournalLine(msgspec.Struct, frozen=True):
    """One debit or credit; exactly one of the two amounts is non-zero."""

    segments: GlSegments
    debit: Decimal = Decimal("0.00")
    credit: Decimal = Decimal("0.00")
    memo: str = ""


class JournalRequest(msgspec.Struct, frozen=True):
    """A journal careweave wants posted to the general ledger."""

    business_key: str
    entity: str
    posting_date: dt.date
    lines: list[JournalLine]
    description: str = ""
    source: str = "careweave"
    currency: str = "USD"


OutcomeStatus = Literal["posted", "replayed", "rejected"]


class PostOutcome(msgspec.Struct, frozen=True):
    """What became of one request: accepted (now, or before: ``replayed``) or rejected, and why.

    ``document_id`` is the ERP's id of what it created (journal, PO, transaction number).
    """

    business_key: str
    status: OutcomeStatus
    document_id: str | None = None
    error: str | None = None


class ErpItem(msgspec.Struct, frozen=True):
    """An ERP item master entry, whatever the API version says."""

    item_number: str
    description: str
    uom: str
    standard_cost: Decimal
    gtin: str | None = None
    manufacturer: str | None = None
    catalog_number: str | None = None
    consigned: bool = False


class InventoryTransactionRequest(msgspec.Struct, frozen=True):
    """Issue, return or receipt of stock at a location (lot and serial for implants)."""

    business_key: str
    transaction_type: Literal["issue", "return", "receipt"]
    item_number: str
    location_id: str
    quantity: int
    lot: str | None = None
    serial: str | None = None
    reference: str | None = None


class RequisitionLine(msgspec.Struct, frozen=True):
    """One requested item."""

    item_number: str
    quantity: int


class RequisitionRequest(msgspec.Struct, frozen=True):
    """A replenishment requisition (for example when stock falls below par)."""

    business_key: str
    location_id: str
    lines: list[RequisitionLine]
    reason: str = "par"
    reference: str | None = None


class PurchaseOrderLine(msgspec.Struct, frozen=True):
    """A PO line; a bill-only line names the patient, procedure and device used."""

    item_number: str
    quantity: int
    unit_cost: Decimal
    patient_id: str | None = None
    procedure_code: str | None = None
    procedure_date: dt.date | None = None
    lot: str | None = None
    serial: str | None = None


class PurchaseOrderRequest(msgspec.Struct, frozen=True):
    """A purchase order; ``bill_only`` for consigned implants already used in a case."""

    business_key: str
    vendor: str
    entity: str
    lines: list[PurchaseOrderLine]
    bill_only: bool = False
    reference: str | None = None
