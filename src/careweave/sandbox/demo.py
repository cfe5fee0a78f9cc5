"""``careweave demo``: a simulated day of EHR traffic through the engine, over real sockets.

One process, the embedded SQLite store, built by :func:`careweave.app.build_application` from
settings that name the simulators (an ``erp`` connector to the ERP simulator, ``http`` to the
recording endpoint) and the master data made from the scenario. The EHR simulator sends HL7 v2 over
MLLP on four connections; the engine stores each message before acknowledging it, maps it to
canonical events and runs the supply-to-replenish and cost-allocation flows, whose inventory
movements, bill-only purchase orders and journals go to the simulated cloud ERP over its REST API
(OAuth2, rate limit). Charges go as JSON events to a recording endpoint standing in for the
revenue-cycle platform, the raw messages to a file archive. Malformed messages are stored and
answered AR; supplies whose EHR item code is missing from the crosswalk park on one supply-chain case
per code. At the end the demo fixes the busiest case once and every transaction parked on it is
replayed, and compares careweave's stock positions (business state in its store) with the ERP's
on-hand figures.
"""

from __future__ import annotations

import asyncio
import collections
import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from careweave.app import build_application
from careweave.config import parse_settings
from careweave.engine.store.base import BaseStore
from careweave.erp.item_miss import fix_item_miss
from careweave.erp.stored import stored_positions
from careweave.model.records import EffectState, ExceptionCase, MessageQuery, MessageState
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario, send_scenario
from careweave.sandbox.erp import ErpSimulator, ErpSimulatorConfig, ErpSimulatorServer
from careweave.sandbox.erp_books import SINCE, build_books, erp_item_number, seed_erp
from careweave.testing import RecordingHttpServer

_ERP_CLIENT, _ERP_SECRET = "careweave", "careweave-secret"  # the simulator's demo client


def _settings(data_dir: Path, erp_url: str, rcm_url: str) -> str:
    return f"""
[engine]
data_dir = "{data_dir}"
log_level = "error"

[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["supply-to-replenish", "cost-allocation"]
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "erp"
payload = "none"
worker = {{ concurrency = 8, retry = {{ max_attempts = 20, initial_backoff = 0.05, max_backoff = 1.0 }} }}

[channels.destinations.connector]
type = "erp"
base_url = "{erp_url}"
client_id = "{_ERP_CLIENT}"
rate_limit = 500.0
rate_burst = 50

[[channels.destinations]]
name = "revenue-cycle"
payload = "events"
event_types = ["ChargeCaptured"]
connector = {{ type = "http", url = "{rcm_url}/rcm/charges" }}

[[channels.destinations]]
name = "archive"
connector = {{ type = "file", directory = "{data_dir / "archive"}", suffix = ".hl7" }}
"""


async def _settle(store: BaseStore, progress: Progress, label: str, patience: float = 120) -> None:
    """Wait until every effect is delivered or dead, showing a progress bar."""
    counts = await store.counts()
    total = sum(v for k, v in counts.items() if k.startswith("effects."))
    task = progress.add_task(label, total=total)
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        counts = await store.counts()
        total = sum(v for k, v in counts.items() if k.startswith("effects."))
        done = counts.get("effects.delivered", 0) + counts.get("effects.dead", 0)
        progress.update(task, completed=done, total=total)
        if done >= total:
            return
        await asyncio.sleep(0.1)


def _busiest(cases: list[ExceptionCase]) -> ExceptionCase | None:
    misses = [c for c in cases if c.case_key.startswith("item-miss:")]
    return max(misses, key=lambda c: len(c.message_ids), default=None)


