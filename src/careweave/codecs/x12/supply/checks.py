"""Business checks on the supply-chain documents: what a parser accepts but a buyer must not.

Each check returns :class:`~careweave.codecs.x12.strict.GuideError` problems (segment position
within the set, segment id, element, code, message), the shape ``x12 validate --json`` prints.
Codes: ``7`` a code outside its list (unit of measure, HL level, HL parent), ``8`` a bad date,
and for rules across elements: ``count`` (CTT01), ``hash`` (CTT02), ``total`` (TDS01),
``check_digit`` (SSCC-18), ``dates`` (shipped after delivery), ``quantity`` (acknowledged more
than ordered).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from careweave.codecs.x12.strict import GuideError
from careweave.codecs.x12.supply.model import (
    Invoice,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderAck,
    ShipNotice,
    SupplyDocument,
    Totals,
)

UNITS_OF_MEASURE: dict[str, str] = {
    "EA": "each",
    "BX": "box",
    "CA": "case",
    "CS": "case (alternate)",
    "PK": "package",
    "DZ": "dozen",
    "KT": "kit",
    "PR": "pair",
    "ST": "set",
    "BG": "bag",
    "BT": "bottle",
    "CT": "carton",
    "RL": "roll",
    "TB": "tube",
    "VL": "vial",
    "AM": "ampoule",
    "SY": "syringe",
    "UN": "unit",
    "ML": "millilitre",
    "LT": "litre",
    "GR": "gram",
    "LB": "pound",
}
"""The unit of measure codes (X12 element 355) careweave accepts on supply lines."""

# HL03 of an 856 and the levels each may hang under (structure 0001 and its usual variants:
# T tare between order and pack; items under a pack, a tare or directly under the order).
ALLOWED_PARENTS: dict[str, frozenset[str]] = {
    "S": frozenset(),
    "O": frozenset({"S"}),
    "T": frozenset({"O"}),
    "P": frozenset({"O", "T"}),
    "I": frozenset({"O", "T", "P"}),
}
_LEVEL_NAMES = {"S": "shipment", "O": "order", "T": "tare", "P": "pack", "I": "item"}
_CENT = Decimal("0.01")


def sscc_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of the first 17 digits of an SSCC-18."""
    total = sum(int(digit) * (3 if index % 2 == 0 else 1)
                for index, digit in enumerate(reversed(body)))  # fmt: skip
    return (10 - total % 10) % 10


def sscc_problem(value: str) -> str | None:
    """Why *value* is not a valid SSCC-18 (a leading ``00`` application identifier is allowed)."""
    digits = value[2:] if len(value) == 20 and value.startswith("00") else value
    if len(digits) != 18 or not digits.isdigit():
        return f"SSCC {value!r} is not 18 digits"
    expected = sscc_check_digit(digits[:17])
    if int(digits[17]) != expected:
        return f"SSCC {value!r} has check digit {digits[17]}, GS1 mod-10 gives {expected}"
    return None


def _is_date(value: str) -> bool:
    if len(value) != 8 or not value.isdigit():
        return False
    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return False
    return True


def _dates(position: int, segment_id: str, element: str, value: str) -> list[GuideError]:
    if not value or _is_date(value):
        return []
    return [GuideError(position, segment_id, element, "8", f"{element} {value!r} is not a date "
                                                          "(CCYYMMDD)")]  # fmt: skip


def _units(lines: Iterable[OrderLine], segment_id: str) -> list[GuideError]:
    return [
        GuideError(line.position, segment_id, f"{segment_id}03", "7",
                   f"line {line.line_number}: unit of measure {line.unit!r} is not a known code")
        for line in lines
        if line.unit not in UNITS_OF_MEASURE
    ]  # fmt: skip


def _totals(totals: Totals | None, count: int, quantities: Sequence[Decimal], what: str,
            ) -> list[GuideError]:  # fmt: skip
    """CTT01 against the number of *what*, CTT02 (when sent) against the sum of quantities."""
    if totals is None:
        return []
    problems: list[GuideError] = []
    if totals.line_count != count:
        problems.append(GuideError(totals.position, "CTT", "CTT01", "count",
                                   f"CTT01 says {totals.line_count} line items, the set has "
                                   f"{count} {what}"))  # fmt: skip
    hashed = sum(quantities, Decimal(0))
    if totals.hash_total is not None and totals.hash_total != hashed:
        problems.append(GuideError(totals.position, "CTT", "CTT02", "hash",
                                   f"CTT02 hash total {totals.hash_total} is not the sum of the "
                                   f"quantities, {hashed}"))  # fmt: skip
    return problems


