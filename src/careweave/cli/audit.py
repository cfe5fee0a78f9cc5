"""``careweave audit``: read the hash-chained audit log and prove it holds.

``verify`` walks the chain page by page, recomputing every entry's hash and its link to the entry
before; it exits 0 with one line when the chain holds, and 1 naming the first entry that does not
match. The commands that show PHI (``messages show``, ``cases payload``) record the read here first,
as the OS user, through :func:`record_phi_read`.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from careweave.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    err_console,
    fail,
    print_json,
    settings_from,
    with_store,
)
from careweave.config import Settings
from careweave.engine.store.audit_verify import ChainReport, verify_chain
from careweave.engine.store.base import BaseStore
from careweave.model.audit import AuditAction, AuditEntry, StoredAuditEntry

app = typer.Typer(
    help="The audit log: who read PHI, replayed, resolved or changed what, hash-chained.",
    no_args_is_help=True,
)


def record_phi_read(settings: Settings, subject: str, **detail: str) -> None:
    """Write a PHI read by the OS user to the audit log, before the PHI is shown."""
    entry = AuditEntry(
        actor=getpass.getuser(), action=AuditAction.PHI_READ, subject=subject, detail=detail
    )

    async def work(store: BaseStore) -> int:
        return await store.append_audit(entry)

    with_store(settings, work)


@app.command("verify")
def verify(config: Path | None = ConfigOption) -> None:
    """Recompute every entry's hash and link; exit 1 naming the first entry that does not match."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> ChainReport:
        return await verify_chain(store)

    report = with_store(settings, work, read_only=True)
    if (broken := report.broken) is not None:
        what = {
            "hash": "its content no longer matches its hash (altered)",
            "link": "its prev_hash is not the hash of the entry before (one removed or inserted)",
            "sequence": "an entry before it is missing",
        }[broken.problem]
        line = (
            f"audit chain broken at entry {broken.seq} ({broken.actor}, {broken.action}): "
            f"{broken.problem} mismatch, {what}; {report.entries} entries before it hold"
        )
        err_console.print(
            " ".join(line.split()),  # one line, whatever a tampered actor holds
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(f"audit chain holds: {report.entries} entries, head {report.head[:12]}")


@app.command("list")
def list_entries(
    config: Path | None = ConfigOption,
    limit: int = typer.Option(100, help="Most entries shown (the newest)."),
    after: int = typer.Option(
        -1, help="Show entries after this seq, oldest first (default: the newest LIMIT)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """The audit log's entries, in chain order."""
    settings = settings_from(config)
    if limit < 1:
        fail("--limit must be at least 1", 2)

    async def work(store: BaseStore) -> list[StoredAuditEntry]:
        if after >= 0:
            return await store.audit_entries(after_seq=after, limit=limit)
        return await _newest(store, limit)

    entries = with_store(settings, work, read_only=True)
    if as_json:
        print_json(entries)
        return
    table = Table("seq", "at", "actor", "action", "subject", "detail", "hash")
    for e in entries:
        detail = ", ".join(f"{k}={v}" for k, v in sorted(e.detail.items()))
        table.add_row(
            str(e.seq),
            e.at.isoformat(timespec="seconds"),
            escape(e.actor),
            escape(e.action),
            escape(e.subject),
            escape(detail),
            e.hash[:12],
        )
    console.print(table)


async def _newest(store: BaseStore, limit: int) -> list[StoredAuditEntry]:
    """The newest ``limit`` entries, walking forward in pages (the interface reads forwards)."""
    kept: list[StoredAuditEntry] = []
    seq = 0
    while batch := await store.audit_entries(after_seq=seq, limit=max(limit, 1000)):
        kept = (kept + batch)[-limit:]
        seq = batch[-1].seq
    return kept
