"""What the simulated ERP keeps: its own records, independent of any API version's shape."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec

#: Order of the segments in a GL account string such as ``"10-4010-61000-300-000"``.
SEGMENT_ORDER = ("entity", "cost_center", "account", "service_line", "physician_group")

LocationKind = Literal["or", "cath_lab", "central_supply", "pharmacy", "clinic", "other"]
TransactionType = Literal["issue", "return", "receipt"]


class Segments(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The chart-of-accounts segments of one GL line (v2 shape; v1 joins them with ``-``)."""

    entity: str
    cost_center: str
    account: str
    service_line: str = "000"
    physician_group: str = "000"

    def to_account_string(self) -> str:
        """The v1 account string: segments in :data:`SEGMENT_ORDER` joined with ``-``."""
        return "-".join(getattr(self, name) for name in SEGMENT_ORDER)


class ItemRecord(msgspec.Struct, frozen=True):
    """An item master entry."""

    item_number: str
    description: str
    uom: str
    standard_cost: Decimal
    gtin: str | None = None
    manufacturer: str | None = None
    catalog_number: str | None = None
    consigned: bool = False


class LocationRecord(msgspec.Struct, frozen=True):
    """A stocking location (OR, cath lab, central supply) of a facility and legal entity."""

    location_id: str
    name: str
    kind: LocationKind
    facility: str
    entity: str


class CostCenterRecord(msgspec.Struct, frozen=True):
    """A cost center of a legal entity."""

    code: str
    name: str
    entity: str
    service_line: str | None = None


class InventoryTransactionRecord(msgspec.Struct, frozen=True):
    """An inventory movement and the on-hand quantity it left."""

    transaction_id: str
    transaction_type: TransactionType
    item_number: str
    location_id: str
    quantity: int
    on_hand_after: int
    lot: str | None = None
    serial: str | None = None
    reference: str | None = None


class RequisitionLineRecord(msgspec.Struct, frozen=True):
    """One requested item."""

    item_number: str
    quantity: int


class RequisitionRecord(msgspec.Struct, frozen=True):
    """A replenishment request from a location."""

    requisition_id: str
    location_id: str
    lines: list[RequisitionLineRecord]
    reason: str = "par"
    reference: str | None = None
    status: str = "open"


class PurchaseOrderLineRecord(msgspec.Struct, frozen=True):
    """A PO line; bill-only lines carry the patient, procedure, lot and serial of the implant."""

    item_number: str
    quantity: int
    unit_cost: Decimal
    patient_id: str | None = None
    procedure_code: str | None = None
    procedure_date: dt.date | None = None
    lot: str | None = None
    serial: str | None = None


class PurchaseOrderRecord(msgspec.Struct, frozen=True):
    """A purchase order (bill-only when a consigned implant was used in a case)."""

    po_number: str
    vendor: str
    entity: str
    bill_only: bool
    lines: list[PurchaseOrderLineRecord]
    reference: str | None = None
    status: str = "open"


class JournalLineRecord(msgspec.Struct, frozen=True):
    """One debit or credit of a journal."""

    line_no: int
    segments: Segments
    debit: Decimal
    credit: Decimal
    memo: str = ""


class JournalRecord(msgspec.Struct, frozen=True):
    """A posted journal."""

    journal_id: str
    external_id: str
    entity: str
    posting_date: dt.date
    description: str
    source: str
    currency: str
    lines: list[JournalLineRecord]
