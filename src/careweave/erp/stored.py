"""The ERP side's committed business state, read from the store outside any message.

Flows change stock, the ledger and the period calendar through repositories over the business state
of the transaction committing their message (:class:`~careweave.erp.inventory.InventoryBook`,
:class:`~careweave.erp.ledger.LedgerBook`, :class:`~careweave.erp.periods.PeriodCalendar`). The CLI,
reports and tests read what those commits left here: a restarted process, or another process on
the same PostgreSQL database, sees the same figures without rebuilding anything.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from careweave.erp.inventory import OpeningStock, StockPosition, stock_positions
from careweave.erp.ledger import AccountBalance, PostedJournal, account_balances, posted_journals
from careweave.erp.periods import ClosedPeriod, closed_periods
from careweave.model.state import StateTable

if TYPE_CHECKING:
    from careweave.engine.store.base import BaseStore


async def stored_journals(store: BaseStore) -> list[PostedJournal]:
    """Every journal careweave posted, by business key."""
    return posted_journals(await store.state_rows(StateTable.LEDGER_JOURNALS))


async def stored_balances(store: BaseStore) -> list[AccountBalance]:
    """Every account balance, by entity, account and currency."""
    return account_balances(await store.state_rows(StateTable.LEDGER_BALANCES))


async def stored_positions(
    store: BaseStore, opening: OpeningStock | None = None
) -> dict[tuple[str, str], StockPosition]:
    """On hand and on order per (location, item): the stored rows over the opening figures."""
    return stock_positions(await store.state_rows(StateTable.INVENTORY_POSITIONS), opening)


async def stored_closed_periods(store: BaseStore) -> list[ClosedPeriod]:
    """Every closed period, oldest first."""
    return closed_periods(await store.state_rows(StateTable.PERIODS))


def balance_totals(balances: list[AccountBalance]) -> dict[tuple[str, str, str], Decimal]:
    """``(entity, account, currency) -> balance`` over every period (to compare two stores)."""
    return {(b.entity, b.account, b.currency): b.through() for b in balances}
