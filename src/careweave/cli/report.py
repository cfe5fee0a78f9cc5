"""``careweave report``: business state read from the store, beside a running engine or not."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

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
    """Delivered effects by kind with their money, ledger balances, stock, charges, claims, cases."""
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
