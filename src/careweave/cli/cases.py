"""``careweave cases``: the exception work queue.

List and show cases; assign, comment, discard; resolve (replaying what a case holds) or correct one
parked message's payload. The commands that change a case write beside a running engine on the
SQLite file (the store opened shared), as replays do.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from careweave.app import Application
from careweave.cli.audit import record_phi_read
from careweave.cli.build import with_application
from careweave.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    fail,
    print_json,
    settings_from,
    with_store,
)
from careweave.engine.corrections import correct_payload
from careweave.engine.runtime import HL7_CONTENT_TYPE
from careweave.engine.store.base import BaseStore
from careweave.exceptions import NotFoundError, ValidationError
from careweave.model.casework import PayloadCorrection
from careweave.model.records import CaseState, ExceptionCase

app = typer.Typer(
    help="Exception cases: work a person must do, with SLA and audit.", no_args_is_help=True
)


@app.command("list")
def list_cases(
    config: Path | None = ConfigOption,
    team: str | None = typer.Option(None, help="Only this owning team."),
    state: CaseState | None = typer.Option(CaseState.OPEN, help="open, resolved or discarded."),
    overdue: bool = typer.Option(False, "--overdue", help="Only open cases past their SLA."),
    limit: int = typer.Option(100, help="Most listed."),
    as_json: bool = JsonOption,
) -> None:
    """List cases, oldest first, with how many messages are parked on each."""
    settings = settings_from(config)
    now = dt.datetime.now(dt.UTC)

    async def work(store: BaseStore) -> list[ExceptionCase]:
        return await store.list_cases(
            state=state, team=team, limit=limit, overdue_at=now if overdue else None
        )

    cases = with_store(settings, work, read_only=True)
    if as_json:
        print_json(cases)
        return
    table = Table(
        "case", "team", "severity", "assignee", "reason", "parked", "opened", "SLA", "summary"
    )
    for c in cases:
        sla = "[red]overdue[/]" if c.overdue(now) else c.sla_due_at.isoformat(timespec="minutes")
        table.add_row(
            str(c.id),
            c.owning_team,
            c.severity.value,
            escape(c.assignee or "-"),
            c.reason_code,
            str(len(c.message_ids)),
            c.opened_at.isoformat(timespec="minutes"),
            sla,
            c.summary,
        )
    console.print(table)


@app.command("show")
def show_case(case_id: int, config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
    """Show a case: the problem, the suggested fix, the parked messages and the audit trail."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> ExceptionCase:
        return await store.get_case(case_id)

    case = with_store(settings, work, read_only=True)
    if as_json:
        print_json(case)
        return
    console.print(
        f"[bold]case {case.id}[/] {case.case_key} ({case.state.value}), owned by {case.owning_team}"
    )
    _say(f"{case.reason_code}: {case.summary}")
    _say(f"suggested fix: {case.suggested_fix}")
    for line in case.details:
        _say(f"  - {line}")
    sla = case.sla_due_at.isoformat(timespec="minutes")
    overdue = " (overdue)" if case.overdue(dt.datetime.now(dt.UTC)) else ""
    console.print(f"severity: {case.severity.value}; SLA due {sla}{overdue}")
    _say(f"assignee: {case.assignee or 'nobody'}")
    if case.resolution is not None:
        _say(f"resolution: {case.resolution}")
    console.print(f"parked messages: {', '.join(map(str, case.message_ids)) or 'none'}")
    if case.comments:
        console.print("[bold]comments[/]")
        for comment in case.comments:
            when = comment.at.isoformat(timespec="seconds")
            _say(f"{when} {comment.actor}: {comment.detail}")
    if case.notifications:
        console.print("[bold]notifications[/]")
        for n in case.notifications:
            detail = f" to {n.target}" if n.target else ""
            detail += f" ({n.last_error})" if n.last_error and n.state != "sent" else ""
            _say(
                f"{n.kind.value} by {n.channel.value}: {n.state.value} after {n.attempts} "
                f"attempt(s){detail}"
            )
    console.print("[bold]audit trail[/]")
    for event in case.audit:
        _say(
            f"{event.at.isoformat(timespec='seconds')} {event.action} by {event.actor}: {event.detail}"
        )


@app.command("resolve")
def resolve_case(
    case_id: int,
    resolution: str = typer.Option(..., "--resolution", "-r", help="What was fixed (audited)."),
    actor: str = typer.Option(getpass.getuser(), help="Who resolves it (audited)."),
    config: Path | None = ConfigOption,
) -> None:
    """Close a case once its cause is fixed and replay every message parked on it."""

    async def work(application: Application) -> int:
        return await application.engine.resolve_case(case_id, actor=actor, resolution=resolution)

    replayed = with_application(config, work)
    console.print(f"case {case_id} resolved; {replayed} parked message(s) replayed")


