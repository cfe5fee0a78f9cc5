"""``careweave revenue``: run a sandbox revenue day and print its reconciliation."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from careweave.revenue.reconciliation import render_report

app = typer.Typer(help="Revenue cycle: charges, claims, remittances, reconciliation.")


@app.command()
def reconcile(
    encounters: Annotated[
        int, typer.Option(help="Encounters started on the simulated day.")
    ] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the EHR, RCM and payer simulators.")] = 7,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Keep the day's database, claim register and files here (wiped first)."),
    ] = None,
) -> None:
    """Run a sandbox day (EHR -> engine -> RCM -> 837 -> clearinghouse -> 835 -> ERP) and reconcile.

    The ERP's trial balance and journals, the raw 837/835 totals and the RCM's A/R are compared;
    exits 1 when the books do not reconcile, after naming the breaks.
    """
    from careweave.observability.logging import configure_logging
    from careweave.sandbox.revenue_day import RevenueDayConfig, run_revenue_day

    configure_logging("error")  # the day's report is the output, as the demo's progress is
    console = Console()
    keep = data_dir is not None
    folder = data_dir or Path(tempfile.mkdtemp(prefix="careweave-revenue-"))
    if keep and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        day = asyncio.run(
            run_revenue_day(
                RevenueDayConfig(encounters=encounters, seed=seed), folder, console.print
            )
        )
        if keep:
            claims_dir = folder / "837"
            claims_dir.mkdir(exist_ok=True)
            for submitted in day.claim_run.files:
                (claims_dir / submitted.name).write_text(submitted.text)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    console.print(render_report(day.report), markup=False, highlight=False, soft_wrap=True)
    cases = ", ".join(f"{reason} x{n}" for reason, n in sorted(day.cases_by_reason.items()))
    console.print(f"exception cases opened: {cases or 'none'}", markup=False)
    timings = ", ".join(f"{k} {v:.1f}" for k, v in day.timings.items())
    console.print(f"{day.messages} HL7 messages; elapsed seconds: {timings}", markup=False)
    if not day.report.reconciled:
        raise typer.Exit(1)
