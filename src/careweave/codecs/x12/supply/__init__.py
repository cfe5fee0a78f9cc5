"""The supply chain's X12 sets: 850 purchase order, 855 acknowledgment, 856 ship notice, 810
invoice. Structs (:mod:`.model`), parsers, writers and the business checks ``x12 validate``
runs on them."""

from careweave.codecs.x12.supply.checks import (
    UNITS_OF_MEASURE,
    check_ack_against_order,
    check_document,
    sscc_check_digit,
)
from careweave.codecs.x12.supply.model import (
    AcknowledgedLine,
    Charge,
    Invoice,
    LineStatus,
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
from careweave.codecs.x12.supply.parsing import parse_supply
from careweave.codecs.x12.supply.reading import SupplyParseError
from careweave.codecs.x12.supply.validate import SUPPLY_SETS, SupplyFileChecks
from careweave.codecs.x12.supply.writing import write_supply

__all__ = [
    "SUPPLY_SETS",
    "UNITS_OF_MEASURE",
    "AcknowledgedLine",
    "Charge",
    "Invoice",
    "LineStatus",
    "OrderLine",
    "PartId",
    "Party",
    "PurchaseOrder",
    "PurchaseOrderAck",
    "ShipNotice",
    "ShipmentLevel",
    "SupplyDocument",
    "SupplyFileChecks",
    "SupplyParseError",
    "Totals",
    "check_ack_against_order",
    "check_document",
    "parse_supply",
    "sscc_check_digit",
    "write_supply",
]
