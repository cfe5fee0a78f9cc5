"""The 835 health care claim payment/advice (005010X221A1) as msgspec Structs.

Money is Decimal throughout. ``parse_remittances`` reads every 835 of a file; each
RemittanceAdvice carries the imbalances found by ``careweave.codecs.x12.balancing`` so that an
835 which does not add up is flagged, never silently accepted.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import msgspec

from careweave.codecs.x12.document import ParsedTransaction, read_document
from careweave.codecs.x12.loops import Loop
from careweave.codecs.x12.tokenizer import Delimiters, Segment
from careweave.exceptions import X12Error


class Party(msgspec.Struct, frozen=True):
    """A payer, payee or patient: entity code, name and identifier."""

    entity: str
    name: str
    id_qualifier: str = ""
    id: str = ""
    first_name: str = ""


class Adjustment(msgspec.Struct, frozen=True):
    """One CAS triplet: group code (CO/PR/OA/PI/CR), CARC reason, amount, optional quantity."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


class RemarkCode(msgspec.Struct, frozen=True):
    """A remittance advice remark code (RARC) and where it came from (LQ qualifier, MIA, MOA)."""

    source: str
    code: str


class ServicePayment(msgspec.Struct):
    """An SVC service line (loop 2110)."""

    procedure_qualifier: str
    procedure_code: str
    modifiers: list[str]
    charge: Decimal
    paid: Decimal
    revenue_code: str
    units: Decimal | None
    position: int
    dates: dict[str, str] = msgspec.field(default_factory=dict)
    adjustments: list[Adjustment] = msgspec.field(default_factory=list)
    remarks: list[RemarkCode] = msgspec.field(default_factory=list)


class ClaimPayment(msgspec.Struct):
    """A CLP claim payment (loop 2100) with its adjustments and service lines."""

    id: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    filing_indicator: str
    payer_claim_id: str
    facility_code: str
    frequency: str
    position: int
    patient: Party | None = None
    dates: dict[str, str] = msgspec.field(default_factory=dict)
    adjustments: list[Adjustment] = msgspec.field(default_factory=list)
    remarks: list[RemarkCode] = msgspec.field(default_factory=list)
    lines: list[ServicePayment] = msgspec.field(default_factory=list)


class ProviderAdjustment(msgspec.Struct, frozen=True):
    """One PLB reason/amount pair: provider, fiscal period, reason code, reference, amount."""

    provider_id: str
    fiscal_period: str
    reason: str
    reference: str
    amount: Decimal
    position: int


class Imbalance(msgspec.Struct, frozen=True):
    """An 835 total that does not add up: which one, expected and actual amounts, where."""

    scope: str
    """``payment`` (BPR02), ``claim`` (CLP03 - CLP04) or ``line`` (SVC02 - SVC03)."""
    claim_id: str
    position: int
    expected: Decimal
    actual: Decimal
    message: str


class RemittanceAdvice(msgspec.Struct):
    """One 835 transaction set."""

    control_number: str
    handling: str
    payment: Decimal
    credit_debit: str
    method: str
    payment_date: str
    trace_number: str
    payer_id: str
    payer: Party
    payee: Party
    claims: list[ClaimPayment] = msgspec.field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = msgspec.field(default_factory=list)
    imbalances: list[Imbalance] = msgspec.field(default_factory=list)

    @property
    def balanced(self) -> bool:
        """Whether payment, every claim and every line add up."""
        return not self.imbalances


def money(segment: Segment, index: int, required: bool = True) -> Decimal | None:
    """Element *index* as a Decimal; X12Error naming the segment when it is not a number."""
    value = segment.element(index)
    if not value:
        if required:
            raise X12Error(f"{segment.label}: {segment.id}{index:02d} amount is missing")
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        message = f"{segment.label}: {segment.id}{index:02d} {value!r} is not an amount"
        raise X12Error(message) from None


def _amount(segment: Segment, index: int) -> Decimal:
    value = money(segment, index)
    assert value is not None
    return value


def _adjustments(segment: Segment) -> list[Adjustment]:
    """A CAS segment's up to six reason/amount/quantity triplets under one group code."""
    group = segment.element(1)
    found: list[Adjustment] = []
    for start in range(2, 20, 3):
        reason = segment.element(start)
        if not reason:
            continue
        quantity = money(segment, start + 2, required=False)
        found.append(Adjustment(group, reason, _amount(segment, start + 1), quantity))
    return found


