"""``careweave x12``: X12 tools."""

from __future__ import annotations

import typer

app = typer.Typer(help="X12 tools.", no_args_is_help=True)
