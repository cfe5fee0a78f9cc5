"""``careweave crosswalk`` and ``careweave erp``: the item crosswalk, ERP exception cases, the close.

Every command takes the settings file (``--config``) and nothing else: the master data comes from
its ``[masterdata]`` section, and the commands that change something build the application from it
(:func:`careweave.cli.build.with_application`), beside a running engine on the same database, which
delivers what they queue. ``careweave crosswalk add CODE ITEM --config careweave.toml`` writes the
entry to the crosswalk file ``[masterdata]`` names (under version control), resolves the
``item-miss:CODE`` case and replays every transaction parked on it.
"""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import msgspec
import typer
from rich.table import Table

from careweave.app import Application
from careweave.cli.build import in_settings, load, settings_dir, with_application
from careweave.cli.common import ConfigOption, JsonOption, console, fail, print_json, with_store
from careweave.config import Settings
from careweave.engine.store.base import BaseStore
from careweave.erp.close import close_report
from careweave.erp.item_miss import ItemMissFix, default_effective_from, fix_item_miss
from careweave.erp.ledger import PostedJournal
from careweave.erp.periods import Period
from careweave.erp.stored import stored_journals
from careweave.exceptions import CareweaveError, ConfigError, ValidationError
from careweave.masterdata.cost_centers import ChartOfAccounts
from careweave.masterdata.crosswalk_file import CrosswalkFile
from careweave.masterdata.files import MasterData, load_master_data
from careweave.masterdata.items import CodeKind, ItemCrosswalk
from careweave.model.audit import AuditAction, AuditEntry
from careweave.model.records import ExceptionCase

crosswalk_app = typer.Typer(
    help="The item crosswalk: EHR codes, GTIN, UDI to ERP items.", no_args_is_help=True
)
erp_app = typer.Typer(help="ERP side: item-miss cases, month-end close.", no_args_is_help=True)


def _today() -> dt.date:
    return dt.date.today()  # noqa: DTZ011 (a calendar day)


def _warn(data: MasterData | None) -> None:
    for warning in data.warnings if data is not None else ():
        console.print(f"[yellow]warning:[/] {warning}")


def _master_data(settings: Settings, config: Path | None) -> MasterData:
    """The settings' ``[masterdata]``, loaded as the application loads it (no connector built)."""
    try:
        data = load_master_data(
            settings.masterdata,
            base_dir=settings_dir(config),
            on=settings.masterdata.as_of or _today(),
        )
    except ConfigError as exc:
        fail(in_settings(config, exc), 2)
    _warn(data)
    return data


def _crosswalk(data: MasterData | None, config: Path | None) -> tuple[ItemCrosswalk, CrosswalkFile]:
    if data is None or data.crosswalk is None or data.crosswalk_file is None:
        fail(
            in_settings(
                config,
                ConfigError(
                    "[masterdata] names no crosswalk: name its items and crosswalk files "
                    "(see docs/configuration.md)"
                ),
            ),
            2,
        )
    return data.crosswalk, data.crosswalk_file


def _start(crosswalk: ItemCrosswalk, kind: CodeKind, code: str, effective: str) -> dt.date:
    if effective:
        try:
            return dt.date.fromisoformat(effective)
        except ValueError:
            fail(f"--effective {effective!r} is not YYYY-MM-DD", 2)
    return default_effective_from(crosswalk, kind, code, _today())


@crosswalk_app.command("add")
def crosswalk_add(
    code: str = typer.Argument(
        ..., help="The code as the source sends it (EHR item code, GTIN ...)."
    ),
    item: str = typer.Argument(..., help="The ERP item number it means."),
    kind: CodeKind = typer.Option(CodeKind.EHR, help="Which identifier CODE is."),
    effective: str = typer.Option(
        "",
        help="First day the entry applies (YYYY-MM-DD). Default: today for a code that already has "
        "an entry; for a new code, always (so parked transactions of past days resolve on replay).",
    ),
    actor: str = typer.Option("", help="Who makes the change (default: the OS user)."),
    config: Path | None = ConfigOption,
) -> None:
    """Map CODE to ITEM in the crosswalk file, resolve the item-miss case, replay its transactions."""
    who = actor or getpass.getuser()

    async def work(application: Application) -> tuple[ItemMissFix, dt.date, Path]:
        _warn(application.masterdata)
        crosswalk, file = _crosswalk(application.masterdata, config)
        since = _start(crosswalk, kind, code, effective)
        try:
            fix = await fix_item_miss(
                application.engine, crosswalk, code, item, actor=who, effective_from=since,
                kind=kind, crosswalk_file=file, source="cli",
            )  # fmt: skip
        except ValidationError as exc:  # an unknown ERP item, an empty code
            fail(str(exc), 2)
        return fix, since, file.path

    fix, since, path = with_application(config, work)
    console.print(
        f"{kind}:{code} -> {item} from {since} (version {fix.entry.version}) saved to {path}; "
        f"case(s) {fix.case_ids or 'none open'} resolved, {fix.replayed} message(s) replayed"
    )


