"""``careweave hl7``: HL7 tools."""

from __future__ import annotations

import typer

app = typer.Typer(help="HL7 tools.", no_args_is_help=True)
