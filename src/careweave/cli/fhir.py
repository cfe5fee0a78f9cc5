"""``careweave fhir``: FHIR tools."""

from __future__ import annotations

import collections
from pathlib import Path

import typer
from rich.console import Console

from careweave.codecs.fhir.bundle import Bundle, resource_type_of
from careweave.codecs.fhir.decode import bundle_entries, decode_ndjson, decode_resource
from careweave.exceptions import FhirError

app = typer.Typer(help="FHIR tools.", no_args_is_help=True)


@app.callback()
def _fhir() -> None:
    """FHIR tools."""


def _summarise(path: Path) -> collections.Counter[str]:
    data = path.read_bytes()
    found: collections.Counter[str] = collections.Counter()
    if path.suffix.lower() == ".ndjson":
        for resource in decode_ndjson(data):
            found[resource_type_of(resource) or "?"] += 1
        return found
    document = decode_resource(data)
    found[resource_type_of(document) or "?"] += 1
    if isinstance(document, Bundle):
        found[f"Bundle ({document.type})"] = found.pop("Bundle")
        for _, resource in bundle_entries(document):
            found[resource_type_of(resource) or "?"] += 1
    return found


@app.command()
def validate(
    file: Path = typer.Argument(..., help="A FHIR JSON resource, Bundle or NDJSON export."),
) -> None:
    """Decode FILE with careweave's FHIR structs and print the resources found."""
    console = Console()
    try:
        found = _summarise(file)
    except OSError as exc:
        console.print(f"[red]cannot read {file}: {exc.strerror}[/red]")
        raise typer.Exit(2) from None
    except FhirError as exc:
        console.print(f"[red]{file}: {exc.message}[/red]")
        raise typer.Exit(1) from None
    for resource_type, count in sorted(found.items()):
        console.print(f"{count:6d}  {resource_type}")
    console.print(f"[green]{file}: valid, {sum(found.values())} resource(s)[/green]")
