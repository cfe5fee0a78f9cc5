"""A sandbox revenue day: EHR charges to claims to remittances to the GL, reconciled to the cent.

One process, the embedded SQLite store, real sockets everywhere; the engine is built by
:func:`careweave.app.build_application` from settings that name the simulators' URLs
(``rcm``, ``http`` and ``erp`` connectors) and the claims' submitter and envelope (``[claims]``),
with the domain services made from the scenario:

1. the EHR simulator sends a day of HL7 v2 over MLLP; the ``ehr`` channel maps it and runs
   patient-to-billing, whose effects go to the revenue-cycle platform simulator over HTTP
   (charges batched, encounters registered and discharged);
2. the platform's ready accounts come in as one claim-run message on the ``claims`` channel, whose
   ``claim-submission`` flow registers the claims, takes control numbers and writes the 837P/837I
   files in that message's commit; the ``clearinghouse`` destination's worker posts them to the
   clearinghouse simulator (which answers 999 and 277CA and adjudicates), and billed notices go
   to the platform;
3. the simulated calendar moves on until every 835 is released; the 999, 277CA and 835 files come
   back in on the ``clearinghouse`` channel (format x12), whose flows link the answers to the claim
   register, post a balanced journal per payment and adjustment to the ERP simulator's general
   ledger (``finance-posting``, ``erp`` connector: OAuth2, its REST API), open denial work items
   and claim rejection cases; the clearinghouse delivers the payers' outcomes to the platform,
   which applies them to its accounts receivable;
4. :func:`careweave.revenue.reconciliation.reconcile` checks that every charge was billed once, and
   :func:`careweave.revenue.books.reconcile_books` proves the books: the ERP's journals and trial
   balance against totals read from the raw 837 and 835 files, and the platform's A/R against both
   (:mod:`careweave.sandbox.revenue_books` reads the three sides).

The pieces are shared with ``careweave demo`` (:mod:`careweave.sandbox.whole_day`), which runs the
same revenue machinery beside the supply and cost flows: the settings' fragments
(:func:`ehr_channel`, :func:`rcm_destination`, :func:`erp_destination`, :func:`claims_channels`),
the simulators (:func:`serve_simulators`), the flows' revenue services (:func:`revenue_services`),
waiting for deliveries (:func:`settle`), billing and remitting (:func:`bill_and_remit`) and the
reconciliation (:func:`reconcile_revenue`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx
import msgspec

from careweave.app import build_application
from careweave.config import Settings, parse_settings
from careweave.connectors.rcm import RcmAccountsClient, RcmDestination
from careweave.engine.clock import ManualClock, SystemClock
from careweave.engine.runtime import Engine
from careweave.engine.store.base import BaseStore
from careweave.engine.store.phi_keys import FOLDER_KEY_FILE
from careweave.exceptions import CareweaveError
from careweave.flows.claim_register import registered_claims
from careweave.flows.claim_run_report import ClaimRunResult, claim_run_report
from careweave.flows.claim_submission import CLAIM_RUN_CONTENT_TYPE, claim_run_request
from careweave.flows.claims import claims_config
from careweave.flows.services import FlowServices
from careweave.mappings.x12_decode import X12_CONTENT_TYPE
from careweave.model.rcm import CHARGE_CONTENT_TYPE, RcmChargeLine
from careweave.model.records import EffectState
from careweave.model.state import StateTable
from careweave.revenue.books import reconcile_books
from careweave.revenue.reconciliation import (
    ChargeFact,
    ClaimLineFact,
    ReconciliationReport,
    UnbilledAccount,
    reconcile,
)
from careweave.sandbox import revenue_books
from careweave.sandbox.clearinghouse import (
    Clearinghouse,
    ClearinghouseConfig,
    ClearinghouseSimulator,
)
from careweave.sandbox.ehr import EhrScenario, EhrScenarioConfig, generate_scenario, send_scenario
from careweave.sandbox.erp import ErpSimulator, ErpSimulatorConfig, ErpSimulatorServer
from careweave.sandbox.erp.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from careweave.sandbox.erp_books import build_books, seed_erp
from careweave.sandbox.rcm import RcmSimulator
from careweave.sandbox.revenue_masters import (
    billing_providers,
    billing_references,
    clearinghouse_payers,
    coverage_table,
    payee_entities,
)
from careweave.sandbox.serving import SimulatorServer

Progress = Callable[[str], None]
Tick = Callable[[int, int], None]
"""``tick(done, total)``: how far a stage is."""


class Stages(Protocol):
    """Where a day reports its stages: a progress bar (the demo) or lines of text."""

    def stage(self, label: str) -> Tick:
        """A stage begins; returns what to tell of its progress."""
        ...

    def note(self, text: str) -> None:
        """Something worth a line."""
        ...


class TextStages:
    """Stages as lines of text through ``say`` (nothing when None): what the CLI prints."""

    def __init__(self, say: Progress | None = None) -> None:
        self._say = say or (lambda _text: None)

    def stage(self, label: str) -> Tick:
        """Nothing to show of a stage's progress in text."""
        return lambda _done, _total: None

    def note(self, text: str) -> None:
        """One line."""
        self._say(text)


