"""Loop layouts of the inbound answers: 835 remittance, 999 acknowledgment, 277 claim status.

Also the lookup from a transaction's implementation reference (ST03 / GS08) to its guide.
"""

from __future__ import annotations

from careweave.codecs.x12.guide_837 import INSTITUTIONAL_837, PROFESSIONAL_837
from careweave.codecs.x12.spec import UNBOUNDED, LoopRule, loop, seg

_ANY = UNBOUNDED

_SERVICE_PAYMENT = loop(
    "2110", "Service payment information", seg("SVC"),
    seg("DTM", "150", "151", "472", max_use=3), seg("CAS", "CO", "OA", "PI", "PR", "CR", max_use=99),
    seg("REF", max_use=24), seg("AMT", max_use=9), seg("QTY", max_use=6),
    seg("LQ", "HE", "RX", max_use=99), max_repeat=999,
)  # fmt: skip

_CLAIM_PAYMENT = loop(
    "2100", "Claim payment information", seg("CLP"),
    seg("CAS", "CO", "OA", "PI", "PR", "CR", max_use=99),
    seg("NM1", "QC", required=True), seg("NM1", "IL", "74", "82", "TT", "PR", "GB", max_use=6),
    seg("MIA"), seg("MOA"), seg("REF", max_use=15), seg("DTM", "232", "233", "036", "050",
    max_use=4), seg("PER", "CX", max_use=2), seg("AMT", max_use=13), seg("QTY", max_use=14),
    _SERVICE_PAYMENT, required=True, max_repeat=_ANY,
)  # fmt: skip

REMITTANCE_835 = loop(
    "ST", "835 health care claim payment/advice", seg("ST", "835"),
    seg("BPR", required=True), seg("TRN", "1", required=True), seg("CUR", "PR"),
    seg("REF", "EV", "F2", max_use=2), seg("DTM", "405"),
    loop("1000A", "Payer identification", seg("N1", "PR"), seg("N3", required=True),
         seg("N4", required=True), seg("REF", max_use=4), seg("PER", max_use=_ANY),
         required=True),
    loop("1000B", "Payee identification", seg("N1", "PE"), seg("N3"), seg("N4"),
         seg("REF", max_use=_ANY), seg("RDM"), required=True),
    loop("2000", "Header number", seg("LX"), seg("TS3"), seg("TS2"), _CLAIM_PAYMENT,
         max_repeat=_ANY),
    seg("PLB", max_use=_ANY), seg("SE", required=True), required=True,
)  # fmt: skip
"""005010X221A1."""

ACKNOWLEDGMENT_999 = loop(
    "ST", "999 implementation acknowledgment", seg("ST", "999"), seg("AK1", required=True),
    loop("2000", "Transaction set response header", seg("AK2"),
         loop("2100", "Error identification", seg("IK3"), seg("CTX", max_use=10),
              loop("2110", "Implementation data element note", seg("IK4"), seg("CTX", max_use=10),
                   max_repeat=99),
              max_repeat=_ANY),
         seg("IK5", required=True), max_repeat=_ANY),
    seg("AK9", required=True), seg("SE", required=True), required=True,
)  # fmt: skip
"""005010X231A1."""


def _status_level(loop_id: str, name: str, level: str) -> LoopRule:
    return loop(
        loop_id, name, seg("HL", level, element=3),
        loop(f"2100{loop_id[-1]}", f"{name} name", seg("NM1"), max_repeat=_ANY),
        loop(f"2200{loop_id[-1]}", f"{name} tracking", seg("TRN"),
             seg("STC", max_use=_ANY), seg("REF", max_use=_ANY), seg("DTP", max_use=_ANY),
             seg("QTY", max_use=_ANY), seg("AMT", max_use=_ANY),
             loop(f"2220{loop_id[-1]}", "Service line information", seg("SVC"),
                  seg("STC", max_use=_ANY), seg("REF", max_use=_ANY), seg("DTP", max_use=_ANY),
                  max_repeat=_ANY),
             max_repeat=_ANY),
        max_repeat=_ANY,
    )  # fmt: skip


CLAIM_STATUS_277 = loop(
    "ST", "277 claim status", seg("ST", "277"), seg("BHT", required=True),
    _status_level("2000A", "Information source", "20"),
    _status_level("2000B", "Information receiver", "21"),
    _status_level("2000C", "Billing provider", "19"),
    _status_level("2000D", "Subscriber", "22"),
    _status_level("2000E", "Patient", "23"),
    _status_level("2000F", "Patient (claim acknowledgment)", "PT"),
    seg("SE", required=True), required=True,
)  # fmt: skip
"""005010X214 (277CA) and 005010X212 (277): hierarchy levels are kept flat, HL02 links them."""


def guide_for(transaction_id: str, implementation: str) -> LoopRule | None:
    """The guide for a transaction set, or None when careweave has none for it."""
    if transaction_id == "837":
        if implementation.startswith("005010X222"):
            return PROFESSIONAL_837
        if implementation.startswith("005010X223"):
            return INSTITUTIONAL_837
        return None
    return {"835": REMITTANCE_835, "999": ACKNOWLEDGMENT_999, "277": CLAIM_STATUS_277}.get(
        transaction_id
    )
