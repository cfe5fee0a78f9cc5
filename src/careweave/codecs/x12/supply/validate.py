"""What ``x12 validate`` runs on an 850, 855, 856 or 810: parse it, then its business checks.

A document that cannot be parsed is one problem naming the element; a parsed one gets every
problem :mod:`.checks` finds. :class:`SupplyFileChecks` also holds the 850s seen earlier in the
same file, so that an 855 answering one of them is checked against it (no line acknowledged
beyond what was ordered).
"""

from __future__ import annotations

from careweave.codecs.x12.envelope import TransactionSet
from careweave.codecs.x12.strict import GuideError
from careweave.codecs.x12.supply.checks import check_ack_against_order, check_document
from careweave.codecs.x12.supply.model import PurchaseOrder, PurchaseOrderAck
from careweave.codecs.x12.supply.parsing import PARSERS
from careweave.codecs.x12.supply.reading import SupplyParseError

SUPPLY_SETS = frozenset(PARSERS)
"""ST01 values careweave validates with the supply-chain checks."""


class SupplyFileChecks:
    """Validates the supply-chain transaction sets of one file, in order."""

    def __init__(self) -> None:
        self._orders: dict[str, PurchaseOrder] = {}

    def validate(self, transaction: TransactionSet) -> list[GuideError]:
        """The problems of one 850/855/856/810 transaction set (positions: ST is 1)."""
        parser = PARSERS[transaction.id]
        try:
            document = parser(transaction)
        except SupplyParseError as error:
            return [GuideError(error.position, error.segment_id, error.element, error.code,
                               error.problem)]  # fmt: skip
        problems = check_document(document)
        if isinstance(document, PurchaseOrder):
            self._orders[document.po_number] = document
        elif isinstance(document, PurchaseOrderAck) and document.po_number in self._orders:
            problems += check_ack_against_order(document, self._orders[document.po_number])
        return problems
