"""``careweave diff``: re-run stored messages through new settings and say which effects change.

Nothing is delivered and nothing is written: the store is opened read-only (beside a running
engine, too) and flows run against a what-if copy of the business state (:mod:`careweave.app.diff`).
Exit code 0 when nothing changes, 1 when some message's effects or state change (so CI can gate a
mapping or step change), 2 for a usage or settings mistake.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import typer

from careweave.app.diff import DiffReport, ReplayClock, diff_stored, what_if_channels
from careweave.cli.build import in_settings, load, settings_dir
from careweave.cli.common import JsonOption, console, fail, print_json
from careweave.engine.store.factory import build_store
from careweave.exceptions import CareweaveError, ConfigError

_SIGN = {"added": "+", "removed": "-", "changed": "~"}


def parse_since(text: str) -> dt.datetime:
    """An ISO date or date/time; without an offset it is UTC."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        fail(f"--since {text!r} is not an ISO date or date/time (e.g. 2026-01-31T08:00)", 2)
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def diff(
    config: Path = typer.Option(
        ..., "--config", "-c", help="The NEW settings file (TOML); its store holds the messages."
    ),
    channel: str | None = typer.Option(None, help="Only this channel's messages."),
    since: str | None = typer.Option(
        None, help="Only messages received at or after this ISO date/time (UTC without offset)."
    ),
    limit: int = typer.Option(1000, min=1, help="Most messages re-run, the oldest first."),
    as_json: bool = JsonOption,
) -> None:
    """Re-run stored messages through NEW settings (steps, mapping, flows), delivering and writing
    nothing, and list the effects that would change: added, removed, other payload.

    Exit code 0 when nothing changes, 1 when something does, 2 for a usage or settings mistake.
    """
    from_time = parse_since(since) if since is not None else None
    settings, known = load(config)
    if channel is not None and channel not in {c.name for c in settings.channels}:
        fail(f"{config}: no channel {channel!r} in the settings", 2)
    clock = ReplayClock()
    try:
        channels = what_if_channels(
            settings, settings_dir=settings_dir(config), clock=clock, registries=known
        )
    except ConfigError as exc:
        fail(in_settings(config, exc), 2)

    async def work() -> DiffReport:
        store = build_store(settings.engine, read_only=True)
        await store.open()
        try:
            return await diff_stored(
                store, channels, clock=clock, channel=channel, since=from_time, limit=limit
            )
        finally:
            await store.close()

    try:
        report = asyncio.run(work())
    except CareweaveError as exc:
        fail(str(exc))
    if as_json:
        print_json(report)
    else:
        _print(report)
    raise typer.Exit(1 if report.has_changes else 0)


def _print(report: DiffReport) -> None:
    for m in report.messages:
        state = m.stored_state.value
        if m.state is not m.stored_state:
            state += f" -> {m.state.value}"
        console.print(
            f"message {m.message_id} ({m.channel}, {m.dedup_key or 'no dedup key'}) received "
            f"{m.received_at.isoformat(timespec='seconds')}: {state}"
            + (f": {m.error}" if m.error else ""),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        for e in m.effects:
            parts = f" ({', '.join(e.parts)})" if e.parts else ""
            console.print(
                f"  {_SIGN[e.change]} {e.change} {e.destination} {e.idempotency_key}{parts}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    for s in report.skipped:
        console.print(
            f"skipped message {s.message_id} ({s.channel}): {s.reason}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"{report.compared} message(s) compared: {len(report.messages)} changed, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped; effects: "
        f"{report.added} added, {report.removed} removed, {report.changed} changed",
        highlight=False,
        soft_wrap=True,
    )
    if report.approximate:
        console.print(
            "note: earlier content was pruned by retention, so business state started from the "
            "committed rows instead of the re-run history (changes to state-dependent effects are "
            "approximate)",
            highlight=False,
            soft_wrap=True,
        )