def check_order(order: PurchaseOrder) -> list[GuideError]:
    """An 850: dates, units of measure, CTT count and hash total."""
    problems = _dates(order.position, "BEG", "BEG05", order.order_date)
    problems += _units(order.lines, "PO1")
    quantities = [line.quantity for line in order.lines]
    problems += _totals(order.totals, len(order.lines), quantities, "PO1 lines")
    return problems


def check_ack(ack: PurchaseOrderAck) -> list[GuideError]:
    """An 855: units, statuses not acknowledging more than the line's ordered quantity, CTT."""
    problems = _dates(ack.position, "BAK", "BAK04", ack.po_date)
    problems += _units((a.line for a in ack.lines), "PO1")
    for acknowledged in ack.lines:
        line = acknowledged.line
        for status in acknowledged.statuses:
            problems += _dates(status.position, "ACK", "ACK05", status.date)
            if status.unit and status.unit not in UNITS_OF_MEASURE:
                problems.append(GuideError(status.position, "ACK", "ACK03", "7",
                                           f"unit of measure {status.unit!r} is not a known "
                                           "code"))  # fmt: skip
        committed = acknowledged.acknowledged_quantity
        if committed > line.quantity and acknowledged.statuses:
            problems.append(GuideError(acknowledged.statuses[-1].position, "ACK", "ACK02",
                                       "quantity", f"line {line.line_number}: acknowledges "
                                       f"{committed}, more than the {line.quantity} on its PO1"))  # fmt: skip
    quantities = [a.line.quantity for a in ack.lines]
    problems += _totals(ack.totals, len(ack.lines), quantities, "PO1 lines")
    return problems


def check_ack_against_order(ack: PurchaseOrderAck, order: PurchaseOrder) -> list[GuideError]:
    """An 855 against the 850 it answers: no line acknowledged beyond what the order asked."""
    ordered = {line.line_number: line for line in order.lines}
    problems: list[GuideError] = []
    for acknowledged in ack.lines:
        line = acknowledged.line
        original = ordered.get(line.line_number)
        if original is None:
            problems.append(GuideError(line.position, "PO1", "PO101", "quantity",
                                       f"line {line.line_number} is not on purchase order "
                                       f"{order.po_number}"))  # fmt: skip
            continue
        committed = acknowledged.acknowledged_quantity if acknowledged.statuses else line.quantity
        if committed > original.quantity:
            problems.append(GuideError(line.position, "PO1", "PO102", "quantity",
                                       f"line {line.line_number}: acknowledges {committed}, the "
                                       f"850 ordered {original.quantity}"))  # fmt: skip
    return problems


def _hierarchy(notice: ShipNotice) -> list[GuideError]:
    """Each HL's id unique, its parent an earlier HL, its level under a level that may hold it."""
    problems: list[GuideError] = []
    seen: dict[str, str] = {}
    for level in notice.levels:
        where = level.position
        if level.code not in ALLOWED_PARENTS:
            problems.append(GuideError(where, "HL", "HL03", "7",
                                       f"HL {level.id}: level code {level.code!r} is not S, O, T, "
                                       "P or I"))  # fmt: skip
        elif not level.parent and level.code != "S":
            problems.append(GuideError(where, "HL", "HL02", "7",
                                       f"HL {level.id} ({_LEVEL_NAMES[level.code]}) has no "
                                       "parent"))  # fmt: skip
        elif level.parent and level.parent not in seen:
            problems.append(GuideError(where, "HL", "HL02", "7",
                                       f"HL {level.id}: parent {level.parent} is not an earlier "
                                       "HL"))  # fmt: skip
        elif level.parent:
            parent_code = seen[level.parent]
            if parent_code not in ALLOWED_PARENTS[level.code]:
                name = _LEVEL_NAMES[level.code]
                allowed = " or ".join(_LEVEL_NAMES[c] for c in "SOTP"
                                      if c in ALLOWED_PARENTS[level.code])  # fmt: skip
                message = (f"HL {level.id} ({name}, {level.code}) has parent {level.parent}, "
                           f"a {_LEVEL_NAMES.get(parent_code, parent_code)} ({parent_code}): "
                           f"{name} levels belong under {allowed or 'nothing'}")  # fmt: skip
                problems.append(GuideError(where, "HL", "HL02", "hierarchy", message))
        if level.id in seen:
            problems.append(GuideError(where, "HL", "HL01", "7",
                                       f"HL id {level.id} is used twice"))  # fmt: skip
        seen.setdefault(level.id, level.code)
    if notice.levels and notice.levels[0].code != "S":
        first = notice.levels[0]
        problems.append(GuideError(first.position, "HL", "HL03", "hierarchy",
                                   f"the first HL is level {first.code}, not the shipment (S)"))  # fmt: skip
    return problems


