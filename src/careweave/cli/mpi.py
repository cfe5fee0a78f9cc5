"""``careweave mpi``: the patient index (MPI) on files.

``match FILE.csv`` finds the records of one patient among a file's registrations and prints one
line per pair it links or sends to review (``--json``: ``{"a", "b", "score", "decision"}``, exactly);
``generate`` writes the sandbox's duplicate-patient set with its truth, to try the matcher on.

A file whose header lacks a column, or with an empty or repeated id, is refused (one ``error:``
line naming the line, exit code 2). A birth date that cannot be read is a ``warning:`` on stderr
naming the line, and the row is still matched on its other fields.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.markup import escape
from rich.table import Table

from careweave.cli.common import JsonOption, console, err_console, fail
from careweave.exceptions import ConfigError, CsvError
from careweave.masterdata.identity import (
    Decision,
    MatchPolicy,
    MatchResult,
    PatientMatcher,
    read_patient_file,
)

app = typer.Typer(
    help="The patient index (MPI): match patient registrations, generate the sandbox's "
    "duplicate-patient set.",
    no_args_is_help=True,
)
_DEFAULTS = MatchPolicy()


class _PairLine(msgspec.Struct):
    a: str
    b: str
    score: float
    decision: str


def _warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True, highlight=False)


@app.command()
def match(
    file: Annotated[Path, typer.Argument(help="CSV: id,given,family,birth_date,sex,address,city,"
                                              "postcode,phone,ssn (any value may be empty).")],
    as_json: bool = JsonOption,
    link_threshold: Annotated[float, typer.Option(
        help="Match probability at or above which a pair is linked.")] = _DEFAULTS.link_threshold,
    review_threshold: Annotated[float, typer.Option(
        help="Match probability at or above which a pair not linked goes to review."
    )] = _DEFAULTS.review_threshold,
    truth: Annotated[Path | None, typer.Option(
        help="A truth file (id,cluster), as `mpi generate` writes: print precision and recall "
        "of the automatic links (on stderr with --json).")] = None,
) -> None:  # fmt: skip
    """Match the patients of FILE against each other: one line per pair linked or to review."""
    try:
        policy = MatchPolicy(link_threshold=link_threshold, review_threshold=review_threshold)
    except ConfigError as exc:
        fail(str(exc), 2)
    if not file.is_file():
        fail(f"{file}: no such file", 2)
    if truth is not None and not truth.is_file():
        fail(f"{truth}: no such file", 2)
    started = time.perf_counter()
    try:
        patients = read_patient_file(file)
    except CsvError as exc:
        fail(str(exc), 2)
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}")
    for warning in patients.warnings:
        _warn(warning)
    result = PatientMatcher(policy).match(patients.records)
    seconds = time.perf_counter() - started
    if as_json:
        encoder = msgspec.json.Encoder()
        lines = [
            encoder.encode(_PairLine(p.a, p.b, round(p.score, 6), p.decision.value))
            for p in result.pairs
        ]
        if lines:
            typer.echo(b"\n".join(lines).decode())
    else:
        _print_pairs(result)
        _print_summary(result, seconds)
    if truth is not None:
        _print_quality(result, truth, to_stderr=as_json)


def _print_pairs(result: MatchResult) -> None:
    table = Table(title="Pairs linked or to review", title_justify="left")
    for column in ("a", "b", "score", "decision", "why"):
        table.add_column(column, no_wrap=column != "why")
    for pair in result.pairs:
        colour = "green" if pair.decision is Decision.LINK else "yellow"
        table.add_row(
            escape(pair.a),
            escape(pair.b),
            f"{pair.score:.4f}",
            f"[{colour}]{pair.decision.value}[/]",
            escape(pair.reason),
        )
    console.print(table)


def _print_summary(result: MatchResult, seconds: float) -> None:
    links = sum(p.decision is Decision.LINK for p in result.pairs)
    merged = sum(len(c) for c in result.clusters)
    patients = len(result.records) - merged + len(result.clusters)
    console.print(
        f"{len(result.records)} records, {result.candidates} candidate pairs compared: "
        f"{links} linked, {len(result.pairs) - links} to review; {patients} patients "
        f"({len(result.clusters)} with more than one record) in {seconds:.2f} s",
        highlight=False,
        soft_wrap=True,
    )


def _print_quality(result: MatchResult, truth_file: Path, *, to_stderr: bool) -> None:
    from careweave.sandbox.identity import linkage_quality, read_truth

    try:
        truth = read_truth(truth_file)
    except (KeyError, OSError) as exc:
        fail(f"{truth_file}: not a truth file with columns id,cluster ({exc})", 2)
    unknown = [r.id for r in result.records if r.id not in truth]
    if unknown:
        fail(f"{truth_file}: no cluster for record {unknown[0]!r}", 2)
    quality = linkage_quality(result.cluster_ids(), {r.id: truth[r.id] for r in result.records})
    (err_console if to_stderr else console).print(f"automatic links: {quality}", highlight=False)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="The CSV file to write.")],
    people: Annotated[int, typer.Option(min=1, help="How many people (each registered once or "
                                                    "more).")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same file.")] = 0,
    truth: Annotated[Path | None, typer.Option(
        help="Where the truth (id,cluster) goes; default: OUT with .truth.csv.")] = None,
) -> None:  # fmt: skip
    """Write the sandbox's duplicate-patient set: registrations of PEOPLE persons in the EHR,
    the revenue-cycle platform and the ERP, duplicates with the errors desks make, twins and
    namesakes; the truth goes to a second file."""
    from careweave.sandbox.identity import generate_duplicate_set, write_duplicate_set

    truth_path = truth or out.with_name(f"{out.stem}.truth.csv")
    if truth_path.resolve() == out.resolve():
        fail("--truth must not be the --out file", 2)
    duplicates = generate_duplicate_set(people, seed)
    try:
        write_duplicate_set(duplicates, out, truth_path)
    except OSError as exc:
        fail(f"cannot write {exc.filename}: {exc.strerror}")
    persons = len(set(duplicates.truth.values()))
    console.print(
        f"wrote {len(duplicates.rows)} registrations of {persons} people to {out} "
        f"({len(duplicates.rows) - persons} duplicates, {len(duplicates.twin_pairs())} twin "
        f"record pairs); truth in {truth_path}",
        highlight=False,
        soft_wrap=True,
    )
