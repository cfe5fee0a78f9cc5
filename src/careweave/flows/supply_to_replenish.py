"""Supply to replenish: a supply used on a patient becomes stock movements and procurement in the ERP.

For each :class:`SupplyUsed` line the flow resolves the ERP item through the crosswalk and the
stocking location from where the care happened, then sends to the ERP destination:

- one inventory movement: an issue (a return when the line reverses an earlier one: a credited
  charge), with the lot and serial of an implant;
- for a consigned item, one bill-only purchase-order line naming the patient, the procedure, the lot
  and the serial, so the vendor is paid for what was implanted;
- a replenishment requisition when the issue brings stock to the item's reorder point.

A cancelled visit (ADT A11) returns every item issued for it. A code the crosswalk does not know
parks the line on the supply-chain case ``item-miss:{code}``; the rest of the message goes on.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from careweave.connectors.erp.destination import INVENTORY_TRANSACTION, PURCHASE_ORDER, REQUISITION
from careweave.connectors.erp.models import (
    InventoryTransactionRequest,
    PurchaseOrderLine,
    PurchaseOrderRequest,
    RequisitionLine,
    RequisitionRequest,
)
from careweave.engine.flow_api import FlowOutput
from careweave.engine.records import NewCase
from careweave.erp.inventory import InventoryPosition
from careweave.erp.supply_match import SupplyMatch, match_supply
from careweave.flows.base import BaseFlow
from careweave.flows.services import FlowServices
from careweave.masterdata.items import ItemCrosswalk
from careweave.masterdata.locations import LocationDirectory
from careweave.model.base import BusinessEvent
from careweave.model.clinical import (
    CancelledAction,
    ClinicalEvent,
    ProcedureDocumented,
    VisitCancelled,
)
from careweave.model.supplies import SupplyUsed

_RECENT_PROCEDURES = 10_000


def encounter_key(event: ClinicalEvent) -> str:
    """The encounter a clinical event belongs to (the patient when the visit is unknown)."""
    key = event.encounter.key() if event.encounter else None
    return key or f"patient:{event.patient.key()}"


def patient_id(event: ClinicalEvent) -> str:
    """The patient's primary identifier value (MRN) for documents that name the patient."""
    primary = event.patient.primary_identifier()
    return primary.value if primary else event.patient.key()


