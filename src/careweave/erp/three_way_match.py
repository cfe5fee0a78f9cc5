"""Three-way match: the purchase order (850), what was received (from the 856) and the invoice
(810), line by line, before accounts payable pays.

Lines are paired by PO line number (PO101 = LIN01 = IT101), else by a shared product identifier
(GTIN ``UK``, vendor part ``VP``, buyer part ``BP``...), since distributors renumber lines. Each
pairing is judged on quantity (invoiced within received, received within ordered) and unit price
(invoiced within the tolerance of the ordered price); every disagreement is a named
:class:`Mismatch`, so a person can see why an invoice is held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

import msgspec

from careweave.codecs.x12.supply.model import (
    Invoice,
    OrderLine,
    PartId,
    PurchaseOrder,
    ShipNotice,
)

ZERO = Decimal(0)


class ReceivedLine(msgspec.Struct, frozen=True):
    """Goods received against one PO line: the ship notice's item levels, summed."""

    line_number: str
    quantity: Decimal
    unit: str
    parts: list[PartId]
    lots: list[str]


class Receipt(msgspec.Struct, frozen=True):
    """What arrived for one purchase order, from the ship notice(s) that carried it."""

    po_number: str
    shipments: list[str]
    """BSN02 of each ship notice counted."""
    lines: list[ReceivedLine]


class MatchTolerance(msgspec.Struct, frozen=True):
    """How far the documents may disagree and still match."""

    quantity: Decimal = ZERO
    """Units an invoice or receipt may exceed the quantity it is compared with."""
    price_percent: Decimal = ZERO
    """Percent of the ordered unit price the invoiced price may differ by."""
    price_amount: Decimal = Decimal("0.00")
    """Currency amount the invoiced unit price may differ by (the larger tolerance applies)."""


class Mismatch(msgspec.Struct, frozen=True):
    """One disagreement: its kind, the PO line it concerns, the figures, and what is wrong."""

    kind: str
    """``over_received``, ``over_invoiced``, ``invoiced_not_received``, ``price``,
    ``not_ordered`` (an invoice or receipt line with no PO line), ``unit`` or ``po_number``."""
    line_number: str
    expected: Decimal | None
    actual: Decimal | None
    message: str


class LineMatch(msgspec.Struct, frozen=True):
    """One PO line's three figures and their mismatches."""

    line_number: str
    ordered: Decimal
    received: Decimal
    invoiced: Decimal
    ordered_price: Decimal | None
    invoiced_price: Decimal | None
    mismatches: list[Mismatch]


class MatchResult(msgspec.Struct, frozen=True):
    """The verdict on one invoice: every PO line's match and every mismatch found."""

    po_number: str
    invoice_number: str
    lines: list[LineMatch]
    mismatches: list[Mismatch]

    @property
    def matched(self) -> bool:
        """Whether the invoice may be paid as it stands."""
        return not self.mismatches


def _key_of(parts: Iterable[PartId]) -> set[tuple[str, str]]:
    return {(p.qualifier, p.value) for p in parts if p.value}


def receipt_from_ship_notices(notices: Sequence[ShipNotice], po_number: str) -> Receipt:
    """The goods *notices* carry for *po_number*: item quantities summed per line number."""
    totals: dict[str, ReceivedLine] = {}
    shipments: list[str] = []
    for notice in notices:
        counted = False
        for item in notice.items():
            order = notice.order_of(item)
            if order is None or order.po_number != po_number or item.quantity is None:
                continue
            counted = True
            key = item.line_number or next((p.value for p in item.parts), "")
            previous = totals.get(key)
            lots = [item.lot] if item.lot else []
            if previous is None:
                totals[key] = ReceivedLine(key, item.quantity, item.unit, list(item.parts), lots)
            else:
                totals[key] = ReceivedLine(key, previous.quantity + item.quantity, previous.unit,
                                           previous.parts, previous.lots + lots)  # fmt: skip
        if counted:
            shipments.append(notice.shipment_id)
    return Receipt(po_number, shipments, list(totals.values()))


