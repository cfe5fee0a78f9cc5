"""The whole simulated day: one EHR day through every flow at once, on SQLite, over real sockets.

``careweave demo`` runs this. One application, built by :func:`careweave.app.build_application`
from settings that name the simulators, runs:

- the ``ehr`` channel (HL7 v2 over MLLP) through patient-to-billing, supply-to-replenish and
  cost-allocation together: charges and encounters to the revenue-cycle platform simulator;
  inventory movements, replenishment requisitions, bill-only purchase orders and cost journals to
  the cloud ERP simulator (OAuth2, REST); every raw message to a file archive;
- the claim run (``claims``: 837P/837I to the clearinghouse simulator) and the payers' answers
  (``clearinghouse``: 999, 277CA and 835 through the revenue flows, remittance journals to the
  same ERP).

One ERP simulator, seeded by :func:`~careweave.sandbox.erp_books.seed_erp` with the scenario's
item master, locations and opening stock, takes inventory, purchase orders and journals from both
sides. The scenario's faults stay in: damaged messages (stored in error, answered AR), supply codes
left out of the crosswalk (parked on one supply-chain case per code; the day fixes the busiest one
and every transaction parked on it is replayed), the payers' denials and rejections. The revenue
machinery is :mod:`careweave.sandbox.revenue_day`'s; the verdict is
:mod:`careweave.sandbox.day_checks`'.

::

    async with whole_day(WholeDayConfig(encounters=300), folder, stages) as day:
        print(day.verdict.lines())       # the engine and the simulators still serve here
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from careweave.app import Application, build_application
from careweave.config import parse_settings
from careweave.engine.clock import ManualClock, SystemClock
from careweave.engine.runtime import Engine
from careweave.engine.store.factory import SQLITE_FILE
from careweave.erp.item_miss import ItemMissFix, fix_item_miss
from careweave.erp.stored import stored_positions
from careweave.model.records import ExceptionCase, MessageQuery, MessageState
from careweave.revenue.diagnoses import Icd10CmCodeSet
from careweave.sandbox.day_checks import (
    DayVerdict,
    journal_breaks,
    supply_breaks,
    unexpected_exceptions,
)
from careweave.sandbox.ehr import EhrScenario, EhrScenarioConfig, generate_scenario, send_scenario
from careweave.sandbox.ehr.sender import SendResult
from careweave.sandbox.erp import ErpSimulator, ErpSimulatorConfig
from careweave.sandbox.erp.config import DEMO_CLIENT_SECRET
from careweave.sandbox.erp_books import (
    SINCE,
    ScenarioBooks,
    build_books,
    erp_item_number,
    seed_erp,
)
from careweave.sandbox.revenue_day import (
    CLAIMS_TOML,
    Remitted,
    RevenueSimulators,
    Stages,
    bill_and_remit,
    business_day,
    claims_channels,
    ehr_channel,
    engine_toml,
    erp_destination,
    rcm_destination,
    reconcile_revenue,
    revenue_services,
    serve_simulators,
    settle,
)

FLOWS = ("patient-to-billing", "supply-to-replenish", "cost-allocation")
API_TOML = """
[api]
host = "127.0.0.1"
port = 0
"""
"""The demo's ``[api]`` section: the application serves the API beside the engine, on a port it
picks (its OpenAPI document is open; no clients are configured, so no token is issued)."""


@dataclass(frozen=True)
class WholeDayConfig:
    """What the day simulates."""

    encounters: int = 300
    """Encounters started on the day."""
    seed: int = 7
    connections: int = 8
    """MLLP connections the EHR sends on."""
    malformed_rate: float = 0.02
    """Share of the EHR's messages damaged on purpose."""
    settle_days: int = 60
    """Days the simulated calendar moves on after billing, so that every 835 is released."""
    timeout: float = 300.0
    """Seconds to wait for deliveries at each stage."""
    erp_rate_limit: float = 5000.0
    """Requests per second the ERP simulator allows careweave's client (it answers 429 above)."""
    api: bool = False
    """Serve the API too (``[api]``), for a day that keeps serving."""


