"""The business report: what the store says happened, in business terms (``careweave report``).

Everything here is read from the store, never from a process's memory, so the report of a running
engine, of a restarted one and of another process on the same PostgreSQL database agree:

- delivered effects by kind (charges, encounters, claims, journals, inventory movements,
  requisitions, purchase orders, ...): how many distinct business keys and the money (or quantity)
  they carry; ``pending`` counts effects neither delivered nor dead, ``dead`` the dead letters;
- ledger balances per entity, account and currency; on hand and on order per location and item;
- charge positions and the claim register; open exception cases by owning team;
- the analytics of :mod:`careweave.app.analytics`: margin, utilization and supply variance by service
  line, charge lag by revenue-code category and payer, denial rate by category and payer.

Two runs of the same day (one of them killed and restarted) must give equal reports: effects are
counted once per destination and idempotency key, which is what the downstream system applies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import msgspec

from careweave.app.analytics import BusinessAnalytics, business_analytics
from careweave.engine.store.base import BaseStore
from careweave.erp.stored import stored_balances, stored_positions
from careweave.flows.claim_register import registered_claims
from careweave.model.erp import (
    INVENTORY_TRANSACTION,
    JOURNAL,
    PURCHASE_ORDER,
    REQUISITION,
    InventoryTransactionRequest,
    JournalRequest,
    PurchaseOrderRequest,
    RequisitionRequest,
)
from careweave.model.rcm import (
    CHARGE_CONTENT_TYPE,
    CLAIM_BILLED_CONTENT_TYPE,
    ENCOUNTER_CONTENT_TYPE,
    RcmChargeLine,
)
from careweave.model.records import CaseState, Effect, EffectState
from careweave.model.state import StateTable
from careweave.revenue.charge_book import encounter_positions

ALL = 100_000_000
"""Effects read per state (the store lists oldest first up to a limit)."""


class EffectTotal(msgspec.Struct, kw_only=True):
    """Delivered effects of one kind."""

    count: int = 0
    """Distinct business keys delivered."""
    amount: Decimal = Decimal("0.00")
    """Money they carry (journals: debits; charges: signed amount; POs: extended cost)."""
    quantity: int = 0
    """Units they carry (inventory movements signed: issues negative)."""


class LedgerRow(msgspec.Struct, kw_only=True):
    """One account's balance."""

    entity: str
    account: str
    currency: str
    balance: Decimal


class StockRow(msgspec.Struct, kw_only=True):
    """One item at one location (positions careweave moved)."""

    location: str
    item: str
    on_hand: int
    on_order: int


class BusinessReport(msgspec.Struct, kw_only=True):
    """Business state read from the store."""

    delivered: dict[str, EffectTotal]
    pending: int
    dead: int
    ledger: list[LedgerRow]
    stock: list[StockRow]
    charges: dict[str, Decimal]
    """``positions``, ``charged``, ``credited`` and ``net`` over every encounter."""
    claims: dict[str, Decimal]
    """``claims``, ``lines`` and ``billed`` (total of the claims registered)."""
    open_cases: dict[str, int]
    """Open exception cases by owning team."""
    messages: dict[str, int]
    """Stored messages by state."""
    analytics: BusinessAnalytics
    """By service line, charge lag, denial rates."""

    def business_state(self) -> dict[str, object]:
        """The parts two runs of the same day must agree on (everything but message counts)."""
        data = msgspec.to_builtins(self)
        data.pop("messages")
        return dict(data)


Tally = Callable[[bytes, EffectTotal], None]


def _journal(payload: bytes, total: EffectTotal) -> None:
    journal = msgspec.json.decode(payload, type=JournalRequest)
    total.amount += sum((line.debit for line in journal.lines), Decimal(0))


def _movement(payload: bytes, total: EffectTotal) -> None:
    tx = msgspec.json.decode(payload, type=InventoryTransactionRequest)
    total.quantity += -tx.quantity if tx.transaction_type == "issue" else tx.quantity


def _requisition(payload: bytes, total: EffectTotal) -> None:
    request = msgspec.json.decode(payload, type=RequisitionRequest)
    total.quantity += sum(line.quantity for line in request.lines)


