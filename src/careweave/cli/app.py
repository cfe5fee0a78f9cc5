"""The root ``careweave`` command and its sub-commands."""

from __future__ import annotations

import typer

from careweave.cli import (
    audit,
    cases,
    catalog,
    diff,
    engine,
    erp,
    fhir,
    hl7,
    keys,
    mpi,
    mpi_index,
    report,
    revenue,
    revenue_bill,
    sandbox,
    x12,
)
from careweave.cli.common import reset_output_format

app = typer.Typer(
    name="careweave",
    help="careweave: healthcare integration engine (HL7 v2, FHIR, X12) that understands the money "
    "and the supplies behind the messages.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _each_command() -> None:
    """careweave: healthcare integration engine."""
    reset_output_format()  # a command that reads [engine] log_format sets it again


app.command()(engine.run)
app.command()(engine.check)
app.command()(catalog.catalog)
app.command()(diff.diff)
app.command()(engine.demo)
app.command()(report.report)
app.add_typer(engine.db_app, name="db")
app.add_typer(engine.messages_app, name="messages")
app.add_typer(engine.replay_app, name="replay")
app.add_typer(engine.deadletters_app, name="deadletters")
app.add_typer(cases.app, name="cases")
app.add_typer(hl7.app, name="hl7")
app.add_typer(x12.app, name="x12")
app.add_typer(fhir.app, name="fhir")
app.add_typer(erp.crosswalk_app, name="crosswalk")
app.add_typer(erp.erp_app, name="erp")
revenue.app.command("bill")(revenue_bill.bill)
app.add_typer(revenue.app, name="revenue")
app.add_typer(sandbox.app, name="sandbox")
mpi.app.command("reviews")(mpi_index.reviews)
mpi.app.command("decide")(mpi_index.decide)
app.add_typer(mpi.app, name="mpi")
app.add_typer(audit.app, name="audit")
app.add_typer(keys.app, name="keys")


def main() -> None:
    """Console-script entry point."""
    app()