@dataclass
class WholeDay:
    """The day, run: what was sent and answered, the crosswalk fix, billing, the verdict; while
    the ``whole_day`` block lasts, ``application`` and ``sims`` still serve."""

    application: Application
    sims: RevenueSimulators
    scenario: EhrScenario
    sent: list[SendResult]
    fix: ItemMissFix | None
    fixed_case: ExceptionCase | None
    remitted: Remitted
    verdict: DayVerdict
    counts: dict[str, int]
    """The store's messages and effects by state."""
    effects: dict[tuple[str, str], int]
    """Effects by (destination, state)."""
    events: dict[str, int]
    """Canonical events stored, by type."""
    cases: list[ExceptionCase]
    """Exception cases still open."""
    errors: dict[str, int]
    """Messages in error, by reason."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds from the start at the end of each stage (``started_s``: the simulators and the
    engine listen; ``ehr_sent_s``, ... ``reconciled_s``)."""


def settings_toml(
    data_dir: Path, sims: RevenueSimulators, *, erp_rate_limit: float, api: bool = False
) -> str:
    """The day's settings: the ``ehr`` channel with its three destinations, then the claims and
    clearinghouse channels (and, with ``api``, the API)."""
    text = (
        engine_toml(data_dir)  # PHI sealed at rest with the folder's key
        + CLAIMS_TOML
        + ehr_channel(FLOWS)
        + rcm_destination(sims.rcm_url)
        + erp_destination(sims.erp_url, rate_limit=erp_rate_limit, burst=200)
        + f"""
[[channels.destinations]]
name = "archive"
connector = {{ type = "file", directory = "{data_dir / "archive"}", suffix = ".hl7" }}
"""
        + claims_channels(sims.house_url)
    )
    if api:  # the application serves the API and console on a port it picks
        text += API_TOML
    return text


def ingest_day(scenario: EhrScenario) -> dt.datetime:
    """The flows' "now" while the day comes in: the billing day, or the evening after the last
    clinical event when stays run past it (a charge dated after "now" is refused as future)."""
    last = max(
        (dt.datetime.fromisoformat(m.event_time) for m in scenario.messages if m.event_time),
        default=None,
    )
    if last is None:
        return business_day(scenario)
    evening = dt.datetime.combine(
        last.astimezone(dt.UTC).date() + dt.timedelta(days=1), dt.time(18), tzinfo=dt.UTC
    )
    return max(business_day(scenario), evening)


