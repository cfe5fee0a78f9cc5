"""The ERP's purchase orders and receipts as the supply chain's X12 documents.

:func:`order_from_request` turns a :class:`~careweave.model.erp.PurchaseOrderRequest` (the
replenishment and bill-only POs the flows raise) into the 850 a distributor receives: line
numbers from 1, the ERP item number as the buyer's part (``BP``) and its GTIN (``UK``) when
known. :func:`receipts_from_ship_notice` turns the 856 that answers it into the ERP's receipt
transactions, one per item level, with its lot, ready for the three-way match
(:mod:`careweave.erp.three_way_match`) once the 810 comes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from careweave.codecs.x12.supply.model import (
    OrderLine,
    PartId,
    Party,
    PurchaseOrder,
    ShipNotice,
    Totals,
)
from careweave.exceptions import ValidationError
from careweave.model.erp import InventoryTransactionRequest, PurchaseOrderRequest


def order_from_request(
    request: PurchaseOrderRequest,
    po_number: str,
    ordered: dt.date,
    units: Mapping[str, str] | None = None,
    gtins: Mapping[str, str] | None = None,
) -> PurchaseOrder:
    """The 850 for *request*; *units* and *gtins* map ERP item numbers (default unit ``EA``)."""
    units = units or {}
    gtins = gtins or {}
    lines: list[OrderLine] = []
    for number, line in enumerate(request.lines, start=1):
        parts = [PartId("BP", line.item_number)]
        if gtin := gtins.get(line.item_number):
            parts.append(PartId("UK", gtin))
        unit = units.get(line.item_number, "EA")
        lines.append(OrderLine(str(number), Decimal(line.quantity), unit, line.unit_cost, parts, 0))
    references = {"IA": request.vendor}
    if request.reference:
        references["PO"] = request.reference
    return PurchaseOrder(
        control_number="",
        version="005010",
        purpose="00",
        order_type="SA",
        po_number=po_number,
        order_date=ordered.strftime("%Y%m%d"),
        position=0,
        references=references,
        parties=[Party("BY", request.entity, "92", request.entity)],
        lines=lines,
        totals=Totals(len(lines), sum((line.quantity for line in lines), Decimal(0)), 0),
    )


def receipts_from_ship_notice(
    notice: ShipNotice,
    location_id: str,
    item_numbers: Mapping[str, str] | None = None,
) -> list[InventoryTransactionRequest]:
    """One ERP receipt per item level of *notice*, received into *location_id*.

    The item number is the buyer's part (``BP``/``IN``) the distributor echoed, else the one
    *item_numbers* gives for a GTIN or vendor part. Raises ValidationError naming the HL when an
    item cannot be identified or its quantity is not whole (the ERP receives whole units).
    """
    item_numbers = item_numbers or {}
    receipts: list[InventoryTransactionRequest] = []
    for item in notice.items():
        buyer = next((p.value for p in item.parts if p.qualifier in ("BP", "IN")), "")
        known = next((item_numbers[p.value] for p in item.parts if p.value in item_numbers), "")
        item_number = buyer or known
        if not item_number:
            raise ValidationError(f"ship notice {notice.shipment_id} HL {item.id}: no buyer's "
                                  "part and no known GTIN or vendor part")  # fmt: skip
        quantity = item.quantity
        if quantity is None or quantity != quantity.to_integral_value():
            raise ValidationError(f"ship notice {notice.shipment_id} HL {item.id}: quantity "
                                  f"{quantity} is not a whole number of units")  # fmt: skip
        order = notice.order_of(item)
        receipts.append(
            InventoryTransactionRequest(
                business_key=f"asn:{notice.shipment_id}:{item.id}",
                transaction_type="receipt",
                item_number=item_number,
                location_id=location_id,
                quantity=int(quantity),
                lot=item.lot or None,
                reference=order.po_number if order is not None else None,
            )
        )
    return receipts
