"""Generate 837P (005010X222A1) and 837I (005010X223A2) interchanges from ClaimSubmissions.

Each claim gets its own subscriber (2000B) level, and a patient (2000C) level when the patient
is not the subscriber; HL ids restart at 1 in each transaction set. Control numbers come from
the ControlNumberSource the caller passes in, the creation time from the caller too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from careweave.codecs.x12.claims import Address, Claim, ClaimSubmission, Person, ServiceLine
from careweave.codecs.x12.control import ControlNumberSource
from careweave.codecs.x12.emitter import (
    EnvelopeConfig,
    SegmentValues,
    TransactionBody,
    build_interchange,
)
from careweave.exceptions import X12Error

ClaimKind = Literal["professional", "institutional"]
VERSIONS: dict[ClaimKind, str] = {
    "professional": "005010X222A1",
    "institutional": "005010X223A2",
}


def _amount(value: Decimal) -> str:
    """X12 decimal: no exponent, no trailing zeros beyond what the value needs."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _d8(value: date) -> str:
    return value.strftime("%Y%m%d")


def _address(address: Address) -> Iterator[SegmentValues]:
    yield "N3", [address.line1, address.line2]
    yield "N4", [address.city, address.state, address.postal_code]


def _person(qualifier: str, person: Person, member_id: str = "") -> Iterator[SegmentValues]:
    id_qualifier = "MI" if member_id else ""
    yield "NM1", [qualifier, "1", person.last_name, person.first_name, "", "", "",
                  id_qualifier, member_id]  # fmt: skip
    yield from _address(person.address)
    yield "DMG", ["D8", _d8(person.birth_date), person.gender]


def _professional_line(claim: Claim, line: ServiceLine) -> SegmentValues:
    pointers = tuple(str(p) for p in line.diagnosis_pointers[:4])
    if any(int(p) > len(claim.diagnoses) for p in pointers):
        raise X12Error(f"claim {claim.claim_id}: diagnosis pointer beyond its diagnoses")
    return "SV1", [("HC", line.procedure_code, *line.modifiers[:4]), _amount(line.charge), "UN",
                   _amount(line.units), "", "", pointers]  # fmt: skip


def _institutional_line(line: ServiceLine) -> SegmentValues:
    procedure = ("HC", line.procedure_code, *line.modifiers[:4]) if line.procedure_code else ""
    return "SV2", [line.revenue_code, procedure, _amount(line.charge), "UN",
                   _amount(line.units)]  # fmt: skip


def _claim(claim: Claim, kind: ClaimKind) -> Iterator[SegmentValues]:
    if not claim.lines:
        raise X12Error(f"claim {claim.claim_id} has no service lines")
    total = _amount(claim.total_charge)
    if kind == "professional":
        yield "CLM", [claim.claim_id, total, "", "", (claim.facility_code, "B", claim.frequency),
                      "Y", "A", "Y", "Y"]  # fmt: skip
        qualifiers = ["ABK"] + ["ABF"] * (len(claim.diagnoses) - 1)
        yield "HI", [(q, code) for q, code in zip(qualifiers, claim.diagnoses[:12], strict=False)]
    else:
        start = claim.statement_start or min(line.service_date for line in claim.lines)
        end = claim.statement_end or max(line.service_date for line in claim.lines)
        yield "CLM", [claim.claim_id, total, "", "", (claim.facility_code, "A", claim.frequency),
                      "", "A", "Y", "Y"]  # fmt: skip
        yield "DTP", ["434", "RD8", f"{_d8(start)}-{_d8(end)}"]
        yield "CL1", [claim.admission_type, claim.admission_source, claim.patient_status]
        yield "HI", [("ABK", claim.diagnoses[0])]
        if len(claim.diagnoses) > 1:
            yield "HI", [("ABF", code) for code in claim.diagnoses[1:13]]
    for number, line in enumerate(claim.lines, start=1):
        yield "LX", [str(number)]
        if kind == "professional":
            yield _professional_line(claim, line)
        else:
            yield _institutional_line(line)
        yield "DTP", ["472", "D8", _d8(line.service_date)]
        if line.drug is not None:
            yield "LIN", ["", "N4", line.drug.ndc]
            yield "CTP", ["", "", "", _amount(line.drug.quantity), (line.drug.unit,)]


def _transaction(
    submission: ClaimSubmission, claims: tuple[Claim, ...], kind: ClaimKind, created: datetime,
    reference: str,
) -> TransactionBody:  # fmt: skip
    provider = submission.billing_provider
    submitter, receiver = submission.submitter, submission.receiver
    segments: list[SegmentValues] = [
        ("BHT", ["0019", "00", reference, created.strftime("%Y%m%d"), created.strftime("%H%M"),
                 "CH"]),
        ("NM1", ["41", "2", submitter.name, "", "", "", "", "46", submitter.id]),
        ("PER", ["IC", submitter.contact_name, "TE", submitter.contact_phone]),
        ("NM1", ["40", "2", receiver.name, "", "", "", "", "46", receiver.id]),
        ("HL", ["1", "", "20", "1"]),
    ]  # fmt: skip
    if provider.taxonomy:
        segments.append(("PRV", ["BI", "PXC", provider.taxonomy]))
    segments.append(("NM1", ["85", "2", provider.name, "", "", "", "", "XX", provider.npi]))
    segments.extend(_address(provider.address))
    segments.append(("REF", ["EI", provider.tax_id]))
    hl = 1
    for claim in claims:
        subscriber = claim.subscriber
        hl += 1
        subscriber_hl = hl
        has_patient = claim.patient is not None
        segments.append(("HL", [str(hl), "1", "22", "1" if has_patient else "0"]))
        segments.append(("SBR", [subscriber.payer_responsibility, "" if has_patient else "18",
                                 subscriber.group_number, "", "", "", "", "",
                                 subscriber.claim_filing]))  # fmt: skip
        segments.extend(_person("IL", subscriber.person, subscriber.member_id))
        payer = subscriber.payer
        segments.append(("NM1", ["PR", "2", payer.name, "", "", "", "", "PI", payer.id]))
        if claim.patient is not None:
            hl += 1
            segments.append(("HL", [str(hl), str(subscriber_hl), "23", "0"]))
            segments.append(("PAT", [claim.patient_relationship]))
            segments.extend(_person("QC", claim.patient))
        segments.extend(_claim(claim, kind))
    return TransactionBody("837", VERSIONS[kind], segments)


def write_claims(
    submission: ClaimSubmission,
    kind: ClaimKind,
    config: EnvelopeConfig,
    numbers: ControlNumberSource,
    created: datetime,
) -> str:
    """One interchange holding the submission's claims as 837 transactions of the given kind."""
    if not submission.claims:
        raise X12Error("a claim submission needs at least one claim")
    size = max(1, submission.claims_per_transaction)
    batches = [submission.claims[i : i + size] for i in range(0, len(submission.claims), size)]
    bodies = [
        _transaction(submission, batch, kind, created, f"{created:%Y%m%d%H%M}{index:04d}")
        for index, batch in enumerate(batches, start=1)
    ]
    return build_interchange([("HC", VERSIONS[kind], bodies)], config, numbers, created)
