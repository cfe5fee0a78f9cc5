"""``careweave catalog``: the integration catalog of a settings file (docs/reference/catalog.md)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from careweave.cli.build import in_settings, load
from careweave.cli.common import ConfigOption, JsonOption, console, fail
from careweave.exceptions import ConfigError
from careweave.gateway.catalog.document import Catalog, Governance

_NONE = "[red]none[/]"


def _row(kind: str, entry: Governance) -> list[str]:
    return [kind, escape(entry.name), escape(entry.owner) if entry.owner else _NONE,
            escape(entry.sla) if entry.sla else _NONE, entry.phi,
            f"{entry.version} {entry.lifecycle}"]  # fmt: skip


def _print(catalog: Catalog) -> None:
    """One row per interface: the details are in ``--json`` and ``--markdown``."""
    table = Table("kind", "interface", "owner", "SLA", "PHI", "version")
    for c in catalog.channels:
        table.add_row(*_row("channel", c))
    for d in catalog.destinations:
        table.add_row(*_row("destination", d))
    for s in catalog.event_streams:
        table.add_row(*_row("event stream", s))
    for g in catalog.apis:
        table.add_row(*_row("API", g))
    console.print(table)


def catalog(
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
    markdown: Path | None = typer.Option(
        None, "--markdown", help="Also write the catalog as Markdown to this file."
    ),
) -> None:
    """Every interface of the settings (channels, flows, destinations, event streams, API groups)
    with owner, systems, message types, dependencies, SLA, PHI classification, version and
    lifecycle; ``/v1/catalog`` serves the same document."""
    from careweave.gateway.api.catalog_routes import settings_catalog
    from careweave.gateway.catalog.markdown import render_markdown

    settings, known = load(config)
    try:
        document = settings_catalog(settings, flows=known.flows)
    except ConfigError as exc:
        fail(in_settings(config, exc), 2)
    if markdown is not None:
        try:
            markdown.parent.mkdir(parents=True, exist_ok=True)
            markdown.write_text(render_markdown(document))
        except OSError as exc:
            fail(f"cannot write {markdown}: {exc.strerror}")
    if as_json:
        typer.echo(document.to_json().decode())
        return
    _print(document)
    if markdown is not None:
        console.print(f"wrote {escape(str(markdown))}")
