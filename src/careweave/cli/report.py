"""``careweave report``: business state read from the store, beside a running engine or not."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from careweave.app.analytics import BusinessAnalytics, DenialFigures, LagFigures
from careweave.app.report import BusinessReport, business_report
from careweave.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    print_json,
    settings_from,
    with_store,
)
from careweave.engine.store.base import BaseStore


def report(config: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
    """Delivered effects with their money, ledger, stock, charges, claims, cases and analytics."""
    settings = settings_from(config)

    async def work(store: BaseStore) -> BusinessReport:
        return await business_report(store)

    found = with_store(settings, work, read_only=True)
    if as_json:
        print_json(found)
        return
    _print(found)


def _print(found: BusinessReport) -> None:
    effects = Table(title="Delivered effects", title_justify="left")
    for column in ("kind", "count", "amount", "quantity"):
        effects.add_column(column, justify="left" if column == "kind" else "right")
    for kind, total in found.delivered.items():
        effects.add_row(kind, str(total.count), f"{total.amount:,.2f}", str(total.quantity))
    console.print(effects)
    console.print(f"pending effects: {found.pending}    dead letters: {found.dead}")
    ledger = Table(title="Ledger balances", title_justify="left")
    for column in ("entity", "account", "currency", "balance"):
        ledger.add_column(column, justify="right" if column == "balance" else "left")
    for row in found.ledger:
        ledger.add_row(row.entity, row.account, row.currency, f"{row.balance:,.2f}")
    console.print(ledger)
    console.print(
        f"stock: {len(found.stock)} positions moved, "
        f"{sum(r.on_hand for r in found.stock)} on hand, "
        f"{sum(r.on_order for r in found.stock)} on order"
    )
    charges, claims = found.charges, found.claims
    console.print(
        f"charges: {charges['positions']} positions, net {charges['net']:,.2f} "
        f"(charged {charges['charged']:,.2f}, credited {charges['credited']:,.2f})"
    )
    console.print(
        f"claims: {claims['claims']} claims, {claims['lines']} lines, billed {claims['billed']:,.2f}"
    )
    teams = ", ".join(f"{team} {n}" for team, n in found.open_cases.items()) or "none"
    console.print(f"open cases: {teams}")
    states = ", ".join(f"{state} {n}" for state, n in sorted(found.messages.items()))
    console.print(f"messages: {states}")
    _print_analytics(found.analytics)


def _print_analytics(analytics: BusinessAnalytics) -> None:
    lines = Table(title="By service line", title_justify="left")
    columns = (
        "service line",
        "revenue",
        "supply cost",
        "standard cost",
        "professional",
        "margin",
        "margin %",
        "procedures",
        "supply issues",
        "supply variance",
    )
    for column in columns:
        lines.add_column(column, justify="left" if column == "service line" else "right")
    for row in analytics.service_lines:
        lines.add_row(
            row.service_line,
            f"{row.revenue:,.2f}",
            f"{row.supply_cost:,.2f}",
            f"{row.standard_cost:,.2f}",
            f"{row.professional_cost:,.2f}",
            f"{row.margin:,.2f}",
            "-" if row.margin_pct is None else f"{row.margin_pct}",
            str(row.procedures),
            str(row.supply_issues),
            f"{row.supply_variance:,.2f}",
        )
    console.print(lines)
    _print_lag("Charge lag by revenue-code category", analytics.charge_lag_by_category)
    _print_lag("Charge lag by payer", analytics.charge_lag_by_payer)
    _print_denials("Denials by category (of all claims)", analytics.denials_by_category)
    _print_denials("Denials by payer", analytics.denials_by_payer)


def _print_lag(title: str, rows: list[LagFigures]) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("group", "lines", "average days", "max days", "late"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for row in rows:
        table.add_row(
            row.group, str(row.lines), f"{row.average_days}", str(row.max_days), str(row.late)
        )
    console.print(table)


def _print_denials(title: str, rows: list[DenialFigures]) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("group", "claims", "denied claims", "rate", "denied amount"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for row in rows:
        table.add_row(
            row.group,
            str(row.claims),
            str(row.denied_claims),
            f"{row.rate:.2%}",
            f"{row.denied_amount:,.2f}",
        )
    console.print(table)
