"""Engine commands: run, check, db, messages, replay, deadletters."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import getpass
import os
import signal
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, NoReturn

import msgspec
import typer
from rich.markup import escape
from rich.table import Table

from careweave.app import build_application, check_application
from careweave.cli.audit import record_phi_read
from careweave.cli.build import in_settings, load, settings_dir, with_application
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
from careweave.engine.redelivery import redeliver_dead_letters
from careweave.engine.runtime import Engine
from careweave.engine.store.base import BaseStore
from careweave.exceptions import CareweaveError, ConfigError
from careweave.model.audit import AuditAction, AuditEntry
from careweave.model.records import (
    Effect,
    EffectState,
    InboundMessage,
    Lineage,
    MessageQuery,
    MessageState,
)
from careweave.observability.logging import configure_logging, print_line
from careweave.observability.tracing import configure_tracing


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where it is installed (faster sockets), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
messages_app = typer.Typer(help="Inspect stored messages and their lineage.", no_args_is_help=True)
replay_app = typer.Typer(
    help="Replay messages or effects; every replay is recorded.", no_args_is_help=True
)
deadletters_app = typer.Typer(help="A destination's dead letters.", no_args_is_help=True)


def run(config: Path | None = ConfigOption) -> None:
    """Run the engine: listeners, channels and destination workers, until interrupted."""
    settings, known = load(config)
    log_format = settings.engine.log_format
    configure_logging(settings.engine.log_level, log_format)
    tracer_provider = configure_tracing(settings.tracing)

    async def main() -> None:
        # Built before anything opens: a settings mistake touches neither socket nor database.
        try:
            application = build_application(
                settings, settings_dir=settings_dir(config), env=os.environ, registries=known
            )
        except ConfigError as exc:
            raise ConfigError(in_settings(config, exc)) from exc
        for warning in application.warnings:
            if log_format == "json":  # every line a JSON-logging process prints is JSON
                print_line(warning, log_format, level="warning", stderr=True)
            else:
                err_console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
        async with application:
            await application.start()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            print_line("careweave ready", log_format)
            await stop.wait()

    # An operator's mistake (port taken, database held or unreachable, folder not creatable) is
    # one line naming it, never a traceback: settings problems exit 2, the environment's 1.
    def stop_with(message: str, code: int) -> NoReturn:
        if log_format == "json":  # the one error line is a JSON line too
            print_line(
                " ".join(f"error: {message}".split()), log_format, level="error", stderr=True
            )
            raise typer.Exit(code)
        fail(message, code)

    try:
        with contextlib.suppress(KeyboardInterrupt):
            run_event_loop(main())
    except ConfigError as exc:
        stop_with(str(exc), 2)
    except CareweaveError as exc:
        stop_with(str(exc), 1)
    finally:
        if tracer_provider is not None:
            tracer_provider.shutdown()  # sends the spans still batched


def check(config: Path = typer.Option(..., "--config", "-c", help="Settings file (TOML).")) -> None:
    """Validate a settings file: build all that ``run`` builds, open no socket and no database.

    Refuses (exit 2, one ``error:`` line) what ``run`` would refuse: unknown names, a flow whose
    master data is not in ``[masterdata]``, a missing master-data file. A connector secret missing
    from the environment is only a warning here (checks run where secrets are not), as is a
    master-data row that does not load.
    """
    settings, known = load(config)
    try:
        warnings = asyncio.run(
            check_application(
                settings, settings_dir=settings_dir(config), env=os.environ, registries=known
            )
        )
        _require_governance(settings)
    except ConfigError as exc:
        fail(in_settings(config, exc), 2)
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    console.print(
        f"[green]ok[/]: {len(settings.channels)} channel(s), "
        f"{sum(len(c.destinations) for c in settings.channels)} destination(s), store "
        f"{'postgresql' if settings.engine.database_url else 'sqlite in ' + settings.engine.data_dir}"
    )


def _require_governance(settings: Settings) -> None:
    """``check``'s governance pass (not ``run``'s): every interface has an owner and an SLA."""
    from careweave.gateway.catalog import require_governance

    if settings.api is None:
        require_governance(settings)
        return
    from careweave.gateway.api.catalog_routes import API_GROUPS

    require_governance(settings, API_GROUPS)


@db_app.command("upgrade")
def db_upgrade(config: Path | None = ConfigOption) -> None:
    """Apply pending schema migrations."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> list[str]:
        return await store.migrate()

    # open() already migrates; report what is there now.
    with_store(settings, work)
    console.print("[green]schema is up to date[/]")


