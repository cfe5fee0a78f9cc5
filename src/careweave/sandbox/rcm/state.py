"""The simulated revenue-cycle platform's books: charges, encounters and the accounts they make.

Thread-safe (the HTTP server and the test read it from different threads) and deterministic: the
same batches in the same order give the same records, sequence numbers and accounts.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal

from careweave.sandbox.rcm.api import (
    AccountLine,
    AccountState,
    BatchResult,
    BilledAccount,
    BilledNotice,
    ChargeBatch,
    ChargeLine,
    ChargeRecord,
    Coverage,
    EncounterUpdate,
    LineResult,
    PostingResult,
    PostingStatus,
    Receivable,
    RemittanceBatch,
    RemittancePosting,
)

SELF_PAY_IDS = frozenset({"SELF", "SP", ""})
_PROCEDURE = re.compile(r"^[A-Z0-9]{5}$")
_REVENUE = re.compile(r"^[0-9]{4}$")


def is_self_pay(coverage: Coverage) -> bool:
    """Whether the coverage is self-pay (no payer to claim from)."""
    return coverage.payer_id.upper() in SELF_PAY_IDS or not coverage.member_id


def account_id_for(encounter_id: str) -> str:
    """The account id the platform gives an encounter's charges."""
    return f"ACCT-{encounter_id}"


