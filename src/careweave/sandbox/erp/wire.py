"""Request and answer bodies of the simulated ERP's REST API.

Most shapes are the same in v1 and v2. Two differ, as they do when a vendor restructures a field:
an item's ``uom`` string (v1) became ``unit_of_measure: {code, description}`` (v2), and a journal
line's ``account`` string (v1, segments joined with ``-``) became ``segments: {entity,
cost_center, account, service_line, physician_group}`` (v2).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

from careweave.sandbox.erp.records import (
    ItemRecord,
    LocationKind,
    Segments,
    TransactionType,
)


class _In(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A request body: unknown fields are refused, as a strict ERP does."""


class ItemV1(_In, frozen=True):
    """An item, v1 shape."""

    item_number: str
    description: str
    uom: str
    standard_cost: Decimal
    gtin: str | None = None
    manufacturer: str | None = None
    catalog_number: str | None = None
    consigned: bool = False

    def to_record(self) -> ItemRecord:
        """The simulator's record of this item."""
        return ItemRecord(**msgspec.structs.asdict(self))

    @classmethod
    def from_record(cls, item: ItemRecord) -> ItemV1:
        """The v1 answer for an item."""
        return cls(**msgspec.structs.asdict(item))


class UnitOfMeasure(_In, frozen=True):
    """v2 unit of measure."""

    code: str
    description: str | None = None


class ItemV2(_In, frozen=True):
    """An item, v2 shape."""

    item_number: str
    description: str
    unit_of_measure: UnitOfMeasure
    standard_cost: Decimal
    gtin: str | None = None
    manufacturer: str | None = None
    catalog_number: str | None = None
    consigned: bool = False

    def to_record(self) -> ItemRecord:
        """The simulator's record of this item."""
        fields = msgspec.structs.asdict(self)
        fields["uom"] = fields.pop("unit_of_measure").code
        return ItemRecord(**fields)

    @classmethod
    def from_record(cls, item: ItemRecord) -> ItemV2:
        """The v2 answer for an item."""
        fields = msgspec.structs.asdict(item)
        fields["unit_of_measure"] = UnitOfMeasure(code=fields.pop("uom"))
        return cls(**fields)


class JournalLineV1(_In, frozen=True):
    """A journal line, v1 shape: the account is one string."""

    account: str
    debit: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    memo: str = ""


class JournalLineV2(_In, frozen=True):
    """A journal line, v2 shape: the account is a segments object."""

    segments: Segments
    debit: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    memo: str = ""


class JournalV1(_In, frozen=True):
    """A journal, v1 shape."""

    external_id: str
    entity: str
    posting_date: dt.date
    lines: list[JournalLineV1]
    description: str = ""
    source: str = "api"
    currency: str = "USD"


class JournalV2(_In, frozen=True):
    """A journal, v2 shape."""

    external_id: str
    entity: str
    posting_date: dt.date
    lines: list[JournalLineV2]
    description: str = ""
    source: str = "api"
    currency: str = "USD"


class BulkJournalV1(_In, frozen=True):
    """One journal of a bulk request, with its own idempotency key."""

    journal: JournalV1
    idempotency_key: str | None = None


class BulkJournalV2(_In, frozen=True):
    """One journal of a bulk request, with its own idempotency key."""

    journal: JournalV2
    idempotency_key: str | None = None


class BulkJournalsV1(_In, frozen=True):
    """POST /api/v1/journals/bulk."""

    journals: list[BulkJournalV1]


class BulkJournalsV2(_In, frozen=True):
    """POST /api/v2/journals/bulk."""

    journals: list[BulkJournalV2]


class BulkItemsV1(_In, frozen=True):
    """POST /api/v1/items/bulk."""

    items: list[ItemV1]


class BulkItemsV2(_In, frozen=True):
    """POST /api/v2/items/bulk."""

    items: list[ItemV2]


class BulkResult(msgspec.Struct, frozen=True, omit_defaults=True):
    """The outcome of one entry of a bulk request."""

    index: int
    status: int
    id: str | None = None
    error: str | None = None
    replayed: bool = False


class BulkResponse(msgspec.Struct, frozen=True):
    """Answer of a bulk endpoint: one result per entry, in request order."""

    results: list[BulkResult]


class PostedJournal(msgspec.Struct, frozen=True):
    """Answer to a posted journal."""

    journal_id: str
    external_id: str
    status: str = "posted"
    replayed: bool = False


class LocationIn(_In, frozen=True):
    """A stocking location to create."""

    location_id: str
    name: str
    kind: LocationKind
    facility: str
    entity: str


class CostCenterIn(_In, frozen=True):
    """A cost center to create."""

    code: str
    name: str
    entity: str
    service_line: str | None = None


class InventoryTransactionIn(_In, frozen=True):
    """An issue, return or receipt of stock at a location."""

    transaction_type: TransactionType
    item_number: str
    location_id: str
    quantity: int
    lot: str | None = None
    serial: str | None = None
    reference: str | None = None


class RequisitionLineIn(_In, frozen=True):
    """One line of a requisition."""

    item_number: str
    quantity: int


class RequisitionIn(_In, frozen=True):
    """A replenishment requisition."""

    location_id: str
    lines: list[RequisitionLineIn]
    reason: str = "par"
    reference: str | None = None


class PurchaseOrderLineIn(_In, frozen=True):
    """One line of a purchase order."""

    item_number: str
    quantity: int
    unit_cost: Decimal
    patient_id: str | None = None
    procedure_code: str | None = None
    procedure_date: dt.date | None = None
    lot: str | None = None
    serial: str | None = None


class PurchaseOrderIn(_In, frozen=True):
    """A purchase order; ``bill_only`` lines must carry patient, procedure and lot or serial."""

    vendor: str
    entity: str
    lines: list[PurchaseOrderLineIn]
    bill_only: bool = False
    reference: str | None = None


class OnHand(msgspec.Struct, frozen=True):
    """On-hand quantity of an item at a location."""

    item_number: str
    location_id: str
    quantity: int