@messages_app.command("list")
def messages_list(
    config: Path | None = ConfigOption,
    channel: str | None = typer.Option(None, help="Only this channel."),
    state: MessageState | None = typer.Option(None, help="Only this state."),
    text: str | None = typer.Option(None, help="Substring of the dedup key (e.g. an MSH-10)."),
    limit: int = typer.Option(50, help="Most messages listed."),
    as_json: bool = JsonOption,
) -> None:
    """List messages, newest first."""
    settings = settings_from(config)
    query = MessageQuery(channel=channel, state=state, text=text, limit=limit)

    async def work(store: BaseStore) -> list[InboundMessage]:
        return await store.list_messages(query)

    found = with_store(settings, work, read_only=True)
    if as_json:
        print_json(found)
        return
    table = Table("id", "channel", "received", "state", "dedup key", "error")
    for m in found:
        table.add_row(
            str(m.id),
            m.channel,
            m.received_at.isoformat(timespec="seconds"),
            m.state.value,
            m.dedup_key or "",
            (m.error or "")[:60],
        )
    console.print(table)


@messages_app.command("show")
def messages_show(
    message_id: int, config: Path | None = ConfigOption, as_json: bool = JsonOption
) -> None:
    """Show a message's lineage: raw in, events, effects, every attempt, replays."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> Lineage:
        return await store.lineage(message_id)

    lineage = with_store(settings, work, read_only=True)
    # The raw message is PHI: the read is audited before anything is shown.
    record_phi_read(settings, f"message:{message_id}", command="messages show")
    if as_json:
        print_json(lineage)
        return
    m = lineage.message
    console.print(
        f"[bold]message {m.id}[/] channel={m.channel} state={m.state.value} trace={m.trace_id}"
    )
    console.print(
        f"received {m.received_at.isoformat()} from {m.sender or '?'}; dedup key {m.dedup_key}"
    )
    if m.error:
        console.print(f"[red]error:[/] {m.error}")
    if m.raw is not None:
        console.print(
            m.raw.decode("utf-8", "replace").replace("\r", "\n"), markup=False, highlight=False
        )
    else:
        console.print("[dim](content pruned by retention)[/]")
    for e in lineage.events:
        console.print(f"event {e.id}: {e.event_type} key={e.idempotency_key}")
    for f in lineage.effects:
        console.print(
            f"effect {f.id} -> {f.destination}: {f.state.value}, {f.attempts} attempt(s), "
            f"key={f.idempotency_key}" + (f", last error: {f.last_error}" if f.last_error else "")
        )
    for a in lineage.attempts:
        console.print(
            f"  attempt {a.attempt} of effect {a.effect_id}: {a.outcome.value} "
            f"status={a.status} {a.error or ''}"
        )
    for r in lineage.replays:
        console.print(
            f"replay {r.id} ({r.stage.value}) at {r.requested_at.isoformat()}: {r.reason}"
        )


def _engine_work(config: Path | None, work: Callable[[Engine], Awaitable[int]]) -> int:
    """Run ``work`` with the application's engine (not started: no listeners, no workers)."""
    return with_application(config, lambda application: work(application.engine))


@replay_app.command("message")
def replay_message(
    message_id: int,
    config: Path | None = ConfigOption,
    reason: str = typer.Option("manual replay", help="Recorded in the lineage."),
) -> None:
    """Re-decode one message from its raw bytes and queue its effects again."""
    actor = getpass.getuser()
    queued = _engine_work(
        config, lambda e: e.replay_message(message_id, reason=reason, actor=actor)
    )
    console.print(f"message {message_id} replayed: {queued} effect(s) queued")


