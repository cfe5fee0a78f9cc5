"""``careweave crosswalk`` and ``careweave erp``: the item crosswalk, ERP exception cases, the close.

``careweave crosswalk add CODE ITEM --erp erp.toml`` adds an effective-dated crosswalk entry to the
file under version control; with ``--config`` it also resolves the ``item-miss:CODE`` case and
replays every transaction parked on it, whose effects the running engine then delivers.
"""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import msgspec
import typer
from rich.table import Table

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
from careweave.erp.close import close_report
from careweave.erp.item_miss import ItemMissFix, fix_item_miss
from careweave.erp.ledger import PostedJournal
from careweave.erp.periods import Period
from careweave.erp.stored import stored_journals
from careweave.exceptions import CareweaveError
from careweave.masterdata.cost_centers import ChartOfAccounts
from careweave.masterdata.items import CodeKind
from careweave.masterdata.loader import ErpMasterData, load_erp_master_data

crosswalk_app = typer.Typer(
    help="The item crosswalk: EHR codes, GTIN, UDI to ERP items.", no_args_is_help=True
)
erp_app = typer.Typer(help="ERP side: item-miss cases, month-end close.", no_args_is_help=True)

ErpOption = typer.Option(
    ..., "--erp", help="ERP master-data file (TOML, [erp] section).", envvar="CAREWEAVE_ERP"
)


def _master(path: Path) -> ErpMasterData:
    try:
        data = load_erp_master_data(path, on=dt.date.today())  # noqa: DTZ011 (a calendar day)
    except CareweaveError as exc:
        fail(str(exc))
    for warning in data.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    return data


ALWAYS = dt.date(1900, 1, 1)
"""Start date of an entry for a code that never had one: it has always meant that item."""


def _default_start(data: ErpMasterData, kind: CodeKind, code: str) -> dt.date:
    if data.crosswalk.history(kind, code):
        return dt.date.today()  # noqa: DTZ011 (a calendar day)
    return ALWAYS


@crosswalk_app.command("add")
def crosswalk_add(
    code: str = typer.Argument(
        ..., help="The code as the source sends it (EHR item code, GTIN ...)."
    ),
    item: str = typer.Argument(..., help="The ERP item number it means."),
    erp: Path = ErpOption,
    kind: CodeKind = typer.Option(CodeKind.EHR, help="Which identifier CODE is."),
    effective: str = typer.Option(
        "",
        help="First day the entry applies (YYYY-MM-DD). Default: today for a code that already has "
        "an entry; for a new code, always (so parked transactions of past days resolve on replay).",
    ),
    actor: str = typer.Option("", help="Who makes the change (default: the OS user)."),
    config: Path | None = ConfigOption,
) -> None:
    """Map CODE to ITEM; with --config, resolve the item-miss case and replay its transactions."""
    data = _master(erp)
    who = actor or getpass.getuser()
    try:
        since = dt.date.fromisoformat(effective) if effective else _default_start(data, kind, code)
    except ValueError:
        fail(f"--effective {effective!r} is not YYYY-MM-DD")
    if config is None:
        try:
            entry = data.crosswalk.add(
                kind, code, item, effective_from=since, source="cli", added_by=who
            )
        except CareweaveError as exc:
            fail(str(exc))
        data.crosswalk_file.save(data.crosswalk.entries())
        console.print(
            f"{kind}:{code} -> {item} from {since} (version {entry.version}) "
            f"saved to {data.crosswalk_file.path}"
        )
        return
    settings = settings_from(config)

    async def work(store: BaseStore) -> ItemMissFix:
        from careweave.app import build_engine

        engine = build_engine(settings, store, middleware=[], services=data.services())
        return await fix_item_miss(
            engine, data.crosswalk, code, item, actor=who, effective_from=since,
            kind=kind, crosswalk_file=data.crosswalk_file, source="cli",
        )  # fmt: skip

    fix = with_store(settings, work)
    console.print(
        f"{kind}:{code} -> {item} from {since} (version {fix.entry.version}); "
        f"case(s) {fix.case_ids or 'none open'} resolved, {fix.replayed} message(s) replayed"
    )


@crosswalk_app.command("list")
def crosswalk_list(
    erp: Path = ErpOption,
    code: str = typer.Option("", help="Only entries for this code."),
    as_json: bool = JsonOption,
) -> None:
    """Every crosswalk entry, every version."""
    entries = [
        e for e in _master(erp).crosswalk.entries() if not code or e.code.upper() == code.upper()
    ]
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
    settings = settings_from(config)

    async def work(store: BaseStore) -> list:  # type: ignore[type-arg]
        return await store.list_cases(team="supply-chain", limit=1000)

    cases = with_store(settings, work)
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
    erp: Path = ErpOption,
    channel: str = typer.Option("close", help="The channel of format erp-close-request."),
    actor: str = typer.Option("", help="Who closes (default: the OS user)."),
) -> None:
    """Accrue unbilled revenue and close PERIOD (through the engine: stored, retried, posted once)."""
    try:
        key = Period.parse(period).key
    except CareweaveError as exc:
        fail(str(exc))
    data = _master(erp)
    settings = settings_from(config)
    body = msgspec.json.encode({"period": key, "requested_by": actor or getpass.getuser()})

    async def work(store: BaseStore) -> str:
        from careweave.app import build_engine

        engine = build_engine(settings, store, middleware=[], services=data.services())
        if channel not in engine.channels:
            fail(f"no channel {channel!r} in the settings")
        result, processing = await engine.receive(
            channel, body, content_type="application/json", dedup_key=f"close:{key}"
        )
        return processing.error or f"message {result.message_id}: {result.state.value}"

    console.print(f"close {key}: {with_store(settings, work)}")


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
        fail(str(exc))
    settings = settings_from(config)

    async def work(store: BaseStore) -> list[PostedJournal]:
        return await stored_journals(store)

    report = close_report(with_store(settings, work), which, ChartOfAccounts())
    typer.echo(report.to_csv() if csv_output else report.to_text(), nl=False)
