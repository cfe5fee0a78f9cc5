"""Business analytics read from the store: margin and utilization by service line, charge lag, denials.

Each figure is computed from what the flows committed, never from a process's memory:

- **by service line** (the GL segment the cost-center master gives each department): gross patient
  revenue and the direct costs careweave posted (the supplies actually used, the standard facility
  and professional cost of the procedures performed) from the journals kept in ``LEDGER_JOURNALS``;
  margin is revenue minus those costs. Utilization counts the procedures charged (net of credits) and
  the supply issues costed. Supply variance is what the supplies actually cost minus the standard
  facility cost of the same service line's procedures: positive means supplies ran over standard.
- **charge lag** (days from service to capture, and how many charges were late by the lag policy)
  from the ``ChargeRouted`` events patient-to-billing recorded, by revenue-code category (``036x``:
  operating room ...) and by the payer of the claim that billed the line (``unbilled`` when none did).
- **denial rate** by denial category and by payer, from the ``ClaimDenied`` events the remittances
  produced over the claims registered: the share of claims with at least one denial, and the amount.

Figures are deterministic for a given store: two runs of the same day give equal analytics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

import msgspec

from careweave.engine.store.base import BaseStore
from careweave.erp.ledger import PostedJournal, ledger_lines, posted_journals
from careweave.flows.claim_register import BilledLine, RegisteredClaim, registered_claims
from careweave.masterdata.cost_centers import ChartOfAccounts
from careweave.model.finance import ClaimDenied
from careweave.model.rcm import CHARGE_CONTENT_TYPE, RcmChargeLine
from careweave.model.records import Effect
from careweave.model.state import StateTable

ZERO = Decimal("0.00")
UNBILLED = "unbilled"
"""The payer group of a charge line no claim has billed yet."""
PAGE = 10_000
"""Events read per page."""
_T = TypeVar("_T")


class ChargeRoutedFact(msgspec.Struct, frozen=True, kw_only=True):
    """The fields of a stored ``ChargeRouted`` event the charge-lag figures need."""

    line_key: str
    transaction: str
    service_date: dt.date
    lag_days: int | None = None
    late: bool = False


class ServiceLineFigures(msgspec.Struct, kw_only=True):
    """Money and volume of one service line."""

    service_line: str
    revenue: Decimal = ZERO
    """Gross patient revenue (credits to the patient-revenue account, net of reversals)."""
    supply_cost: Decimal = ZERO
    """Supplies used, at the item master's standard cost (supply expense)."""
    standard_cost: Decimal = ZERO
    """Standard facility cost of the procedures performed."""
    professional_cost: Decimal = ZERO
    margin: Decimal = ZERO
    """Revenue minus supply, standard facility and professional cost."""
    margin_pct: Decimal | None = None
    procedures: int = 0
    """Procedures charged, net of credits (utilization)."""
    supply_issues: int = 0
    """Supply issues costed, net of reversals (utilization)."""
    supply_variance: Decimal = ZERO
    """Supply cost minus the standard facility cost: positive when supplies ran over standard."""


class LagFigures(msgspec.Struct, kw_only=True):
    """Charge lag of one group of charge lines."""

    group: str
    lines: int = 0
    average_days: Decimal = ZERO
    max_days: int = 0
    late: int = 0
    """Lines captured later than the lag policy allows."""


class DenialFigures(msgspec.Struct, kw_only=True):
    """Denials of one group of claims."""

    group: str
    claims: int = 0
    """Claims registered in the group (by payer), or every claim (by category)."""
    denied_claims: int = 0
    """Claims with at least one denial in the group."""
    rate: Decimal = ZERO
    """``denied_claims / claims``, four decimals."""
    denied_amount: Decimal = ZERO