@crosswalk_app.command("list")
def crosswalk_list(
    config: Path | None = ConfigOption,
    code: str = typer.Option("", help="Only entries for this code."),
    as_json: bool = JsonOption,
) -> None:
    """Every crosswalk entry, every version."""
    settings, _known = load(config)
    crosswalk, _file = _crosswalk(_master_data(settings, config), config)
    entries = [e for e in crosswalk.entries() if not code or e.code.upper() == code.upper()]
    if as_json:
        print_json(entries)
        return
    table = Table("kind", "code", "item", "from", "to", "version", "source", "by")
    for e in entries:
        table.add_row(
            e.kind.value, e.code, e.item_number, str(e.effective_from),
            str(e.effective_to or ""), str(e.version), e.source, e.added_by,
        )  # fmt: skip
    console.print(table)


@erp_app.command("cases")
def erp_cases(config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
    """Open supply-chain cases (item misses, unmapped locations) with their suggestions."""
    settings, _known = load(config)

    async def work(store: BaseStore) -> list[ExceptionCase]:
        return await store.list_cases(team="supply-chain", limit=1000)

    cases = with_store(settings, work, read_only=True)
    if as_json:
        print_json(cases)
        return
    for case in cases:
        console.print(
            f"#{case.id} {case.case_key}: {case.summary} ({len(case.message_ids)} message(s))"
        )
        console.print(f"    fix: {case.suggested_fix}")
        for detail in case.details:
            console.print(f"    {detail}")


@erp_app.command("close")
def erp_close(
    period: str = typer.Argument(..., help="The period to close, YYYY-MM."),
    config: Path | None = ConfigOption,
    channel: str = typer.Option("close", help="The channel of format erp-close-request."),
    actor: str = typer.Option("", help="Who closes (default: the OS user)."),
) -> None:
    """Accrue unbilled revenue and close PERIOD (through the engine: stored, retried, posted once)."""
    try:
        key = Period.parse(period).key
    except CareweaveError as exc:
        fail(str(exc), 2)
    who = actor or getpass.getuser()
    body = msgspec.json.encode({"period": key, "requested_by": who})

    async def work(application: Application) -> str:
        _warn(application.masterdata)
        engine = application.engine
        if channel not in engine.channels:
            fail(in_settings(config, ConfigError(f"no channel {channel!r}")), 2)
        result, processing = await engine.receive(
            channel, body, content_type="application/json", dedup_key=f"close:{key}"
        )
        # An administrative action: audited right after the request is stored.
        detail = {"message": str(result.message_id), "state": result.state.value}
        if result.duplicate:
            detail["duplicate"] = "true"
        await application.store.append_audit(
            AuditEntry(
                actor=who,
                action=AuditAction.ADMIN_PERIOD_CLOSE,
                subject=f"period:{key}",
                detail=detail,
            )
        )
        if result.duplicate:
            return f"already requested as message {result.message_id} ({result.state.value})"
        if processing.error:  # stored: fix the cause, then replay the message
            fail(f"close {key}: message {result.message_id} is in error: {processing.error}")
        return f"message {result.message_id}: {result.state.value}"

    console.print(f"close {key}: {with_application(config, work)}")


@erp_app.command("report")
def erp_report(
    period: str = typer.Argument(..., help="The period, YYYY-MM."),
    config: Path | None = ConfigOption,
    csv_output: bool = typer.Option(False, "--csv", help="CSV instead of text."),
) -> None:
    """The close-cycle report of PERIOD from careweave's ledger (the journals it posted)."""
    try:
        which = Period.parse(period)
    except CareweaveError as exc:
        fail(str(exc), 2)
    settings, _known = load(config)
    chart = (
        _master_data(settings, config).chart or ChartOfAccounts()
    )  # the chart the close posted with

    async def work(store: BaseStore) -> list[PostedJournal]:
        return await stored_journals(store)

    report = close_report(with_store(settings, work, read_only=True), which, chart)
    typer.echo(report.to_csv() if csv_output else report.to_text(), nl=False)
