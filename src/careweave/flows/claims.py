"""claims: the revenue-cycle platform's ready accounts as 837P / 837I claims, grouped into files.

The pure part of billing: each ready account becomes one claim (CLM01 from the encounter), claims
are grouped per legal entity and claim form, and each group is written as an 837 interchange
(:func:`render_claim_file`) with the register rows it makes (each claim linked to its transaction
set, ``GS06/ST02``). The ``claim-submission`` flow (:mod:`careweave.flows.claim_submission`) does
this inside the commit of a claim-run message, with control numbers from business state, and
queues each file as an effect for the clearinghouse destination.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal

import msgspec

from careweave.codecs.x12 import (
    Address,
    BillingProvider,
    Claim,
    ClaimSubmission,
    ControlNumberSource,
    Drug,
    EnvelopeConfig,
    Organization,
    Person,
    ServiceLine,
    Subscriber,
    read_document,
    write_claims,
)
from careweave.codecs.x12.claim_writer import ClaimKind
from careweave.config import ClaimsSettingsConfig
from careweave.exceptions import ValidationError, X12Error
from careweave.flows.claim_register import RegisteredClaim, RegisteredLine
from careweave.model.rcm import RcmAccount, RcmAccountLine
from careweave.revenue import normalize_ndc

MAX_DIAGNOSES = 12
MAX_PROFESSIONAL_LINES = 50
"""837P allows 50 service lines per claim (837I allows 999)."""


class ClaimsConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Who submits claims to whom, and each entity's billing provider."""

    submitter: Organization
    receiver: Organization
    envelope: EnvelopeConfig
    billing_providers: dict[str, BillingProvider]
    """By legal entity code, as the platform's accounts name it."""
    claims_per_transaction: int = 100
    claims_per_file: int = 1000


def claims_config(
    settings: ClaimsSettingsConfig, billing_providers: dict[str, BillingProvider]
) -> ClaimsConfig:
    """The claims configuration of the ``[claims]`` section and the entities' billing providers."""
    envelope = settings.interchange
    return ClaimsConfig(
        submitter=Organization(
            settings.submitter.name, settings.submitter.id,
            settings.submitter.contact_name, settings.submitter.contact_phone,
        ),
        receiver=Organization(settings.receiver.name, settings.receiver.id),
        envelope=EnvelopeConfig(
            sender_id=envelope.sender_id, receiver_id=envelope.receiver_id,
            sender_qualifier=envelope.sender_qualifier,
            receiver_qualifier=envelope.receiver_qualifier, usage=envelope.usage,
            acknowledgment_requested=envelope.acknowledgment_requested,
            application_sender=envelope.application_sender,
            application_receiver=envelope.application_receiver,
        ),
        billing_providers=billing_providers,
        claims_per_transaction=settings.claims_per_transaction,
        claims_per_file=settings.claims_per_file,
    )  # fmt: skip


def claim_id_for(encounter_id: str) -> str:
    """CLM01 of an encounter's claim: its id without separators, at most 20 characters."""
    return re.sub(r"[^A-Za-z0-9]", "", encounter_id)[:20]


def x12_text(value: str) -> str:
    """A name or address as X12 carries it: ASCII letters (accents dropped), no delimiters.

    ``MÜLLER`` becomes ``MULLER`` and ``NUÑEZ`` ``NUNEZ``: payers match members on the
    unaccented name, and a byte outside the character set makes the whole file unreadable.
    """
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[*:~^|\\]", " ", plain).strip().upper()


def _diagnosis(code: str) -> str:
    return code.replace(".", "").upper()


def _service_line(line: RcmAccountLine, diagnoses: tuple[str, ...]) -> ServiceLine:
    own = [diagnoses.index(d) + 1 for d in map(_diagnosis, line.diagnoses) if d in diagnoses]
    drug = Drug(normalize_ndc(line.ndc), line.quantity) if line.ndc else None
    return ServiceLine(
        line.amount, line.quantity, line.service_date, procedure_code=line.procedure_code,
        modifiers=line.modifiers, revenue_code=line.revenue_code,
        diagnosis_pointers=tuple(own[:4]) or (1,), drug=drug,
    )  # fmt: skip