class BusinessAnalytics(msgspec.Struct, kw_only=True):
    """The analytics ``careweave report`` prints."""

    service_lines: list[ServiceLineFigures]
    charge_lag_by_category: list[LagFigures]
    charge_lag_by_payer: list[LagFigures]
    denials_by_category: list[DenialFigures]
    denials_by_payer: list[DenialFigures]


def _ratio(part: Decimal, whole: Decimal, places: str = "0.0001") -> Decimal | None:
    return (part / whole).quantize(Decimal(places)) if whole else None


def service_line_figures(
    journals: Iterable[PostedJournal], chart: ChartOfAccounts | None = None
) -> list[ServiceLineFigures]:
    """Revenue, direct costs, margin and utilization per service line, from posted journals."""
    c = chart or ChartOfAccounts()
    figures: dict[str, ServiceLineFigures] = {}
    for posted in journals:
        supply_lines = 0
        for line in ledger_lines(posted.journal):
            row = figures.setdefault(
                line.service_line, ServiceLineFigures(service_line=line.service_line)
            )
            if line.account == c.patient_revenue:
                row.revenue -= line.amount  # revenue is a credit: negative signed amount
                row.procedures += 1 if line.amount < 0 else -1
            elif line.account == c.supply_expense:
                row.supply_cost += line.amount
                if not supply_lines:
                    row.supply_issues += 1 if line.amount > 0 else -1
                supply_lines += 1
            elif line.account == c.procedure_cost:
                row.standard_cost += line.amount
            elif line.account == c.professional_cost:
                row.professional_cost += line.amount
    for row in figures.values():
        row.margin = row.revenue - row.supply_cost - row.standard_cost - row.professional_cost
        row.margin_pct = _ratio(row.margin * 100, row.revenue, "0.1")
        row.supply_variance = row.supply_cost - row.standard_cost
    return [
        figures[key]
        for key in sorted(figures)
        if any((figures[key].revenue, figures[key].supply_cost, figures[key].standard_cost))
    ]


def revenue_category(revenue_code: str) -> str:
    """The family of a UB-04 revenue code (``0360`` -> ``036x``); ``none`` when it has none."""
    digits = revenue_code.strip().zfill(4) if revenue_code.strip() else ""
    return f"{digits[:3]}x" if digits else "none"


def _lag_rows(groups: Mapping[str, list[ChargeRoutedFact]]) -> list[LagFigures]:
    rows = []
    for group in sorted(groups):
        facts = groups[group]
        lags = [f.lag_days for f in facts if f.lag_days is not None]
        average = _ratio(Decimal(sum(lags)), Decimal(len(lags)), "0.01") if lags else None
        rows.append(
            LagFigures(
                group=group,
                lines=len(facts),
                average_days=average or ZERO,
                max_days=max(lags, default=0),
                late=sum(1 for f in facts if f.late),
            )
        )
    return rows


def charge_lag_figures(
    routed: Iterable[ChargeRoutedFact],
    revenue_codes: Mapping[str, str],
    billed: Mapping[str, BilledLine],
    claims: Mapping[str, RegisteredClaim],
) -> tuple[list[LagFigures], list[LagFigures]]:
    """Charge lag by revenue-code category and by payer; credits are not charges and are left out.

    ``revenue_codes`` maps a line key to its revenue code, ``billed`` a line key to the claim that
    billed it, ``claims`` a claim id to the registered claim.
    """
    by_category: dict[str, list[ChargeRoutedFact]] = defaultdict(list)
    by_payer: dict[str, list[ChargeRoutedFact]] = defaultdict(list)
    for fact in routed:
        if fact.transaction != "charge":
            continue
        by_category[revenue_category(revenue_codes.get(fact.line_key, ""))].append(fact)
        line = billed.get(fact.line_key)
        claim = claims.get(line.claim_id) if line is not None else None
        by_payer[claim.payer_id if claim is not None else UNBILLED].append(fact)
    return _lag_rows(by_category), _lag_rows(by_payer)


