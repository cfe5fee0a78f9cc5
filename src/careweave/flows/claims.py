"""claims: the revenue-cycle platform's ready accounts go out as 837P / 837I files.

A claim run reads the accounts ready to bill, turns each into one claim (CLM01 from the encounter),
groups them per legal entity and claim form, writes each group as an 837 interchange with control
numbers from a persisted source (so they never repeat across runs), records every claim and line
in the :class:`~careweave.flows.claim_register.ClaimRegister`, sends the file to the clearinghouse
(HTTP or a drop directory) and reports the accounts billed. The register is written before the file
leaves: a charge line can only ever be on one claim. The 999 and 277CA that come back are linked
to the claims they answer with :meth:`ClaimRun.link_responses`.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import httpx
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
    parse_277,
    parse_999,
    read_document,
    write_claims,
)
from careweave.codecs.x12.claim_writer import ClaimKind
from careweave.connectors.rcm import RcmAccount, RcmAccountLine, RcmAccountsClient
from careweave.engine.clock import Clock
from careweave.exceptions import CareweaveError, DeliveryError, ValidationError, X12Error
from careweave.flows.claim_register import ClaimRegister, RegisteredClaim, RegisteredLine
from careweave.mappings.x12_claim_status import ACCEPTED_CATEGORIES
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


class ClaimFileSender(Protocol):
    """Where 837 files go: the clearinghouse's HTTP intake or its drop directory."""

    async def send(self, name: str, text: str) -> str:
        """Hand over one file; returns the clearinghouse's answer (or where it was written)."""
        ...


class HttpClaimSender:
    """``POST /837`` with the file as the body and its name in ``X-Filename``."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def send(self, name: str, text: str) -> str:
        """Post the file; raises a DeliveryError when the clearinghouse does not take it."""
        try:
            response = await self._client.post(
                "/837",
                content=text.encode(),
                headers={"Content-Type": "text/plain", "X-Filename": name},
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"cannot reach the clearinghouse with {name}: {exc!r}") from exc
        if response.status_code >= 300:
            raise DeliveryError(
                f"clearinghouse refused {name}: {response.status_code} {response.text[:300]}",
                retryable=response.status_code >= 500,
                status=response.status_code,
            )
        return response.text

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


class DropDirClaimSender:
    """Writes each file into the clearinghouse's drop directory, atomically (temp file + rename)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    async def send(self, name: str, text: str) -> str:
        """Write the file; the clearinghouse never sees a half-written one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / name
        partial = self.directory / f".{name}.part"
        partial.write_text(text, encoding="ascii")
        os.replace(partial, final)
        return str(final)


class SubmittedFile(msgspec.Struct, frozen=True, kw_only=True):
    """One 837 file a claim run sent."""

    name: str
    entity: str
    kind: str
    claims: int
    lines: int
    total: Decimal
    text: str
    answer: str


class ClaimRunResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a claim run did."""

    files: tuple[SubmittedFile, ...]
    problems: tuple[str, ...]
    """Ready accounts that could not be billed, each with its reason."""


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


class ResponseLinks(msgspec.Struct, frozen=True, kw_only=True):
    """How many claims the 999s and 277CAs of a file answered, and which were rejected."""

    transactions_answered: int = 0
    claims_answered: int = 0
    rejected: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    """Claim ids a 277 named that the register does not know."""


class ClaimRun:
    """Bills ready accounts: 837 files out, claims registered, accounts marked billed."""

    def __init__(
        self,
        config: ClaimsConfig,
        accounts: RcmAccountsClient,
        sender: ClaimFileSender,
        register: ClaimRegister,
        numbers: ControlNumberSource,
        clock: Clock,
    ) -> None:
        self.config = config
        self.accounts = accounts
        self.sender = sender
        self.register = register
        self.numbers = numbers
        self.clock = clock

    async def bill_ready(self) -> ClaimRunResult:
        """Bill every account ready now; an account that cannot be billed is named, not lost."""
        ready = await self.accounts.ready_accounts()
        problems: list[str] = []
        groups: dict[tuple[str, str], list[tuple[RcmAccount, Claim]]] = {}
        for account in ready:
            if account.entity not in self.config.billing_providers:
                problems.append(
                    f"account {account.account_id}: entity {account.entity!r} has no billing provider"
                )
                continue
            try:
                claim = claim_from_account(account)
            except CareweaveError as exc:
                problems.append(str(exc))
                continue
            groups.setdefault((account.entity, account.kind), []).append((account, claim))
        files: list[SubmittedFile] = []
        size = max(1, self.config.claims_per_file)
        for (entity, kind), items in sorted(groups.items()):
            for start in range(0, len(items), size):
                files.append(await self._submit(entity, kind, items[start : start + size]))
        return ClaimRunResult(files=tuple(files), problems=tuple(problems))

    async def _submit(
        self, entity: str, kind: str, items: Sequence[tuple[RcmAccount, Claim]]
    ) -> SubmittedFile:
        config = self.config
        submission = ClaimSubmission(
            config.submitter, config.receiver, config.billing_providers[entity],
            tuple(claim for _, claim in items), claims_per_transaction=config.claims_per_transaction,
        )  # fmt: skip
        created = self.clock.now()
        form: ClaimKind = "professional" if kind == "professional" else "institutional"
        text = write_claims(submission, form, config.envelope, self.numbers, created)
        links = transaction_links(text)
        isa13 = text[90:99] if text.startswith("ISA") else f"{created:%Y%m%d%H%M%S}"
        name = f"{entity}-{'837P' if form == 'professional' else '837I'}-{isa13}.x12"
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
        self.register.record(registered)
        answer = await self.sender.send(name, text)
        for account, claim in items:
            await self.accounts.mark_billed(account.account_id, claim.claim_id)
        return SubmittedFile(
            name=name, entity=entity, kind=form, claims=len(items),
            lines=sum(len(c.lines) for _, c in items),
            total=sum((c.total_charge for _, c in items), Decimal(0)), text=text, answer=answer,
        )  # fmt: skip

    def link_responses(self, raw: bytes | str) -> ResponseLinks:
        """Link the 999 and 277CA answers in a file to the claims they answer."""
        transactions = claims = 0
        rejected: list[str] = []
        unknown: list[str] = []
        for ack in parse_999(raw):
            for response in ack.transactions:
                detail = f"999 {response.status} {' '.join(response.codes)}".strip()
                transactions += self.register.link_transaction(
                    response.link_key, response.status, detail
                )
        for report in parse_277(raw):
            for entry in report.claims():
                categories = {s.category for s in entry.statuses}
                accepted = bool(categories) and categories <= ACCEPTED_CATEGORIES
                detail = "277CA " + " ".join(f"{s.category}:{s.code}" for s in entry.statuses)
                if not self.register.link_claim_status(entry.link_key, accepted, detail):
                    unknown.append(entry.link_key)
                    continue
                claims += 1
                if not accepted:
                    rejected.append(entry.link_key)
        return ResponseLinks(
            transactions_answered=transactions, claims_answered=claims,
            rejected=tuple(rejected), unknown=tuple(unknown),
        )  # fmt: skip