@dataclass(frozen=True)
class RevenueDayConfig:
    """What the day simulates."""

    encounters: int = 2000
    """Encounters started on the day."""
    seed: int = 7
    connections: int = 4
    """MLLP connections the EHR sends on."""
    settle_days: int = 60
    """Days the simulated calendar moves on after billing, so that every 835 is released."""
    timeout: float = 300.0
    """Seconds to wait for deliveries at each stage."""


@dataclass
class RevenueDayResult:
    """What the day did, and the reconciliation."""

    report: ReconciliationReport
    messages: int
    claim_run: ClaimRunResult
    files_837: list[str] = field(default_factory=list)
    cases_by_reason: dict[str, int] = field(default_factory=dict)
    dead_effects: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


# -- settings: fragments of one TOML document ------------------------------------------------------

CLAIMS_TOML = """
[claims.submitter]
name = "RIVERBEND HEALTH"
id = "RBH837"
contact_name = "BILLING OFFICE"
contact_phone = "9205550100"

[claims.receiver]
name = "CAREWEAVE CLEARINGHOUSE"
id = "CWCLEARING"

[claims.interchange]
sender_id = "RBH837"
receiver_id = "CWCLEARING"
"""
"""Who submits the day's 837s to whom."""


def engine_toml(data_dir: Path, phi_key: Path | None = None) -> str:
    """The ``[engine]`` section: the day's SQLite store in ``data_dir``, quiet logs; PHI sealed at
    rest with the key in the file ``phi_key``, by default the folder's own key file when it has
    one (``careweave demo`` writes one)."""
    if phi_key is None and (data_dir / FOLDER_KEY_FILE).exists():
        phi_key = data_dir / FOLDER_KEY_FILE
    phi = f'phi_key_file = "{phi_key}"\n' if phi_key is not None else ""
    return f"""
[engine]
data_dir = "{data_dir}"
log_level = "error"
{phi}"""


def ehr_channel(flows: Sequence[str]) -> str:
    """The ``ehr`` channel: HL7 v2 over MLLP on a free port, mapped and run through ``flows``
    (the destinations that follow in the document are its own)."""
    names = ", ".join(f'"{flow}"' for flow in flows)
    return f"""
[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
ordering_key = "PID-3.1"
flows = [{names}]
source = {{ type = "mllp", port = 0 }}
"""


def rcm_destination(rcm_url: str) -> str:
    """The ``revenue-cycle`` destination: the platform's API (charges batched)."""
    return f"""
[[channels.destinations]]
name = "revenue-cycle"
payload = "none"
connector = {{ type = "rcm", base_url = "{rcm_url}" }}
worker = {{ concurrency = 64, batch_size = 512, poll_interval = 0.02 }}
"""


def erp_destination(erp_url: str, *, rate_limit: float = 100_000.0, burst: int = 1000) -> str:
    """The ``erp`` destination: the cloud ERP's REST API (OAuth2, the simulator's demo client)."""
    return f"""
[[channels.destinations]]
name = "erp"
payload = "none"

[channels.destinations.worker]
concurrency = 16
batch_size = 512
poll_interval = 0.02
retry = {{ max_attempts = 20, initial_backoff = 0.05, max_backoff = 1.0 }}

[channels.destinations.connector]
type = "erp"
base_url = "{erp_url}"
client_id = "{DEMO_CLIENT_ID}"
rate_limit = {rate_limit}
rate_burst = {burst}
max_connections = 16
"""


