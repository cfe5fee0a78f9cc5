"""Turn a ready account of the simulated revenue-cycle platform into an X12 claim."""

from __future__ import annotations

from careweave.codecs.x12.claims import (
    Address,
    Claim,
    Drug,
    Organization,
    Person,
    ServiceLine,
    Subscriber,
)
from careweave.exceptions import ValidationError
from careweave.sandbox.rcm.api import AccountLine, BilledAccount
from careweave.sandbox.rcm.state import is_self_pay

MAX_DIAGNOSES = 12


def _pointers(line: AccountLine, diagnoses: tuple[str, ...]) -> tuple[int, ...]:
    """SV107: up to four 1-based pointers to the line's own diagnoses, else the principal."""
    wanted = [d.replace(".", "").upper() for d in line.diagnoses]
    found = [diagnoses.index(d) + 1 for d in wanted if d in diagnoses]
    return tuple(found[:4]) or (1,)


def claim_for(account: BilledAccount, claim_id: str = "") -> Claim:
    """The 837 claim for *account* (CLM01 = *claim_id*, by default the encounter id).

    Raises ValidationError naming the account when it lacks coverage, patient, lines or a diagnosis.
    """
    coverage, patient = account.coverage, account.patient
    if coverage is None or patient is None:
        raise ValidationError(f"account {account.account_id}: no coverage or patient demographics")
    if is_self_pay(coverage):
        raise ValidationError(f"account {account.account_id}: self-pay, no payer to claim from")
    if not account.lines or not account.diagnoses:
        raise ValidationError(f"account {account.account_id}: no billable lines or no diagnosis")
    diagnoses = account.diagnoses[:MAX_DIAGNOSES]
    person = Person(
        patient.last_name, patient.first_name, patient.birth_date, patient.gender,
        Address(patient.address_line, patient.city, patient.state, patient.postal_code),
    )  # fmt: skip
    subscriber = Subscriber(
        person, coverage.member_id, Organization(coverage.payer_name, coverage.payer_id),
        payer_responsibility=coverage.responsibility, group_number=coverage.group_number,
        claim_filing=coverage.claim_filing,
    )  # fmt: skip
    lines = tuple(
        ServiceLine(
            line.amount, line.quantity, line.service_date, procedure_code=line.procedure_code,
            modifiers=line.modifiers, revenue_code=line.revenue_code or "0999",
            diagnosis_pointers=_pointers(line, diagnoses),
            drug=Drug(line.ndc, line.quantity) if line.ndc else None,
        )
        for line in account.lines
    )  # fmt: skip
    return Claim(
        claim_id or account.encounter_id, subscriber, diagnoses, lines,
        facility_code=account.facility_code,
    )  # fmt: skip
