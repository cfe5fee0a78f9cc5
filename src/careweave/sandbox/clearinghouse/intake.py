"""Read the claims of an inbound 837 (P or I) into what the payers adjudicate.

A linear pass over each transaction set's segments: the HL hierarchy of the 837 is shallow
(billing provider, subscriber, patient) and the claim's own segments follow its CLM in order.
Bad amounts or dates raise X12Error naming the segment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import msgspec

from careweave.codecs.x12.envelope import TransactionSet
from careweave.codecs.x12.tokenizer import Delimiters, Segment
from careweave.exceptions import X12Error


class SubmittedLine(msgspec.Struct, kw_only=True):
    """One service line (SV1/SV2 with its DTP*472)."""

    procedure_code: str
    modifiers: list[str]
    charge: Decimal
    units: Decimal
    revenue_code: str = ""
    service_date: dt.date | None = None


class SubmittedClaim(msgspec.Struct, kw_only=True):
    """One claim (CLM) as the payer receives it."""

    claim_id: str
    kind: str
    """``professional`` (005010X222A1) or ``institutional`` (005010X223A2)."""
    charge: Decimal
    facility_code: str
    frequency: str
    payer_id: str
    payer_name: str
    member_id: str
    subscriber_last: str
    subscriber_first: str
    filing_indicator: str
    responsibility: str
    patient_last: str = ""
    patient_first: str = ""
    diagnoses: list[str] = msgspec.field(default_factory=list)
    prior_authorization: str = ""
    """REF*G1 on the claim, when sent."""
    lines: list[SubmittedLine] = msgspec.field(default_factory=list)
    billing_name: str = ""
    billing_npi: str = ""
    transaction: str = ""
    """``GS06/ST02`` of the transaction set the claim came in."""
    position: int = 0
    """Segment position of the CLM in the file."""

    @property
    def first_service_date(self) -> dt.date | None:
        """The earliest line service date."""
        dates = [line.service_date for line in self.lines if line.service_date is not None]
        return min(dates) if dates else None


def _money(segment: Segment, index: int) -> Decimal:
    try:
        return Decimal(segment.element(index) or "0")
    except InvalidOperation:
        raise X12Error(
            f"{segment.label}: {segment.id}{index:02d} {segment.element(index)!r} is not an amount"
        ) from None


def _date(segment: Segment, index: int) -> dt.date:
    text = segment.element(index)[:8]
    try:
        return dt.datetime.strptime(text, "%Y%m%d").replace(tzinfo=dt.UTC).date()
    except ValueError:
        raise X12Error(f"{segment.label}: {segment.id}{index:02d} {text!r} is not a date") from None


class _Reader:
    """Keeps who the current claim is for while walking one transaction set."""

    def __init__(self, kind: str, transaction: str, delimiters: Delimiters) -> None:
        self.kind, self.transaction, self.d = kind, transaction, delimiters
        self.claims: list[SubmittedClaim] = []
        self.subscriber: dict[str, str] = {}
        self.patient: tuple[str, str] = ("", "")
        self.claim: SubmittedClaim | None = None
        self.billing: tuple[str, str] = ("", "")

    def read(self, segment: Segment) -> None:
        e = segment.element
        kind = segment.id
        if kind == "HL":
            self.claim = None
            if e(3) == "22":
                self.subscriber, self.patient = {}, ("", "")
        elif kind == "SBR":
            self.subscriber.update(responsibility=e(1), filing=e(9))
        elif kind == "NM1" and self.claim is None:
            if e(1) == "IL":
                self.subscriber.update(last=e(3), first=e(4), member=e(9))
            elif e(1) == "PR":
                self.subscriber.update(payer_name=e(3), payer_id=e(9))
            elif e(1) == "QC":
                self.patient = (e(3), e(4))
            elif e(1) == "85":
                self.billing = (e(3), e(9))
        elif kind == "CLM":
            self._start_claim(segment)
        elif self.claim is not None:
            self._claim_segment(segment)

    def _start_claim(self, segment: Segment) -> None:
        s = self.subscriber.get
        facility = segment.components(5, self.d)
        self.claim = SubmittedClaim(
            claim_id=segment.element(1), kind=self.kind, charge=_money(segment, 2),
            facility_code=facility[0], frequency=facility[2] if len(facility) > 2 else "1",
            payer_id=s("payer_id", ""), payer_name=s("payer_name", ""), member_id=s("member", ""),
            subscriber_last=s("last", ""), subscriber_first=s("first", ""),
            filing_indicator=s("filing", ""), responsibility=s("responsibility", "P"),
            patient_last=self.patient[0] or s("last", ""),
            patient_first=self.patient[1] or s("first", ""),
            billing_name=self.billing[0], billing_npi=self.billing[1],
            transaction=self.transaction, position=segment.position,
        )  # fmt: skip
        self.claims.append(self.claim)

    def _claim_segment(self, segment: Segment) -> None:
        claim = self.claim
        assert claim is not None
        e = segment.element
        kind = segment.id
        if kind == "HI":
            for index in range(1, 13):
                parts = segment.components(index, self.d)
                if parts[0] in ("ABK", "ABF", "BK", "BF") and len(parts) > 1:
                    claim.diagnoses.append(parts[1])
        elif kind == "REF" and e(1) == "G1":
            claim.prior_authorization = e(2)
        elif kind in ("SV1", "SV2"):
            claim.lines.append(self._line(segment))
        elif kind == "DTP" and e(1) == "472" and claim.lines:
            claim.lines[-1].service_date = _date(segment, 3)

    def _line(self, segment: Segment) -> SubmittedLine:
        if segment.id == "SV1":
            procedure = segment.components(1, self.d)
            return SubmittedLine(
                procedure_code=procedure[1] if len(procedure) > 1 else "",
                modifiers=[m for m in procedure[2:6] if m], charge=_money(segment, 2),
                units=_money(segment, 4),
            )  # fmt: skip
        procedure = segment.components(2, self.d)
        return SubmittedLine(
            procedure_code=procedure[1] if len(procedure) > 1 else "",
            modifiers=[m for m in procedure[2:6] if m], charge=_money(segment, 3),
            units=_money(segment, 5), revenue_code=segment.element(1),
        )  # fmt: skip


def claims_in(
    transaction: TransactionSet, group: str, delimiters: Delimiters, version: str = ""
) -> list[SubmittedClaim]:
    """Every claim of one 837 transaction set (*group* is its GS06, *version* its GS08)."""
    implementation = transaction.implementation or version
    kind = "institutional" if "X223" in implementation else "professional"
    reader = _Reader(kind, f"{group}/{transaction.control_number}", delimiters)
    for segment in transaction.segments:
        reader.read(segment)
    return reader.claims