def _purchase_order(payload: bytes, total: EffectTotal) -> None:
    order = msgspec.json.decode(payload, type=PurchaseOrderRequest)
    total.quantity += sum(line.quantity for line in order.lines)
    total.amount += sum((line.unit_cost * line.quantity for line in order.lines), Decimal(0))


def _charge(payload: bytes, total: EffectTotal) -> None:
    line = msgspec.json.decode(payload, type=RcmChargeLine)
    amount = line.unit_amount * line.quantity
    total.amount += -amount if line.transaction == "credit" else amount
    total.quantity += 1


def _count_only(_payload: bytes, _total: EffectTotal) -> None:
    return None


KINDS: dict[str, tuple[str, Tally]] = {
    JOURNAL: ("journals", _journal),
    INVENTORY_TRANSACTION: ("inventory movements", _movement),
    REQUISITION: ("requisitions", _requisition),
    PURCHASE_ORDER: ("purchase orders", _purchase_order),
    CHARGE_CONTENT_TYPE: ("charges", _charge),
    ENCOUNTER_CONTENT_TYPE: ("encounter updates", _count_only),
    CLAIM_BILLED_CONTENT_TYPE: ("billed notices", _count_only),
    "application/edi-x12": ("claim files", _count_only),
    "application/hl7-v2": ("raw messages forwarded", _count_only),
}
"""Effect content types by the kind the report names them (others are reported by type)."""


def tally_delivered(effects: list[Effect]) -> dict[str, EffectTotal]:
    """Delivered effects by kind, each destination and idempotency key counted once."""
    totals: dict[str, EffectTotal] = {}
    seen: set[tuple[str, str]] = set()
    for effect in effects:
        identity = (effect.destination, effect.idempotency_key)
        if identity in seen:
            continue
        seen.add(identity)
        kind, tally = KINDS.get(effect.content_type, (effect.content_type, _count_only))
        total = totals.setdefault(kind, EffectTotal())
        total.count += 1
        if effect.payload is not None:
            tally(effect.payload, total)
    return dict(sorted(totals.items()))


async def business_report(store: BaseStore) -> BusinessReport:
    """Read the report from ``store`` (works beside a running engine)."""
    delivered = await store.list_effects(state=EffectState.DELIVERED, limit=ALL)
    counts = await store.counts()
    pending = counts.get("effects.pending", 0) + counts.get("effects.in_flight", 0)
    ledger = [
        LedgerRow(entity=b.entity, account=b.account, currency=b.currency, balance=b.through())
        for b in await stored_balances(store)
    ]
    stock = [
        StockRow(location=loc, item=item, on_hand=p.on_hand, on_order=p.on_order)
        for (loc, item), p in sorted((await stored_positions(store)).items())
    ]
    positions = encounter_positions(await store.state_rows(StateTable.CHARGE_POSITIONS))
    charged = credited = Decimal(0)
    count = 0
    for encounter in positions.values():
        for position in encounter:
            count += 1
            charged += position.charged_amount or Decimal(0)
            credited += position.credited_amount
    claims = registered_claims(await store.state_rows(StateTable.CLAIMS))
    lines = await store.state_rows(StateTable.CLAIM_LINES)
    cases = await store.list_cases(state=CaseState.OPEN, limit=ALL)
    return BusinessReport(
        delivered=tally_delivered(delivered),
        pending=pending,
        dead=counts.get("effects.dead", 0),
        ledger=sorted(ledger, key=lambda r: (r.entity, r.account, r.currency)),
        stock=stock,
        charges={
            "positions": Decimal(count),
            "charged": charged,
            "credited": credited,
            "net": charged - credited,
        },
        claims={
            "claims": Decimal(len(claims)),
            "lines": Decimal(len(lines)),
            "billed": sum((c.total for c in claims), Decimal(0)),
        },
        open_cases=dict(sorted(Counter(c.owning_team for c in cases).items())),
        messages={
            k.removeprefix("messages."): v for k, v in counts.items() if k.startswith("messages.")
        },
        analytics=await business_analytics(store),
    )