class SupplyToReplenishFlow(BaseFlow):
    """Inventory movements, bill-only POs and requisitions for supplies used in care."""

    name = "supply-to-replenish"
    handles = (SupplyUsed, ProcedureDocumented, VisitCancelled)

    def __init__(
        self,
        crosswalk: ItemCrosswalk,
        locations: LocationDirectory,
        position: InventoryPosition,
        *,
        destination: str = "erp",
    ) -> None:
        self.crosswalk = crosswalk
        self.locations = locations
        self.position = position
        self.destination = destination
        # The procedure a supply line belongs to, when the sender anchors the line to an FT1 only.
        self._procedures: OrderedDict[str, tuple[str, dt.date]] = OrderedDict()
        self._issued: dict[str, dict[str, InventoryTransactionRequest]] = {}

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """React to a procedure (remembered), a supply line, or a cancelled visit."""
        if isinstance(event, ProcedureDocumented):
            self._remember(event)
        elif isinstance(event, SupplyUsed):
            self._supply(event, out)
        elif isinstance(event, VisitCancelled):
            self._cancel(event, out)

    def _remember(self, event: ProcedureDocumented) -> None:
        when = event.performed_at or event.occurred_at
        if when is None:
            return
        key = encounter_key(event)
        self._procedures[key] = (event.code.code, when.date())
        self._procedures.move_to_end(key)
        while len(self._procedures) > _RECENT_PROCEDURES:
            self._procedures.popitem(last=False)

    def _supply(self, event: SupplyUsed, out: FlowOutput) -> None:
        match = match_supply(event, self.crosswalk, self.locations)
        if isinstance(match, NewCase):
            out.park(match)
            return
        request = self._movement(event, match)
        out.send(
            self.destination,
            request.business_key,
            request,
            ordering_key=f"stock:{match.location.location_id}:{match.item.item_number}",
            content_type=INVENTORY_TRANSACTION,
        )
        if match.quantity > 0:
            self._issued.setdefault(encounter_key(event), {})[event.idempotency_key] = request
            if match.item.consigned or event.consigned:
                self._bill_only(event, match, out)
        moved = self.position.apply(
            request.business_key,
            match.location.location_id,
            match.item.item_number,
            -match.quantity,
        )
        par = self.locations.par(match.location.location_id, match.item.item_number)
        if par is not None and match.quantity > 0 and not (match.item.consigned or event.consigned):
            shortfall = par.shortfall(moved.on_hand_after + moved.on_order_after)
            if shortfall > 0:
                self._requisition(event, match, shortfall, out)

    def _movement(self, event: SupplyUsed, match: SupplyMatch) -> InventoryTransactionRequest:
        return InventoryTransactionRequest(
            business_key=f"inventory:{event.idempotency_key}",
            transaction_type="issue" if match.quantity > 0 else "return",
            item_number=match.item.item_number,
            location_id=match.location.location_id,
            quantity=abs(match.quantity),
            lot=event.lot_number,
            serial=event.serial_number,
            reference=f"{encounter_key(event)}/{event.line_id}",
        )

    def _bill_only(self, event: SupplyUsed, match: SupplyMatch, out: FlowOutput) -> None:
        procedure_code, procedure_day = self._procedures.get(
            encounter_key(event), (event.procedure_id or "", match.day)
        )
        item = match.item
        order = PurchaseOrderRequest(
            business_key=f"bill-only:{event.idempotency_key}",
            vendor=item.vendor or item.manufacturer or "UNKNOWN",
            entity=match.location.entity,
            bill_only=True,
            reference=f"{encounter_key(event)}/{event.line_id}",
            lines=[
                PurchaseOrderLine(
                    item_number=item.item_number,
                    quantity=match.quantity,
                    unit_cost=item.standard_cost,
                    patient_id=patient_id(event),
                    procedure_code=procedure_code or None,
                    procedure_date=procedure_day,
                    lot=event.lot_number,
                    serial=event.serial_number,
                )
            ],
        )
        out.send(self.destination, order.business_key, order, content_type=PURCHASE_ORDER)

    def _requisition(
        self, event: SupplyUsed, match: SupplyMatch, quantity: int, out: FlowOutput
    ) -> None:
        location, item = match.location.location_id, match.item.item_number
        request = RequisitionRequest(
            business_key=f"requisition:{location}:{item}:{event.idempotency_key}",
            location_id=location,
            lines=[RequisitionLine(item_number=item, quantity=quantity)],
            reason="par",
            reference=f"reorder point reached by {event.line_id}",
        )
        self.position.order(request.business_key, location, item, quantity)
        out.send(self.destination, request.business_key, request, content_type=REQUISITION)

    def _cancel(self, event: VisitCancelled, out: FlowOutput) -> None:
        if event.cancelled is not CancelledAction.ADMISSION:
            return
        for supply_key, issue in self._issued.pop(encounter_key(event), {}).items():
            reversal = InventoryTransactionRequest(
                business_key=f"inventory-reversal:{supply_key}",
                transaction_type="return",
                item_number=issue.item_number,
                location_id=issue.location_id,
                quantity=issue.quantity,
                lot=issue.lot,
                serial=issue.serial,
                reference=f"visit cancelled: {issue.reference}",
            )
            self.position.apply(
                reversal.business_key, issue.location_id, issue.item_number, issue.quantity
            )
            out.send(
                self.destination,
                reversal.business_key,
                reversal,
                ordering_key=f"stock:{issue.location_id}:{issue.item_number}",
                content_type=INVENTORY_TRANSACTION,
            )


def build_supply_to_replenish(services: FlowServices) -> SupplyToReplenishFlow:
    """The flow, from the item crosswalk and the location master."""
    name = SupplyToReplenishFlow.name
    return SupplyToReplenishFlow(
        services.need(services.crosswalk, "items", name),
        services.need(services.locations, "locations", name),
        InventoryPosition(),
        destination=services.erp_destination,
    )