def claims_channels(house_url: str) -> str:
    """The ``claims`` channel (claim runs in, 837s to the clearinghouse) and the ``clearinghouse``
    channel (999, 277CA and 835 in, through the revenue flows; destinations that follow in the
    document are its own)."""
    return f"""
[[channels]]
name = "claims"
format = "claim-run"
flows = ["claim-submission"]
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "clearinghouse"
payload = "none"
connector = {{ type = "http", url = "{house_url}/837", timeout = 120.0 }}
worker = {{ concurrency = 4, poll_interval = 0.02 }}

[[channels]]
name = "clearinghouse"
format = "x12"
mapping = "x12-revenue"
flows = ["claim-acknowledgments", "finance-posting", "denial-to-adjustment", "claim-rejections"]
source = {{ type = "mllp", port = 0 }}
"""


def _settings(data_dir: Path, sims: RevenueSimulators) -> str:
    return (
        engine_toml(data_dir)
        + CLAIMS_TOML
        + ehr_channel(["patient-to-billing"])
        + rcm_destination(sims.rcm_url)
        + claims_channels(sims.house_url)
        + erp_destination(sims.erp_url)  # the clearinghouse channel's: finance posting's journals
    )


# -- the simulators --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevenueSimulators:
    """The revenue-cycle platform, the clearinghouse with its payers and the cloud ERP, serving."""

    rcm: RcmSimulator
    house: Clearinghouse
    erp: ErpSimulator
    rcm_url: str
    house_url: str
    erp_url: str


def business_day(scenario: EhrScenario) -> dt.datetime:
    """When the day's claims are billed: the evening of the scenario's fourth day."""
    start = scenario.config.start_date + dt.timedelta(days=3)
    return dt.datetime.combine(start, dt.time(18), tzinfo=dt.UTC)


@contextlib.contextmanager
def serve_simulators(
    scenario: EhrScenario, data_dir: Path, calendar: ManualClock, erp: ErpSimulator
) -> Iterator[RevenueSimulators]:
    """Serve the platform, the clearinghouse (on the simulated ``calendar``, its folders in
    ``data_dir``) and ``erp`` (seeded by the caller) on free loopback ports, until the block ends."""
    house = Clearinghouse(
        ClearinghouseConfig(
            inbound=data_dir / "clearinghouse" / "in",
            outbound=data_dir / "clearinghouse" / "out",
            seed=scenario.config.seed,
            payers=clearinghouse_payers(scenario),
        ),
        clock=calendar.now,
    )
    rcm = RcmSimulator()
    with (
        SimulatorServer(rcm.app, name="rcm") as rcm_server,
        SimulatorServer(
            ClearinghouseSimulator(house, poll_interval=0).app, name="clearinghouse"
        ) as house_server,
        ErpSimulatorServer(erp) as erp_server,
    ):
        yield RevenueSimulators(
            rcm=rcm,
            house=house,
            erp=erp,
            rcm_url=rcm_server.base_url,
            house_url=house_server.base_url,
            erp_url=erp_server.base_url,
        )


def revenue_services(
    scenario: EhrScenario,
    settings: Settings,
    calendar: ManualClock,
    base: FlowServices | None = None,
) -> FlowServices:
    """``base`` with the scenario's revenue master data (billing references, coverage, payees),
    the settings' claims and the simulated calendar, as ``[masterdata]`` files would give them."""
    if settings.claims is None:
        raise CareweaveError("the revenue day's settings name no [claims] section")
    return dataclasses.replace(
        base or FlowServices(),
        billing=billing_references(scenario),
        coverage=coverage_table(scenario),
        payees=payee_entities(scenario),
        claims=claims_config(settings.claims, billing_providers(scenario)),
        clock=calendar,
    )


# -- the day's stages ------------------------------------------------------------------------------


async def settle(store: BaseStore, within: float, tick: Tick | None = None) -> None:
    """Wait until every stored message is processed and every effect delivered or dead.

    ``tick(done, total)`` is told the effects delivered or dead out of all of them.
    """
    deadline = time.monotonic() + within
    while True:
        counts = await store.counts()
        total = sum(v for k, v in counts.items() if k.startswith("effects."))
        done = counts.get("effects.delivered", 0) + counts.get("effects.dead", 0)
        if tick is not None:
            tick(done, total)
        if done >= total and not counts.get("messages.received", 0):
            return
        if time.monotonic() > deadline:
            waiting = total - done
            raise CareweaveError(f"{waiting} deliveries did not finish in {within:.0f} s")
        await asyncio.sleep(0.05)


