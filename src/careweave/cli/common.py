"""What the engine commands share: loading settings (with the environment), opening the store, output."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import msgspec
import typer
from rich.console import Console

from careweave.config import Settings, load_settings, parse_settings
from careweave.engine.store.base import BaseStore
from careweave.engine.store.factory import build_store
from careweave.exceptions import CareweaveError

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

ConfigOption = typer.Option(
    None, "--config", "-c", help="Settings file (TOML).", envvar="CAREWEAVE_CONFIG"
)
JsonOption = typer.Option(False, "--json", help="Machine-readable JSON output.")


def settings_from(path: Path | None) -> Settings:
    """Settings from a file (or defaults), with CAREWEAVE_* environment overrides applied."""
    env = dict(os.environ)
    try:
        if path is None:
            return parse_settings("", env)
        return load_settings(path, env)
    except CareweaveError as exc:
        fail(str(exc))


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error and exit non-zero."""
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def with_store(
    settings: Settings, work: Callable[[BaseStore], Awaitable[T]], *, read_only: bool = False
) -> T:
    """Open the configured store, run ``work``, close it; careweave errors become a clean exit.

    ``read_only`` suits commands that only look: they work while an engine runs on the SQLite file.
    """

    async def run() -> T:
        store = build_store(settings.engine, read_only=read_only)
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
