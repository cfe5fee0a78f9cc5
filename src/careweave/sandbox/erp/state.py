"""The simulated ERP's books: item master, locations, stock, documents and the general ledger.

Every method validates like the ERP would and raises :class:`~careweave.exceptions.ValidationError`
(answered 422) with a reason naming the offending field. One lock guards everything, because the
server's event loop writes while a test's thread reads.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

import msgspec

from careweave.exceptions import ValidationError
from careweave.sandbox.erp.ledger import TrialBalanceRow, trial_balance
from careweave.sandbox.erp.records import (
    CostCenterRecord,
    InventoryTransactionRecord,
    ItemRecord,
    JournalLineRecord,
    JournalRecord,
    LocationRecord,
    PurchaseOrderLineRecord,
    PurchaseOrderRecord,
    RequisitionLineRecord,
    RequisitionRecord,
)
from careweave.sandbox.erp.wire import InventoryTransactionIn, PurchaseOrderIn, RequisitionIn

_CENT = Decimal("0.01")


class ErpState:
    """In-memory books of the simulated ERP, readable from tests while the server runs."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._items: dict[str, ItemRecord] = {}
        self._locations: dict[str, LocationRecord] = {}
        self._cost_centers: dict[tuple[str, str], CostCenterRecord] = {}
        self._on_hand: Counter[tuple[str, str]] = Counter()
        self._transactions: list[InventoryTransactionRecord] = []
        self._requisitions: list[RequisitionRecord] = []
        self._purchase_orders: list[PurchaseOrderRecord] = []
        self._journals: list[JournalRecord] = []
        self._journal_keys: dict[str, JournalRecord] = {}

    # -- masters ---------------------------------------------------------------------------

    def put_item(self, item: ItemRecord) -> ItemRecord:
        """Create or replace an item."""
        if item.standard_cost < 0:
            raise ValidationError(f"item {item.item_number}: standard_cost must not be negative")
        with self._lock:
            self._items[item.item_number] = item
        return item

    def item(self, item_number: str) -> ItemRecord | None:
        """One item, or None."""
        with self._lock:
            return self._items.get(item_number)

    def items(self) -> list[ItemRecord]:
        """Every item."""
        with self._lock:
            return list(self._items.values())

    def add_location(self, location: LocationRecord) -> LocationRecord:
        """Create or replace a location."""
        with self._lock:
            self._locations[location.location_id] = location
        return location

    def locations(self) -> list[LocationRecord]:
        """Every location."""
        with self._lock:
            return list(self._locations.values())

    def add_cost_center(self, cost_center: CostCenterRecord) -> CostCenterRecord:
        """Create or replace a cost center of an entity."""
        with self._lock:
            self._cost_centers[(cost_center.entity, cost_center.code)] = cost_center
        return cost_center

    def cost_centers(self) -> list[CostCenterRecord]:
        """Every cost center."""
        with self._lock:
            return list(self._cost_centers.values())

    # -- inventory -------------------------------------------------------------------------

    def _require_item_and_location(self, item_number: str, location_id: str | None) -> None:
        if item_number not in self._items:
            raise ValidationError(f"item_number {item_number!r} is not in the item master")
        if location_id is not None and location_id not in self._locations:
            raise ValidationError(f"location_id {location_id!r} is not a known location")

    def record_transaction(self, tx: InventoryTransactionIn) -> InventoryTransactionRecord:
        """Apply an issue, return or receipt to the on-hand quantity."""
        if tx.quantity <= 0:
            raise ValidationError(f"quantity must be positive, got {tx.quantity}")
        with self._lock:
            self._require_item_and_location(tx.item_number, tx.location_id)
            slot = (tx.item_number, tx.location_id)
            delta = -tx.quantity if tx.transaction_type == "issue" else tx.quantity
            if self._on_hand[slot] + delta < 0:
                raise ValidationError(
                    f"cannot issue {tx.quantity} of {tx.item_number} at {tx.location_id}: "
                    f"{self._on_hand[slot]} on hand"
                )
            self._on_hand[slot] += delta
            record = InventoryTransactionRecord(
                transaction_id=f"IT-{len(self._transactions) + 1:07d}",
                on_hand_after=self._on_hand[slot],
                **msgspec.structs.asdict(tx),
            )
            self._transactions.append(record)
        return record

    def on_hand(self, item_number: str, location_id: str) -> int:
        """On-hand quantity of an item at a location."""
        with self._lock:
            return self._on_hand[(item_number, location_id)]

    def transactions(self) -> list[InventoryTransactionRecord]:
        """Every inventory transaction, oldest first."""
        with self._lock:
            return list(self._transactions)

    # -- procurement -----------------------------------------------------------------------

    def create_requisition(self, req: RequisitionIn) -> RequisitionRecord:
        """Open a replenishment requisition."""
        if not req.lines:
            raise ValidationError("a requisition needs at least one line")
        with self._lock:
            for n, line in enumerate(req.lines, 1):
                if line.quantity <= 0:
                    raise ValidationError(f"line {n}: quantity must be positive")
                self._require_item_and_location(line.item_number, req.location_id)
            record = RequisitionRecord(
                requisition_id=f"RQ-{len(self._requisitions) + 1:07d}",
                location_id=req.location_id,
                lines=[RequisitionLineRecord(x.item_number, x.quantity) for x in req.lines],
                reason=req.reason,
                reference=req.reference,
            )
            self._requisitions.append(record)
        return record

    def requisitions(self) -> list[RequisitionRecord]:
        """Every requisition, oldest first."""
        with self._lock:
            return list(self._requisitions)

    def create_purchase_order(self, po: PurchaseOrderIn) -> PurchaseOrderRecord:
        """Open a purchase order; a bill-only PO documents the case each implant was used in."""
        if not po.lines:
            raise ValidationError("a purchase order needs at least one line")
        with self._lock:
            for n, line in enumerate(po.lines, 1):
                self._require_item_and_location(line.item_number, None)
                if line.quantity <= 0 or line.unit_cost < 0:
                    raise ValidationError(f"line {n}: quantity and unit_cost must be positive")
                if po.bill_only:
                    missing = [
                        name
                        for name in ("patient_id", "procedure_code", "procedure_date")
                        if getattr(line, name) is None
                    ]
                    if line.lot is None and line.serial is None:
                        missing.append("lot or serial")
                    if missing:
                        raise ValidationError(
                            f"line {n}: a bill-only line needs {', '.join(missing)}"
                        )
            record = PurchaseOrderRecord(
                po_number=f"PO-{len(self._purchase_orders) + 1:07d}",
                vendor=po.vendor,
                entity=po.entity,
                bill_only=po.bill_only,
                lines=[PurchaseOrderLineRecord(**msgspec.structs.asdict(x)) for x in po.lines],
                reference=po.reference,
            )
            self._purchase_orders.append(record)
        return record

    def purchase_orders(self) -> list[PurchaseOrderRecord]:
        """Every purchase order, oldest first."""
        with self._lock:
            return list(self._purchase_orders)

    # -- general ledger --------------------------------------------------------------------

    def post_journal(
        self, journal: JournalRecord, item_key: str | None = None
    ) -> tuple[JournalRecord, bool]:
        """Post a balanced journal; return it and whether ``item_key`` had posted it before.

        ``journal.journal_id`` is ignored: the ERP numbers its documents.
        """
        check_balanced(journal.lines)
        with self._lock:
            if item_key is not None and item_key in self._journal_keys:
                return self._journal_keys[item_key], True
            posted = msgspec.structs.replace(
                journal, journal_id=f"JE-{len(self._journals) + 1:07d}"
            )
            self._journals.append(posted)
            if item_key is not None:
                self._journal_keys[item_key] = posted
        return posted, False

    def journal(self, journal_id: str) -> JournalRecord | None:
        """One journal, or None."""
        with self._lock:
            return next((j for j in self._journals if j.journal_id == journal_id), None)

    def journals(self) -> list[JournalRecord]:
        """Every posted journal, oldest first."""
        with self._lock:
            return list(self._journals)

    def trial_balance(
        self, *, period: str | None = None, entity: str | None = None
    ) -> list[TrialBalanceRow]:
        """Debits, credits and balance per entity, account and period, from the posted journals."""
        return trial_balance(self.journals(), period=period, entity=entity)

    def counts(self) -> dict[str, int]:
        """How many records of each kind the ERP holds."""
        with self._lock:
            return {
                "items": len(self._items),
                "locations": len(self._locations),
                "cost_centers": len(self._cost_centers),
                "inventory_transactions": len(self._transactions),
                "requisitions": len(self._requisitions),
                "purchase_orders": len(self._purchase_orders),
                "journals": len(self._journals),
            }


def check_balanced(lines: Sequence[JournalLineRecord]) -> None:
    """Refuse a journal that has fewer than two lines, a malformed amount, or does not balance."""
    if len(lines) < 2:
        raise ValidationError(f"a journal needs at least two lines, got {len(lines)}")
    debits = credits = Decimal(0)
    for line in lines:
        for name, amount in (("debit", line.debit), ("credit", line.credit)):
            if not amount.is_finite() or amount < 0 or amount != amount.quantize(_CENT):
                raise ValidationError(
                    f"line {line.line_no}: {name} {amount} must be non-negative with 2 decimals"
                )
        if (line.debit == 0) == (line.credit == 0):
            raise ValidationError(f"line {line.line_no}: exactly one of debit, credit is non-zero")
        debits += line.debit
        credits += line.credit
    if debits != credits:
        raise ValidationError(f"journal is unbalanced: debits {debits}, credits {credits}")