@replay_app.command("query")
def replay_query(
    config: Path | None = ConfigOption,
    channel: str | None = typer.Option(None, help="Only this channel."),
    state: MessageState = typer.Option(MessageState.ERROR, help="Messages in this state."),
    since_hours: float | None = typer.Option(None, help="Received within the last N hours."),
    limit: int = typer.Option(1000, help="Most messages replayed."),
    reason: str = typer.Option("replay by query", help="Recorded in the lineage."),
) -> None:
    """Re-decode every message matching a query (by default: all messages held in error)."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=since_hours) if since_hours else None
    query = MessageQuery(channel=channel, state=state, since=since, limit=limit)
    actor = getpass.getuser()
    count = _engine_work(config, lambda e: e.replay_query(query, reason=reason, actor=actor))
    console.print(f"{count} message(s) replayed")


async def _audit_redelivery(store: BaseStore, subject: str, queued: int) -> None:
    """Record a re-delivery in the audit log, right after the effects were queued again."""
    detail = {"queued": str(queued), "stage": "delivery"}
    entry = AuditEntry(
        actor=getpass.getuser(), action=AuditAction.MESSAGE_REPLAY, subject=subject, detail=detail
    )
    await store.append_audit(entry)


@replay_app.command("deadletters")
def replay_deadletters(
    destination: str,
    config: Path | None = ConfigOption,
    reason: str = typer.Option("dead letters replayed", help="Recorded in the lineage."),
) -> None:
    """Re-deliver every dead letter of a destination."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> int:
        return await redeliver_dead_letters(
            store, destination, reason=reason, actor=getpass.getuser(), now=dt.datetime.now(dt.UTC)
        )

    console.print(f"{with_store(settings, work)} dead letter(s) queued again for {destination}")


@replay_app.command("effect")
def replay_effect(
    effect_id: int,
    config: Path | None = ConfigOption,
    reason: str = typer.Option("manual re-delivery", help="Recorded in the lineage."),
) -> None:
    """Re-deliver one effect (dead or delivered)."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> int:
        now = dt.datetime.now(dt.UTC)
        if queued := await store.requeue_effects([effect_id], reason=reason, now=now):
            await _audit_redelivery(store, f"effect:{effect_id}", queued)
        return queued

    if with_store(settings, work) == 0:
        fail(f"effect {effect_id} is not dead or delivered (or does not exist)")
    console.print(f"effect {effect_id} queued again")


@deadletters_app.command("list")
def deadletters_list(
    destination: str | None = typer.Argument(None, help="Destination (all when omitted)."),
    config: Path | None = ConfigOption,
    limit: int = typer.Option(100, help="Most listed."),
    as_json: bool = JsonOption,
) -> None:
    """List dead letters with their last error."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> list[Effect]:
        return await store.list_effects(
            destination=destination, state=EffectState.DEAD, limit=limit
        )

    dead = with_store(settings, work, read_only=True)
    if as_json:
        print_json([msgspec.structs.replace(e, payload=None) for e in dead])
        return
    table = Table("effect", "message", "destination", "attempts", "last error")
    for e in dead:
        table.add_row(
            str(e.id), str(e.message_id), e.destination, str(e.attempts), e.last_error or ""
        )
    console.print(table)


@deadletters_app.command("count")
def deadletters_count(config: Path | None = ConfigOption) -> None:
    """Counts of messages and effects by state."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> dict[str, int]:
        return await store.counts()

    print_json(with_store(settings, work, read_only=True))


def demo(
    data_dir: Path = typer.Option(Path("var/demo"), help="Where the demo's database goes (wiped)."),
    seed: int = typer.Option(7, help="Simulator seed."),
    encounters: int = typer.Option(300, min=1, help="Encounters in the simulated day."),
    no_serve: bool = typer.Option(
        False, "--no-serve", help="Exit after the summary instead of serving until Ctrl-C."
    ),
) -> None:
    """Run one simulated day through every flow, reconcile it, then serve until Ctrl-C.

    Exits 1 when the day does not reconcile (charges billed once, supplies moved once, journals
    balanced, totals equal, exceptions only where the scenario injected faults).
    """
    from careweave.sandbox.demo import prepare_data_dir, run_demo

    configure_logging("error")
    folder = data_dir.resolve()
    try:
        prepare_data_dir(folder)
    except OSError as exc:
        fail(f"cannot prepare the demo's folder {folder}: {exc.strerror or exc}")
    outcome: list[bool] = []

    async def main() -> None:
        outcome.append(
            await run_demo(
                folder, seed=seed, encounters=encounters, serve=not no_serve, console=console
            )
        )

    try:
        run_event_loop(main())
    except CareweaveError as exc:  # a simulator that cannot listen, deliveries that never end
        fail(str(exc))
    if not outcome or not outcome[0]:
        raise typer.Exit(1)
