"""Write 835 remittances (005010X221A1) from RemittanceAdvice Structs.

Used by the clearinghouse simulator and the benchmarks; what it writes balances exactly when
the advice it is given does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal

from careweave.codecs.x12.control import ControlNumberSource
from careweave.codecs.x12.emitter import (
    EnvelopeConfig,
    SegmentValues,
    TransactionBody,
    build_interchange,
)
from careweave.codecs.x12.remittance import Adjustment, ClaimPayment, RemittanceAdvice

VERSION = "005010X221A1"


def _amount(value: Decimal) -> str:
    return format(value, "f")


def _cas(adjustments: Sequence[Adjustment]) -> Iterator[SegmentValues]:
    """CAS segments: one per group code, at most six triplets each."""
    by_group: dict[str, list[Adjustment]] = {}
    for adjustment in adjustments:
        by_group.setdefault(adjustment.group, []).append(adjustment)
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            elements: list[str] = [group]
            for item in items[start : start + 6]:
                quantity = "" if item.quantity is None else _amount(item.quantity)
                elements += [item.reason, _amount(item.amount), quantity]
            yield "CAS", elements


def _claim(claim: ClaimPayment) -> Iterator[SegmentValues]:
    responsibility = claim.patient_responsibility
    yield "CLP", [claim.id, claim.status, _amount(claim.charge), _amount(claim.paid),
                  "" if responsibility is None else _amount(responsibility),
                  claim.filing_indicator, claim.payer_claim_id, claim.facility_code,
                  claim.frequency]  # fmt: skip
    yield from _cas(claim.adjustments)
    patient = claim.patient
    if patient is not None:
        yield "NM1", ["QC", "1", patient.name, patient.first_name, "", "", "",
                      patient.id_qualifier, patient.id]  # fmt: skip
    for qualifier, value in claim.dates.items():
        yield "DTM", [qualifier, value]
    for line in claim.lines:
        procedure = (line.procedure_qualifier, line.procedure_code, *line.modifiers)
        units = "" if line.units is None else _amount(line.units)
        yield "SVC", [procedure, _amount(line.charge), _amount(line.paid), line.revenue_code,
                      units]  # fmt: skip
        for qualifier, value in line.dates.items():
            yield "DTM", [qualifier, value]
        yield from _cas(line.adjustments)
        for remark in line.remarks:
            yield "LQ", [remark.source, remark.code]


def _body(advice: RemittanceAdvice) -> TransactionBody:
    segments: list[SegmentValues] = [
        ("BPR", [advice.handling, _amount(advice.payment), advice.credit_debit, advice.method,
                 "", "", "", "", "", "", "", "", "", "", "", advice.payment_date]),
        ("TRN", ["1", advice.trace_number, advice.payer_id]),
        ("N1", ["PR", advice.payer.name]),
        ("N3", ["PO BOX 1"]),
        ("N4", ["SPRINGFIELD", "IL", "62701"]),
        ("PER", ["BL", "PROVIDER SERVICES", "TE", "8005550100"]),
        ("N1", ["PE", advice.payee.name, advice.payee.id_qualifier, advice.payee.id]),
    ]  # fmt: skip
    if advice.claims:
        segments.append(("LX", ["1"]))
    for claim in advice.claims:
        segments.extend(_claim(claim))
    for plb in advice.provider_adjustments:
        segments.append(("PLB", [plb.provider_id, plb.fiscal_period, (plb.reason, plb.reference),
                                 _amount(plb.amount)]))  # fmt: skip
    # ST03 is "Not Used" in the 835 guide (unlike 837 and 999): it is left empty.
    return TransactionBody("835", "", segments)


def write_remittances(
    advices: Sequence[RemittanceAdvice],
    config: EnvelopeConfig,
    numbers: ControlNumberSource,
    created: datetime,
) -> str:
    """One interchange holding one 835 transaction set per advice."""
    return build_interchange([("HP", VERSION, [_body(a) for a in advices])], config, numbers,
                             created)  # fmt: skip