def _party(segment: Segment) -> Party:
    if segment.id == "N1":
        e = segment.element
        return Party(e(1), e(2), e(3), e(4))
    e = segment.element
    return Party(e(1), e(3), e(8), e(9), e(4))


def _remarks(segment: Segment, indexes: range) -> list[RemarkCode]:
    return [RemarkCode(segment.id, segment.element(i)) for i in indexes if segment.element(i)]


def _service(loop: Loop, delimiters: Delimiters) -> ServicePayment:
    svc = loop.items[0]
    assert isinstance(svc, Segment)
    composite = svc.components(1, delimiters)
    units = money(svc, 5, required=False)
    line = ServicePayment(
        composite[0], composite[1] if len(composite) > 1 else "",
        [m for m in composite[2:6] if m], _amount(svc, 2), _amount(svc, 3), svc.element(4),
        units if units is not None else money(svc, 7, required=False), svc.position,
    )  # fmt: skip
    for segment in loop.segments[1:]:
        if segment.id == "DTM":
            line.dates[segment.element(1)] = segment.element(2)
        elif segment.id == "CAS":
            line.adjustments.extend(_adjustments(segment))
        elif segment.id == "LQ":
            line.remarks.append(RemarkCode(segment.element(1), segment.element(2)))
    return line


def _claim(loop: Loop, delimiters: Delimiters) -> ClaimPayment:
    clp = loop.items[0]
    assert isinstance(clp, Segment)
    e = clp.element
    claim = ClaimPayment(
        e(1), e(2), _amount(clp, 3), _amount(clp, 4), money(clp, 5, required=False),
        e(6), e(7), e(8), e(9), clp.position,
    )  # fmt: skip
    for segment in loop.segments[1:]:
        kind = segment.id
        if kind == "CAS":
            claim.adjustments.extend(_adjustments(segment))
        elif kind == "NM1" and segment.element(1) == "QC":
            claim.patient = _party(segment)
        elif kind == "DTM":
            claim.dates[segment.element(1)] = segment.element(2)
        elif kind == "MIA":
            claim.remarks.extend(_remarks(segment, range(20, 25)))
            claim.remarks.extend(_remarks(segment, range(5, 6)))
        elif kind == "MOA":
            claim.remarks.extend(_remarks(segment, range(3, 8)))
    claim.lines = [_service(child, delimiters) for child in loop.loops if child.id == "2110"]
    return claim


def _provider_adjustments(segment: Segment, delimiters: Delimiters) -> list[ProviderAdjustment]:
    """A PLB segment's up to six composite-reason/amount pairs."""
    found: list[ProviderAdjustment] = []
    for start in range(3, 15, 2):
        if not segment.element(start):
            continue
        reason = segment.components(start, delimiters)
        found.append(
            ProviderAdjustment(
                segment.element(1), segment.element(2), reason[0],
                reason[1] if len(reason) > 1 else "", _amount(segment, start + 1),
                segment.position,
            )
        )  # fmt: skip
    return found


def remittance_from(parsed: ParsedTransaction, delimiters: Delimiters) -> RemittanceAdvice:
    """Read one parsed 835 transaction into a RemittanceAdvice (imbalances included)."""
    from careweave.codecs.x12.balancing import find_imbalances

    tree = parsed.tree
    bpr = tree.first("BPR")
    if bpr is None:
        raise X12Error(f"transaction {parsed.transaction.control_number}: 835 without a BPR")
    trn = tree.first("TRN")
    payer = payee = Party("", "")
    for child in tree.loops:
        if child.id in ("1000A", "1000B"):
            head = child.items[0]
            assert isinstance(head, Segment)
            if child.id == "1000A":
                payer = _party(head)
            else:
                payee = _party(head)
    advice = RemittanceAdvice(
        parsed.transaction.control_number, bpr.element(1), _amount(bpr, 2), bpr.element(3),
        bpr.element(4), bpr.element(16), trn.element(2) if trn else "",
        trn.element(3) if trn else "", payer, payee,
    )  # fmt: skip
    for child in tree.walk():
        if child.id == "2100":
            advice.claims.append(_claim(child, delimiters))
    for segment in tree.segments:
        if segment.id == "PLB":
            advice.provider_adjustments.extend(_provider_adjustments(segment, delimiters))
    advice.imbalances = find_imbalances(advice)
    return advice


def parse_remittances(data: bytes | str) -> list[RemittanceAdvice]:
    """Every 835 transaction in an X12 file, parsed and balanced."""
    document = read_document(data, check=False)
    return [remittance_from(p, document.delimiters) for p in document.of_type("835")]
