"""``careweave x12``: parse, validate and acknowledge X12 files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from careweave.codecs.x12.ack_writer import write_999
from careweave.codecs.x12.control import InMemoryControlNumbers
from careweave.codecs.x12.document import read_document
from careweave.codecs.x12.emitter import EnvelopeConfig
from careweave.codecs.x12.guide_validation import validate_against_guides
from careweave.codecs.x12.remittance import remittance_from
from careweave.codecs.x12.render import document_lines, loop_dict, remittance_dict
from careweave.codecs.x12.strict import GuideError
from careweave.codecs.x12.validation import validate_interchange
from careweave.exceptions import X12Error

app = typer.Typer(help="X12 tools.", no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@app.command()
def parse(
    file: FileArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a tree.")] = False,
) -> None:
    """Parse FILE and print its loop tree (or, with --json, an 835 summary / the tree)."""
    try:
        document = read_document(file.read_bytes(), check=False)
        remittances = [remittance_from(p, document.delimiters) for p in document.of_type("835")]
    except X12Error as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from None
    if not as_json:
        for line in document_lines(document):
            typer.echo(line)
        for advice in remittances:
            verdict = "balanced" if advice.balanced else "NOT BALANCED"
            typer.echo(f"835 {advice.control_number}: payment {advice.payment}, {verdict}")
            for imbalance in advice.imbalances:
                typer.echo(f"  {imbalance.message}")
        return
    payload: dict[str, Any]
    if len(remittances) == 1:
        payload = remittance_dict(remittances[0])
    elif remittances:
        payload = {"remittances": [remittance_dict(a) for a in remittances]}
    else:
        payload = {
            "transactions": [
                {"id": p.transaction.id, "control_number": p.transaction.control_number,
                 "implementation": p.transaction.implementation, "tree": loop_dict(p.tree)}
                for p in document.transactions
            ]
        }  # fmt: skip
    typer.echo(json.dumps(payload, indent=2))


@app.command()
def validate(
    file: FileArgument,
    ack: Annotated[bool, typer.Option("--ack", help="Also print the 999 answering FILE.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {valid, transaction_sets, errors} as JSON.")
    ] = False,
) -> None:
    """Validate FILE against its implementation guide (and 835 balancing); exit 1 if invalid."""
    data = file.read_bytes()
    guided = validate_against_guides(data)
    if as_json:
        typer.echo(json.dumps(guided.to_json(), indent=2))
        if not guided.valid:
            raise typer.Exit(1)
        return
    problems = [_problem_line(error) for error in guided.errors]
    try:
        document = read_document(data, check=False)
        for parsed in document.of_type("835"):
            advice = remittance_from(parsed, document.delimiters)
            problems.extend(i.message for i in advice.imbalances)
    except X12Error as error:
        if not any(error.message in line for line in problems):
            problems.append(error.message)
    for problem in problems:
        typer.echo(problem)
    if ack:
        config = EnvelopeConfig("CAREWEAVE", "SENDER")
        report = validate_interchange(data)
        typer.echo(write_999(report, config, InMemoryControlNumbers(), datetime.now(UTC)))
    valid = guided.valid and not problems
    typer.echo("valid" if valid else f"invalid: {len(problems)} problem(s)")
    if not valid:
        raise typer.Exit(1)


def _problem_line(error: GuideError) -> str:
    """One human-readable line: where, which element, the 999 code and what is wrong."""
    if error.code == "unsupported":
        return f"unsupported: {error.message}"
    where = f"segment {error.segment_position} ({error.segment_id})"
    element = f" {error.element}" if error.element else ""
    return f"{where}{element} [{error.code}]: {error.message}"
