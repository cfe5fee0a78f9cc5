"""Insurance from HL7 v2: IN1 (with the IN2 that follows it) onto canonical coverage.

The EHR's registration carries the patient's plans for the visit; claims need the payer, the member
id and the plan type (from which, with the payer master, the claim filing indicator follows). IN1
fields used (v2.3 to v2.8 agree on them): 1 set id (coordination-of-benefits order), 2 plan id,
3 insurance company id, 4 company name, 8 group number, 12 / 13 plan effective / expiration date,
15 plan type, 16 insured's name, 17 insured's relationship to the patient, 36 policy number. When IN1-36
is empty the member id is IN2-8 (Medicaid case number), else IN2-6 (Medicare HIC number).
"""

from __future__ import annotations

from collections.abc import Iterable

from careweave.codecs.hl7v2 import Segment
from careweave.mappings import hl7v2_values as v
from careweave.model.care import InsuranceCoverage


def read_coverage(in1: Segment, in2: Segment | None = None) -> InsuranceCoverage | None:
    """The coverage of one IN1 (and its IN2); None when it names no insurance company."""
    company = v.cx(in1, 3)
    if company is None:
        return None
    sequence = v.text(in1, "1")
    member = v.text(in1, "36.1")
    if member is None and in2 is not None:
        member = v.text(in2, "8.1") or v.text(in2, "6.1")
    relationship = v.cwe(in1, 17)
    return InsuranceCoverage(
        sequence=int(sequence) if sequence and sequence.isdigit() else 1,
        payer_id=company.value,
        payer_name=v.text(in1, "4.1"),
        plan_id=v.text(in1, "2.1"),
        plan_type=v.text(in1, "15.1"),
        member_id=member,
        group_number=v.text(in1, "8.1"),
        relationship=relationship.code if relationship else None,
        insured_name=v.xpn(in1, 16),
        effective=v.parse_date(v.text(in1, "12.1"), "IN1-12"),
        expires=v.parse_date(v.text(in1, "13.1"), "IN1-13"),
    )


def read_coverages(segments: Iterable[Segment]) -> tuple[InsuranceCoverage, ...]:
    """Every coverage among ``segments`` (an IN2 belongs to the IN1 before it), in message order."""
    found: list[InsuranceCoverage] = []
    in1: Segment | None = None
    in2: Segment | None = None

    def close() -> None:
        if in1 is not None and (coverage := read_coverage(in1, in2)) is not None:
            found.append(coverage)

    for seg in segments:
        if seg.id == "IN1":
            close()
            in1, in2 = seg, None
        elif seg.id == "IN2" and in1 is not None and in2 is None:
            in2 = seg
    close()
    return tuple(found)
