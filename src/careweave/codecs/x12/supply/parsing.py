"""Parse 850, 855, 856 and 810 transaction sets into the Structs of :mod:`.model`.

Each parser takes one ST..SE transaction set (as the envelope reader gives it) and walks its
segments once. Segments the model does not carry (PER, TD3, PKG...) are skipped; a bad number,
count or missing required element raises :class:`~.reading.SupplyParseError` naming the
segment's position, id and element. GS08 ``004010`` and ``005010`` read the same way: the
segments careweave reads did not change between them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from careweave.codecs.x12.envelope import TransactionSet, read_interchanges
from careweave.codecs.x12.supply.model import (
    AcknowledgedLine,
    Charge,
    Invoice,
    LineStatus,
    OrderLine,
    Party,
    PurchaseOrder,
    PurchaseOrderAck,
    ShipmentLevel,
    ShipNotice,
    SupplyDocument,
)
from careweave.codecs.x12.supply.reading import (
    SegmentReader,
    SupplyParseError,
    part_ids,
    read_party,
    with_address,
)
from careweave.codecs.x12.tokenizer import Segment, tokenize


def _header(transaction: TransactionSet, segment_id: str) -> tuple[Segment, SegmentReader]:
    """The set's beginning segment (BEG, BAK, BSN, BIG), which must follow ST."""
    segments = transaction.segments
    reader = SegmentReader(segments)
    if len(segments) < 2 or segments[1].id != segment_id:
        found = segments[1] if len(segments) > 1 else segments[0]
        problem = f"a {transaction.id} must start with {segment_id} after ST"
        raise SupplyParseError(reader.position(found), found.id, None, "3", problem)
    return segments[1], reader


def _line(reader: SegmentReader, segment: Segment) -> OrderLine:
    """A PO1 or IT1: line number, quantity, unit, unit price, then qualifier/value part pairs."""
    return OrderLine(
        line_number=segment.element(1),
        quantity=reader.quantity(segment, 2),
        unit=reader.required(segment, 3),
        unit_price=reader.decimal(segment, 4, required=False),
        parts=part_ids(segment, 6),
        position=reader.position(segment),
    )


class _Parties:
    """Collects N1 loops: N1 opens a party, N3/N4 complete the last one."""

    def __init__(self) -> None:
        self.parties: list[Party] = []

    def take(self, segment: Segment) -> bool:
        """Whether *segment* was an N1/N3/N4 (and so consumed)."""
        if segment.id == "N1":
            self.parties.append(read_party(segment))
        elif segment.id in ("N3", "N4") and self.parties:
            self.parties[-1] = with_address(self.parties[-1], segment)
        else:
            return False
        return True


def parse_850(transaction: TransactionSet) -> PurchaseOrder:
    """An 850 purchase order."""
    beg, reader = _header(transaction, "BEG")
    order = PurchaseOrder(
        control_number=transaction.control_number,
        version=transaction.implementation,
        purpose=reader.required(beg, 1),
        order_type=reader.required(beg, 2),
        po_number=reader.required(beg, 3),
        order_date=reader.required(beg, 5),
        position=reader.position(beg),
    )
    parties = _Parties()
    for segment in transaction.segments[2:-1]:
        line = order.lines[-1] if order.lines else None
        if line is None and parties.take(segment):
            continue
        if segment.id == "PO1":
            order.lines.append(_line(reader, segment))
        elif segment.id == "PID" and line is not None:
            line.description = segment.element(5)
        elif segment.id == "CUR" and line is None:
            order.currency = segment.element(2)
        elif segment.id == "REF" and line is None:
            order.references[segment.element(1)] = segment.element(2)
        elif segment.id == "DTM" and line is None:
            order.dates[segment.element(1)] = segment.element(2)
        elif segment.id == "CTT":
            order.totals = reader.totals(segment)
    order.parties = parties.parties
    return order


def parse_855(transaction: TransactionSet) -> PurchaseOrderAck:
    """An 855 purchase order acknowledgment."""
    bak, reader = _header(transaction, "BAK")
    ack = PurchaseOrderAck(
        control_number=transaction.control_number,
        version=transaction.implementation,
        purpose=reader.required(bak, 1),
        ack_type=reader.required(bak, 2),
        po_number=reader.required(bak, 3),
        po_date=bak.element(4),
        position=reader.position(bak),
        seller_order=bak.element(8),
    )
    parties = _Parties()
    for segment in transaction.segments[2:-1]:
        current = ack.lines[-1] if ack.lines else None
        if current is None and parties.take(segment):
            continue
        if segment.id == "PO1":
            ack.lines.append(AcknowledgedLine(_line(reader, segment)))
        elif segment.id == "PID" and current is not None:
            current.line.description = segment.element(5)
        elif segment.id == "ACK" and current is not None:
            current.statuses.append(
                LineStatus(
                    code=reader.required(segment, 1),
                    quantity=reader.decimal(segment, 2, required=False),
                    unit=segment.element(3),
                    date_qualifier=segment.element(4),
                    date=segment.element(5),
                    position=reader.position(segment),
                )
            )
        elif segment.id == "CTT":
            ack.totals = reader.totals(segment)
    ack.parties = parties.parties
    return ack


def _lin(level: ShipmentLevel, segment: Segment) -> None:
    """LIN: the line number, part pairs, and the lot when it is sent as an ``LT`` pair."""
    level.line_number = segment.element(1)
    for part in part_ids(segment, 2):
        if part.qualifier == "LT":
            level.lot = part.value
        else:
            level.parts.append(part)