async def run_demo(
    data_dir: Path, *, seed: int = 7, encounters: int = 150, console: Console
) -> None:
    """Run the demo scenario (in a prepared, empty ``data_dir``) and print its summary."""
    scenario = generate_scenario(
        EhrScenarioConfig(seed=seed, encounters_per_day=encounters, malformed_rate=0.02)
    )
    messages = scenario.messages
    missing = scenario.catalog.missing_from_erp
    books = build_books(scenario, crosswalk_missing=missing)
    console.print(
        f"[bold]careweave demo[/]: {len(messages)} HL7 v2 messages from the simulated EHR "
        f"(seed {seed}; {sum(1 for m in messages if m.malformed)} deliberately malformed; "
        f"{len(missing)} of {len(scenario.catalog.items)} supply codes missing from the crosswalk)"
    )
    simulator = ErpSimulator(ErpSimulatorConfig(rate_limit=500.0, rate_burst=100))
    seed_erp(simulator.state, books)
    with ErpSimulatorServer(simulator) as erp_server, RecordingHttpServer() as rcm:
        application = build_application(
            parse_settings(_settings(data_dir, erp_server.base_url, rcm.url)),
            settings_dir=data_dir,
            env={"CAREWEAVE_ERP_SECRET": _ERP_SECRET},  # the connector's default secret_env
            services=books.services(),  # the scenario's books stand in for [masterdata]
            middleware=[],
        )
        async with application:  # leaving stops the engine, closes connectors and the store
            await application.start()
            engine, store = application.engine, application.store
            port = engine.listeners["ehr"].port
            started = time.perf_counter()
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console) as progress:
                sending = progress.add_task(f"EHR -> MLLP :{port}", total=len(messages))

                def advance(done: int, _total: int) -> None:
                    progress.update(sending, completed=done)

                results = await send_scenario(messages, "127.0.0.1", port, 4, advance)
                sent_s = time.perf_counter() - started
                await _settle(store, progress, "deliveries (ERP, RCM, archive)")
                cases = await store.list_cases()
                busiest = _busiest(cases)
                fix = None
                if busiest is not None:
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
                    await _settle(store, progress, f"replaying {fix.replayed} parked message(s)")
            await application.stop()
            counts = await store.counts()
            errors = await store.list_messages(MessageQuery(state=MessageState.ERROR, limit=10_000))
            per_dest = collections.Counter(
                (e.destination, e.state.value) for e in await store.list_effects(limit=1_000_000)
            )
            dead = await store.list_effects(state=EffectState.DEAD, limit=10_000)
            open_cases = await store.list_cases()
            moved = await stored_positions(store)

    state = simulator.state
    agree = all(state.on_hand(item, loc) == p.on_hand for (loc, item), p in moved.items())
    acks = collections.Counter(r.ack_code or "no answer" for r in results)
    table = Table(title="What happened", show_header=True)
    table.add_column("")
    table.add_column("count", justify="right")
    rows = [
        ("messages sent", len(messages)),
        ("ACKs " + ", ".join(f"{k}={v}" for k, v in sorted(acks.items())), sum(acks.values())),
        ("stored and processed", counts.get("messages.processed", 0)),
        ("stored, parked on a supply-chain case", counts.get("messages.parked", 0)),
        ("stored, in error (fix and replay)", counts.get("messages.error", 0)),
        *((f"effects to {d}: {s}", n) for (d, s), n in sorted(per_dest.items())),
        ("dead letters", len(dead)),
        (
            "ERP inventory movements",
            sum(1 for t in state.transactions() if t.reference != "opening"),
        ),
        (
            "ERP bill-only purchase orders (consigned implants)",
            sum(1 for p in state.purchase_orders() if p.bill_only),
        ),
        ("ERP replenishment requisitions", len(state.requisitions())),
        (
            "stock positions moved (careweave's = the ERP's)"
            if agree
            else "stock positions moved (SOME DIFFER FROM THE ERP)",
            len(moved),
        ),
        (
            "ERP journals (all balanced)"
            if all(
                sum(x.debit for x in j.lines) == sum(x.credit for x in j.lines)
                for j in state.journals()
            )
            else "ERP journals (SOME UNBALANCED)",
            len(state.journals()),
        ),
        ("charges delivered to the revenue-cycle endpoint", len(rcm.applied)),
        ("supply-chain cases still open", len(open_cases)),
    ]
    for label, value in rows:
        table.add_row(label, str(value))
    console.print(table)
    if fix is not None and busiest is not None:
        console.print(
            f"fixed the crosswalk once ({busiest.case_key} -> {fix.entry.item_number}): "
            f"{fix.replayed} parked message(s) replayed, case {busiest.id} resolved with its audit trail"
        )
    reasons = collections.Counter((m.error or "").split(":")[0] for m in errors)
    if reasons:
        console.print(
            "errors by reason: " + ", ".join(f"{r} x{n}" for r, n in reasons.most_common(5))
        )
    console.print(
        f"the simulator sent {len(messages)} messages in {sent_s:.1f} s over 4 MLLP connections, "
        "each ACKed after its SQLite commit"
    )
    console.print(
        f"look inside: [bold]careweave cases list --config {data_dir}/demo.toml[/], "
        f"[bold]careweave messages list --state error --config {data_dir}/demo.toml[/]; "
        "a reconciled revenue-cycle day: [bold]careweave revenue reconcile[/]"
    )


def prepare_data_dir(data_dir: Path) -> None:
    """Wipe and recreate the demo's folder and write a settings file pointing at it."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / "demo.toml").write_text(f'[engine]\ndata_dir = "{data_dir}"\n')
