"""``careweave revenue bill``: bill the revenue-cycle platform's ready accounts through the engine.

The ready accounts are read from the platform (the base URL of the settings' ``rcm`` destination)
and handed to the ``claims`` channel as one claim-run message, through the composition root as
``careweave erp close`` does: stored, committed with its 837 files and claim register rows, beside a
running engine on the same database, whose clearinghouse worker delivers the files. The same ready
accounts sent again are a duplicate message; an account already on a registered claim is skipped.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from careweave.app import Application
from careweave.cli.build import in_settings, with_application
from careweave.cli.common import ConfigOption, console, fail
from careweave.connectors.rcm import RcmAccountsClient, RcmDestinationConfig
from careweave.exceptions import ConfigError
from careweave.flows.claim_run_report import ClaimRunResult, claim_run_report
from careweave.flows.claim_submission import CLAIM_RUN_CONTENT_TYPE, claim_run_request


def _rcm_base_url(application: Application) -> str:
    """The revenue-cycle platform's URL (ConfigError, exit 2, when no ``rcm`` destination)."""
    for channel in application.settings.channels:
        for destination in channel.destinations:
            if isinstance(destination.connector, RcmDestinationConfig):
                return destination.connector.base_url
    raise ConfigError("no destination of type 'rcm': the revenue-cycle platform to bill from")


def _summary(result: ClaimRunResult) -> list[str]:
    claims = sum(f.claims for f in result.files)
    total = sum((f.total for f in result.files), start=0)
    lines = [f"{claims} claim(s) in {len(result.files)} 837 file(s), billed {total}"]
    lines += [
        f"  {f.name}: {f.entity} {f.kind}, {f.claims} claim(s), {f.lines} line(s), {f.total} "
        f"({f.delivery})"
        for f in result.files
    ]
    if result.already_submitted:
        lines.append(f"{len(result.already_submitted)} claim(s) already submitted: not sent again")
    lines.append(f"{len(result.problems)} account(s) not billed")
    lines += [f"  {problem}" for problem in result.problems]
    return lines


def bill(
    config: Path | None = ConfigOption,
    channel: str = typer.Option("claims", help="The channel of format claim-run."),
    run_id: str = typer.Option("", help="The run's name (default: today, YYYY-MM-DD)."),
) -> None:
    """Bill the platform's ready accounts: 837 files queued for the clearinghouse, claims registered."""
    name = run_id or dt.date.today().isoformat()  # noqa: DTZ011 (a calendar day)

    async def work(application: Application) -> list[str]:
        engine = application.engine
        if channel not in engine.channels:
            fail(in_settings(config, ConfigError(f"no channel {channel!r}")), 2)
        client = RcmAccountsClient(_rcm_base_url(application))
        try:
            accounts = await client.ready_accounts()
        finally:
            await client.close()
        if not accounts:
            return ["no account is ready to bill"]
        body, dedup_key = claim_run_request(accounts, name)
        result, processing = await engine.receive(
            channel,
            body,
            content_type=CLAIM_RUN_CONTENT_TYPE,
            sender="revenue-cycle",
            dedup_key=dedup_key,
        )
        if result.duplicate:
            return [
                f"{len(accounts)} ready account(s) already sent as message {result.message_id} "
                f"({result.state.value}): nothing billed again"
            ]
        if processing.error:  # stored: fix the cause, then replay the message
            fail(f"claim run {name}: message {result.message_id} is in error: {processing.error}")
        report = await claim_run_report(application.store, result.message_id)
        return [f"message {result.message_id}: {result.state.value}", *_summary(report)]

    lines = with_application(config, work)
    console.print(f"claim run {name}: {lines[0]}", markup=False, highlight=False)
    for line in lines[1:]:
        console.print(line, markup=False, highlight=False)
