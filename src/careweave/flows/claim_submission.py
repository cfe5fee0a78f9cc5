"""claim-submission: a claim run is a message, so that billing survives a kill at any step.

The accounts ready to bill, fetched from the revenue-cycle platform, enter the engine as one inbound
message on a channel of format ``claim-run`` (:func:`claim_run_request` builds it; its dedup key is
derived from the accounts and their lines, so sending the same ready accounts again is a duplicate
message). Inside the commit of that message the flow:

1. turns each account into a claim, or parks it on a billing case (no billing provider, no
   coverage, no diagnosis...): an account that cannot be billed is named, not lost;
2. skips an account whose claim is already registered with the same lines (a run sent again
   under another name, a replay), and parks one whose claim id or lines are registered otherwise:
   a charge line is on one claim only;
3. writes each entity's claims of each form as an 837 with ISA13/GS06/ST02 taken from business
   state, and records the claims, lines and transaction sets in the claim register;
4. queues each file for the clearinghouse destination (a ``file`` drop directory or ``http``
   connector, retried by its worker) under the idempotency key ``837:{ISA06}:{ISA13}``, and a billed
   notice per account for the revenue-cycle platform (``rcm-claim-billed:{account}:{claim}``).

All of it commits with the message or none of it does: a kill before the commit leaves nothing (send
the run again), a kill after it leaves the files queued, delivered once by the worker after the
restart. The 999 and 277CA come back as X12 messages that ``claim-acknowledgments`` links to the
register.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import ClassVar

import msgspec

from careweave.codecs.x12 import Claim, StateControlNumbers
from careweave.config import ChannelConfig
from careweave.engine.clock import Clock, SystemClock
from careweave.exceptions import CareweaveError, ConfigError, MappingError
from careweave.flows.base import BaseFlow
from careweave.flows.claim_register import ClaimRegister
from careweave.flows.claim_rejections import BILLING_TEAM
from careweave.flows.claims import ClaimFile, ClaimsConfig, claim_from_account, render_claim_file
from careweave.flows.services import FlowServices
from careweave.mappings.x12_decode import X12_CONTENT_TYPE
from careweave.model.base import BusinessEvent
from careweave.model.envelope import Envelope, Step
from careweave.model.flow import FlowOutput
from careweave.model.rcm import CLAIM_BILLED_CONTENT_TYPE, RcmAccount, RcmClaimBilled
from careweave.model.records import NewCase

CLAIM_RUN_FORMAT = "claim-run"
CLAIM_RUN_CONTENT_TYPE = "application/vnd.careweave.claim-run+json"


class ClaimRunRequest(msgspec.Struct, frozen=True, kw_only=True):
    """The body of a claim-run message: the accounts ready to bill, as the platform gave them."""

    run_id: str
    """The caller's name for the run (a date, a batch id): informative, not its identity."""
    accounts: tuple[RcmAccount, ...]


class ClaimRunRequested(BusinessEvent, frozen=True, kw_only=True):
    """Someone asked to bill these ready accounts."""

    phi_fields: ClassVar[frozenset[str]] = frozenset({"accounts"})

    run_id: str
    accounts: tuple[RcmAccount, ...]


class ClaimFileQueued(BusinessEvent, frozen=True, kw_only=True):
    """An 837 written, registered and queued for the clearinghouse (in the run's lineage)."""

    name: str
    entity: str
    kind: str
    interchange: str
    """ISA13."""
    effect_key: str
    """The idempotency key of the file's effect."""
    claim_ids: tuple[str, ...]
    lines: int
    total: Decimal


class ClaimsAlreadySubmitted(BusinessEvent, frozen=True, kw_only=True):
    """Accounts of the run whose claims the register already holds: nothing was sent again."""

    claim_ids: tuple[str, ...]


