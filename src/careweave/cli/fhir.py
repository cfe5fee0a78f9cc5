"""``careweave fhir``: FHIR tools."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from careweave.codecs.fhir.documents import DocumentReport, check_document

app = typer.Typer(help="FHIR tools.", no_args_is_help=True)


@app.callback()
def _fhir() -> None:
    """FHIR tools."""


def _print_readable(console: Console, file: Path, report: DocumentReport) -> None:
    if report.valid:
        for resource_type, count in sorted(report.found.items()):
            console.print(f"{count:6d}  {escape(resource_type)}")
        total = sum(report.found.values())
        console.print(f"[green]{escape(str(file))}: valid, {total} resource(s)[/green]")
        return
    for issue in report.issues:
        console.print(f"  {escape(issue.path)}: {escape(issue.message)}")
    named = f" {report.label}" if report.label else ""
    console.print(
        f"[red]{escape(str(file))}:{escape(named)} invalid, {len(report.issues)} problem(s)[/red]"
    )


@app.command()
def validate(
    file: Path = typer.Argument(..., help="A FHIR R4 JSON resource, Bundle or NDJSON export."),
    as_json: bool = typer.Option(
        False, "--json", help='Print {"valid": bool, "issues": [{"path", "message"}]}.'
    ),
) -> None:
    """Validate FILE against the FHIR R4 specification; exit 1 when it is invalid.

    Every resource type is checked (contained resources and Bundle entries by their own type):
    unknown elements, cardinality, primitive formats, choice types, references, required
    bindings and the common invariants. Each problem names its path (``Patient.birthDate``).
    """
    console = Console(highlight=False, soft_wrap=True)
    try:
        data = file.read_bytes()
    except OSError as exc:
        console.print(f"error: cannot read {escape(str(file))}: {exc.strerror}", markup=True)
        raise typer.Exit(2) from None
    report = check_document(data, ndjson=file.suffix.lower() == ".ndjson")
    if as_json:
        issues = [{"path": i.path, "message": i.message} for i in report.issues]
        typer.echo(json.dumps({"valid": report.valid, "issues": issues}, indent=2))
    else:
        _print_readable(console, file, report)
    if not report.valid:
        raise typer.Exit(1)
