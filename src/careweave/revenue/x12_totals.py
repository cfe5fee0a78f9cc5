"""Totals read straight from raw X12 837 and 835 files: the payer's side of the reconciliation.

Deliberately independent of the code that posts remittances: no X12 codec model, no 835 mapping,
no finance event. Its own segment split (the delimiters come from the fixed-width ISA segment)
and one linear pass per file give, per claim, what it billed (CLM02, and the service lines' SV102
/ SV203) and what the payer did with it (CLP02 status, CLP03 charge, CLP04 paid, every CAS amount
by group and reason, claim and line level alike), per check its payment (BPR02) and date (BPR16,
else DTM*405), trace number (TRN02) and provider-level adjustments (PLB); each claim and check is
put under the legal entity of its billing provider / payee NPI (NM1*85, N1*PE) through the
master data's NPI -> entity table.

The files' own arithmetic is checked on the way and every failure is named in ``problems``: an 837
claim whose lines do not add up to CLM02, an 835 claim whose charge minus payment is not its
adjustments, a check whose BPR02 is not its claims' payments less its PLB amounts, an NPI that is
no entity's, an amount that is not a number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

import msgspec

ZERO = Decimal("0.00")


class CasAmount(msgspec.Struct, frozen=True):
    """One CAS amount: group code (CO, PR, OA, PI), reason code (CARC) and amount."""

    group: str
    reason: str
    amount: Decimal


class BilledClaim(msgspec.Struct, frozen=True, kw_only=True):
    """One CLM of an 837."""

    claim_id: str
    entity: str
    billing_npi: str
    billed: Decimal
    """CLM02, the claim's total charge."""
    line_total: Decimal
    """SV102 / SV203 summed over its service lines."""
    lines: int
    day: dt.date | None
    """BHT04, the day the 837 was created."""
    file: str


class RemittedClaim(msgspec.Struct, frozen=True, kw_only=True):
    """One CLP of an 835, with every CAS amount of the claim and of its service lines."""

    claim_id: str
    entity: str
    payee_npi: str
    payer: str
    trace: str
    day: dt.date | None
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    """CLP05 as the payer states it (the PR CAS amounts are what move money)."""
    adjustments: tuple[CasAmount, ...]
    file: str

    @property
    def adjusted(self) -> Decimal:
        """Every CAS amount of the claim, summed."""
        return sum((a.amount for a in self.adjustments), ZERO)


class ProviderAdjustment(msgspec.Struct, frozen=True, kw_only=True):
    """One PLB amount: positive reduces the check, negative (interest) adds to it."""

    entity: str
    trace: str
    day: dt.date | None
    reason: str
    reference: str
    amount: Decimal
    file: str


class CheckPayment(msgspec.Struct, frozen=True, kw_only=True):
    """One 835 transaction's payment (BPR02) under its trace number."""

    entity: str
    payer: str
    trace: str
    day: dt.date | None
    amount: Decimal
    claims: int
    file: str