def denial_figures(
    denials: Iterable[ClaimDenied], claims: Sequence[RegisteredClaim]
) -> tuple[list[DenialFigures], list[DenialFigures]]:
    """Denial rate and amount by category and by payer over the registered claims.

    A denial reversed on a later 835 (negative amount) takes its amount back; a claim counts as
    denied in a group while its net denied amount there is positive.
    """
    payer_of = {c.claim_id: c.payer_id for c in claims}
    claims_per_payer: dict[str, int] = defaultdict(int)
    for claim in claims:
        claims_per_payer[claim.payer_id] += 1
    by_category: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    by_payer: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for denial in denials:
        payer = payer_of.get(denial.claim_id, denial.payer_id)
        by_category[denial.category.value][denial.claim_id] += denial.amount
        by_payer[payer][denial.claim_id] += denial.amount

    def rows(
        groups: Mapping[str, Mapping[str, Decimal]], total: Mapping[str, int] | int
    ) -> list[DenialFigures]:
        keys = sorted(set(groups) | (set(total) if isinstance(total, Mapping) else set()))
        found = []
        for key in keys:
            amounts = groups.get(key, {})
            whole = total.get(key, 0) if isinstance(total, Mapping) else total
            denied = sum(1 for amount in amounts.values() if amount > 0)
            found.append(
                DenialFigures(
                    group=key,
                    claims=whole,
                    denied_claims=denied,
                    rate=_ratio(Decimal(denied), Decimal(whole)) or ZERO,
                    denied_amount=sum(amounts.values(), ZERO),
                )
            )
        return found

    return rows(by_category, len(claims)), rows(by_payer, claims_per_payer)


async def _events(store: BaseStore, event_type: str, kind: type[_T]) -> list[_T]:
    """Every stored event of a type, decoded; one per idempotency key (the latest stored)."""
    found: dict[str, _T] = {}
    after = 0
    while True:
        page = await store.list_events(event_type, after_id=after, limit=PAGE)
        for event in page:
            if event.payload is not None:
                found[event.idempotency_key] = msgspec.json.decode(event.payload, type=kind)
        if len(page) < PAGE:
            return list(found.values())
        after = page[-1].id


def _revenue_codes(effects: Iterable[Effect]) -> dict[str, str]:
    codes: dict[str, str] = {}
    for effect in effects:
        if effect.content_type == CHARGE_CONTENT_TYPE and effect.payload is not None:
            line = msgspec.json.decode(effect.payload, type=RcmChargeLine)
            codes[line.line_key] = line.revenue_code
    return codes


async def business_analytics(
    store: BaseStore,
    *,
    charge_effects: Sequence[Effect] | None = None,
    chart: ChartOfAccounts | None = None,
) -> BusinessAnalytics:
    """Read the analytics from ``store`` (works beside a running engine).

    ``charge_effects``: the revenue-cycle charge effects when the caller has already read them (the
    business report has); read from the store otherwise.
    """
    journals = posted_journals(await store.state_rows(StateTable.LEDGER_JOURNALS))
    claims = registered_claims(await store.state_rows(StateTable.CLAIMS))
    billed = {
        key: msgspec.json.decode(raw, type=BilledLine)
        for key, raw in await store.state_rows(StateTable.CLAIM_LINES)
    }
    if charge_effects is None:
        charge_effects = await store.list_effects(limit=100_000_000)
    routed = await _events(store, "ChargeRouted", ChargeRoutedFact)
    lag_category, lag_payer = charge_lag_figures(
        routed, _revenue_codes(charge_effects), billed, {c.claim_id: c for c in claims}
    )
    denied_category, denied_payer = denial_figures(
        await _events(store, "ClaimDenied", ClaimDenied), claims
    )
    return BusinessAnalytics(
        service_lines=service_line_figures(journals, chart),
        charge_lag_by_category=lag_category,
        charge_lag_by_payer=lag_payer,
        denials_by_category=denied_category,
        denials_by_payer=denied_payer,
    )