def _shipment_segment(notice: ShipNotice, reader: SegmentReader, segment: Segment) -> None:
    """A segment at the shipment level (or the header): dates, carrier, references, weight."""
    if segment.id == "DTM" and segment.element(1) == "011":
        notice.shipped, notice.shipped_position = segment.element(2), reader.position(segment)
    elif segment.id == "DTM" and segment.element(1) == "017":
        notice.delivery, notice.delivery_position = segment.element(2), reader.position(segment)
    elif segment.id == "TD1":
        notice.packages = reader.integer(segment, 2) if segment.element(2) else None
        notice.weight = reader.decimal(segment, 7, required=False)
        notice.weight_unit = segment.element(8)
    elif segment.id == "TD5":
        notice.carrier_scac = segment.element(3)
        notice.transport = segment.element(4)
        notice.carrier_name = segment.element(5)
    elif segment.id == "REF" and segment.element(1) == "BM":
        notice.bill_of_lading = segment.element(2)
    elif segment.id == "REF" and segment.element(1) == "CN":
        notice.tracking = segment.element(2)


def _level_segment(level: ShipmentLevel, reader: SegmentReader, segment: Segment) -> None:
    """A segment inside an O, P, T or I level."""
    if segment.id == "PRF":
        level.po_number = reader.required(segment, 1)
        level.po_date = segment.element(4)
    elif segment.id == "MAN" and not level.marks:
        level.marks_qualifier = segment.element(1)
        level.marks = segment.element(2)
        level.marks_position = reader.position(segment)
    elif segment.id == "LIN":
        _lin(level, segment)
    elif segment.id == "SN1":
        level.quantity = reader.quantity(segment, 2)
        level.unit = reader.required(segment, 3)
        level.unit_position = reader.position(segment)
    elif segment.id == "REF" and segment.element(1) == "LT":
        level.lot = segment.element(2)
    elif segment.id == "DTM" and segment.element(1) == "036":
        level.expiry = segment.element(2)


def parse_856(transaction: TransactionSet) -> ShipNotice:
    """An 856 ship notice, its HL levels kept flat and in order."""
    bsn, reader = _header(transaction, "BSN")
    notice = ShipNotice(
        control_number=transaction.control_number,
        version=transaction.implementation,
        purpose=reader.required(bsn, 1),
        shipment_id=reader.required(bsn, 2),
        date=reader.required(bsn, 3),
        time=bsn.element(4),
        position=reader.position(bsn),
        structure=bsn.element(5),
    )
    parties = _Parties()
    for segment in transaction.segments[2:-1]:
        current = notice.levels[-1] if notice.levels else None
        if segment.id == "HL":
            notice.levels.append(
                ShipmentLevel(
                    id=reader.required(segment, 1),
                    parent=segment.element(2),
                    code=reader.required(segment, 3),
                    position=reader.position(segment),
                    child_code=segment.element(4),
                )
            )
        elif segment.id == "CTT":
            notice.totals = reader.totals(segment)
        elif current is None or current.code == "S":
            if not parties.take(segment):
                _shipment_segment(notice, reader, segment)
        else:
            _level_segment(current, reader, segment)
    notice.parties = parties.parties
    return notice


def _charge(reader: SegmentReader, segment: Segment) -> Charge:
    """A SAC (SAC05 in cents) or a TXI (TXI02 a decimal amount)."""
    if segment.id == "TXI":
        return Charge("T", segment.element(1), reader.quantity(segment, 2),
                      reader.position(segment))  # fmt: skip
    # A SAC may state a percentage or rate instead of SAC05: it then adds nothing to TDS01.
    amount = reader.cents(segment, 5) if segment.element(5) else Decimal(0)
    return Charge(reader.required(segment, 1), segment.element(2), amount,
                  reader.position(segment), segment.element(15))  # fmt: skip


def parse_810(transaction: TransactionSet) -> Invoice:
    """An 810 invoice."""
    big, reader = _header(transaction, "BIG")
    invoice = Invoice(
        control_number=transaction.control_number,
        version=transaction.implementation,
        invoice_date=reader.required(big, 1),
        invoice_number=reader.required(big, 2),
        po_date=big.element(3),
        po_number=big.element(4),
        position=reader.position(big),
    )
    parties = _Parties()
    for segment in transaction.segments[2:-1]:
        line = invoice.lines[-1] if invoice.lines else None
        if line is None and parties.take(segment):
            continue
        if segment.id == "IT1":
            invoice.lines.append(_line(reader, segment))
        elif segment.id == "PID" and line is not None and not invoice.total_position:
            line.description = segment.element(5)
        elif segment.id == "ITD":
            invoice.terms_net_days = segment.element(7)
        elif segment.id == "TDS":
            invoice.total = reader.cents(segment, 1)
            invoice.total_position = reader.position(segment)
        elif segment.id in ("SAC", "TXI"):
            invoice.charges.append(_charge(reader, segment))
        elif segment.id == "CTT":
            invoice.totals = reader.totals(segment)
    invoice.parties = parties.parties
    return invoice


PARSERS: dict[str, Callable[[TransactionSet], SupplyDocument]] = {
    "850": parse_850,
    "855": parse_855,
    "856": parse_856,
    "810": parse_810,
}
"""The parser of each supply-chain transaction set, by ST01."""


def parse_supply(data: bytes | str) -> list[SupplyDocument]:
    """Every 850, 855, 856 and 810 of an X12 file, in order (other sets are passed over)."""
    documents: list[SupplyDocument] = []
    for interchange in read_interchanges(*tokenize(data)):
        for transaction in interchange.transactions():
            parser = PARSERS.get(transaction.id)
            if parser is not None:
                documents.append(parser(transaction))
    return documents