class _Pairing:
    """Finds the PO line a receipt or invoice line belongs to."""

    def __init__(self, order: PurchaseOrder) -> None:
        self.by_number = {line.line_number: line for line in order.lines}
        self.order = order

    def find(self, line_number: str, parts: Iterable[PartId]) -> OrderLine | None:
        line = self.by_number.get(line_number)
        keys = _key_of(parts)
        if line is not None and (not keys or not _key_of(line.parts) or keys & _key_of(line.parts)):
            return line
        return next((o for o in self.order.lines if keys & _key_of(o.parts)), None)


def _price_ok(ordered: Decimal, invoiced: Decimal, tolerance: MatchTolerance) -> bool:
    allowed = max(tolerance.price_amount, abs(ordered) * tolerance.price_percent / 100)
    return abs(invoiced - ordered) <= allowed


def three_way_match(
    order: PurchaseOrder,
    receipt: Receipt,
    invoice: Invoice,
    tolerance: MatchTolerance | None = None,
) -> MatchResult:
    """Match *invoice* against *order* and *receipt*, line by line."""
    tolerance = tolerance or MatchTolerance()
    pairing = _Pairing(order)
    problems: list[Mismatch] = []
    if invoice.po_number and invoice.po_number != order.po_number:
        problems.append(Mismatch("po_number", "", None, None,
                                 f"invoice {invoice.invoice_number} is for PO "
                                 f"{invoice.po_number}, not {order.po_number}"))  # fmt: skip
    received: dict[str, Decimal] = {}
    for item in receipt.lines:
        target = pairing.find(item.line_number, item.parts)
        if target is None:
            problems.append(Mismatch("not_ordered", item.line_number, None, item.quantity,
                                     f"received line {item.line_number} ({item.quantity} "
                                     f"{item.unit}) is on no line of PO {order.po_number}"))  # fmt: skip
            continue
        received[target.line_number] = received.get(target.line_number, ZERO) + item.quantity
    invoiced: dict[str, OrderLine] = {}
    for line in invoice.lines:
        target = pairing.find(line.line_number, line.parts)
        if target is None:
            problems.append(Mismatch("not_ordered", line.line_number, None, line.quantity,
                                     f"invoice line {line.line_number} ({line.quantity} "
                                     f"{line.unit}) is on no line of PO {order.po_number}"))  # fmt: skip
            continue
        invoiced[target.line_number] = line
    lines: list[LineMatch] = []
    for ordered in order.lines:
        number = ordered.line_number
        got = received.get(number, ZERO)
        billed = invoiced.get(number)
        own = _line_mismatches(ordered, got, billed, tolerance)
        problems.extend(own)
        lines.append(LineMatch(number, ordered.quantity, got,
                               billed.quantity if billed else ZERO, ordered.unit_price,
                               billed.unit_price if billed else None, own))  # fmt: skip
    return MatchResult(order.po_number, invoice.invoice_number, lines, problems)


def _line_mismatches(
    ordered: OrderLine, received: Decimal, billed: OrderLine | None, tolerance: MatchTolerance
) -> list[Mismatch]:
    """The mismatches of one PO line (an uninvoiced line is simply not billed yet)."""
    number = ordered.line_number
    found: list[Mismatch] = []
    if received > ordered.quantity + tolerance.quantity:
        found.append(Mismatch("over_received", number, ordered.quantity, received,
                              f"line {number}: received {received}, ordered "
                              f"{ordered.quantity}"))  # fmt: skip
    if billed is None:
        return found
    if billed.unit != ordered.unit:
        found.append(Mismatch("unit", number, None, None,
                              f"line {number}: invoiced in {billed.unit}, ordered in "
                              f"{ordered.unit}"))  # fmt: skip
    if billed.quantity > ordered.quantity + tolerance.quantity:
        found.append(Mismatch("over_invoiced", number, ordered.quantity, billed.quantity,
                              f"line {number}: invoiced {billed.quantity}, ordered "
                              f"{ordered.quantity}"))  # fmt: skip
    if billed.quantity > received + tolerance.quantity:
        found.append(Mismatch("invoiced_not_received", number, received, billed.quantity,
                              f"line {number}: invoiced {billed.quantity}, received "
                              f"{received}"))  # fmt: skip
    price, charged = ordered.unit_price, billed.unit_price
    if price is not None and charged is not None and not _price_ok(price, charged, tolerance):
        found.append(Mismatch("price", number, price, charged,
                              f"line {number}: invoiced at {charged}, ordered at {price}"))  # fmt: skip
    return found
