"""The claim register: which claims went out in which 837, with which lines, and what came back.

A SQLite file (beside the control numbers) records each claim once, under its CLM01, with the
837 transaction set that carried it (``GS06/ST02``, the 999's link key) and one row per service
line naming the charge (the platform's line key) it bills. A line key can be on one claim only:
the unique index makes billing a charge twice an error, not a silent double. The 999 and 277CA
answers are linked to the claims they answer by that key and by CLM01.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

import msgspec

from careweave.exceptions import ValidationError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS claim (
    claim_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    encounter_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    kind TEXT NOT NULL,
    payer_id TEXT NOT NULL,
    total TEXT NOT NULL,
    file_name TEXT NOT NULL,
    link_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'submitted',
    status_detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS claim_link ON claim (link_key);
CREATE TABLE IF NOT EXISTS claim_line (
    claim_id TEXT NOT NULL REFERENCES claim (claim_id),
    line_number INTEGER NOT NULL,
    line_key TEXT NOT NULL UNIQUE,
    procedure_code TEXT NOT NULL,
    amount TEXT NOT NULL,
    PRIMARY KEY (claim_id, line_number)
);
"""


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


class ClaimRegister:
    """Claims and their lines in a SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def record(self, claims: Sequence[RegisteredClaim]) -> None:
        """Record submitted claims and their lines in one transaction.

        Raises:
            ValidationError: a claim id is already registered, or a line key is already billed
                on another claim (nothing of the batch is recorded).
        """
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for c in claims:
                db.execute(
                    "INSERT INTO claim (claim_id, account_id, encounter_id, entity, kind, "
                    "payer_id, total, file_name, link_key, status, status_detail) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (c.claim_id, c.account_id, c.encounter_id, c.entity, c.kind, c.payer_id,
                     str(c.total), c.file_name, c.link_key, c.status, c.status_detail),
                )  # fmt: skip
                db.executemany(
                    "INSERT INTO claim_line (claim_id, line_number, line_key, procedure_code, "
                    "amount) VALUES (?, ?, ?, ?, ?)",
                    [(c.claim_id, n.line_number, n.line_key, n.procedure_code, str(n.amount))
                     for n in c.lines],
                )  # fmt: skip
        except sqlite3.IntegrityError as exc:
            db.execute("ROLLBACK")
            raise ValidationError(f"claim register refused the batch: {exc}") from exc
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def billed_claim_of(self, line_key: str) -> str | None:
        """The claim that bills a charge line, if any."""
        row = self._db.execute(
            "SELECT claim_id FROM claim_line WHERE line_key = ?", (line_key,)
        ).fetchone()
        return str(row[0]) if row else None

    def link_transaction(self, link_key: str, status: str, detail: str = "") -> int:
        """Apply a 999 answer (A, E or R) to the claims of one 837 transaction; returns how many."""
        new = "rejected" if status == "R" else "accepted"
        cursor = self._db.execute(
            "UPDATE claim SET status = ?, status_detail = ? WHERE link_key = ? "
            "AND status = 'submitted'",
            (new, detail or f"999 {status}", link_key),
        )
        return cursor.rowcount

    def link_claim_status(self, claim_id: str, accepted: bool, detail: str) -> bool:
        """Apply a 277CA answer to one claim; False when the claim is not registered."""
        cursor = self._db.execute(
            "UPDATE claim SET status = ?, status_detail = ? WHERE claim_id = ?",
            ("acknowledged" if accepted else "rejected", detail, claim_id),
        )
        return cursor.rowcount > 0

    def claims(self, status: str | None = None) -> list[RegisteredClaim]:
        """Every registered claim (in one status), with its lines."""
        rows = self._db.execute(
            "SELECT claim_id, account_id, encounter_id, entity, kind, payer_id, total, "
            "file_name, link_key, status, status_detail FROM claim "
            "WHERE ? IS NULL OR status = ? ORDER BY claim_id",
            (status, status),
        ).fetchall()
        lines: dict[str, list[RegisteredLine]] = {}
        for claim_id, number, key, code, amount in self._db.execute(
            "SELECT claim_id, line_number, line_key, procedure_code, amount FROM claim_line "
            "ORDER BY claim_id, line_number"
        ):
            lines.setdefault(claim_id, []).append(
                RegisteredLine(
                    line_number=number, line_key=key, procedure_code=code, amount=Decimal(amount)
                )
            )
        return [
            RegisteredClaim(
                claim_id=r[0], account_id=r[1], encounter_id=r[2], entity=r[3], kind=r[4],
                payer_id=r[5], total=Decimal(r[6]), file_name=r[7], link_key=r[8],
                lines=tuple(lines.get(r[0], ())), status=r[9], status_detail=r[10],
            )
            for r in rows
        ]  # fmt: skip

    def line_keys(self) -> Iterable[str]:
        """Every charge line key billed on a claim."""
        return [str(r[0]) for r in self._db.execute("SELECT line_key FROM claim_line")]
