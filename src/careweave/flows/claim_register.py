"""The claim register: which claims went out in which 837, with which lines, and what came back.

Business state in the store, changed only in the commit of the message that caused the change:

- ``CLAIMS``: each claim once, under its CLM01, with the 837 transaction set that carried it
  (``GS06/ST02``, the 999's link key), its service lines and where its answers left it;
- ``CLAIM_LINES``: the claim billing each charge (the platform's line key). A line key can be on
  one claim only: :meth:`ClaimRegister.record` refuses a second claim for it, so billing a charge
  twice is an error, not a silent double;
- ``CLAIM_TRANSACTIONS``: the claims of each 837 transaction set, which a 999 answers as a whole.

The 999 and 277CA answers are linked to the claims they answer (``claim-acknowledgments`` flow);
applying an answer twice leaves the register as the first time did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

import msgspec

from careweave.exceptions import ValidationError
from careweave.model.state import BusinessState, StateTable, load, save


class RegisteredLine(msgspec.Struct, frozen=True, kw_only=True):
    """One service line of a claim and the charge it bills."""

    line_number: int
    line_key: str
    procedure_code: str
    amount: Decimal


class RegisteredClaim(msgspec.Struct, frozen=True, kw_only=True):
    """A claim as submitted, and where its answers left it."""

    claim_id: str
    account_id: str
    encounter_id: str
    entity: str
    kind: str
    payer_id: str
    total: Decimal
    file_name: str
    link_key: str
    """``GS06/ST02`` of the 837 transaction set that carried the claim."""
    lines: tuple[RegisteredLine, ...] = ()
    status: str = "submitted"
    """submitted, accepted (999), rejected (999 or 277CA), acknowledged (277CA accepted)."""
    status_detail: str = ""


class BilledLine(msgspec.Struct, frozen=True, kw_only=True):
    """Which claim bills a charge line (a ``CLAIM_LINES`` row)."""

    claim_id: str
    line_number: int


class ClaimTransaction(msgspec.Struct, frozen=True, kw_only=True):
    """An 837 transaction set: its claims and the 999's answer (a ``CLAIM_TRANSACTIONS`` row)."""

    link_key: str
    file_name: str
    claim_ids: tuple[str, ...]
    status: str = "submitted"
    detail: str = ""


class ClaimRegister:
    """Claims, their lines and their 837 transaction sets, in business state."""

    def __init__(self, state: BusinessState) -> None:
        self._state = state

    def claim(self, claim_id: str) -> RegisteredClaim | None:
        """A registered claim, or None."""
        return load(self._state, StateTable.CLAIMS, claim_id, RegisteredClaim)

    def billed_claim_of(self, line_key: str) -> str | None:
        """The claim that bills a charge line, if any."""
        found = load(self._state, StateTable.CLAIM_LINES, line_key, BilledLine)
        return None if found is None else found.claim_id

    def transaction(self, link_key: str) -> ClaimTransaction | None:
        """An 837 transaction set sent, by ``GS06/ST02``."""
        return load(self._state, StateTable.CLAIM_TRANSACTIONS, link_key, ClaimTransaction)

    def refusal(self, claim: RegisteredClaim) -> str | None:
        """Why ``claim`` cannot be recorded (its id is taken, a line is billed), or None."""
        if self.claim(claim.claim_id) is not None:
            return f"claim {claim.claim_id} is already registered"
        for line in claim.lines:
            if (other := self.billed_claim_of(line.line_key)) is not None:
                return f"line {line.line_key} is already billed on claim {other}"
        return None

    def record(self, claims: Sequence[RegisteredClaim]) -> None:
        """Record submitted claims, their lines and their transaction sets, all or nothing.

        Raises:
            ValidationError: a claim id is already registered, or a line key is already billed
                on another claim or twice in the batch (nothing of the batch is recorded).
        """
        claim_ids: set[str] = set()
        line_keys: set[str] = set()
        for claim in claims:
            problem = self.refusal(claim)
            if problem is None and claim.claim_id in claim_ids:
                problem = f"claim {claim.claim_id} is twice in the batch"
            if problem is None:
                twice = next((n.line_key for n in claim.lines if n.line_key in line_keys), None)
                problem = None if twice is None else f"line {twice} is twice in the batch"
            if problem is not None:
                raise ValidationError(f"claim register refused the batch: {problem}")
            claim_ids.add(claim.claim_id)
            line_keys.update(n.line_key for n in claim.lines)
        transactions: dict[str, ClaimTransaction] = {}
        for claim in claims:
            save(self._state, StateTable.CLAIMS, claim.claim_id, claim)
            for line in claim.lines:
                billed = BilledLine(claim_id=claim.claim_id, line_number=line.line_number)
                save(self._state, StateTable.CLAIM_LINES, line.line_key, billed)
            known = transactions.get(claim.link_key) or self.transaction(claim.link_key)
            transactions[claim.link_key] = ClaimTransaction(
                link_key=claim.link_key,
                file_name=claim.file_name,
                claim_ids=(*(known.claim_ids if known else ()), claim.claim_id),
            )
        for link_key, transaction in transactions.items():
            save(self._state, StateTable.CLAIM_TRANSACTIONS, link_key, transaction)

    def link_transaction(self, link_key: str, status: str, detail: str = "") -> int:
        """Apply a 999 answer (A, E or R) to the claims of one 837 transaction set.

        Only claims still ``submitted`` move (a 277CA answer already applied stands); returns how
        many moved, so a second application of the same answer returns 0.
        """
        transaction = self.transaction(link_key)
        if transaction is None:
            return 0
        detail = detail or f"999 {status}"
        new = "rejected" if status == "R" else "accepted"
        if transaction.status == "submitted":
            updated = msgspec.structs.replace(transaction, status=new, detail=detail)
            save(self._state, StateTable.CLAIM_TRANSACTIONS, link_key, updated)
        moved = 0
        for claim_id in transaction.claim_ids:
            claim = self.claim(claim_id)
            if claim is not None and claim.status == "submitted":
                self._put(msgspec.structs.replace(claim, status=new, status_detail=detail))
                moved += 1
        return moved

    def link_claim_status(self, claim_id: str, accepted: bool, detail: str) -> bool:
        """Apply a 277CA answer to one claim; False when the claim is not registered."""
        claim = self.claim(claim_id)
        if claim is None:
            return False
        status = "acknowledged" if accepted else "rejected"
        if (claim.status, claim.status_detail) != (status, detail):
            self._put(msgspec.structs.replace(claim, status=status, status_detail=detail))
        return True

    def _put(self, claim: RegisteredClaim) -> None:
        save(self._state, StateTable.CLAIMS, claim.claim_id, claim)


def registered_claims(
    rows: Iterable[tuple[str, bytes]], status: str | None = None
) -> list[RegisteredClaim]:
    """Every claim (in one status) from committed ``CLAIMS`` rows, by claim id.

    For reports and tests (``await store.state_rows(StateTable.CLAIMS)``).
    """
    claims = (msgspec.json.decode(value, type=RegisteredClaim) for _key, value in rows)
    return sorted(
        (c for c in claims if status is None or c.status == status), key=lambda c: c.claim_id
    )
