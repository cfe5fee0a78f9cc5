"""``careweave mpi reviews`` and ``careweave mpi decide``: the patient index kept by the engine.

``reviews`` lists the possible matches the ``patient-index`` flow set aside for a person (read from
the store, beside a running engine or not). ``decide`` sends a reviewer's decision (link two records
into one person, keep them distinct, or undo a merge) to the channel of format ``mpi-decision``, as
``revenue bill`` sends a claim run: stored, processed in its own commit, audited in the lineage.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Literal

import msgspec
import typer

from careweave.app import Application
from careweave.cli.build import in_settings, with_application
from careweave.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    fail,
    print_json,
    settings_from,
    with_store,
)
from careweave.engine.store.base import BaseStore
from careweave.exceptions import ConfigError
from careweave.masterdata.identity.online import Review, open_reviews
from careweave.model.patient_index import MPI_DECISION_CONTENT_TYPE, MatchDecision
from careweave.model.state import StateTable


def reviews(config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
    """The possible matches waiting for a person's decision, most likely first."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> list[Review]:
        return open_reviews(await store.state_rows(StateTable.MPI_REVIEWS))

    found = with_store(settings, work, read_only=True)
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("no possible match is waiting for review")
        return
    for review in found:
        console.print(
            f"{review.a}  {review.b}  score {review.score:.4f}  ({review.reason})",
            markup=False,
            highlight=False,
        )


def decide(
    a: Annotated[
        str, typer.Argument(help="A record id (authority|value); for --unmerge a person.")
    ],
    b: Annotated[str, typer.Argument(help="The other record id (not used by --unmerge).")] = "",
    link: Annotated[bool, typer.Option("--link", help="The two records are one patient.")] = False,
    distinct: Annotated[
        bool, typer.Option("--distinct", help="The two records are different patients.")
    ] = False,
    unmerge: Annotated[
        bool, typer.Option("--unmerge", help="Undo the merge of person A into its survivor.")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (kept with the decision).")] = "",
    channel: Annotated[str, typer.Option(help="The channel of format mpi-decision.")] = "mpi",
    config: Path | None = ConfigOption,
) -> None:
    """Send a reviewer's decision to the patient index."""
    chosen: list[Literal["link", "distinct", "unmerge"]] = []
    if link:
        chosen.append("link")
    if distinct:
        chosen.append("distinct")
    if unmerge:
        chosen.append("unmerge")
    if len(chosen) != 1:
        fail("choose exactly one of --link, --distinct and --unmerge", 2)
    action = chosen[0]
    if action != "unmerge" and not b:
        fail(f"--{action} needs two record ids", 2)
    decision = MatchDecision(
        action=action,
        a=a,
        b=b,
        actor=getpass.getuser(),
        reason=reason,
    )

    async def work(application: Application) -> str:
        engine = application.engine
        if channel not in engine.channels:
            fail(in_settings(config, ConfigError(f"no channel {channel!r}")), 2)
        result, processing = await engine.receive(
            channel,
            msgspec.json.encode(decision),
            content_type=MPI_DECISION_CONTENT_TYPE,
            sender=decision.actor,
        )
        if processing.error:
            fail(f"decision not applied (message {result.message_id}): {processing.error}")
        return f"message {result.message_id}: {action} applied"

    console.print(with_application(config, work), markup=False, highlight=False)
