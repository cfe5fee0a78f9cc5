"""The supply chain's X12 documents as msgspec Structs: 850, 855, 856 and 810.

Quantities and prices are Decimal; dates stay CCYYMMDD text as sent (the checks judge them).
``position`` is a segment's place within its transaction set (ST is 1), so a problem found later
can name where it is. The ship notice keeps its HL hierarchy flat, in file order, exactly as
sent: a wrong parent or level order must survive parsing for the checks to name it.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class PartId(msgspec.Struct, frozen=True):
    """One product identifier of a line: qualifier (VP, VN, BP, IN, UP, UK, LT...) and value."""

    qualifier: str
    """``VP``/``VN`` vendor's part, ``BP``/``IN`` buyer's part, ``UP`` UPC, ``UK`` GTIN-14."""
    value: str


class Party(msgspec.Struct, frozen=True):
    """An N1 party: entity code (BY buyer, ST ship-to, VN/SE seller, SF ship-from...), name, id."""

    entity: str
    name: str
    id_qualifier: str = ""
    id: str = ""
    address: list[str] = msgspec.field(default_factory=list)
    """N301, N302 (empty when no N3)."""
    city: str = ""
    state: str = ""
    postal_code: str = ""


class OrderLine(msgspec.Struct):
    """A PO1 line (850 and 855) or an IT1 line (810): number, quantity, unit, price, parts."""

    line_number: str
    quantity: Decimal
    unit: str
    """Unit of measure code (EA, BX, CA...)."""
    unit_price: Decimal | None
    parts: list[PartId]
    position: int
    description: str = ""
    """PID05 (free-form description), when sent."""

    def part(self, qualifier: str) -> str:
        """The value of the first identifier with *qualifier*, or ``""``."""
        return next((p.value for p in self.parts if p.qualifier == qualifier), "")


class LineStatus(msgspec.Struct, frozen=True):
    """An 855 ACK: status code (IA accepted, IB backordered, IR rejected...), quantity, date."""

    code: str
    quantity: Decimal | None
    unit: str
    date_qualifier: str
    """ACK04: ``068`` current schedule ship, ``067`` delivery..."""
    date: str
    position: int


class Totals(msgspec.Struct, frozen=True):
    """A CTT: the line item count and the optional hash total (sum of quantities)."""

    line_count: int
    hash_total: Decimal | None
    position: int


class PurchaseOrder(msgspec.Struct):
    """One 850 purchase order."""

    control_number: str
    version: str
    """GS08 as received (``004010`` or ``005010``); the writer writes 005010."""
    purpose: str
    """BEG01: 00 original, 01 cancellation, 05 replace..."""
    order_type: str
    """BEG02: SA stand-alone, BK blanket, KN purchase order for bill-only (consignment)..."""
    po_number: str
    order_date: str
    position: int
    currency: str = ""
    dates: dict[str, str] = msgspec.field(default_factory=dict)
    """DTM qualifier to date: ``002`` delivery requested, ``010`` requested ship."""
    references: dict[str, str] = msgspec.field(default_factory=dict)
    """REF qualifier to value (``DP`` department, ``IA`` vendor number...)."""
    parties: list[Party] = msgspec.field(default_factory=list)
    lines: list[OrderLine] = msgspec.field(default_factory=list)
    totals: Totals | None = None

    def party(self, entity: str) -> Party | None:
        """The first party with entity code *entity* (``ST`` ship-to...), or None."""
        return next((p for p in self.parties if p.entity == entity), None)


class AcknowledgedLine(msgspec.Struct):
    """An 855 line: the PO1 as the seller read it, and the statuses it gives."""

    line: OrderLine
    statuses: list[LineStatus] = msgspec.field(default_factory=list)

    @property
    def acknowledged_quantity(self) -> Decimal:
        """What the seller commits to: the quantities of every status except rejections."""
        return sum(
            (
                s.quantity
                for s in self.statuses
                if s.quantity is not None
                and s.code not in ("IR", "ID", "R1", "R2", "R3", "R4", "R5")
            ),
            Decimal(0),
        )


class PurchaseOrderAck(msgspec.Struct):
    """One 855 purchase order acknowledgment."""

    control_number: str
    version: str
    purpose: str
    """BAK01: 00 original."""
    ack_type: str
    """BAK02: AC with detail and change, AD detail no change, AK detail, RJ rejected..."""
    po_number: str
    po_date: str
    position: int
    seller_order: str = ""
    """BAK08: the seller's order number."""
    parties: list[Party] = msgspec.field(default_factory=list)
    lines: list[AcknowledgedLine] = msgspec.field(default_factory=list)
    totals: Totals | None = None