async def _fetch_files(base_url: str, kind: str) -> list[tuple[str, bytes]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        listing = (await client.get(f"/{kind}")).json()
        found = []
        for item in sorted(listing, key=lambda i: i["sequence"]):
            response = await client.get(f"/{kind}/{item['name']}")
            response.raise_for_status()
            found.append((item["name"], response.content))
        return found


async def _bill_ready(engine: Engine, accounts: RcmAccountsClient, run_id: str) -> int:
    """Send the platform's ready accounts in as a claim-run message; returns its message id.

    Sent again after a kill, the same accounts are the same message (a duplicate); accounts the
    register already billed are skipped by the flow: nothing is billed twice.
    """
    body, dedup_key = claim_run_request(await accounts.ready_accounts(), run_id)
    result, processing = await engine.receive(
        "claims",
        body,
        content_type=CLAIM_RUN_CONTENT_TYPE,
        sender="revenue-cycle",
        dedup_key=dedup_key,
    )
    if processing.error:
        raise CareweaveError(f"claim run {run_id} is held in error: {processing.error}")
    return result.message_id


@dataclass(frozen=True)
class Remitted:
    """What billing and remitting did."""

    claim_run: ClaimRunResult
    responses: int
    """999, 277CA and 835 files received from the clearinghouse."""
    applied: int
    """Claims whose remittance the platform applied to its A/R."""


async def bill_and_remit(
    engine: Engine,
    sims: RevenueSimulators,
    calendar: ManualClock,
    *,
    settle_days: int,
    within: float,
    stages: Stages,
    timings: dict[str, float],
    started: float,
) -> Remitted:
    """Bill the platform's ready accounts (one claim run: 837s to the clearinghouse), move the
    calendar on until the payers have answered, take the 999, 277CA and 835 files in on the
    ``clearinghouse`` channel, wait until their journals are posted and let the platform apply the
    remittances. Records each stage's end in ``timings`` (seconds since ``started``)."""
    store = engine.store

    def done(name: str) -> None:
        timings[name] = time.perf_counter() - started
        stages.note(f"{name}: {timings[name]:.1f}")

    accounts = RcmAccountsClient(sims.rcm_url)
    try:
        run_message = await _bill_ready(engine, accounts, f"{calendar.now():%Y-%m-%d}")
    finally:
        await accounts.close()
    await settle(store, within, stages.stage("claims: 837s to the clearinghouse"))
    claim_run = await claim_run_report(store, run_message)
    done("claims_sent_s")
    stages.note(f"claim run: {len(claim_run.files)} 837 files, {len(claim_run.problems)} problems")

    calendar.advance(settle_days * 86400)
    files = [
        (kind, name, raw)
        for kind in ("999", "277", "835")
        for name, raw in await _fetch_files(sims.house_url, kind)
    ]
    tick = stages.stage("payers: 999, 277CA and 835 files in")
    for n, (kind, name, raw) in enumerate(files, 1):
        await engine.receive(
            "clearinghouse",
            raw,
            content_type=X12_CONTENT_TYPE,
            sender="clearinghouse",
            dedup_key=f"{kind}:{name}",
        )
        tick(n, len(files))
    tick(len(files), len(files))
    done("responses_received_s")
    await settle(store, within, stages.stage("remittances: journals to the ERP's GL"))
    done("remittances_posted_s")
    applied = await revenue_books.deliver_remittances(sims.house_url, sims.rcm_url)
    stages.note(f"remittances applied by the RCM: {len(applied)} claims")
    return Remitted(claim_run=claim_run, responses=len(files), applied=len(applied))


async def run_revenue_day(
    config: RevenueDayConfig, data_dir: Path, progress: Progress | None = None
) -> RevenueDayResult:
    """Run the day in an empty ``data_dir``; returns the reconciliation and what happened."""
    stages = TextStages(progress)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    scenario = generate_scenario(
        EhrScenarioConfig(seed=config.seed, encounters_per_day=config.encounters)
    )
    messages = scenario.messages
    stages.note(
        f"EHR simulator: {len(messages)} HL7 v2 messages for {config.encounters} encounters"
    )
    calendar = ManualClock(business_day(scenario))
    erp = ErpSimulator(ErpSimulatorConfig(rate_limit=100_000.0, rate_burst=10_000))
    seed_erp(erp.state, build_books(scenario))  # its item master and locations, as the demo's
    with serve_simulators(scenario, data_dir, calendar, erp) as sims:
        settings = parse_settings(_settings(data_dir, sims))
        application = build_application(
            settings,
            settings_dir=data_dir,
            env={"CAREWEAVE_ERP_SECRET": DEMO_CLIENT_SECRET},  # the connector's default secret_env
            services=revenue_services(scenario, settings, calendar),
            middleware=[],
            clock=SystemClock(),  # the simulated calendar is the flows' clock, not the workers'
        )
        engine, store = application.engine, application.store
        rcm_connector = engine.workers["revenue-cycle"].connector
        assert isinstance(rcm_connector, RcmDestination)
        try:
            await application.start()
            port = engine.listeners["ehr"].port
            await send_scenario(messages, "127.0.0.1", port, config.connections, None)
            timings["ehr_ingest_s"] = time.perf_counter() - started
            stages.note(f"ehr_ingest_s: {timings['ehr_ingest_s']:.1f}")
            await settle(store, config.timeout)
            timings["charges_delivered_s"] = time.perf_counter() - started
            stages.note(f"charges_delivered_s: {timings['charges_delivered_s']:.1f}")
            stages.note(f"charges delivered to the RCM in {rcm_connector.batches_sent} batches")
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
            report = await reconcile_revenue(store, sims, scenario)
            timings["reconciled_s"] = time.perf_counter() - started
            cases = await store.list_cases(limit=1_000_000)
            dead = await store.list_effects(state=EffectState.DEAD, limit=10_000)
            result = RevenueDayResult(
                report=report,
                messages=len(messages),
                claim_run=remitted.claim_run,
                files_837=[f.text for f in remitted.claim_run.files],
                cases_by_reason=dict(collections.Counter(c.reason_code for c in cases)),
                dead_effects=[f"{e.destination} {e.idempotency_key}: {e.last_error}" for e in dead],
                timings=timings,
            )
        finally:
            await application.close()
    return result


async def reconcile_revenue(
    store: BaseStore, sims: RevenueSimulators, scenario: EhrScenario
) -> ReconciliationReport:
    """Every charge billed once (careweave's charges against its claim register and the platform's
    unbilled accounts), and the books: the ERP's remittance journals and trial balance against the
    raw 837/835 files and the platform's A/R."""
    effects = await store.list_effects(destination="revenue-cycle", limit=10_000_000)
    charges = []
    for effect in effects:
        if effect.content_type != CHARGE_CONTENT_TYPE or effect.payload is None:
            continue
        line = msgspec.json.decode(effect.payload, type=RcmChargeLine)
        charges.append(
            ChargeFact(
                line_key=line.line_key,
                encounter_id=line.encounter_id,
                entity=line.entity,
                amount=line.quantity * line.unit_amount,
                transaction=line.transaction,
                reverses=line.reverses,
            )
        )
    claim_lines = [
        ClaimLineFact(
            claim_id=claim.claim_id,
            line_key=line.line_key,
            amount=line.amount,
            entity=claim.entity,
            encounter_id=claim.encounter_id,
        )
        for claim in registered_claims(await store.state_rows(StateTable.CLAIMS))
        for line in claim.lines
    ]
    accounts = RcmAccountsClient(sims.rcm_url)
    try:
        unbilled = [
            UnbilledAccount(encounter_id=a.encounter_id, reason=a.not_ready or f"account {a.state}")
            for a in await accounts.accounts()
            if a.state != "billed"
        ]
    finally:
        await accounts.close()
    # The master data's billing providers: each NPI's legal entity, for the payers' files.
    entities = {f.npi: f.entity for f in scenario.system.facilities}
    gl, trial_balance = await revenue_books.ledger(sims.erp_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    books = reconcile_books(
        await revenue_books.payer_files(sims.house_url, entities),
        revenue_books.remittance_lines(gl),
        trial_balance,
        await revenue_books.receivables(sims.rcm_url),
    )
    return reconcile(charges, claim_lines, unbilled, books)