class X12Totals(msgspec.Struct, frozen=True, kw_only=True):
    """Everything read from a set of 837 and 835 files."""

    billed: tuple[BilledClaim, ...]
    remitted: tuple[RemittedClaim, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    payments: tuple[CheckPayment, ...]
    problems: tuple[str, ...]


def split_segments(raw: bytes | str) -> tuple[list[list[str]], str]:
    """The segments of an X12 file as lists of elements, and its component separator.

    Raises:
        ValueError: the data does not start with an ISA segment.
    """
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    text = text.lstrip("\ufeff \r\n\t")
    if not text.startswith("ISA") or len(text) < 106:
        raise ValueError("not an X12 interchange: no ISA segment at the start")
    element, component, terminator = text[3], text[104], text[105]
    segments = []
    for chunk in text.split(terminator):
        segment = chunk.strip("\r\n\t ")
        if segment:
            segments.append(segment.split(element))
    return segments, component


def _at(elements: list[str], index: int) -> str:
    return elements[index].strip() if index < len(elements) else ""


class _Reader:
    """Amounts, dates and entities, with every failure kept as a named problem."""

    def __init__(self, name: str, entities: Mapping[str, str]) -> None:
        self.name = name
        self.entities = entities
        self.problems: list[str] = []

    def amount(self, text: str, where: str) -> Decimal:
        if not text:
            return ZERO
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            self.problems.append(f"{self.name}: {where} amount {text!r} is not a number")
            return ZERO
        return value

    def day(self, text: str) -> dt.date | None:
        try:
            return dt.datetime.strptime(text, "%Y%m%d").date() if text else None  # noqa: DTZ007
        except ValueError:
            self.problems.append(f"{self.name}: date {text!r} is not CCYYMMDD")
            return None

    def entity(self, npi: str, who: str) -> str:
        found = self.entities.get(npi)
        if found is None:
            self.problems.append(f"{self.name}: {who} NPI {npi or '(none)'} is no entity's")
            return f"NPI {npi or '(none)'}"
        return found


class _BilledDraft:
    """A CLM being read: its header and the service lines after it."""

    def __init__(self, claim_id: str, entity: str, npi: str, billed: Decimal) -> None:
        self.claim_id, self.entity, self.npi, self.billed = claim_id, entity, npi, billed
        self.line_total = ZERO
        self.lines = 0


def read_837(name: str, raw: bytes | str, entities: Mapping[str, str]) -> X12Totals:
    """The claims of one 837 file (P or I)."""
    reader = _Reader(name, entities)
    segments, _ = split_segments(raw)
    claims: list[BilledClaim] = []
    day: dt.date | None = None
    npi = ""
    draft: _BilledDraft | None = None
    for seg in [*segments, ["SE"]]:
        tag = seg[0]
        if draft is not None and tag in ("CLM", "HL", "SE", "GE", "IEA"):
            claims.append(
                BilledClaim(
                    claim_id=draft.claim_id, entity=draft.entity, billing_npi=draft.npi,
                    billed=draft.billed, line_total=draft.line_total, lines=draft.lines,
                    day=day, file=name,
                )
            )  # fmt: skip
            if draft.line_total != draft.billed:
                reader.problems.append(
                    f"{name}: claim {draft.claim_id} CLM02 {draft.billed} != its service lines "
                    f"{draft.line_total}"
                )
            draft = None
        if tag == "BHT":
            day = reader.day(_at(seg, 4))
        elif tag == "NM1" and _at(seg, 1) == "85":
            npi = _at(seg, 9)
        elif tag == "CLM":
            claim_id = _at(seg, 1)
            entity = reader.entity(npi, f"claim {claim_id} billing provider")
            billed = reader.amount(_at(seg, 2), f"claim {claim_id} CLM02")
            draft = _BilledDraft(claim_id, entity, npi, billed)
        elif tag in ("SV1", "SV2") and draft is not None:
            where = f"claim {draft.claim_id} {tag}"
            draft.line_total += reader.amount(_at(seg, 2 if tag == "SV1" else 3), where)
            draft.lines += 1
    return X12Totals(
        billed=tuple(claims),
        remitted=(),
        provider_adjustments=(),
        payments=(),
        problems=tuple(reader.problems),
    )


class _RemittedDraft:
    """A CLP being read, and the CAS amounts of the claim and its lines after it."""

    def __init__(self, seg: list[str], reader: _Reader) -> None:
        self.claim_id = _at(seg, 1)
        self.status = _at(seg, 2)
        self.charge = reader.amount(_at(seg, 3), f"claim {self.claim_id} CLP03")
        self.paid = reader.amount(_at(seg, 4), f"claim {self.claim_id} CLP04")
        self.patient = reader.amount(_at(seg, 5), f"claim {self.claim_id} CLP05")
        self.adjustments: list[CasAmount] = []


class _Check:
    """What one 835 transaction set says, collected segment by segment."""

    def __init__(self) -> None:
        self.payment = ZERO
        self.day: dt.date | None = None
        self.production_day: dt.date | None = None
        self.trace = ""
        self.payer = ""
        self.payee = ""
        self.claims: list[_RemittedDraft] = []
        self.plb: list[tuple[str, str, Decimal]] = []


def read_835(name: str, raw: bytes | str, entities: Mapping[str, str]) -> X12Totals:
    """The checks, claims and provider-level adjustments of one 835 file."""
    reader = _Reader(name, entities)
    segments, component = split_segments(raw)
    remitted: list[RemittedClaim] = []
    payments: list[CheckPayment] = []
    plbs: list[ProviderAdjustment] = []
    check: _Check | None = None
    for seg in segments:
        tag = seg[0]
        if tag == "ST" and _at(seg, 1) == "835":
            check = _Check()
        elif check is None:
            continue
        elif tag == "BPR":
            check.payment = reader.amount(_at(seg, 2), "BPR02")
            check.day = reader.day(_at(seg, 16))
        elif tag == "TRN":
            check.trace = _at(seg, 2)
        elif tag == "DTM" and _at(seg, 1) == "405":
            check.production_day = reader.day(_at(seg, 2))
        elif tag == "N1" and _at(seg, 1) in ("PR", "PE"):
            if _at(seg, 1) == "PR":
                check.payer = _at(seg, 2)
            else:
                check.payee = _at(seg, 4)
        elif tag == "CLP":
            check.claims.append(_RemittedDraft(seg, reader))
        elif tag == "CAS" and check.claims:
            group = _at(seg, 1)
            for index in range(2, len(seg), 3):
                reason = _at(seg, index)
                if reason:
                    value = reader.amount(_at(seg, index + 1), f"CAS {group}-{reason}")
                    check.claims[-1].adjustments.append(CasAmount(group, reason, value))
        elif tag == "PLB":
            for index in range(3, len(seg), 2):
                reason, _, reference = _at(seg, index).partition(component)
                if reason:
                    amount = reader.amount(_at(seg, index + 1), f"PLB {reason}")
                    check.plb.append((reason, reference, amount))
        elif tag == "SE":
            _close_check(name, check, reader, remitted, payments, plbs)
            check = None
    return X12Totals(
        billed=(),
        remitted=tuple(remitted),
        provider_adjustments=tuple(plbs),
        payments=tuple(payments),
        problems=tuple(reader.problems),
    )


def _close_check(
    name: str,
    check: _Check,
    reader: _Reader,
    remitted: list[RemittedClaim],
    payments: list[CheckPayment],
    plbs: list[ProviderAdjustment],
) -> None:
    entity = reader.entity(check.payee, f"trace {check.trace or '(none)'} payee")
    day = check.day or check.production_day
    paid = ZERO
    for draft in check.claims:
        claim = RemittedClaim(
            claim_id=draft.claim_id, entity=entity, payee_npi=check.payee, payer=check.payer,
            trace=check.trace, day=day, status=draft.status, charge=draft.charge,
            paid=draft.paid, patient_responsibility=draft.patient,
            adjustments=tuple(draft.adjustments), file=name,
        )  # fmt: skip
        paid += claim.paid
        if claim.charge - claim.paid != claim.adjusted:
            reader.problems.append(
                f"{name}: claim {claim.claim_id} (trace {check.trace}) CLP03 {claim.charge} - "
                f"CLP04 {claim.paid} != its CAS amounts {claim.adjusted}"
            )
        remitted.append(claim)
    provider = ZERO
    for reason, reference, amount in check.plb:
        plbs.append(
            ProviderAdjustment(
                entity=entity, trace=check.trace, day=day, reason=reason, reference=reference,
                amount=amount, file=name,
            )
        )  # fmt: skip
        provider += amount
    if paid - provider != check.payment:
        reader.problems.append(
            f"{name}: trace {check.trace} BPR02 {check.payment} != claims paid {paid} - PLB "
            f"{provider}"
        )
    payments.append(
        CheckPayment(
            entity=entity, payer=check.payer, trace=check.trace, day=day, amount=check.payment,
            claims=len(check.claims), file=name,
        )
    )  # fmt: skip


def read_totals(
    files_837: Iterable[tuple[str, bytes | str]],
    files_835: Iterable[tuple[str, bytes | str]],
    entities: Mapping[str, str],
) -> X12Totals:
    """Totals of every 837 and 835 file, given as (name, content); ``entities`` maps NPI -> entity.

    A file that is not X12 at all is a problem, named, and contributes nothing.
    """
    parts: list[X12Totals] = []
    problems: list[str] = []
    for files, read in ((files_837, read_837), (files_835, read_835)):
        for name, raw in files:
            try:
                parts.append(read(name, raw, entities))
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
    return X12Totals(
        billed=tuple(c for p in parts for c in p.billed),
        remitted=tuple(c for p in parts for c in p.remitted),
        provider_adjustments=tuple(a for p in parts for a in p.provider_adjustments),
        payments=tuple(c for p in parts for c in p.payments),
        problems=(*problems, *(x for p in parts for x in p.problems)),
    )
