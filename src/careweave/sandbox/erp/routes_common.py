"""Resources whose shape is the same in API v1 and v2: locations, stock, procurement, cost centers."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from careweave.sandbox.erp.ledger import TrialBalanceRow
from careweave.sandbox.erp.records import (
    CostCenterRecord,
    InventoryTransactionRecord,
    LocationRecord,
    PurchaseOrderRecord,
    RequisitionRecord,
)
from careweave.sandbox.erp.state import ErpState
from careweave.sandbox.erp.wire import (
    CostCenterIn,
    InventoryTransactionIn,
    LocationIn,
    OnHand,
    PurchaseOrderIn,
    RequisitionIn,
)


class LocationController(Controller):
    """Stocking locations."""

    path = "/locations"

    @get("/")
    async def list_locations(self, erp: NamedDependency[ErpState]) -> list[LocationRecord]:
        """Every location."""
        return erp.locations()

    @post("/")
    async def create_location(
        self, data: JSONBody[LocationIn], erp: NamedDependency[ErpState]
    ) -> LocationRecord:
        """Create or replace a location."""
        return erp.add_location(LocationRecord(**msgspec.structs.asdict(data)))


class CostCenterController(Controller):
    """Cost centers per legal entity."""

    path = "/cost-centers"

    @get("/")
    async def list_cost_centers(self, erp: NamedDependency[ErpState]) -> list[CostCenterRecord]:
        """Every cost center."""
        return erp.cost_centers()

    @post("/")
    async def create_cost_center(
        self, data: JSONBody[CostCenterIn], erp: NamedDependency[ErpState]
    ) -> CostCenterRecord:
        """Create or replace a cost center."""
        return erp.add_cost_center(CostCenterRecord(**msgspec.structs.asdict(data)))


class InventoryController(Controller):
    """On-hand stock and the movements that change it."""

    path = "/inventory"

    @get("/on-hand")
    async def on_hand(
        self,
        item_number: FromQuery[str],
        location_id: FromQuery[str],
        erp: NamedDependency[ErpState],
    ) -> OnHand:
        """On-hand quantity of an item at a location."""
        quantity = erp.on_hand(item_number, location_id)
        return OnHand(item_number=item_number, location_id=location_id, quantity=quantity)

    @get("/transactions")
    async def list_transactions(
        self, erp: NamedDependency[ErpState]
    ) -> list[InventoryTransactionRecord]:
        """Every inventory transaction, oldest first."""
        return erp.transactions()

    @post("/transactions")
    async def record_transaction(
        self, data: JSONBody[InventoryTransactionIn], erp: NamedDependency[ErpState]
    ) -> InventoryTransactionRecord:
        """Issue, return or receive stock (with lot and serial)."""
        return erp.record_transaction(data)


class RequisitionController(Controller):
    """Replenishment requisitions."""

    path = "/requisitions"

    @get("/")
    async def list_requisitions(self, erp: NamedDependency[ErpState]) -> list[RequisitionRecord]:
        """Every requisition."""
        return erp.requisitions()

    @post("/")
    async def create_requisition(
        self, data: JSONBody[RequisitionIn], erp: NamedDependency[ErpState]
    ) -> RequisitionRecord:
        """Open a requisition."""
        return erp.create_requisition(data)


class PurchaseOrderController(Controller):
    """Purchase orders, bill-only ones included."""

    path = "/purchase-orders"

    @get("/")
    async def list_purchase_orders(
        self, erp: NamedDependency[ErpState]
    ) -> list[PurchaseOrderRecord]:
        """Every purchase order."""
        return erp.purchase_orders()

    @post("/")
    async def create_purchase_order(
        self, data: JSONBody[PurchaseOrderIn], erp: NamedDependency[ErpState]
    ) -> PurchaseOrderRecord:
        """Open a purchase order."""
        return erp.create_purchase_order(data)


class TrialBalanceController(Controller):
    """The general ledger's trial balance, computed from the journals the ERP accepted."""

    path = "/trial-balance"

    @get("/")
    async def trial_balance(
        self,
        erp: NamedDependency[ErpState],
        period: FromQuery[str | None] = None,
        entity: FromQuery[str | None] = None,
    ) -> list[TrialBalanceRow]:
        """Debits, credits and balance per entity, account and period (``period=YYYY-MM``)."""
        return erp.trial_balance(period=period, entity=entity)


COMMON_CONTROLLERS = (
    LocationController,
    CostCenterController,
    InventoryController,
    RequisitionController,
    PurchaseOrderController,
    TrialBalanceController,
)
