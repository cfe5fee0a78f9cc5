"""The clearinghouse: takes 837 files, answers 999 and 277CA, has payers adjudicate, pays by 835.

Everything it writes lands in the outbound directory and in memory for the HTTP API. 835s wait
until their payment date on the caller's clock; ``release_due`` publishes those due.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from careweave.codecs.x12.ack_writer import write_999
from careweave.codecs.x12.control import ControlNumberSource, InMemoryControlNumbers
from careweave.codecs.x12.emitter import EnvelopeConfig
from careweave.codecs.x12.envelope import Interchange, read_interchanges
from careweave.codecs.x12.remit_writer import write_remittances
from careweave.codecs.x12.tokenizer import Delimiters, tokenize
from careweave.codecs.x12.validation import ValidationReport, validate_interchange
from careweave.exceptions import X12Error
from careweave.sandbox.clearinghouse.adjudication import Adjudicator, ClaimVerdict
from careweave.sandbox.clearinghouse.api import (
    AdjudicatedClaim,
    FileKind,
    OutboundFile,
    PriorAuthorization,
    ReceivedFile,
    SubmissionReceipt,
)
from careweave.sandbox.clearinghouse.edits import front_end_edits, submitter_of
from careweave.sandbox.clearinghouse.intake import SubmittedClaim, claims_in
from careweave.sandbox.clearinghouse.payers import ClearinghouseConfig
from careweave.sandbox.clearinghouse.remits import Check, PaymentPlanner, advice_for
from careweave.sandbox.clearinghouse.status_277 import ClaimAcknowledgment, write_277ca

INBOUND_SUFFIXES = (".837", ".x12", ".edi", ".txt")


def _envelopes(data: bytes | str) -> tuple[Delimiters, list[Interchange]] | None:
    """The interchanges of *data*, or None when it cannot be read as X12 at all."""
    try:
        delimiters, segments = tokenize(data)
        return delimiters, read_interchanges(delimiters, segments)
    except X12Error:
        return None


def _accepted_claims(
    envelopes: tuple[Delimiters, list[Interchange]], report: ValidationReport
) -> tuple[list[SubmittedClaim], list[str]]:
    """The claims of every 837 transaction set the 999 accepted, and the problems of those
    whose claims could not be read (their claims are neither acknowledged nor paid)."""
    if report.ta1_note is not None:
        return [], []
    accepted = {
        (g.control_number, t.control_number)
        for g in report.groups
        for t in g.transactions
        if t.status in ("A", "E") and t.transaction_id == "837"
    }
    delimiters, interchanges = envelopes
    claims: list[SubmittedClaim] = []
    problems: list[str] = []
    for interchange in interchanges:
        for group in interchange.groups:
            for transaction in group.transactions:
                if (group.control_number, transaction.control_number) not in accepted:
                    continue
                try:
                    claims += claims_in(transaction, group.control_number, delimiters,
                                        group.version)  # fmt: skip
                except X12Error as error:
                    problems.append(f"transaction {transaction.control_number}: {error.message}")
    return claims, problems


class _Pending:
    """An 835 written but not yet released (its payment date is still ahead)."""

    def __init__(self, release: dt.date, name: str, submission: str, text: str) -> None:
        self.release, self.name, self.submission, self.text = release, name, submission, text


class Clearinghouse:
    """The clearinghouse and its payers; thread-safe, deterministic for a seed, clock and input."""

    def __init__(
        self,
        config: ClearinghouseConfig,
        *,
        clock: Callable[[], dt.datetime],
        numbers: ControlNumberSource | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._numbers = numbers or InMemoryControlNumbers()
        self._lock = threading.RLock()
        self.adjudicator = Adjudicator(config.payers)
        self._planner = PaymentPlanner(config.seed)
        self._released: dict[tuple[str, str], tuple[OutboundFile, str]] = {}
        self._pending: list[_Pending] = []
        self._claims: list[AdjudicatedClaim] = []
        self._received: dict[str, tuple[ReceivedFile, bytes]] = {}
        self._submissions = 0
        self._by_key: dict[str, SubmissionReceipt] = {}
        config.inbound.mkdir(parents=True, exist_ok=True)
        config.outbound.mkdir(parents=True, exist_ok=True)

    # -- inbound ---------------------------------------------------------------------------

    def submit(
        self, data: bytes | str, filename: str = "", idempotency_key: str = ""
    ) -> SubmissionReceipt:
        """Answer one inbound 837 file: 999 always, 277CA and (pending) 835s for its claims.

        A file sent again under an ``idempotency_key`` already answered (a sender retrying after a
        lost answer) gets the first receipt back and is not adjudicated twice. The file is kept as
        it arrived (:meth:`received`, :meth:`read_received`).
        """
        with self._lock:
            if idempotency_key and idempotency_key in self._by_key:
                return self._by_key[idempotency_key]
            receipt = self._answer(data)
            raw = data.encode("latin-1", errors="replace") if isinstance(data, str) else data
            name = f"{receipt.submission_id}.837"
            record = ReceivedFile(
                name=name, submission_id=receipt.submission_id,
                sequence=len(self._received) + 1, received=self._clock().date(),
                filename=filename, size=len(raw),
            )  # fmt: skip
            self._received[name] = (record, bytes(raw))
            if idempotency_key:
                self._by_key[idempotency_key] = receipt
            return receipt

    def _answer(self, data: bytes | str) -> SubmissionReceipt:
        with self._lock:
            self._submissions += 1
            submission = f"SUB{self._submissions:06d}"
            now = self._clock()
            report = validate_interchange(data)
            envelopes = _envelopes(data)
            sender = envelopes[1][0].sender.strip() if envelopes and envelopes[1] else "UNKNOWN"
            answer = EnvelopeConfig(self.config.clearinghouse_id, sender, usage=self.config.usage)
            ack_name = f"{submission}.999"
            self._release("999", ack_name, submission, now.date(),
                          write_999(report, answer, self._numbers, now))  # fmt: skip
            claims, unreadable = _accepted_claims(envelopes, report) if envelopes else ([], [])
            if not claims:
                return SubmissionReceipt(
                    submission_id=submission, accepted=report.accepted, ack_999=ack_name,
                    status_277="", claims_accepted=0, claims_rejected=0,
                    problems=report.problems + unreadable,
                )  # fmt: skip
            acks = front_end_edits(claims, self.adjudicator.payers)
            verdicts = {
                a.claim.claim_id + "/" + a.claim.transaction: self.adjudicator.adjudicate(
                    a.claim, now.date()
                )
                for a in acks
                if a.accepted
            }
            acks = [
                ack if not ack.accepted else ClaimAcknowledgment(
                    claim=ack.claim, accepted=True, status=ack.status,
                    payer_claim_id=verdicts[ack.claim.claim_id + "/" + ack.claim.transaction]
                    .payer_claim_id,
                )
                for ack in acks
            ]  # fmt: skip
            status_name = f"{submission}.277"
            submitter, batch = submitter_of(envelopes[1] if envelopes else [])
            text = write_277ca(
                acks, submitter=submitter, batch=batch or submission,
                clearinghouse=(self.config.clearinghouse_name, self.config.clearinghouse_id),
                config=answer, numbers=self._numbers, created=now,
            )  # fmt: skip
            self._release("277", status_name, submission, now.date(), text)
            self._pay(list(verdicts.values()), submission, sender, now.date())
            rejected = sum(1 for a in acks if not a.accepted)
            return SubmissionReceipt(
                submission_id=submission, accepted=report.accepted, ack_999=ack_name,
                status_277=status_name, claims_accepted=len(acks) - rejected,
                claims_rejected=rejected,
                problems=report.problems + unreadable + [f"claim {a.claim.claim_id}: {a.reason}"
                                            for a in acks if not a.accepted],
            )  # fmt: skip

    def authorize(self, authorization: PriorAuthorization) -> None:
        """A payer grants a prior authorization."""
        with self._lock:
            self.adjudicator.authorize(authorization)

    # -- payment ---------------------------------------------------------------------------

    def _pay(
        self, verdicts: list[ClaimVerdict], submission: str, provider: str, day: dt.date
    ) -> None:
        by_payer: dict[str, list[ClaimVerdict]] = {}
        for verdict in verdicts:
            by_payer.setdefault(verdict.claim.payer_id, []).append(verdict)
        for payer_id in sorted(by_payer):
            rules = self.adjudicator.payers[payer_id]
            for check in self._planner.plan(rules, by_payer[payer_id], day, submission):
                self._record(check, submission)
                created = dt.datetime.combine(check.payment_date, dt.time(6, 0), tzinfo=dt.UTC)
                envelope = EnvelopeConfig(payer_id, provider, usage=self.config.usage)
                text = write_remittances([advice_for(check)], envelope, self._numbers, created)
                name = f"{check.trace_number}.835"
                self._pending.append(_Pending(check.payment_date, name, submission, text))
        self.release_due()

    def _record(self, check: Check, submission: str) -> None:
        for verdict in check.verdicts:
            claim = verdict.claim
            self._claims.append(
                AdjudicatedClaim(
                    claim_id=claim.claim_id, payer_id=claim.payer_id,
                    payer_claim_id=verdict.payer_claim_id, member_id=claim.member_id,
                    status=verdict.status, charge=claim.charge, paid=verdict.paid,
                    patient_responsibility=verdict.patient_responsibility, lines=verdict.lines,
                    payment_date=check.payment_date, trace_number=check.trace_number,
                    submission_id=submission,
                )
            )  # fmt: skip

    # -- outbound --------------------------------------------------------------------------

    def _release(self, kind: FileKind, name: str, submission: str, day: dt.date, text: str) -> None:
        data = text.encode("ascii", errors="replace")
        target = self.config.outbound / name
        temporary = target.with_name(f".{name}.tmp")
        temporary.write_bytes(data)
        temporary.replace(target)  # readers polling the directory never see half a file
        record = OutboundFile(
            name=name, kind=kind, sequence=len(self._released) + 1, released=day,
            submission_id=submission, size=len(data),
        )  # fmt: skip
        self._released[(kind, name)] = (record, text)

    def release_due(self) -> list[OutboundFile]:
        """Publish every pending 835 whose payment date has come; return what was published."""
        with self._lock:
            today = self._clock().date()
            due = sorted((p for p in self._pending if p.release <= today),
                         key=lambda p: (p.release, p.name))  # fmt: skip
            self._pending = [p for p in self._pending if p.release > today]
            for pending in due:
                self._release(
                    "835", pending.name, pending.submission, pending.release, pending.text
                )
            return [self._released[("835", p.name)][0] for p in due]

    def files(self, kind: FileKind | None = None, since: int = 0) -> list[OutboundFile]:
        """Released files (of one kind), after sequence *since*, in release order."""
        self.release_due()
        with self._lock:
            return [
                record for record, _ in self._released.values()
                if (kind is None or record.kind == kind) and record.sequence > since
            ]  # fmt: skip

    def read(self, kind: FileKind, name: str) -> str | None:
        """The text of a released file, or None."""
        self.release_due()
        with self._lock:
            found = self._released.get((kind, name))
            return found[1] if found else None

    def received(self) -> list[ReceivedFile]:
        """Every inbound file taken in, in arrival order."""
        with self._lock:
            return [record for record, _ in self._received.values()]

    def read_received(self, name: str) -> bytes | None:
        """The raw content of an inbound file, as it arrived, or None."""
        with self._lock:
            found = self._received.get(name)
            return found[1] if found else None

    def pending(self) -> int:
        """How many 835s wait for their payment date."""
        with self._lock:
            return len(self._pending)

    def adjudicated(self) -> list[AdjudicatedClaim]:
        """Every claim the payers decided, in decision order."""
        with self._lock:
            return list(self._claims)

    # -- drop directory --------------------------------------------------------------------

    def poll(self) -> list[SubmissionReceipt]:
        """Process every complete file in the drop directory (by name), moving each to
        ``processed/`` once answered; then release the 835s that are due."""
        inbound = self.config.inbound
        done = inbound / "processed"
        done.mkdir(exist_ok=True)
        receipts: list[SubmissionReceipt] = []
        for path in sorted(inbound.iterdir()):
            if (
                not path.is_file()
                or path.name.startswith(".")
                or path.suffix not in INBOUND_SUFFIXES
            ):
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue  # still being written or already taken: the next poll tries again
            receipt = self.submit(data, path.name)
            path.replace(done / f"{receipt.submission_id}-{path.name}")
            receipts.append(receipt)
        self.release_due()
        return receipts
