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

Everything the flow remembers is business state of the message's transaction (``out.state``): the
stock position (:class:`~careweave.erp.inventory.InventoryBook`, from the opening on-hand figures)
and, per encounter, its procedure and the supplies issued (``ENCOUNTER_SUPPLIES``). A replay finds
each movement and requisition already applied and sends the same requests again.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from careweave.erp.inventory import InventoryBook, OpeningStock
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
from careweave.model.erp import (
    INVENTORY_TRANSACTION,
    PURCHASE_ORDER,
    REQUISITION,
    InventoryTransactionRequest,
    PurchaseOrderLine,
    PurchaseOrderRequest,
    RequisitionLine,
    RequisitionRequest,
)
from careweave.model.flow import FlowOutput
from careweave.model.records import NewCase
from careweave.model.state import BusinessState, StateTable, load, save
from careweave.model.supplies import SupplyUsed


def encounter_key(event: ClinicalEvent) -> str:
    """The encounter a clinical event belongs to (the patient when the visit is unknown)."""
    key = event.encounter.key() if event.encounter else None
    return key or f"patient:{event.patient.key()}"


def patient_id(event: ClinicalEvent) -> str:
    """The patient's primary identifier value (MRN) for documents that name the patient."""
    primary = event.patient.primary_identifier()
    return primary.value if primary else event.patient.key()


class EncounterSupplies(msgspec.Struct, kw_only=True):
    """What the flow knows of one encounter (``ENCOUNTER_SUPPLIES``)."""

    procedure_code: str = ""
    procedure_day: dt.date | None = None
    """The procedure supply lines belong to when the sender anchors them to an FT1 only."""
    issued: dict[str, InventoryTransactionRequest] = msgspec.field(default_factory=dict)
    """Issues by supply line idempotency key, to return when the visit is cancelled."""


def encounter_supplies(state: BusinessState, encounter: str) -> EncounterSupplies:
    """The stored record of ``encounter`` (empty when the flow has not seen it)."""
    found = load(state, StateTable.ENCOUNTER_SUPPLIES, encounter, EncounterSupplies)
    return found or EncounterSupplies()


class SupplyToReplenishFlow(BaseFlow):
    """Inventory movements, bill-only POs and requisitions for supplies used in care."""

    name = "supply-to-replenish"
    handles = (SupplyUsed, ProcedureDocumented, VisitCancelled)

    def __init__(
        self,
        crosswalk: ItemCrosswalk,
        locations: LocationDirectory,
        opening: OpeningStock | None = None,
        *,
        destination: str = "erp",
    ) -> None:
        self.crosswalk = crosswalk
        self.locations = locations
        self.opening = opening or {}
        self.destination = destination

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """React to a procedure (remembered), a supply line, or a cancelled visit."""
        if isinstance(event, ProcedureDocumented):
            self._remember(event, out.state)
        elif isinstance(event, SupplyUsed):
            self._supply(event, out)
        elif isinstance(event, VisitCancelled):
            self._cancel(event, out)

    def _remember(self, event: ProcedureDocumented, state: BusinessState) -> None:
        when = event.performed_at or event.occurred_at
        if when is None:
            return
        key = encounter_key(event)
        record = encounter_supplies(state, key)
        record.procedure_code, record.procedure_day = event.code.code, when.date()
        save(state, StateTable.ENCOUNTER_SUPPLIES, key, record)

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
            key = encounter_key(event)
            record = encounter_supplies(out.state, key)
            record.issued[event.idempotency_key] = request
            save(out.state, StateTable.ENCOUNTER_SUPPLIES, key, record)
            if match.item.consigned or event.consigned:
                self._bill_only(event, match, record, out)
        book = InventoryBook(out.state, self.opening)
        moved = book.apply(
            request.business_key,
            match.location.location_id,
            match.item.item_number,
            -match.quantity,
        )
        par = self.locations.par(match.location.location_id, match.item.item_number)
        if par is not None and match.quantity > 0 and not (match.item.consigned or event.consigned):
            shortfall = par.shortfall(moved.on_hand_after + moved.on_order_after)
            if shortfall > 0:
                self._requisition(event, match, shortfall, book, out)

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

    def _bill_only(
        self, event: SupplyUsed, match: SupplyMatch, record: EncounterSupplies, out: FlowOutput
    ) -> None:
        procedure_code = record.procedure_code or event.procedure_id or ""
        procedure_day = record.procedure_day or match.day
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
        self,
        event: SupplyUsed,
        match: SupplyMatch,
        quantity: int,
        book: InventoryBook,
        out: FlowOutput,
    ) -> None:
        location, item = match.location.location_id, match.item.item_number
        request = RequisitionRequest(
            business_key=f"requisition:{location}:{item}:{event.idempotency_key}",
            location_id=location,
            lines=[RequisitionLine(item_number=item, quantity=quantity)],
            reason="par",
            reference=f"reorder point reached by {event.line_id}",
        )
        book.order(request.business_key, location, item, quantity)
        out.send(self.destination, request.business_key, request, content_type=REQUISITION)

    def _cancel(self, event: VisitCancelled, out: FlowOutput) -> None:
        """Return every issue of a cancelled admission (again, with the same keys, on a replay)."""
        if event.cancelled is not CancelledAction.ADMISSION:
            return
        book = InventoryBook(out.state, self.opening)
        for supply_key, issue in encounter_supplies(out.state, encounter_key(event)).issued.items():
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
            book.apply(reversal.business_key, issue.location_id, issue.item_number, issue.quantity)
            out.send(
                self.destination,
                reversal.business_key,
                reversal,
                ordering_key=f"stock:{issue.location_id}:{issue.item_number}",
                content_type=INVENTORY_TRANSACTION,
            )


def build_supply_to_replenish(services: FlowServices) -> SupplyToReplenishFlow:
    """The flow, from the item crosswalk, the location master and the opening stock."""
    name = SupplyToReplenishFlow.name
    return SupplyToReplenishFlow(
        services.need(services.crosswalk, "items", name),
        services.need(services.locations, "locations", name),
        services.opening_stock,
        destination=services.erp_destination,
    )
