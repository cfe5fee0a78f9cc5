"""``careweave fhir``: FHIR tools."""

from __future__ import annotations

import typer

app = typer.Typer(help="FHIR tools.", no_args_is_help=True)
