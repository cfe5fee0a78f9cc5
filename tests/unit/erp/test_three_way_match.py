"""Three-way match of the hospital's implant order (850), its ship notice (856) and invoice (810).

The samples are those of tests/unit/x12/test_supply.py: line 2 (femoral heads) is half
backordered and line 4 (gloves) was cut from 10 cases to 8, so the invoice bills what arrived.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from careweave.codecs.x12.supply import Invoice, PurchaseOrder, ShipNotice, parse_supply
from careweave.erp.three_way_match import (
    MatchTolerance,
    receipt_from_ship_notices,
    three_way_match,
)

SAMPLES = Path(__file__).parents[1] / "x12" / "supply_samples"


def _read(name: str, replace: tuple[str, str] = ("", "")) -> object:
    text = (SAMPLES / name).read_text()
    if replace[0]:
        assert replace[0] in text
        text = text.replace(*replace)
    (document,) = parse_supply(text)
    return document


def _order() -> PurchaseOrder:
    order = _read("implants-order.850")
    assert isinstance(order, PurchaseOrder)
    return order


def _notice(replace: tuple[str, str] = ("", "")) -> ShipNotice:
    notice = _read("implants-ship-notice.856", replace)
    assert isinstance(notice, ShipNotice)
    return notice


def _invoice(replace: tuple[str, str] = ("", "")) -> Invoice:
    invoice = _read("implants-invoice.810", replace)
    assert isinstance(invoice, Invoice)
    return invoice


def _kinds(invoice: Invoice, notice: ShipNotice | None = None,
           tolerance: MatchTolerance | None = None) -> list[tuple[str, str]]:  # fmt: skip
    receipt = receipt_from_ship_notices([notice or _notice()], "4500012345")
    result = three_way_match(_order(), receipt, invoice, tolerance)
    return [(m.kind, m.line_number) for m in result.mismatches]


def test_the_receipt_sums_items_under_the_order_with_their_lots() -> None:
    receipt = receipt_from_ship_notices([_notice()], "4500012345")
    assert receipt.shipments == ["ASN-77120"]
    assert [(line.line_number, line.quantity, line.lots) for line in receipt.lines] == [
        ("1", Decimal(2), ["L24A118"]),
        ("2", Decimal(1), ["C77102"]),
        ("3", Decimal(4), ["S5521"]),
        ("4", Decimal(8), []),
    ]
    assert receipt_from_ship_notices([_notice()], "4500099999").lines == []


def test_the_samples_match_line_by_line() -> None:
    receipt = receipt_from_ship_notices([_notice()], "4500012345")
    result = three_way_match(_order(), receipt, _invoice())
    assert result.matched
    heads = result.lines[1]
    assert (heads.ordered, heads.received, heads.invoiced) == (Decimal(2), Decimal(1), Decimal(1))


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        pytest.param(
            ("IT1*2*1*EA*925.50", "IT1*2*2*EA*925.50"),
            [("invoiced_not_received", "2")],
            id="billed-the-backorder",
        ),
        pytest.param(
            ("IT1*4*8*CA*", "IT1*4*11*CA*"),
            [("over_invoiced", "4"), ("invoiced_not_received", "4")],
            id="over-order",
        ),
        pytest.param(("IT1*1*2*EA*1850.00", "IT1*1*2*EA*1851.00"), [("price", "1")], id="price"),
        pytest.param(("IT1*3*4*BX*", "IT1*3*4*CA*"), [("unit", "3")], id="unit"),
        pytest.param(
            ("VP*SU-2240*UK*10881234008102", "VP*SU-9999*UK*10881234009994"),
            [("not_ordered", "3")],
            id="unknown-part-on-a-known-line-number",
        ),
        pytest.param(
            ("20260302*4500012345", "20260302*4500054321"), [("po_number", "")], id="other-po"
        ),
    ],
)
def test_each_disagreement_is_named(
    replace: tuple[str, str], expected: list[tuple[str, str]]
) -> None:
    assert _kinds(_invoice(replace)) == expected


def test_a_renumbered_invoice_line_pairs_by_gtin() -> None:
    invoice = _invoice(("IT1*3*4*BX*", "IT1*30*4*BX*"))
    assert _kinds(invoice) == []


def test_over_shipment_is_named_on_the_receipt() -> None:
    notice = _notice(("SN1**2*EA~", "SN1**3*EA~"))
    assert _kinds(_invoice(), notice) == [("over_received", "1")]


def test_price_within_tolerance_matches() -> None:
    invoice = _invoice(("IT1*1*2*EA*1850.00", "IT1*1*2*EA*1851.00"))
    assert _kinds(invoice, tolerance=MatchTolerance(price_percent=Decimal("0.1"))) == []
    assert _kinds(invoice, tolerance=MatchTolerance(price_amount=Decimal("0.50"))) == [
        ("price", "1")
    ]