def _say(text: str) -> None:
    """Print text that people wrote (summaries, comments) as it is: no markup, no colouring."""
    console.print(text, markup=False, highlight=False)


ActorOption = typer.Option(getpass.getuser(), help="Who does it (audited).")


def _change(config: Path | None, work: Callable[[BaseStore], Awaitable[None]]) -> None:
    """Run ``work`` on the store opened shared; a case that does not exist or cannot take the
    change exits 2, a store failure 1."""
    settings = settings_from(config)

    async def guarded(store: BaseStore) -> None:
        try:
            await work(store)
        except (NotFoundError, ValidationError) as exc:
            fail(str(exc), 2)

    with_store(settings, guarded)


@app.command("assign")
def assign_case(
    case_id: int,
    to: str = typer.Option(..., "--to", help="Who works the case (an empty string: nobody)."),
    actor: str = ActorOption,
    config: Path | None = ConfigOption,
) -> None:
    """Give an open case to someone."""
    assignee = to.strip() or None

    async def work(store: BaseStore) -> None:
        now = dt.datetime.now(dt.UTC)
        await store.assign_case(case_id, assignee=assignee, actor=actor, now=now)

    _change(config, work)
    console.print(f"case {case_id} assigned to {assignee or 'nobody'}", markup=False)


@app.command("comment")
def comment_case(
    case_id: int,
    text: str = typer.Argument(..., help="The comment (quote it)."),
    actor: str = ActorOption,
    config: Path | None = ConfigOption,
) -> None:
    """Add a comment to a case's audit trail."""

    async def work(store: BaseStore) -> None:
        await store.comment_case(case_id, actor=actor, text=text, now=dt.datetime.now(dt.UTC))

    _change(config, work)
    console.print(f"comment added to case {case_id}")


@app.command("discard")
def discard_case(
    case_id: int,
    reason: str = typer.Option(
        ..., "--reason", help="Why the parked work is not wanted (audited)."
    ),
    actor: str = ActorOption,
    config: Path | None = ConfigOption,
) -> None:
    """Close an open case without replaying what it holds."""
    if not reason.strip():
        fail("--reason must say why the case is discarded", 2)

    async def work(store: BaseStore) -> None:
        now = dt.datetime.now(dt.UTC)
        await store.discard_case(case_id, actor=actor, reason=reason, now=now)

    _change(config, work)
    console.print(f"case {case_id} discarded; nothing replayed")


@app.command("payload")
def show_payload(case_id: int, message_id: int, config: Path | None = ConfigOption) -> None:
    """Print a message parked on a case as it was received (HL7 segments one a line), to edit."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> bytes | None:
        try:
            if message_id not in (await store.get_case(case_id)).message_ids:
                fail(f"message {message_id} is not parked on exception case {case_id}", 2)
            return (await store.get_message(message_id)).raw
        except NotFoundError as exc:
            fail(str(exc), 2)

    raw = with_store(settings, work, read_only=True)
    if raw is None:
        fail(f"message {message_id}: content was pruned by retention", 1)
    # The raw message is PHI: the read is audited before it is printed.
    record_phi_read(settings, f"message:{message_id}", command="cases payload", case=str(case_id))
    typer.echo(raw.decode("utf-8", "replace").replace("\r", "\n"), nl=False)


@app.command("edit-payload")
def edit_payload(
    case_id: int,
    message_id: int,
    file: Path = typer.Option(..., "--file", "-f", help="The corrected message."),
    actor: str = ActorOption,
    config: Path | None = ConfigOption,
) -> None:
    """Replace a parked message by a corrected copy and process it; the original is superseded.

    HL7 segments may end with a newline, as an editor saves them. The case is resolved once no
    message is left parked on it.
    """
    try:
        raw = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", 2)

    async def work(application: Application) -> PayloadCorrection:
        store = application.store
        try:
            original = await store.get_message(message_id)
            payload = as_segments(raw) if original.content_type == HL7_CONTENT_TYPE else raw
            return await correct_payload(
                application.engine, case_id, message_id, payload, actor=actor
            )
        except (NotFoundError, ValidationError) as exc:
            fail(str(exc), 2)

    done = with_application(config, work)
    console.print(
        f"message {done.original_id} superseded by message {done.message_id} ({done.state}); "
        + (
            f"case {case_id} resolved"
            if done.case_closed
            else f"case {case_id} stays open with other parked work"
        )
    )


def as_segments(raw: bytes) -> bytes:
    """HL7 v2 as an editor saved it (lines ending in LF or CRLF) with segments ending in CR."""
    lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    return b"".join(line + b"\r" for line in lines if line.strip())
