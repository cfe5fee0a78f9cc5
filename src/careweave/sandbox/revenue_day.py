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
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec

from careweave.app import build_application
from careweave.config import parse_settings
from careweave.connectors.rcm import RcmAccountsClient, RcmDestination
from careweave.engine.clock import ManualClock, SystemClock
from careweave.engine.runtime import Engine
from careweave.engine.store.base import BaseStore
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


def _settings(data_dir: Path, rcm_url: str, house_url: str, erp_url: str) -> str:
    return f"""
[engine]
data_dir = "{data_dir}"
log_level = "error"

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

[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
ordering_key = "PID-3.1"
flows = ["patient-to-billing"]
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "revenue-cycle"
payload = "none"
connector = {{ type = "rcm", base_url = "{rcm_url}" }}
worker = {{ concurrency = 64, batch_size = 512, poll_interval = 0.02 }}

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

[[channels.destinations]]
name = "erp"
payload = "none"
worker = {{ concurrency = 16, batch_size = 512, poll_interval = 0.02 }}

[channels.destinations.connector]
type = "erp"
base_url = "{erp_url}"
client_id = "{DEMO_CLIENT_ID}"
rate_limit = 100000.0
rate_burst = 1000
max_connections = 16
"""


async def _drain(engine: Engine, destination: str, within: float) -> None:
    """Wait until the destination has no pending or in-flight effect."""
    deadline = time.monotonic() + within
    store = engine.store
    while time.monotonic() < deadline:
        pending = await store.list_effects(
            destination=destination, state=EffectState.PENDING, limit=1
        )
        flying = await store.list_effects(
            destination=destination, state=EffectState.IN_FLIGHT, limit=1
        )
        if not pending and not flying:
            return
        await asyncio.sleep(0.05)
    raise CareweaveError(f"deliveries to {destination} did not finish in {within} s")


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


async def run_revenue_day(
    config: RevenueDayConfig, data_dir: Path, progress: Progress | None = None
) -> RevenueDayResult:
    """Run the day in an empty ``data_dir``; returns the reconciliation and what happened."""
    say = progress or (lambda _text: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    scenario = generate_scenario(
        EhrScenarioConfig(seed=config.seed, encounters_per_day=config.encounters)
    )
    messages = scenario.messages
    say(f"EHR simulator: {len(messages)} HL7 v2 messages for {config.encounters} encounters")
    business_day = dt.datetime.combine(
        scenario.config.start_date + dt.timedelta(days=3), dt.time(18), tzinfo=dt.UTC
    )
    calendar = ManualClock(business_day)
    house = Clearinghouse(
        ClearinghouseConfig(
            inbound=data_dir / "clearinghouse" / "in",
            outbound=data_dir / "clearinghouse" / "out",
            seed=config.seed,
            payers=clearinghouse_payers(scenario),
        ),
        clock=calendar.now,
    )
    rcm = RcmSimulator()
    erp = ErpSimulator(ErpSimulatorConfig(rate_limit=100_000.0, rate_burst=10_000))
    seed_erp(erp.state, build_books(scenario))  # its item master and locations, as the demo's
    with (
        SimulatorServer(rcm.app, name="rcm") as rcm_server,
        SimulatorServer(
            ClearinghouseSimulator(house, poll_interval=0).app, name="clearinghouse"
        ) as house_server,
        ErpSimulatorServer(erp) as erp_server,
    ):
        settings = parse_settings(
            _settings(data_dir, rcm_server.base_url, house_server.base_url, erp_server.base_url)
        )
        assert settings.claims is not None
        # The scenario's master data, as [masterdata] files would give it, and the settings' claims.
        services = FlowServices(
            billing=billing_references(scenario),
            coverage=coverage_table(scenario),
            payees=payee_entities(scenario),
            claims=claims_config(settings.claims, billing_providers(scenario)),
            clock=calendar,
        )
        application = build_application(
            settings,
            settings_dir=data_dir,
            env={"CAREWEAVE_ERP_SECRET": DEMO_CLIENT_SECRET},  # the connector's default secret_env
            services=services,
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
            say(f"ehr_ingest_s: {timings['ehr_ingest_s']:.1f}")
            await _drain(engine, "revenue-cycle", config.timeout)
            timings["charges_delivered_s"] = time.perf_counter() - started
            say(f"charges_delivered_s: {timings['charges_delivered_s']:.1f}")
            say(f"charges delivered to the RCM in {rcm_connector.batches_sent} batches")

            accounts = RcmAccountsClient(rcm_server.base_url)
            run_message = await _bill_ready(engine, accounts, f"{business_day:%Y-%m-%d}")
            await _drain(engine, "clearinghouse", config.timeout)
            await _drain(engine, "revenue-cycle", config.timeout)
            claim_run = await claim_run_report(store, run_message)
            timings["claims_sent_s"] = time.perf_counter() - started
            say(f"claims_sent_s: {timings['claims_sent_s']:.1f}")
            say(f"claim run: {len(claim_run.files)} 837 files, {len(claim_run.problems)} problems")

            calendar.advance(config.settle_days * 86400)
            for kind in ("999", "277", "835"):
                for name, raw in await _fetch_files(house_server.base_url, kind):
                    await engine.receive(
                        "clearinghouse",
                        raw,
                        content_type=X12_CONTENT_TYPE,
                        sender="clearinghouse",
                        dedup_key=f"{kind}:{name}",
                    )
            timings["responses_received_s"] = time.perf_counter() - started
            say(f"responses_received_s: {timings['responses_received_s']:.1f}")
            await _drain(engine, "erp", config.timeout)
            timings["remittances_posted_s"] = time.perf_counter() - started
            say(f"remittances_posted_s: {timings['remittances_posted_s']:.1f}")
            applied = await revenue_books.deliver_remittances(
                house_server.base_url, rcm_server.base_url
            )
            say(f"remittances applied by the RCM: {len(applied)} claims")
            urls = (rcm_server.base_url, house_server.base_url, erp_server.base_url)
            report = await _reconcile(store, accounts, urls, scenario)
            timings["reconciled_s"] = time.perf_counter() - started
            cases = await store.list_cases(limit=1_000_000)
            dead = await store.list_effects(state=EffectState.DEAD, limit=10_000)
            result = RevenueDayResult(
                report=report,
                messages=len(messages),
                claim_run=claim_run,
                files_837=[f.text for f in claim_run.files],
                cases_by_reason=dict(collections.Counter(c.reason_code for c in cases)),
                dead_effects=[f"{e.destination} {e.idempotency_key}: {e.last_error}" for e in dead],
                timings=timings,
            )
            await accounts.close()
        finally:
            await application.close()
    return result


async def _reconcile(
    store: BaseStore,
    accounts: RcmAccountsClient,
    urls: tuple[str, str, str],
    scenario: EhrScenario,
) -> ReconciliationReport:
    rcm_url, house_url, erp_url = urls
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
    unbilled = [
        UnbilledAccount(encounter_id=a.encounter_id, reason=a.not_ready or f"account {a.state}")
        for a in await accounts.accounts()
        if a.state != "billed"
    ]
    # The master data's billing providers: each NPI's legal entity, for the payers' files.
    entities = {f.npi: f.entity for f in scenario.system.facilities}
    gl, trial_balance = await revenue_books.ledger(erp_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    books = reconcile_books(
        await revenue_books.payer_files(house_url, entities),
        gl,
        trial_balance,
        await revenue_books.receivables(rcm_url),
    )
    return reconcile(charges, claim_lines, unbilled, books)
