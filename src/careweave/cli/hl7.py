"""``careweave hl7``: HL7 v2 tools (parse a file, read values by path, convert to FHIR)."""

from __future__ import annotations

import json
import zoneinfo
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from careweave.cli.send import send as send_command
from careweave.codecs.hl7v2 import Message, field_name, parse_batch, parse_message, parse_path
from careweave.exceptions import ConfigError, Hl7Error, MappingError
from careweave.mappings.v2_fhir import AuthorityTable, convert_message, load_authorities

app = typer.Typer(help="HL7 v2 tools.", no_args_is_help=True)

FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="HL7 v2 file.")
]


@app.callback()
def _hl7() -> None:
    """HL7 v2 tools."""


def read_messages(data: bytes) -> list[Message]:
    """One message, or every message of a batch file (FHS/BHS, or several MSH segments)."""
    body = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    starts = body.count(b"\rMSH") + body.count(b"\nMSH") + body.startswith(b"MSH")
    if body[:3] in (b"FHS", b"BHS") or starts > 1:
        return parse_batch(data)
    return [parse_message(data)]


def _load(path: Path) -> list[Message]:
    try:
        return read_messages(path.read_bytes())
    except Hl7Error as exc:
        typer.echo(f"error: {path}: {exc}", err=True)
        raise typer.Exit(1) from None


def _table(message: Message) -> Table:
    header = message.header
    table = Table(
        title=f"{header.message_type or '(no type)'}  {header.control_id}  v{header.version_id}",
        title_justify="left",
    )
    table.add_column("field", no_wrap=True)
    table.add_column("name")
    table.add_column("value (raw)", overflow="fold")
    for seg in message:
        fields = seg.fields()
        table.add_row(f"[bold]{seg.id}[/bold]", "", "")
        for number, value in enumerate(fields[1:], start=1):
            if value:
                # Values go in as plain text: a "[" in HL7 data is not rich markup.
                table.add_row(f"{seg.id}-{number}", field_name(seg.id, number), Text(value))
    return table


@app.command()
def parse(
    file: FileArgument,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="A JSON list of segments, each a list of raw fields."),
    ] = False,
) -> None:
    """Show the segments and fields of FILE with their names (or as JSON)."""
    messages = _load(file)
    if as_json:
        segments = [seg.fields() for message in messages for seg in message]
        typer.echo(json.dumps(segments, ensure_ascii=False))
        return
    console = Console(highlight=False, soft_wrap=False)
    for message in messages:
        console.print(_table(message))


@app.command()
def get(
    file: FileArgument,
    paths: Annotated[list[str], typer.Argument(help="Paths such as PID-5.1 or OBX[2]-5.")],
    raw: Annotated[bool, typer.Option("--raw", help="Values still escaped.")] = False,
) -> None:
    """Print the value at each PATH of FILE, one line per path (per message in a batch)."""
    try:
        for path in paths:
            parse_path(path)
    except Hl7Error as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for message in _load(file):
        for path in paths:
            typer.echo(message.get_raw(path) if raw else message.get(path))


def _authorities(path: Path | None) -> AuthorityTable:
    if path is None:
        return AuthorityTable()
    try:
        return load_authorities(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: {path}: {exc}", err=True)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


def _zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    if name is None:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        typer.echo(f"error: --timezone {name!r} is not an IANA time zone", err=True)
        raise typer.Exit(2) from None


@app.command("to-fhir")
def to_fhir(
    file: FileArgument,
    authorities: Annotated[
        Path | None,
        typer.Option(
            "--authorities",
            help='TOML file with an [authorities] table: assigning authority = "system URI".',
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="IANA zone of times sent without an offset (default: keep only their date).",
        ),
    ] = None,
    ndjson: Annotated[
        bool, typer.Option("--ndjson", help="One Bundle per line instead of indented JSON.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No warnings about values left out.")
    ] = False,
) -> None:
    """Print one FHIR R4 message Bundle per message of FILE.

    Values that cannot be carried over are named on stderr as warnings. A message that cannot
    be converted is named on stderr (position and control id) and the command exits 3 after
    converting the others.
    """
    table = _authorities(authorities)
    zone = _zone(timezone)
    failed = 0
    for number, message in enumerate(_load(file), start=1):
        name = f"message {number} (control id {message.header.control_id or 'none'})"
        try:
            conversion = convert_message(message, authorities=table, timezone=zone)
        except MappingError as exc:
            typer.echo(f"error: {file}: {name}: {exc}", err=True)
            failed += 1
            continue
        if not quiet:
            for warning in conversion.warnings:
                typer.echo(f"warning: {file}: {name}: {warning}", err=True)
        encoded = conversion.to_json()
        typer.echo((encoded if ndjson else msgspec.json.format(encoded, indent=2)).decode())
    if failed:
        raise typer.Exit(3)


app.command("send")(send_command)