class ShipmentLevel(msgspec.Struct):
    """One HL of an 856 and what it carries, by its level code (HL03).

    ``S`` shipment, ``O`` order (PRF), ``P`` pack (MAN*GM SSCC-18), ``I`` item (LIN, SN1, lot
    and expiry). Only the fields of its level are filled.
    """

    id: str
    parent: str
    code: str
    position: int
    child_code: str = ""
    """HL04: 1 when children follow, 0 when not."""
    po_number: str = ""
    po_date: str = ""
    marks_qualifier: str = ""
    """MAN01 (``GM`` SSCC-18, ``CP`` carrier package id...)."""
    marks: str = ""
    marks_position: int = 0
    line_number: str = ""
    parts: list[PartId] = msgspec.field(default_factory=list)
    quantity: Decimal | None = None
    unit: str = ""
    unit_position: int = 0
    lot: str = ""
    expiry: str = ""


class ShipNotice(msgspec.Struct):
    """One 856 ship notice/manifest."""

    control_number: str
    version: str
    purpose: str
    """BSN01: 00 original."""
    shipment_id: str
    date: str
    time: str
    position: int
    structure: str = "0001"
    """BSN05: 0001 shipment, order, pack(tare), item."""
    shipped: str = ""
    """DTM*011 at shipment level."""
    shipped_position: int = 0
    delivery: str = ""
    """DTM*017 (estimated delivery) at shipment level."""
    delivery_position: int = 0
    carrier_scac: str = ""
    carrier_name: str = ""
    transport: str = ""
    """TD504: M motor, U parcel, A air..."""
    bill_of_lading: str = ""
    tracking: str = ""
    """REF*CN (carrier's reference)."""
    packages: int | None = None
    """TD102: lading quantity."""
    weight: Decimal | None = None
    weight_unit: str = ""
    parties: list[Party] = msgspec.field(default_factory=list)
    levels: list[ShipmentLevel] = msgspec.field(default_factory=list)
    totals: Totals | None = None

    def items(self) -> list[ShipmentLevel]:
        """The item (``I``) levels, in file order."""
        return [level for level in self.levels if level.code == "I"]

    def order_of(self, level: ShipmentLevel) -> ShipmentLevel | None:
        """The ``O`` level above *level* (through its pack), or None."""
        by_id = {item.id: item for item in self.levels}
        seen: set[str] = set()
        current: ShipmentLevel | None = by_id.get(level.parent)
        while current is not None and current.id not in seen:
            if current.code == "O":
                return current
            seen.add(current.id)
            current = by_id.get(current.parent)
        return None


class Charge(msgspec.Struct, frozen=True):
    """An 810 SAC (allowance ``A`` or charge ``C``) or TXI (tax, indicator ``T``) amount."""

    indicator: str
    """``A`` allowance, ``C`` charge, ``T`` tax (from a TXI)."""
    code: str
    """SAC02 (``D240`` freight, ``C310`` discount...) or TXI01 tax type (``ST`` sales tax)."""
    amount: Decimal
    """In currency units (SAC05 is sent in cents and read as such)."""
    position: int
    description: str = ""


class Invoice(msgspec.Struct):
    """One 810 invoice."""

    control_number: str
    version: str
    invoice_date: str
    invoice_number: str
    po_date: str
    po_number: str
    position: int
    parties: list[Party] = msgspec.field(default_factory=list)
    lines: list[OrderLine] = msgspec.field(default_factory=list)
    total: Decimal = Decimal(0)
    """TDS01 read with its two implied decimals (``123456`` is 1234.56)."""
    total_position: int = 0
    charges: list[Charge] = msgspec.field(default_factory=list)
    totals: Totals | None = None
    terms_net_days: str = ""
    """ITD07 when sent."""


SupplyDocument = PurchaseOrder | PurchaseOrderAck | ShipNotice | Invoice