def run_digest(accounts: Sequence[RcmAccount]) -> str:
    """A digest of the accounts and their line keys: the identity of a claim run."""
    text = "\n".join(
        f"{a.account_id}:{','.join(sorted(line.line_key for line in a.lines))}"
        for a in sorted(accounts, key=lambda a: a.account_id)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def claim_run_request(accounts: Sequence[RcmAccount], run_id: str) -> tuple[bytes, str]:
    """The body and dedup key of a claim-run message (``engine.receive(..., dedup_key=key)``)."""
    body = msgspec.json.encode(ClaimRunRequest(run_id=run_id, accounts=tuple(accounts)))
    return body, f"claim-run:{run_digest(accounts)}"


def decode_claim_run(envelope: Envelope) -> None:
    """Decode step of the ``claim-run`` format: the JSON request into a ClaimRunRequested."""
    try:
        request = msgspec.json.decode(envelope.message.raw, type=ClaimRunRequest)
    except msgspec.DecodeError as exc:
        raise MappingError(f"claim run: {exc}") from exc
    envelope.decoded = request
    envelope.ordering_key = "claim-run"
    envelope.events.append(
        ClaimRunRequested(
            idempotency_key=f"claim-run:{run_digest(request.accounts)}",
            run_id=request.run_id,
            accounts=request.accounts,
        )
    )


def claim_run_step(_config: ChannelConfig) -> Step:
    """The decode-step factory of the ``claim-run`` format (in the default formats)."""
    return decode_claim_run


def _case(key: str, reason: str, summary: str, fix: str, account: RcmAccount) -> NewCase:
    return NewCase(
        case_key=key,
        reason_code=reason,
        owning_team=BILLING_TEAM,
        summary=summary,
        suggested_fix=fix,
        payload_reference=f"account:{account.account_id}",
        sla_hours=24,
    )


class ClaimSubmissionFlow(BaseFlow):
    """Registers, writes and queues the claims of a run, once per claim."""

    name: ClassVar[str] = "claim-submission"
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = (ClaimRunRequested,)

    def __init__(
        self,
        config: ClaimsConfig,
        *,
        clock: Clock | None = None,
        destination: str = "clearinghouse",
        rcm_destination: str = "revenue-cycle",
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.destination = destination
        self.rcm_destination = rcm_destination

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Bill the run's accounts not billed yet; park those that cannot be."""
        if not isinstance(event, ClaimRunRequested):
            return
        register = ClaimRegister(out.state)
        groups: dict[tuple[str, str], list[tuple[RcmAccount, Claim]]] = {}
        done: list[str] = []
        taken_claims: set[str] = set()
        taken_lines: set[str] = set()
        for account in event.accounts:
            claim = self._claim(account, out)
            if claim is None or self._already(account, claim, register, done, out):
                continue
            keys = {line.line_key for line in account.lines}
            if claim.claim_id in taken_claims or keys & taken_lines:
                out.park(self._conflict(account, claim.claim_id, "twice in this claim run"))
                continue
            taken_claims.add(claim.claim_id)
            taken_lines.update(keys)
            groups.setdefault((account.entity, account.kind), []).append((account, claim))
        if done:
            out.emit(
                ClaimsAlreadySubmitted(
                    idempotency_key=f"{event.idempotency_key}:already", claim_ids=tuple(done)
                )
            )
        size = max(1, self.config.claims_per_file)
        numbers = StateControlNumbers(out.state, self.config.envelope.sender_id)
        created = self.clock.now()
        for (entity, kind), items in sorted(groups.items()):
            for start in range(0, len(items), size):
                chunk = items[start : start + size]
                claim_file = render_claim_file(self.config, entity, kind, chunk, numbers, created)
                register.record(claim_file.claims)
                self._queue(claim_file, chunk, out)

    def _claim(self, account: RcmAccount, out: FlowOutput) -> Claim | None:
        if account.entity not in self.config.billing_providers:
            problem = (
                f"account {account.account_id}: entity {account.entity!r} has no billing provider"
            )
            fix = "Add the entity's billing provider (NPI, TIN, address) to the claims settings."
        else:
            try:
                return claim_from_account(account)
            except CareweaveError as exc:
                problem, fix = str(exc), "Complete the account in the revenue-cycle platform."
        out.park(
            _case(
                f"claim-unbillable:{account.account_id}",
                "UNBILLABLE_ACCOUNT",
                problem,
                fix,
                account,
            )
        )
        return None

    def _already(
        self,
        account: RcmAccount,
        claim: Claim,
        register: ClaimRegister,
        done: list[str],
        out: FlowOutput,
    ) -> bool:
        """True when the account needs no new claim: billed before, or refused here."""
        keys = {line.line_key for line in account.lines}
        existing = register.claim(claim.claim_id)
        if existing is not None:
            same = existing.account_id == account.account_id and keys == {
                line.line_key for line in existing.lines
            }
            if same:
                done.append(claim.claim_id)
            else:
                out.park(self._conflict(account, claim.claim_id, "already registered otherwise"))
            return True
        for key in sorted(keys):
            if (other := register.billed_claim_of(key)) is not None:
                out.park(self._conflict(account, claim.claim_id, f"line {key} billed on {other}"))
                return True
        return False

    @staticmethod
    def _conflict(account: RcmAccount, claim_id: str, why: str) -> NewCase:
        return _case(
            f"claim-conflict:{claim_id}",
            "CLAIM_ALREADY_BILLED",
            f"Account {account.account_id}: claim {claim_id} not sent, {why}",
            "Bill the difference as a replacement claim (frequency 7) or void the earlier one.",
            account,
        )

    def _queue(
        self, claim_file: ClaimFile, items: Sequence[tuple[RcmAccount, Claim]], out: FlowOutput
    ) -> None:
        key = f"837:{claim_file.sender}:{claim_file.interchange}"
        out.send(self.destination, key, claim_file.text.encode(), content_type=X12_CONTENT_TYPE)
        for account, claim in items:
            out.send(
                self.rcm_destination,
                f"rcm-claim-billed:{account.account_id}:{claim.claim_id}",
                RcmClaimBilled(account_id=account.account_id, claim_id=claim.claim_id),
                # Behind the encounter's charges and registration on the platform.
                ordering_key=f"encounter:{account.encounter_id}",
                content_type=CLAIM_BILLED_CONTENT_TYPE,
            )
        out.emit(
            ClaimFileQueued(
                idempotency_key=f"queued:{key}",
                name=claim_file.name,
                entity=claim_file.entity,
                kind=claim_file.kind,
                interchange=claim_file.interchange,
                effect_key=key,
                claim_ids=tuple(c.claim_id for c in claim_file.claims),
                lines=claim_file.lines,
                total=claim_file.total,
            )
        )


def build_claim_submission(services: FlowServices) -> ClaimSubmissionFlow:
    """The flow, from the claims settings (its channel is of format ``claim-run``)."""
    if services.claims is None:
        raise ConfigError(
            f"flow {ClaimSubmissionFlow.name!r} needs the [claims] section (submitter, receiver, "
            "interchange) and [masterdata] entities (see docs/configuration.md)"
        )
    return ClaimSubmissionFlow(
        services.claims,
        clock=services.clock,
        destination=services.clearinghouse_destination,
        rcm_destination=services.rcm_destination,
    )
