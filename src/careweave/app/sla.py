"""The SLA monitor: each ``[[sla]]`` measured from the store, breaches and recoveries told once.

Every ``interval`` seconds each service level is measured from the store (so two engines on one
PostgreSQL database see the same figure). A breach opens the exception case ``sla:<name>`` for its
team, stating the business impact ("37 charges ($412,000.00) waiting for revenue-cycle, the oldest
for 18 min"); while it lasts, the open case is found again, not opened twice. Back within the
threshold, the case is resolved with the recovery. ``[notifications]`` tells the team of the
opening, of the escalation when the case's own deadline passes, and of the resolution: one notice
each, deduplicated by the store like every case notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import msgspec
import structlog

from careweave.app.report import KINDS, EffectTotal
from careweave.engine.clock import Clock, SystemClock
from careweave.engine.sla_config import SlaConfig, case_key
from careweave.engine.store.base import BaseStore
from careweave.exceptions import CareweaveError
from careweave.model.casework import CaseSeverity
from careweave.model.charges import ChargeCaptured
from careweave.model.records import CaseState, EffectState, NewCase

log = structlog.get_logger("careweave.sla")

SCAN = 100_000
"""Effects read per destination and state when measuring (a queue past this is reported as is)."""
PARKED_READ = 500
"""Parked messages read to value an ``open_cases`` breach (beyond it the value is a floor)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One measure of one service level."""

    value: float
    impact: str
    """The business impact, for people ("37 charges ($412,000.00) waiting for ...")."""


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


class SlaMonitor:
    """Measures the service levels and opens or resolves their cases."""

    def __init__(
        self,
        store: BaseStore,
        levels: Sequence[SlaConfig],
        *,
        interval: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.levels = list(levels)
        self.interval = interval
        self._clock = clock or SystemClock()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Measure every ``interval`` seconds until stopped."""
        if self.levels and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="sla-monitor")

    async def stop(self) -> None:
        """Stop measuring."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except CareweaveError as exc:  # the store is down: measure again at the next turn
                log.error("sla measurement failed", error=str(exc))
            await asyncio.sleep(self.interval)

    async def run_once(self) -> list[tuple[str, str]]:
        """Measure each level once; returns what changed: ``(name, "breached" | "recovered")``."""
        changed: list[tuple[str, str]] = []
        now = self._clock.now()
        for level in self.levels:
            reading = await self.measure(level, now)
            open_cases = await self.store.list_cases(state=CaseState.OPEN, case_key=case_key(level))
            if reading.value > level.threshold:
                _, opened = await self.store.open_case(self._case(level, reading), now=now)
                if opened:
                    changed.append((level.name, "breached"))
                    log.warning("sla breached", sla=level.name, impact=reading.impact)
            elif open_cases:
                for case in open_cases:
                    await self.store.resolve_case(
                        case.id,
                        actor="careweave",
                        resolution=f"recovered: {reading.impact} (threshold {level.threshold:g})",
                        now=now,
                    )
                changed.append((level.name, "recovered"))
                log.info("sla recovered", sla=level.name, impact=reading.impact)
        return changed

    def _case(self, level: SlaConfig, reading: Reading) -> NewCase:
        return NewCase(
            case_key=case_key(level),
            reason_code="SLA_BREACH",
            owning_team=level.team,
            summary=f"SLA {level.name} breached: {reading.impact}",
            suggested_fix=_fix(level),
            details=(
                f"measure={level.measure} threshold={level.threshold:g} value={reading.value:g}",
                f"destination={level.destination or '-'} reason={level.reason or '-'}",
            ),
            sla_hours=level.response_hours,
            severity=CaseSeverity.HIGH,
        )

    async def measure(self, level: SlaConfig, now: dt.datetime) -> Reading:
        """The level's measure now, with its business impact."""
        if level.measure == "open_cases":
            return await self._open_cases(level)
        quick = await self._quick(level, now)
        if quick is not None and quick.value <= level.threshold:
            return quick  # within the level: no need to read and value the whole queue
        effects = [
            e
            for state in (EffectState.PENDING, EffectState.IN_FLIGHT)
            for e in await self.store.list_effects(
                destination=level.destination, state=state, limit=SCAN
            )
            if not level.content_type or e.content_type == level.content_type
        ]
        totals: dict[str, EffectTotal] = {}
        for effect in effects:
            known = KINDS.get(effect.content_type)
            total = totals.setdefault(known[0] if known else effect.content_type, EffectTotal())
            total.count += 1
            if known is not None and effect.payload is not None:
                known[1](effect.payload, total)
        what = ", ".join(
            f"{t.count} {kind}" + (f" ({_money(t.amount)})" if t.amount else "")
            for kind, t in sorted(totals.items())
        )
        oldest = min((e.created_at for e in effects), default=None)
        age = (now - oldest).total_seconds() if oldest is not None else 0.0
        where = f"waiting for {level.destination}"
        impact = f"{what} {where}, the oldest for {_age(age)}" if effects else f"nothing {where}"
        value = age if level.measure == "oldest_pending_seconds" else float(len(effects))
        return Reading(value=value, impact=impact)

    async def _quick(self, level: SlaConfig, now: dt.datetime) -> Reading | None:
        """The measure from the queue's head or count alone (None when a filter needs the rest):
        what every turn pays while the level holds."""
        if level.content_type:
            return None
        where = f"waiting for {level.destination}"
        if level.measure == "queue_depth":
            depth = (await self.store.queue_depths()).get(level.destination)
            if depth is None:
                return None  # a backend without the per-destination count
            return Reading(
                float(depth), f"{depth} effect(s) {where}" if depth else f"nothing {where}"
            )
        heads = [
            e
            for state in (EffectState.PENDING, EffectState.IN_FLIGHT)
            for e in await self.store.list_effects(
                destination=level.destination, state=state, limit=1
            )
        ]
        oldest = min((e.created_at for e in heads), default=None)
        if oldest is None:
            return Reading(0.0, f"nothing {where}")
        age = (now - oldest).total_seconds()
        return Reading(age, f"effects {where}, the oldest for {_age(age)}")

    async def _open_cases(self, level: SlaConfig) -> Reading:
        cases = [
            c
            for c in await self.store.list_cases(state=CaseState.OPEN, limit=SCAN)
            if c.reason_code == level.reason
        ]
        parked = sorted({m for c in cases for m in c.message_ids})
        charges, held = 0, Decimal("0.00")
        for message_id in parked[:PARKED_READ]:
            for event in (await self.store.lineage(message_id)).events:
                if event.event_type != "ChargeCaptured" or event.payload is None:
                    continue
                charge = msgspec.json.decode(event.payload, type=ChargeCaptured)
                charges += 1
                if charge.extended_amount is not None:
                    held += charge.extended_amount.amount
        impact = f"{len(cases)} {level.reason} case(s) hold {len(parked)} message(s)" + (
            f" carrying {charges} charge(s), {_money(held)}" if charges else ""
        )
        return Reading(value=float(len(cases)), impact=impact)


def _fix(level: SlaConfig) -> str:
    if level.measure == "open_cases":
        return f"Work the open {level.reason} cases (careweave cases list)."
    return (
        f"Check {level.destination}: its breaker, errors and dead letters "
        "(careweave deadletters list); the queue drains once it answers."
    )