class RcmState:
    """Charges by line key, batch answers by batch key, encounters, and billed claims."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batches: dict[str, BatchResult] = {}
        self._charges: dict[str, ChargeRecord] = {}
        self._by_encounter: dict[str, list[str]] = {}
        self._encounters: dict[str, EncounterUpdate] = {}
        self._billed: dict[str, str] = {}
        self._billed_totals: dict[str, Decimal] = {}
        self._claims: dict[str, str] = {}
        self._postings: dict[str, list[RemittancePosting]] = {}
        self._posting_keys: set[str] = set()
        self.lines_applied = 0
        """How many lines were applied (a replayed batch or duplicate line does not count)."""

    def apply_batch(self, batch_key: str, batch: ChargeBatch) -> BatchResult:
        """Apply a batch once; the same key again answers the first result with ``replayed``."""
        with self._lock:
            earlier = self._batches.get(batch_key)
            if earlier is not None:
                return BatchResult(batch_key=batch_key, replayed=True, results=earlier.results)
            results = [self._apply_line(batch_key, line) for line in batch.lines]
            result = BatchResult(batch_key=batch_key, replayed=False, results=results)
            self._batches[batch_key] = result
            return result

    def _reject(self, line: ChargeLine) -> str:
        """Why *line* cannot be applied, or ``""``."""
        if not line.line_key or not line.encounter_id or not line.patient_id:
            return "line_key, encounter_id and patient_id are required"
        billed = self._billed.get(account_id_for(line.encounter_id))
        if billed:
            return f"late charge: account {account_id_for(line.encounter_id)} billed on {billed}"
        if line.transaction == "credit":
            original = self._charges.get(line.reverses)
            if original is None:
                return f"credit reverses unknown line {line.reverses!r}"
            if original.reversed_by:
                return f"line {line.reverses!r} already reversed by {original.reversed_by!r}"
            if original.line.encounter_id != line.encounter_id:
                return f"credit for encounter {line.encounter_id} reverses another encounter's line"
            return ""
        if not line.procedure_code:
            # An institutional line may be billed by revenue code alone (room and board...).
            if not _REVENUE.match(line.revenue_code):
                return "a line needs a CPT/HCPCS code or a 4-digit revenue code"
        elif not _PROCEDURE.match(line.procedure_code):
            return f"procedure code {line.procedure_code!r} is not a 5-character CPT/HCPCS code"
        if line.quantity <= 0:
            return f"quantity {line.quantity} must be positive"
        if line.unit_amount < 0:
            return f"unit amount {line.unit_amount} must not be negative"
        return ""

    def _apply_line(self, batch_key: str, line: ChargeLine) -> LineResult:
        if line.line_key in self._charges:
            return LineResult(line_key=line.line_key, status="duplicate")
        reason = self._reject(line)
        if reason:
            return LineResult(line_key=line.line_key, status="rejected", reason=reason)
        self.lines_applied += 1
        record = ChargeRecord(line=line, batch_key=batch_key, sequence=len(self._charges) + 1)
        self._charges[line.line_key] = record
        self._by_encounter.setdefault(line.encounter_id, []).append(line.line_key)
        if line.transaction == "credit":
            original = self._charges[line.reverses]
            self._charges[line.reverses] = ChargeRecord(
                line=original.line, batch_key=original.batch_key, sequence=original.sequence,
                reversed_by=line.line_key,
            )  # fmt: skip
        return LineResult(line_key=line.line_key, status="accepted")

    def update_encounter(self, encounter_id: str, update: EncounterUpdate) -> BilledAccount:
        """Register or replace what the platform knows of an encounter."""
        with self._lock:
            self._encounters[encounter_id] = update
            return self._account(encounter_id)

    def mark_billed(self, notice: BilledNotice) -> BilledAccount | None:
        """Record that an account went out on a claim (None when the account is unknown)."""
        with self._lock:
            encounter_id = notice.account_id.removeprefix("ACCT-")
            if encounter_id not in self._encounters and encounter_id not in self._by_encounter:
                return None
            if notice.account_id not in self._billed:
                self._billed[notice.account_id] = notice.claim_id
                self._claims.setdefault(notice.claim_id, notice.account_id)
                self._billed_totals[notice.account_id] = self._account(encounter_id).total
            return self._account(encounter_id)

    def post_remittances(self, batch: RemittanceBatch) -> list[PostingResult]:
        """Apply each posting once, by payer + trace + claim (+ occurrence within the batch)."""
        results: list[PostingResult] = []
        seen: dict[tuple[str, str, str], int] = {}
        with self._lock:
            for posting in batch.postings:
                ident = (posting.payer_id, posting.trace_number, posting.claim_id)
                seen[ident] = seen.get(ident, 0) + 1
                key = "|".join((*ident, str(seen[ident])))
                status: PostingStatus
                if key in self._posting_keys:
                    status = "duplicate"
                else:
                    self._posting_keys.add(key)
                    self._postings.setdefault(posting.claim_id, []).append(posting)
                    status = "applied" if posting.claim_id in self._claims else "unapplied"
                results.append(
                    PostingResult(
                        claim_id=posting.claim_id,
                        trace_number=posting.trace_number,
                        status=status,
                    )
                )
        return results

    def receivables(self) -> list[Receivable]:
        """The receivable of every billed claim, then of postings no billed claim takes."""
        with self._lock:
            found = [
                self._receivable(claim_id, account_id)
                for claim_id, account_id in sorted(self._claims.items())
            ]
            found += [
                self._receivable(claim_id, "")
                for claim_id in sorted(self._postings)
                if claim_id not in self._claims
            ]
            return found

    def _receivable(self, claim_id: str, account_id: str) -> Receivable:
        postings = list(self._postings.get(claim_id, []))
        encounter_id = account_id.removeprefix("ACCT-")
        encounter = self._encounters.get(encounter_id)
        billed = self._billed_totals.get(account_id, Decimal(0))
        payments = sum((p.paid for p in postings), Decimal(0))
        by_group: dict[str, Decimal] = {}
        for posting in postings:
            for adjustment in posting.adjustments:
                group = adjustment.group
                by_group[group] = by_group.get(group, Decimal(0)) + adjustment.amount
        return Receivable(
            account_id=account_id, encounter_id=encounter_id if account_id else "",
            claim_id=claim_id, entity=encounter.entity if encounter else "", billed=billed,
            payments=payments, adjustments=by_group,
            insurance_balance=billed - payments - sum(by_group.values(), Decimal(0)),
            patient_balance=by_group.get("PR", Decimal(0)), postings=postings,
        )  # fmt: skip

    def charges(self, encounter_id: str | None = None) -> list[ChargeRecord]:
        """Every charge record (of one encounter when given), in acceptance order."""
        with self._lock:
            keys = (
                self._by_encounter.get(encounter_id, [])
                if encounter_id is not None
                else list(self._charges)
            )
            return [self._charges[k] for k in keys]

    def account(self, encounter_id: str) -> BilledAccount | None:
        """The account of one encounter, or None when the platform knows nothing of it."""
        with self._lock:
            if encounter_id not in self._encounters and encounter_id not in self._by_encounter:
                return None
            return self._account(encounter_id)

    def accounts(self) -> list[BilledAccount]:
        """Every account, ordered by encounter id."""
        with self._lock:
            known = sorted(set(self._encounters) | set(self._by_encounter))
            return [self._account(e) for e in known]

    def ready(self) -> list[BilledAccount]:
        """The accounts ready to bill, ordered by encounter id."""
        return [a for a in self.accounts() if a.state == "ready"]

    def _account(self, encounter_id: str) -> BilledAccount:
        encounter = self._encounters.get(encounter_id)
        records = [self._charges[k] for k in self._by_encounter.get(encounter_id, [])]
        live = [r.line for r in records if r.line.transaction == "charge" and not r.reversed_by]
        lines = [
            AccountLine(
                line_key=c.line_key, service_date=c.service_date, procedure_code=c.procedure_code,
                quantity=c.quantity, amount=c.amount, modifiers=c.modifiers,
                revenue_code=c.revenue_code, diagnoses=c.diagnoses, ndc=c.ndc,
            )
            for c in live
        ]  # fmt: skip
        diagnoses: list[str] = []
        for code in (
            *(encounter.diagnoses if encounter else ()),
            *(d for c in live for d in c.diagnoses),
        ):
            normalized = code.replace(".", "").upper()
            if normalized and normalized not in diagnoses:
                diagnoses.append(normalized)
        account_id = account_id_for(encounter_id)
        claim_id = self._billed.get(account_id, "")
        status = encounter.status if encounter else "open"
        not_ready = ""
        if encounter is None or status == "open":
            not_ready = "encounter not discharged"
        elif encounter.coverage is None or encounter.patient is None:
            not_ready = "no coverage or patient demographics"
        elif is_self_pay(encounter.coverage):
            not_ready = "self-pay: billed to the patient, not on a claim"
        elif not lines:
            not_ready = "no billable charges"
        elif not diagnoses:
            not_ready = "no diagnosis"
        state: AccountState = "billed" if claim_id else ("open" if not_ready else "ready")
        return BilledAccount(
            account_id=account_id, encounter_id=encounter_id,
            patient_id=encounter.patient_id if encounter else live[0].patient_id if live else "",
            state=state, encounter_status=status,
            total=sum((line.amount for line in lines), Decimal(0)), lines=lines,
            diagnoses=tuple(diagnoses), kind=encounter.kind if encounter else "professional",
            facility_code=encounter.facility_code if encounter else "11",
            entity=encounter.entity if encounter else "",
            patient=encounter.patient if encounter else None,
            coverage=encounter.coverage if encounter else None, claim_id=claim_id,
            not_ready="" if claim_id else not_ready,
        )  # fmt: skip
