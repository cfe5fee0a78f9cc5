"""The supply chain end to end on documents: an ERP bill-only purchase order becomes an 850, the
distributor answers with an 855, an 856 and an 810 (built here as a distributor would), all four
travel in one interchange, validate, and drive the ERP's receipts and the three-way match."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from careweave.codecs.x12.control import InMemoryControlNumbers
from careweave.codecs.x12.emitter import EnvelopeConfig
from careweave.codecs.x12.guide_validation import validate_against_guides
from careweave.codecs.x12.supply import (
    AcknowledgedLine,
    Invoice,
    LineStatus,
    OrderLine,
    PartId,
    PurchaseOrder,
    PurchaseOrderAck,
    ShipmentLevel,
    ShipNotice,
    SupplyDocument,
    Totals,
    parse_supply,
    sscc_check_digit,
    write_supply,
)
from careweave.codecs.x12.supply.checks import invoice_expected_total
from careweave.erp.supply_documents import order_from_request, receipts_from_ship_notice
from careweave.erp.three_way_match import receipt_from_ship_notices, three_way_match
from careweave.exceptions import ValidationError
from careweave.model.erp import PurchaseOrderLine, PurchaseOrderRequest

REQUEST = PurchaseOrderRequest(
    business_key="po:RBH01:case-7781",
    vendor="MSS",
    entity="RBH01",
    lines=[
        PurchaseOrderLine("IMP-1001", 2, Decimal("1850.00"), lot="L24A118"),
        PurchaseOrderLine("SUT-2240", 4, Decimal("148.20")),
    ],
    bill_only=True,
)
GTINS = {"IMP-1001": "10881234005217"}


def _order() -> PurchaseOrder:
    return order_from_request(REQUEST, "4500070001", dt.date(2026, 3, 2), {"SUT-2240": "BX"}, GTINS)


def _ack(order: PurchaseOrder) -> PurchaseOrderAck:
    lines = [
        AcknowledgedLine(line, [LineStatus("IA", line.quantity, line.unit, "068", "20260304", 0)])
        for line in order.lines
    ]
    return PurchaseOrderAck("", "005010", "00", "AD", order.po_number, order.order_date, 0,
                            lines=lines, totals=Totals(len(lines), None, 0))  # fmt: skip


def _notice(order: PurchaseOrder, shipped: dict[str, Decimal]) -> ShipNotice:
    body = "00881234000070001"
    levels = [
        ShipmentLevel("1", "", "S", 0, "1"),
        ShipmentLevel("2", "1", "O", 0, "1", po_number=order.po_number),
        ShipmentLevel(
            "3", "2", "P", 0, "1", marks_qualifier="GM", marks=body + str(sscc_check_digit(body))
        ),
    ]
    for index, line in enumerate(order.lines, start=4):
        levels.append(ShipmentLevel(str(index), "3", "I", 0, "0", line_number=line.line_number,
                                    parts=list(line.parts), quantity=shipped[line.line_number],
                                    unit=line.unit, lot=f"LOT{index}"))  # fmt: skip
    return ShipNotice("", "005010", "00", "ASN-9001", "20260304", "1530", 0,
                      shipped="20260304", delivery="20260306", carrier_scac="UPSN",
                      levels=levels, totals=Totals(len(order.lines), None, 0))  # fmt: skip


def _invoice(order: PurchaseOrder, billed: dict[str, Decimal]) -> Invoice:
    lines = [
        OrderLine(
            line.line_number,
            billed[line.line_number],
            line.unit,
            line.unit_price,
            [PartId("VP", f"V-{line.part('BP')}"), *line.parts],
            0,
        )
        for line in order.lines
    ]
    invoice = Invoice("", "005010", "20260305", "INV-9001", order.order_date, order.po_number, 0,
                      lines=lines, totals=Totals(len(lines), None, 0))  # fmt: skip
    invoice.total = invoice_expected_total(invoice)
    invoice.total_position = 1
    return invoice


def _interchange(documents: list[SupplyDocument]) -> str:
    config = EnvelopeConfig("MERIDIANSURG", "RIVERBENDMC")
    return write_supply(
        documents, config, InMemoryControlNumbers(), datetime(2026, 3, 5, tzinfo=UTC)
    )


def test_order_ack_ship_notice_receipt_invoice_match() -> None:
    order = _order()
    full = {"1": Decimal(2), "2": Decimal(4)}
    text = _interchange([order, _ack(order), _notice(order, full), _invoice(order, full)])
    report = validate_against_guides(text)
    assert report.valid, report.errors
    assert [t.id for t in report.transaction_sets] == ["850", "855", "856", "810"]
    po, ack, notice, invoice = parse_supply(text)
    assert isinstance(po, PurchaseOrder) and isinstance(ack, PurchaseOrderAck)
    assert isinstance(notice, ShipNotice) and isinstance(invoice, Invoice)
    assert [(line.part("BP"), line.part("UK"), line.unit) for line in po.lines] == [
        ("IMP-1001", "10881234005217", "EA"), ("SUT-2240", "", "BX")
    ]  # fmt: skip
    receipts = receipts_from_ship_notice(notice, "RBH-CATH")
    assert [(r.item_number, r.quantity, r.lot, r.reference, r.business_key) for r in receipts] == [
        ("IMP-1001", 2, "LOT4", "4500070001", "asn:ASN-9001:4"),
        ("SUT-2240", 4, "LOT5", "4500070001", "asn:ASN-9001:5"),
    ]
    result = three_way_match(po, receipt_from_ship_notices([notice], po.po_number), invoice)
    assert result.matched, result.mismatches
    assert invoice.total == Decimal("4292.80")


def test_an_invoice_for_goods_not_shipped_is_held() -> None:
    order = _order()
    text = _interchange([
        order,
        _notice(order, {"1": Decimal(1), "2": Decimal(4)}),
        _invoice(order, {"1": Decimal(2), "2": Decimal(4)}),
    ])  # fmt: skip
    po, notice, invoice = parse_supply(text)
    assert isinstance(po, PurchaseOrder) and isinstance(notice, ShipNotice)
    assert isinstance(invoice, Invoice)
    result = three_way_match(po, receipt_from_ship_notices([notice], po.po_number), invoice)
    assert [(m.kind, m.line_number, m.expected, m.actual) for m in result.mismatches] == [
        ("invoiced_not_received", "1", Decimal(1), Decimal(2))
    ]


def test_a_receipt_needs_an_item_it_can_name_and_whole_units() -> None:
    order = _order()
    notice = _notice(order, {"1": Decimal(2), "2": Decimal("1.5")})
    with pytest.raises(ValidationError, match=r"HL 5: quantity 1.5 is not a whole number"):
        receipts_from_ship_notice(notice, "RBH-CATH")
    anonymous = _notice(order, {"1": Decimal(2), "2": Decimal(4)})
    anonymous.levels[3].parts = [PartId("UK", "10881234005217")]
    with pytest.raises(ValidationError, match=r"HL 4: no buyer's part"):
        receipts_from_ship_notice(anonymous, "RBH-CATH")
    by_gtin = receipts_from_ship_notice(anonymous, "RBH-CATH", {"10881234005217": "IMP-1001"})
    assert by_gtin[0].item_number == "IMP-1001"
