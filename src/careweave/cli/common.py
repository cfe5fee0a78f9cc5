"""What the engine commands share: loading settings (with the environment), opening the store, output."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import msgspec
import typer
from rich.console import Console
from rich.markup import escape

from careweave.config import Settings, load_settings, parse_settings
from careweave.engine.store.base import BaseStore
from careweave.engine.store.factory import build_store
from careweave.exceptions import CareweaveError

if TYPE_CHECKING:
    from careweave.app.registries import Registries

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

_output: dict[str, str] = {"format": "console"}
"""How this command prints its own lines: ``console`` (rich) or ``json`` (one object per line, as
its log records): set by :func:`use_log_format`, reset for every command by the root callback."""


def use_log_format(fmt: str, level: str = "info") -> None:
    """Print this command's lines, warnings, errors and log records in ``fmt`` (``[engine]
    log_format``), so that a JSON-logging process prints nothing but JSON."""
    from careweave.observability.logging import configure_logging

    configure_logging(level, fmt)
    _output["format"] = fmt


def reset_output_format() -> None:
    """Back to rich console output (each command starts there)."""
    _output["format"] = "console"


def json_output() -> bool:
    """True when this command prints JSON lines."""
    return _output["format"] == "json"


def say(text: str, *, stderr: bool = False, level: str = "info") -> None:
    """Print one line of this command's own: plain, or a JSON object in JSON mode."""
    if json_output():
        from careweave.observability.logging import print_line

        print_line(text, "json", level=level, stderr=stderr)
        return
    print(text, file=sys.stderr if stderr else sys.stdout, flush=True)


ConfigOption = typer.Option(
    None, "--config", "-c", help="Settings file (TOML).", envvar="CAREWEAVE_CONFIG"
)
JsonOption = typer.Option(False, "--json", help="Machine-readable JSON output.")


def settings_from(path: Path | None, known: Registries | None = None) -> Settings:
    """Settings from a file (or defaults), with CAREWEAVE_* environment overrides applied.

    Checked against ``known`` (by default careweave's own registries and the installed plugins'):
    every command reads its settings here, so ``check`` and ``run`` refuse the same things; a
    refused file exits with code 2.
    """
    from careweave.app.registries import default_registries

    env = dict(os.environ)
    try:
        known = known if known is not None else default_registries()
        formats, flows = known.formats.names(), known.flows.names()
        mappings, connectors = known.mappings.names(), known.connectors
        if path is None:
            return parse_settings(
                "", env, formats=formats, flows=flows, mappings=mappings, connectors=connectors
            )
        return load_settings(
            path, env, formats=formats, flows=flows, mappings=mappings, connectors=connectors
        )
    except CareweaveError as exc:
        fail(str(exc), 2)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` as one line (whatever its width or brackets) and exit ``code``."""
    if json_output():
        say(f"error: {' '.join(message.split())}", stderr=True, level="error")
        raise typer.Exit(code)
    text = escape(" ".join(message.split()))
    err_console.print(f"[bold red]error:[/] {text}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def with_store(
    settings: Settings, work: Callable[[BaseStore], Awaitable[T]], *, read_only: bool = False
) -> T:
    """Open the configured store, run ``work``, close it; careweave errors become a clean exit.

    ``read_only`` suits commands that only look; the others (replay, cases, crosswalk fixes) write
    beside an engine running on the SQLite file, which picks their work up at its next poll.
    """

    async def run() -> T:
        store = build_store(settings.engine, read_only=read_only, shared=not read_only)
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except CareweaveError as exc:
        fail(str(exc))


def print_json(value: Any) -> None:
    """Write ``value`` as JSON on stdout."""
    typer.echo(msgspec.json.encode(value, enc_hook=_enc).decode())


def _enc(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
