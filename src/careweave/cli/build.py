"""How commands build the application: registries, settings and ``careweave.app``, never by hand."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from careweave.app import Application, Registries, build_application, default_registries
from careweave.cli.common import fail, settings_from
from careweave.config import Settings
from careweave.engine.store.factory import build_store
from careweave.exceptions import CareweaveError, ConfigError

T = TypeVar("T")


def registries() -> Registries:
    """careweave's own registries and the installed plugins' (a plugin that fails exits 2)."""
    try:
        return default_registries()
    except CareweaveError as exc:
        fail(str(exc), 2)


def settings_dir(path: Path | None) -> Path:
    """Where a settings file's relative paths start: its folder (the working one without a file)."""
    return path.resolve().parent if path is not None else Path.cwd()


def in_settings(config: Path | None, error: ConfigError) -> str:
    """An application build error, prefixed with the settings file as a parse error is."""
    return f"{config if config is not None else '<config>'}: {error}"


def load(config: Path | None) -> tuple[Settings, Registries]:
    """The settings, checked against the registries the application will be built from."""
    known = registries()
    return settings_from(config, known), known


def with_application(config: Path | None, work: Callable[[Application], Awaitable[T]]) -> T:
    """Build the application from the settings, open it, run ``work``, close it.

    Not started (no listener, no worker, no middleware): the commands that use it (replay, cases)
    write beside a running engine, which delivers what they queue. Connectors are built as ``run``
    builds them, so a secret they need must be set. A settings mistake exits 2, another error 1.
    """
    settings, known = load(config)

    async def run() -> T:
        application = build_application(
            settings,
            settings_dir=settings_dir(config),
            env=os.environ,
            registries=known,
            store=build_store(settings.engine, shared=True),
            middleware=[],
        )
        async with application:
            return await work(application)

    try:
        return asyncio.run(run())
    except ConfigError as exc:
        fail(in_settings(config, exc), 2)
    except CareweaveError as exc:
        fail(str(exc))