def opening_stock(encounters: int) -> int:
    """Each item's opening on hand at each location, for a day of ``encounters``: the busiest
    cath lab uses its busiest item about once in six encounters, and the ERP receives no
    deliveries during the day (its on hand does not go below zero, careweave's would)."""
    return max(100, encounters // 2)


def day_books(scenario: EhrScenario, encounters: int) -> ScenarioBooks:
    """The ERP master data of the day: the scenario's items, the crosswalk without the codes it
    leaves out on purpose, locations, cost centers, and stock enough for the day."""
    stock = opening_stock(encounters)
    return build_books(
        scenario,
        crosswalk_missing=scenario.catalog.missing_from_erp,
        opening_stock=stock,
        par=stock,
        reorder_point=stock * 9 // 10,
    )


async def _fix_busiest_miss(
    engine: Engine, books: ScenarioBooks, stages: Stages, within: float
) -> tuple[ExceptionCase | None, ItemMissFix | None]:
    """Map the item code with the most parked transactions (as a person would, once) and wait
    until everything parked on its case is replayed and delivered."""
    misses = [
        c
        for c in await engine.store.list_cases(limit=10_000)
        if c.case_key.startswith("item-miss:")
    ]
    busiest = max(misses, key=lambda c: len(c.message_ids), default=None)
    if busiest is None:
        return None, None
    code = busiest.case_key.split(":", 1)[1]
    fix = await fix_item_miss(
        engine,
        books.crosswalk,
        code,
        erp_item_number(code),
        actor="demo",
        effective_from=SINCE,
        source="demo",
    )
    label = f"crosswalk fixed: {fix.replayed} parked message(s) replayed"
    await settle(engine.store, within, stages.stage(label))
    return busiest, fix


def _grouped(database: Path, query: str) -> list[tuple[str, ...]]:
    """Rows of a GROUP BY count over the day's SQLite file, read-only (the store's API counts
    messages and effects by state only); the count is the last column."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return [tuple(str(v) for v in row) for row in conn.execute(query)]


def _event_counts(database: Path) -> dict[str, int]:
    """Canonical events stored, by type."""
    rows = _grouped(database, "SELECT event_type, COUNT(*) FROM events GROUP BY event_type")
    return {kind: int(n) for kind, n in rows}


def _effect_counts(database: Path) -> dict[tuple[str, str], int]:
    """Effects by destination and state."""
    query = "SELECT destination, state, COUNT(*) FROM effects GROUP BY destination, state"
    return {(d, state): int(n) for d, state, n in _grouped(database, query)}


@contextlib.asynccontextmanager
async def whole_day(
    config: WholeDayConfig, data_dir: Path, stages: Stages
) -> AsyncIterator[WholeDay]:
    """Run the day in the empty folder ``data_dir``; the block sees it with everything serving."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def done(name: str) -> None:
        timings[name] = time.perf_counter() - started

    # The ICD-10-CM list loads on first use, in the event loop: seconds with no ACK sent. Load it
    # beforehand, beside the rest of the set-up.
    code_sets = asyncio.create_task(asyncio.to_thread(Icd10CmCodeSet().status, "I25.10"))
    scenario = generate_scenario(
        EhrScenarioConfig(
            seed=config.seed,
            encounters_per_day=config.encounters,
            malformed_rate=config.malformed_rate,
        )
    )
    books = day_books(scenario, config.encounters)
    erp = ErpSimulator(ErpSimulatorConfig(rate_limit=config.erp_rate_limit, rate_burst=200))
    seed_erp(erp.state, books)
    calendar = ManualClock(ingest_day(scenario))
    with serve_simulators(scenario, data_dir, calendar, erp) as sims:
        settings = parse_settings(
            settings_toml(data_dir, sims, erp_rate_limit=config.erp_rate_limit, api=config.api)
        )
        application = build_application(
            settings,
            settings_dir=data_dir,
            env={"CAREWEAVE_ERP_SECRET": DEMO_CLIENT_SECRET},  # the connector's default secret_env
            services=revenue_services(scenario, settings, calendar, books.services()),
            middleware=[],
            clock=SystemClock(),  # the simulated calendar is the flows' clock, not the workers'
        )
        await code_sets
        async with application:  # leaving stops the engine, closes connectors and the store
            await application.start()
            done("started_s")
            engine, store = application.engine, application.store
            messages = scenario.messages
            port = engine.listeners["ehr"].port
            sent = await send_scenario(
                messages,
                "127.0.0.1",
                port,
                config.connections,
                stages.stage(f"EHR -> MLLP :{port}"),
            )
            done("ehr_sent_s")
            await settle(store, config.timeout, stages.stage("deliveries: RCM, ERP, archive"))
            done("delivered_s")

            busiest, fix = await _fix_busiest_miss(engine, books, stages, config.timeout)
            done("replayed_s")

            remitted = await bill_and_remit(
                engine,
                sims,
                calendar,
                settle_days=config.settle_days,
                within=config.timeout,
                stages=stages,
                timings=timings,
                started=started,
            )
            tick = stages.stage("the books: GL, 837/835, A/R, stock")
            cases = await store.list_cases(limit=1_000_000)
            in_error = await store.list_messages(
                MessageQuery(state=MessageState.ERROR, limit=1_000_000)
            )
            verdict = DayVerdict(
                revenue=await reconcile_revenue(store, sims, scenario),
                positions=len(books.opening),
                journals=len(erp.state.journals()),
                supply=supply_breaks(await stored_positions(store), books.opening, erp.state),
                unbalanced=journal_breaks(erp.state.journals()),
                unexpected=unexpected_exceptions(
                    cases, len(in_error), scenario.catalog.missing_from_erp, messages, sent
                ),
            )
            tick(1, 1)
            done("reconciled_s")
            database = data_dir / SQLITE_FILE
            yield WholeDay(
                application=application,
                sims=sims,
                scenario=scenario,
                sent=sent,
                fix=fix,
                fixed_case=busiest,
                remitted=remitted,
                verdict=verdict,
                counts=await store.counts(),
                effects=_effect_counts(database),
                events=_event_counts(database),
                cases=cases,
                errors=dict(collections.Counter((m.error or "").split(":")[0] for m in in_error)),
                timings=timings,
            )
