"""Read the answers a clearinghouse sends back: 999 acknowledgments and 277CA claim status.

Each answer carries a link-back key to what it answers: a 999 transaction response names the
837 transaction set by ``GS06/ST02``; a 277CA claim entry names the claim by its CLM01 (TRN02 at
the patient level), with the payer's claim number (REF*1K) when one was assigned.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from careweave.codecs.x12.document import read_document
from careweave.codecs.x12.loops import Loop
from careweave.codecs.x12.remittance import money
from careweave.codecs.x12.tokenizer import Delimiters, Segment


class ElementError(msgspec.Struct, frozen=True):
    """An IK4: element position (``"5"`` or ``"5:1"``), syntax error code, bad value."""

    position: str
    code: str
    value: str


class SegmentError(msgspec.Struct):
    """An IK3 and its IK4s."""

    segment_id: str
    position: int
    loop_id: str
    code: str
    elements: list[ElementError] = msgspec.field(default_factory=list)


class TransactionResponse(msgspec.Struct):
    """An AK2..IK5 response to one transaction set."""

    transaction_id: str
    control_number: str
    implementation: str
    status: str
    """IK501: A accepted, E accepted with errors, R rejected."""
    codes: list[str]
    errors: list[SegmentError]
    link_key: str
    """``GS06/ST02`` of the transaction set this answers."""


class FunctionalAcknowledgment(msgspec.Struct):
    """One 999 transaction: the group it answers (AK1), per-transaction responses, AK9."""

    functional_id: str
    group_control_number: str
    version: str
    status: str
    included: int
    received: int
    accepted: int
    transactions: list[TransactionResponse]


def _int(segment: Segment | None, index: int) -> int:
    value = segment.element(index) if segment else ""
    return int(value) if value.isdigit() else 0


def _response(loop: Loop, group: str, delimiters: Delimiters) -> TransactionResponse:
    ak2 = loop.items[0]
    assert isinstance(ak2, Segment)
    errors: list[SegmentError] = []
    for child in loop.walk():
        head = child.items[0]
        assert isinstance(head, Segment)
        if child.id == "2100":
            e = head.element
            errors.append(SegmentError(e(1), _int(head, 2), e(3), e(4)))
        elif child.id == "2110" and errors:
            errors[-1].elements.append(
                ElementError(head.element(1).replace(delimiters.component, ":"),
                             head.element(3), head.element(4))
            )  # fmt: skip
    ik5 = loop.first("IK5")
    codes = [ik5.element(i) for i in range(2, 7) if ik5 and ik5.element(i)]
    return TransactionResponse(
        ak2.element(1), ak2.element(2), ak2.element(3), ik5.element(1) if ik5 else "",
        codes, errors, f"{group}/{ak2.element(2)}",
    )  # fmt: skip


def parse_999(data: bytes | str) -> list[FunctionalAcknowledgment]:
    """Every 999 transaction of an X12 file."""
    document = read_document(data, check=False)
    found: list[FunctionalAcknowledgment] = []
    for parsed in document.of_type("999"):
        tree = parsed.tree
        ak1, ak9 = tree.first("AK1"), tree.first("AK9")
        group = ak1.element(2) if ak1 else ""
        responses = [_response(c, group, document.delimiters) for c in tree.loops if c.id == "2000"]
        found.append(
            FunctionalAcknowledgment(
                ak1.element(1) if ak1 else "", group, ak1.element(3) if ak1 else "",
                ak9.element(1) if ak9 else "", _int(ak9, 2), _int(ak9, 3), _int(ak9, 4),
                responses,
            )
        )  # fmt: skip
    return found


class StatusCode(msgspec.Struct, frozen=True):
    """One STC status: category (A1, A3, A7...), status code, entity, date, action, amount."""

    category: str
    code: str
    entity: str
    date: str
    action: str
    amount: Decimal | None


class StatusEntry(msgspec.Struct):
    """One HL level of a 277: who it is about, its trace number, references and statuses."""

    hl_id: str
    parent_id: str
    level: str
    """HL03: 20 source, 21 receiver, 19 provider, 22 subscriber, PT/23 patient (claim)."""
    entity: str
    name: str
    trace_number: str
    """TRN02: at claim level, the submitter's claim id (CLM01)."""
    payer_claim_id: str
    statuses: list[StatusCode]
    link_key: str
    """The claim id (CLM01) this entry answers, or ``""`` above claim level."""


class ClaimStatusReport(msgspec.Struct):
    """One 277 transaction set."""

    control_number: str
    implementation: str
    entries: list[StatusEntry]

    def claims(self) -> list[StatusEntry]:
        """The claim-level entries."""
        return [e for e in self.entries if e.link_key]


def _status(segment: Segment, delimiters: Delimiters) -> StatusCode:
    parts = [*segment.components(1, delimiters), "", "", ""]
    return StatusCode(parts[0], parts[1], parts[2], segment.element(2), segment.element(3),
                      money(segment, 4, required=False))  # fmt: skip


def _entry(loop: Loop, delimiters: Delimiters) -> StatusEntry:
    hl = loop.items[0]
    assert isinstance(hl, Segment)
    entity = name = trace = payer_claim = ""
    statuses: list[StatusCode] = []
    for child in loop.walk():
        for segment in child.segments:
            kind = segment.id
            if kind == "NM1" and not entity:
                entity, name = segment.element(1), segment.element(3)
            elif kind == "TRN" and not trace:
                trace = segment.element(2)
            elif kind == "STC":
                statuses.append(_status(segment, delimiters))
            elif kind == "REF" and segment.element(1) == "1K":
                payer_claim = segment.element(2)
    level = hl.element(3)
    return StatusEntry(hl.element(1), hl.element(2), level, entity, name, trace, payer_claim,
                       statuses, trace if level in ("PT", "23", "22") else "")  # fmt: skip


def parse_277(data: bytes | str) -> list[ClaimStatusReport]:
    """Every 277 (277CA or 277 claim status) transaction of an X12 file."""
    document = read_document(data, check=False)
    reports: list[ClaimStatusReport] = []
    for parsed in document.of_type("277"):
        entries = [_entry(c, document.delimiters) for c in parsed.tree.loops]
        transaction = parsed.transaction
        reports.append(ClaimStatusReport(transaction.control_number, transaction.implementation,
                                         entries))  # fmt: skip
    return reports
