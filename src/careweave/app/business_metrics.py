"""Business figures as Prometheus gauges, read from the store when ``/metrics`` is scraped.

- ``careweave_charges_captured`` and ``careweave_charges_captured_amount`` per entity: the charge
  lines patient-to-billing routed to the revenue-cycle platform (its ``ChargeRouted`` events, one
  per line key, the latest), and ``careweave_charges_late`` those later than the lag policy;
- ``careweave_denials`` and ``careweave_denials_amount`` per denial category: the ``ClaimDenied``
  adjustments the remittances produced (one per idempotency key);
- ``careweave_cases_held_value`` per owning team and reason: the money of the charges on the
  messages parked on open exception cases ("37 implant charges, $412,000, held for item mapping"),
  and ``careweave_cases_held_charges`` how many charge lines that is.

Counted the way :mod:`careweave.app.analytics` counts them, so that the dashboards and the metrics
agree. Each scrape reads only what was stored since the previous one (events by id, parked
messages not seen before): a scrape costs the new rows, not the whole store.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

import msgspec
from prometheus_client import Gauge

from careweave.engine.store.base import BaseStore
from careweave.flows.patient_to_billing import ChargeRouted
from careweave.model.charges import ChargeCaptured, Money
from careweave.model.finance import ClaimDenied
from careweave.observability.metrics import Metrics, set_gauge

PAGE = 10_000
"""Events read per query."""
CASES_READ = 100_000
"""Open cases read per scrape."""
_T = TypeVar("_T")


class _Routed(msgspec.Struct, frozen=True, kw_only=True):
    entity: str
    amount: Decimal
    late: bool


class _Denied(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    amount: Decimal


class _Captured(msgspec.Struct, frozen=True, kw_only=True):
    extended_amount: Money | None = None


class BusinessMetrics:
    """The scrape hook (:meth:`Metrics.on_scrape`) that keeps the business gauges current."""

    def __init__(self, store: BaseStore, metrics: Metrics) -> None:
        self.store = store
        r = metrics.registry
        self.charges = Gauge(
            "careweave_charges_captured",
            "Charge lines routed to the revenue-cycle platform, per entity.",
            ["entity"],
            registry=r,
        )
        self.charges_amount = Gauge(
            "careweave_charges_captured_amount",
            "Money of the charge lines routed (credits negative), per entity.",
            ["entity"],
            registry=r,
        )
        self.charges_late = Gauge(
            "careweave_charges_late",
            "Charge lines captured later than the charge-lag policy allows, per entity.",
            ["entity"],
            registry=r,
        )
        self.denials = Gauge(
            "careweave_denials",
            "Claim denials (CAS adjustments) posted from remittances, per denial category.",
            ["category"],
            registry=r,
        )
        self.denials_amount = Gauge(
            "careweave_denials_amount",
            "Money denied, per denial category.",
            ["category"],
            registry=r,
        )
        self.held_value = Gauge(
            "careweave_cases_held_value",
            "Money of the charges on messages parked on open exception cases.",
            ["team", "reason"],
            registry=r,
        )
        self.held_charges = Gauge(
            "careweave_cases_held_charges",
            "Charge lines on messages parked on open exception cases.",
            ["team", "reason"],
            registry=r,
        )
        self._routed: dict[str, _Routed] = {}
        self._denied: dict[str, _Denied] = {}
        self._after = {ChargeRouted.__name__: 0, ClaimDenied.__name__: 0}
        self._parked: dict[int, tuple[int, Decimal]] = {}
        """Per parked message: its charge lines and their money (a message's events never
        change; a replay stores a new processing, and the message then leaves its case)."""

    async def __call__(self, _metrics: Metrics) -> None:
        """Read what is new in the store and set every gauge."""
        await self._read_new(ChargeRouted.__name__, _Routed, self._routed)
        await self._read_new(ClaimDenied.__name__, _Denied, self._denied)
        count: dict[tuple[str, ...], float] = {}
        amount: dict[tuple[str, ...], float] = {}
        late: dict[tuple[str, ...], float] = {}
        for line in self._routed.values():
            key = (line.entity,)
            count[key] = count.get(key, 0) + 1
            amount[key] = amount.get(key, 0) + float(line.amount)
            late[key] = late.get(key, 0) + (1 if line.late else 0)
        set_gauge(self.charges, count)
        set_gauge(self.charges_amount, amount)
        set_gauge(self.charges_late, late)
        denials: dict[tuple[str, ...], float] = {}
        denied: dict[tuple[str, ...], float] = {}
        for denial in self._denied.values():
            key = (denial.category,)
            denials[key] = denials.get(key, 0) + 1
            denied[key] = denied.get(key, 0) + float(denial.amount)
        set_gauge(self.denials, denials)
        set_gauge(self.denials_amount, denied)
        await self._held()

    async def _read_new(self, event_type: str, kind: type[_T], into: dict[str, _T]) -> None:
        while True:
            page = await self.store.list_events(
                event_type, after_id=self._after[event_type], limit=PAGE
            )
            for event in page:
                if event.payload is not None:
                    into[event.idempotency_key] = msgspec.json.decode(event.payload, type=kind)
            if page:
                self._after[event_type] = page[-1].id
            if len(page) < PAGE:
                return

    async def _held(self) -> None:
        charges: dict[tuple[str, ...], float] = {}
        value: dict[tuple[str, ...], float] = {}
        parked: set[int] = set()
        for case in await self.store.list_cases(limit=CASES_READ):
            key = (case.owning_team, case.reason_code)
            for message_id in case.message_ids:
                parked.add(message_id)
                lines, money = await self._message_charges(message_id)
                charges[key] = charges.get(key, 0) + lines
                value[key] = value.get(key, 0) + float(money)
        for gone in self._parked.keys() - parked:
            del self._parked[gone]
        set_gauge(self.held_charges, charges)
        set_gauge(self.held_value, value)

    async def _message_charges(self, message_id: int) -> tuple[int, Decimal]:
        known = self._parked.get(message_id)
        if known is None:
            lineage = await self.store.lineage(message_id)
            lines, money = 0, Decimal(0)
            for event in lineage.events:
                if event.event_type == ChargeCaptured.__name__ and event.payload is not None:
                    captured = msgspec.json.decode(event.payload, type=_Captured)
                    lines += 1
                    if captured.extended_amount is not None:
                        money += captured.extended_amount.amount
            known = self._parked[message_id] = (lines, money)
        return known
