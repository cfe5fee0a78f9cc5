"""Write 850, 855, 856 and 810 transaction sets (GS08 ``005010``) from the :mod:`.model` Structs.

Envelopes, counts and control numbers come from :func:`~careweave.codecs.x12.emitter.
build_interchange`; what is read back by :mod:`.parsing` equals what was written. An 850 read
under 004010 is written under 005010: the segments careweave carries are the same in both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal

from careweave.codecs.x12.control import ControlNumberSource
from careweave.codecs.x12.emitter import (
    EnvelopeConfig,
    SegmentValues,
    TransactionBody,
    build_interchange,
)
from careweave.codecs.x12.supply.model import (
    Charge,
    Invoice,
    OrderLine,
    PartId,
    Party,
    PurchaseOrder,
    PurchaseOrderAck,
    ShipmentLevel,
    ShipNotice,
    SupplyDocument,
    Totals,
)

VERSION = "005010"
FUNCTIONAL_IDS = {"850": "PO", "855": "PR", "856": "SH", "810": "IN"}
"""GS01 of each set's functional group."""


def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _cents(value: Decimal) -> str:
    """An amount as ``N2`` (two implied decimals): 1234.56 is ``123456``."""
    return str(int((value * 100).to_integral_value()))


def _pairs(parts: Sequence[PartId]) -> list[str]:
    return [text for part in parts for text in (part.qualifier, part.value)]


def _parties(parties: Sequence[Party]) -> Iterator[SegmentValues]:
    for party in parties:
        yield "N1", [party.entity, party.name, party.id_qualifier, party.id]
        if party.address:
            yield "N3", list(party.address)
        if party.city or party.state or party.postal_code:
            yield "N4", [party.city, party.state, party.postal_code]


def _line(segment_id: str, line: OrderLine) -> Iterator[SegmentValues]:
    yield segment_id, [line.line_number, _number(line.quantity), line.unit,
                       _number(line.unit_price), "", *_pairs(line.parts)]  # fmt: skip
    if line.description:
        yield "PID", ["F", "", "", "", line.description]


def _totals(totals: Totals | None) -> Iterator[SegmentValues]:
    if totals is not None:
        yield "CTT", [str(totals.line_count), _number(totals.hash_total)]


def _850(order: PurchaseOrder) -> list[SegmentValues]:
    segments: list[SegmentValues] = [
        ("BEG", [order.purpose, order.order_type, order.po_number, "", order.order_date])
    ]
    if order.currency:
        segments.append(("CUR", ["BY", order.currency]))
    segments += [("REF", [q, v]) for q, v in order.references.items()]
    segments += [("DTM", [q, v]) for q, v in order.dates.items()]
    segments += _parties(order.parties)
    for line in order.lines:
        segments += _line("PO1", line)
    segments += _totals(order.totals)
    return segments


def _855(ack: PurchaseOrderAck) -> list[SegmentValues]:
    segments: list[SegmentValues] = [
        (
            "BAK",
            [ack.purpose, ack.ack_type, ack.po_number, ack.po_date, "", "", "", ack.seller_order],
        )
    ]
    segments += _parties(ack.parties)
    for acknowledged in ack.lines:
        segments += _line("PO1", acknowledged.line)
        for status in acknowledged.statuses:
            segments.append(("ACK", [status.code, _number(status.quantity), status.unit,
                                     status.date_qualifier, status.date]))  # fmt: skip
    segments += _totals(ack.totals)
    return segments


def _shipment(notice: ShipNotice) -> Iterator[SegmentValues]:
    """The shipment level's own segments, after its HL."""
    if notice.packages is not None or notice.weight is not None:
        packages = "" if notice.packages is None else str(notice.packages)
        yield "TD1", ["CTN25", packages, "", "", "", "G", _number(notice.weight),
                      notice.weight_unit]  # fmt: skip
    if notice.carrier_scac or notice.carrier_name:
        yield "TD5", ["B", "2", notice.carrier_scac, notice.transport, notice.carrier_name]
    if notice.bill_of_lading:
        yield "REF", ["BM", notice.bill_of_lading]
    if notice.tracking:
        yield "REF", ["CN", notice.tracking]
    if notice.shipped:
        yield "DTM", ["011", notice.shipped]
    if notice.delivery:
        yield "DTM", ["017", notice.delivery]
    yield from _parties(notice.parties)


def _level(level: ShipmentLevel) -> Iterator[SegmentValues]:
    if level.po_number:
        yield "PRF", [level.po_number, "", "", level.po_date]
    if level.marks_qualifier or level.marks:
        yield "MAN", [level.marks_qualifier, level.marks]
    if level.line_number or level.parts or level.lot:
        lot = [PartId("LT", level.lot)] if level.lot else []
        yield "LIN", [level.line_number, *_pairs([*level.parts, *lot])]
    if level.quantity is not None:
        yield "SN1", ["", _number(level.quantity), level.unit]
    if level.expiry:
        yield "DTM", ["036", level.expiry]


def _856(notice: ShipNotice) -> list[SegmentValues]:
    segments: list[SegmentValues] = [
        ("BSN", [notice.purpose, notice.shipment_id, notice.date, notice.time, notice.structure])
    ]
    shipment_written = False
    for level in notice.levels:
        segments.append(("HL", [level.id, level.parent, level.code, level.child_code]))
        if level.code == "S" and not shipment_written:
            segments += _shipment(notice)
            shipment_written = True
        segments += _level(level)
    if not shipment_written:
        segments += _shipment(notice)
    segments += _totals(notice.totals)
    return segments


def _charge(charge: Charge) -> SegmentValues:
    if charge.indicator == "T":
        return "TXI", [charge.code, _number(charge.amount)]
    elements = [charge.indicator, charge.code, "", "", _cents(charge.amount)]
    if charge.description:
        elements += [""] * 9 + [charge.description]
    return "SAC", elements


def _810(invoice: Invoice) -> list[SegmentValues]:
    segments: list[SegmentValues] = [
        (
            "BIG",
            [invoice.invoice_date, invoice.invoice_number, invoice.po_date, invoice.po_number],
        )
    ]
    segments += _parties(invoice.parties)
    if invoice.terms_net_days:
        segments.append(("ITD", ["01", "3", "", "", "", "", invoice.terms_net_days]))
    for line in invoice.lines:
        segments += _line("IT1", line)
    segments.append(("TDS", [_cents(invoice.total)]))
    segments += [_charge(charge) for charge in invoice.charges]
    segments += _totals(invoice.totals)
    return segments


def transaction_body(document: SupplyDocument) -> TransactionBody:
    """The ST..SE body of one supply-chain document."""
    if isinstance(document, PurchaseOrder):
        return TransactionBody("850", "", _850(document))
    if isinstance(document, PurchaseOrderAck):
        return TransactionBody("855", "", _855(document))
    if isinstance(document, ShipNotice):
        return TransactionBody("856", "", _856(document))
    return TransactionBody("810", "", _810(document))


def write_supply(
    documents: Sequence[SupplyDocument],
    config: EnvelopeConfig,
    numbers: ControlNumberSource,
    created: datetime,
) -> str:
    """One interchange with a functional group per set present (PO, PR, SH, IN), in that order."""
    bodies = [transaction_body(d) for d in documents]
    groups = [
        (functional_id, VERSION, [b for b in bodies if b.transaction_id == set_id])
        for set_id, functional_id in FUNCTIONAL_IDS.items()
        if any(b.transaction_id == set_id for b in bodies)
    ]
    return build_interchange(groups, config, numbers, created)
