"""``careweave cases``: the exception work queue (list, show, resolve and replay)."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import typer
from rich.table import Table

from careweave.app import Application
from careweave.cli.build import with_application
from careweave.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    print_json,
    settings_from,
    with_store,
)
from careweave.engine.records import CaseState, ExceptionCase
from careweave.engine.store.base import BaseStore

app = typer.Typer(
    help="Exception cases: work a person must do, with SLA and audit.", no_args_is_help=True
)


@app.command("list")
def list_cases(
    config: Path | None = ConfigOption,
    team: str | None = typer.Option(None, help="Only this owning team."),
    state: CaseState | None = typer.Option(CaseState.OPEN, help="open or resolved."),
    limit: int = typer.Option(100, help="Most listed."),
    as_json: bool = JsonOption,
) -> None:
    """List cases, oldest first, with how many messages are parked on each."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> list[ExceptionCase]:
        return await store.list_cases(state=state, team=team, limit=limit)

    cases = with_store(settings, work, read_only=True)
    if as_json:
        print_json(cases)
        return
    now = dt.datetime.now(dt.UTC)
    table = Table("case", "team", "reason", "parked", "opened", "SLA", "summary")
    for c in cases:
        sla = "[red]overdue[/]" if c.overdue(now) else c.sla_due_at.isoformat(timespec="minutes")
        table.add_row(
            str(c.id),
            c.owning_team,
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
    console.print(f"{case.reason_code}: {case.summary}")
    console.print(f"suggested fix: {case.suggested_fix}")
    for line in case.details:
        console.print(f"  - {line}")
    console.print(f"parked messages: {', '.join(map(str, case.message_ids)) or 'none'}")
    for event in case.audit:
        console.print(
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