def check_ship_notice(notice: ShipNotice) -> list[GuideError]:
    """An 856: HL structure, SSCC-18 check digits, units, dates (shipped not after delivery), CTT.

    CTT01 may count the item levels or, as many senders do, every HL: both are accepted.
    """
    problems = _dates(notice.position, "BSN", "BSN03", notice.date)
    problems += _dates(notice.shipped_position, "DTM", "DTM02", notice.shipped)
    problems += _dates(notice.delivery_position, "DTM", "DTM02", notice.delivery)
    problems += _hierarchy(notice)
    for level in notice.levels:
        if level.marks_qualifier == "GM":
            why = sscc_problem(level.marks)
            if why is not None:
                problems.append(GuideError(level.marks_position, "MAN", "MAN02", "check_digit",
                                           f"HL {level.id}: {why}"))  # fmt: skip
        if level.quantity is not None and level.unit not in UNITS_OF_MEASURE:
            problems.append(GuideError(level.unit_position, "SN1", "SN103", "7",
                                       f"HL {level.id}: unit of measure {level.unit!r} is not a "
                                       "known code"))  # fmt: skip
    if (_is_date(notice.shipped) and _is_date(notice.delivery)
            and notice.shipped > notice.delivery):  # fmt: skip
        problems.append(GuideError(notice.shipped_position, "DTM", "DTM02", "dates",
                                   f"shipped {notice.shipped}, after its expected delivery "
                                   f"{notice.delivery}"))  # fmt: skip
    items = notice.items()
    totals = notice.totals
    if totals is not None and totals.line_count == len(notice.levels) != len(items):
        totals = Totals(len(items), totals.hash_total, totals.position)
    quantities = [item.quantity for item in items if item.quantity is not None]
    problems += _totals(totals, len(items), quantities, "item (I) levels")
    return problems


def invoice_expected_total(invoice: Invoice) -> Decimal:
    """What TDS01 must say: line extensions plus charges and taxes, less allowances, to the cent."""
    lines = sum(
        ((line.quantity * (line.unit_price or Decimal(0))).quantize(_CENT)
         for line in invoice.lines),
        Decimal(0),
    )  # fmt: skip
    adjustments = sum(
        (-c.amount if c.indicator == "A" else c.amount for c in invoice.charges), Decimal(0)
    )
    return (lines + adjustments).quantize(_CENT)


def check_invoice(invoice: Invoice) -> list[GuideError]:
    """An 810: dates, units, TDS01 against lines + charges - allowances, CTT."""
    problems = _dates(invoice.position, "BIG", "BIG01", invoice.invoice_date)
    problems += _dates(invoice.position, "BIG", "BIG03", invoice.po_date)
    problems += _units(invoice.lines, "IT1")
    expected = invoice_expected_total(invoice)
    if invoice.total_position and invoice.total != expected:
        problems.append(GuideError(invoice.total_position, "TDS", "TDS01", "total",
                                   f"TDS01 says {invoice.total}, the lines and charges come to "
                                   f"{expected} (off by {invoice.total - expected})"))  # fmt: skip
    elif not invoice.total_position:
        problems.append(GuideError(invoice.position, "BIG", None, "3",
                                   "the invoice has no TDS total"))  # fmt: skip
    quantities = [line.quantity for line in invoice.lines]
    problems += _totals(invoice.totals, len(invoice.lines), quantities, "IT1 lines")
    return problems


def check_document(document: SupplyDocument) -> list[GuideError]:
    """The checks of *document*'s transaction set."""
    if isinstance(document, PurchaseOrder):
        return check_order(document)
    if isinstance(document, PurchaseOrderAck):
        return check_ack(document)
    if isinstance(document, ShipNotice):
        return check_ship_notice(document)
    return check_invoice(document)
