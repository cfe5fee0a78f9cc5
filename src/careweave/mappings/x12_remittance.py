"""X12 835 -> finance events: every payment and adjustment of a remittance file, once.

Every 835 transaction of the file is read and must balance (BPR02 = claim payments - provider
adjustments; per claim, charge - payment = adjustments): one that does not puts the whole message
in error with the imbalance named, and nothing of the file is posted, not even its balanced
transactions, so that a corrected file posts as a whole. Other transaction sets in the file
(999, 277) are left to their own mapping.
"""

from __future__ import annotations

from careweave.codecs.x12.remittance import remittance_from
from careweave.exceptions import MappingError
from careweave.mappings.x12_decode import X12Inbound
from careweave.model.base import BusinessEvent
from careweave.revenue import remittance_events


def map_remittances(decoded: X12Inbound) -> list[BusinessEvent]:
    """The finance events of every 835 transaction in the file, in reading order.

    Raises:
        MappingError: a transaction does not balance or lacks its trace number, payer or payee.
    """
    if not isinstance(decoded, X12Inbound):
        raise MappingError(
            f"x12-835-finance needs a channel of format x12, not {type(decoded).__name__}"
        )
    document = decoded.document
    events: list[BusinessEvent] = []
    for parsed in document.of_type("835"):
        advice = remittance_from(parsed, document.delimiters)
        events.extend(remittance_events(advice))
    return events