def claim_from_account(account: RcmAccount) -> Claim:
    """The 837 claim of a ready account.

    Raises:
        ValidationError: naming the account, when it lacks coverage, demographics, lines or a
            diagnosis, or has more lines than its claim form allows.
    """
    where = f"account {account.account_id}"
    coverage, patient = account.coverage, account.patient
    if coverage is None or patient is None:
        raise ValidationError(f"{where}: no coverage or patient demographics")
    diagnoses = tuple(dict.fromkeys(_diagnosis(d) for d in account.diagnoses if d))[:MAX_DIAGNOSES]
    if not account.lines or not diagnoses:
        raise ValidationError(f"{where}: no billable line or no diagnosis")
    if account.kind == "professional" and len(account.lines) > MAX_PROFESSIONAL_LINES:
        raise ValidationError(f"{where}: {len(account.lines)} lines exceed the 837P limit of 50")
    if account.kind == "institutional" and any(not line.revenue_code for line in account.lines):
        raise ValidationError(f"{where}: an institutional line has no revenue code")
    person = Person(
        x12_text(patient.last_name), x12_text(patient.first_name), patient.birth_date,
        patient.gender,
        Address(x12_text(patient.address_line), x12_text(patient.city), patient.state,
                patient.postal_code),
    )  # fmt: skip
    subscriber = Subscriber(
        person, coverage.member_id, Organization(x12_text(coverage.payer_name), coverage.payer_id),
        payer_responsibility=coverage.responsibility, group_number=coverage.group_number,
        claim_filing=coverage.claim_filing,
    )  # fmt: skip
    lines = tuple(_service_line(line, diagnoses) for line in account.lines)
    return Claim(
        claim_id_for(account.encounter_id), subscriber, diagnoses, lines,
        facility_code=account.facility_code,
    )  # fmt: skip


def transaction_links(text: str) -> dict[str, str]:
    """CLM01 -> ``GS06/ST02`` of the 837 transaction set carrying it, read back from the file."""
    document = read_document(text, check=False)
    links: dict[str, str] = {}
    for interchange in document.interchanges:
        for group in interchange.groups:
            for transaction in group.transactions:
                key = f"{group.control_number}/{transaction.control_number}"
                for segment in transaction.segments:
                    if segment.id == "CLM":
                        links[segment.element(1)] = key
    return links


class ClaimFile(msgspec.Struct, frozen=True, kw_only=True):
    """One 837 interchange written for a group of claims, and the register rows it makes."""

    name: str
    """``{entity}-837P-{ISA13}.x12`` (or 837I)."""
    entity: str
    kind: ClaimKind
    sender: str
    """ISA06, the submitter's interchange id: control numbers are unique per sender."""
    interchange: str
    """ISA13 of the interchange."""
    text: str
    claims: tuple[RegisteredClaim, ...]

    @property
    def lines(self) -> int:
        """Service lines in the file."""
        return sum(len(c.lines) for c in self.claims)

    @property
    def total(self) -> Decimal:
        """Total charge of the file's claims."""
        return sum((c.total for c in self.claims), Decimal(0))


def render_claim_file(
    config: ClaimsConfig,
    entity: str,
    kind: str,
    items: Sequence[tuple[RcmAccount, Claim]],
    numbers: ControlNumberSource,
    created: dt.datetime,
) -> ClaimFile:
    """The 837 file of one entity's claims of one form, with control numbers from ``numbers``.

    Raises:
        X12Error: a claim is missing from the file written for it (a writer bug, said plainly).
    """
    submission = ClaimSubmission(
        config.submitter, config.receiver, config.billing_providers[entity],
        tuple(claim for _, claim in items), claims_per_transaction=config.claims_per_transaction,
    )  # fmt: skip
    form: ClaimKind = "professional" if kind == "professional" else "institutional"
    text = write_claims(submission, form, config.envelope, numbers, created)
    interchange = read_document(text, check=False).interchanges[0].control_number
    links = transaction_links(text)
    name = f"{entity}-{'837P' if form == 'professional' else '837I'}-{interchange}.x12"
    registered = []
    for account, claim in items:
        if claim.claim_id not in links:
            raise X12Error(f"claim {claim.claim_id} is missing from the 837 written for it")
        registered.append(
            RegisteredClaim(
                claim_id=claim.claim_id, account_id=account.account_id,
                encounter_id=account.encounter_id, entity=entity, kind=form,
                payer_id=claim.subscriber.payer.id, total=claim.total_charge, file_name=name,
                link_key=links[claim.claim_id],
                lines=tuple(
                    RegisteredLine(line_number=n, line_key=line.line_key,
                                   procedure_code=line.procedure_code or line.revenue_code,
                                   amount=line.amount)
                    for n, line in enumerate(account.lines, start=1)
                ),
            )
        )  # fmt: skip
    return ClaimFile(
        name=name, entity=entity, kind=form, sender=config.envelope.sender_id,
        interchange=interchange, text=text, claims=tuple(registered),
    )  # fmt: skip
