"""End to end: surgical cases per second through the whole fan-out, and clinical event -> GL latency.

The product path as a user runs it: a copy of ``examples/health-system`` on free ports,
``careweave sandbox serve`` (the revenue-cycle platform and the cloud ERP simulators) and
``careweave run`` each in its own process, and this process as the EHR, sending surgical cases over
MLLP on several connections (one patient always on the same one). A case (``bench/_cases.py``) is
an ADT^A01 admission, the DFT^P03 of a pacemaker implant with two implants (generator and lead, lot
and serial) and its charges, and the ADT^A03 discharge. Its fan-out: charges and encounter updates
to the revenue-cycle platform; inventory issues, bill-only purchase orders, the par-level check
(and a requisition when it trips) and journals (revenue accrual, standard cost, supply cost) to
the ERP; every message archived; each business event to NATS JetStream when NATS is up.

Two loads per backend, each on a fresh engine and simulators:

- ``closed-loop``: as fast as the path goes. The EHR sends without pause while the ERP's open
  effects stay under about ``--window`` cases' worth, so the run measures the sustained rate of
  whole cases, not the speed at which a backlog piles up.
  ``cases_per_s`` = cases / (last journal delivered - first message sent).
- ``open-loop``: cases started at ``--rate`` per second on a fixed schedule, whatever the engine
  does; a case whose connection is still busy when the run ends is not sent (``max_start_lag_ms``
  says how late the EHR fell behind its schedule).

Latency of a case: from the moment its DFT^P03 is written to the socket to the moment the last of
its nine journals is delivered to the ERP (the delivered attempt's ``finished_at`` in the store);
``p99_from_schedule_ms`` counts from when the case was due instead. A case not through when the
run ends (``"drained": false``) counts with the time it has waited, so the percentiles are then
lower bounds. Eight warm-up cases go through before the clock starts (the first charge loads the
ICD-10-CM list, about 2 s). ``cpu_ms_per_case``: CPU time of the engine process, of the
simulators' process and of this one, per case sent. ``--profile FILE`` samples the engine with
py-spy (a dev dependency) for the length of the load, as raw collapsed stacks.

The example's ERP client quota (100 requests/s, which a day of 300 encounters fits) is raised to
``ERP_RATE_LIMIT`` so that the run measures careweave and not a quota, and the opening stock and
par levels are scaled up so that thousands of implants can be issued. SQLite runs in the data
folder; PostgreSQL (``CAREWEAVE_DATABASE_URL``, default the test database) in a fresh schema,
dropped afterwards, and is skipped with the reason when it is down; so is NATS
(``CAREWEAVE_NATS_URL``, default ``nats://127.0.0.1:4222``; a stream per run, deleted afterwards).

Prints one JSON object per backend and load on stdout, progress on stderr. Each run is bounded:
``--seconds`` of sending, then at most ``--drain-timeout`` seconds for the fan-out to finish.
Usage: python bench/e2e.py [--quick] [--backend sqlite|postgresql|both]
       [--load closed-loop|open-loop|both] [--rate 150] [--seconds 30] [--profile FILE]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this folder would come first on sys.path and bench/queue.py would shadow the
# standard library's queue module: keep the folder off sys.path and the repository root on it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse
import asyncio
import datetime as dt
import json
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from bench._cases import SurgicalCase, surgical_cases
from careweave.codecs.hl7v2.header import parse_header
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.model.erp import JOURNAL
from careweave.sandbox.erp.config import DEMO_CLIENT_SECRET

ROOT = Path(_HERE).parent
EXAMPLE = ROOT / "examples" / "health-system"
CAREWEAVE = Path(sys.executable).with_name("careweave")
EXAMPLE_PORTS = {"mllp": 27575, "rcm": 27580, "erp": 27590, "api": 27600}
EXAMPLE_API_SECRETS = {
    f"CAREWEAVE_API_{client}_SECRET": f"demo-{client.lower()}"
    for client in ("ADMIN", "SUPPLY", "REVENUE", "FINANCE", "AUDITOR", "READONLY", "NOSCOPE")
}
"""The example's [api] clients' secrets: the demo values its README exports."""
EXAMPLE_ERP_QUOTA = "rate_limit = 100.0, rate_burst = 10"
ERP_RATE_LIMIT, ERP_RATE_BURST = 20_000.0, 200
STOCK, PAR_GAP = 1_000_000, 10
"""Opening on hand of every item at every location, and how far below par the reorder point is."""
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
TARGET_CASES_PER_S, TARGET_P99_MS = 300, 2000
CLOSED_LOOP_CEILING = 600
"""Closed loop: cases generated per second of the run (more than the path can take)."""
WARM_UP = 8
"""Cases sent, and their fan-out drained, before the measurement starts."""
ERP_EFFECTS_PER_CASE = 16
"""About (9 journals, 3 issues, 2 bill-only POs, a requisition now and then): sizes the window."""


def log(text: str) -> None:
    """Progress, on stderr."""
    print(f"[e2e {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


# -- the example, copied ----------------------------------------------------------------------


def _scale_stock(folder: Path) -> None:
    """Every opening quantity to STOCK, par levels to STOCK (reorder point PAR_GAP below)."""
    on_hand = folder / "on_hand.csv"
    head, *rows = on_hand.read_text().splitlines()
    on_hand.write_text("\n".join([head, *(r.rsplit(",", 1)[0] + f",{STOCK}" for r in rows)]) + "\n")
    pars = folder / "par_levels.csv"
    head, *rows = pars.read_text().splitlines()
    scaled = [",".join([*r.split(",")[:2], str(STOCK), str(STOCK - PAR_GAP)]) for r in rows]
    pars.write_text("\n".join([head, *scaled]) + "\n")


def _nats_destination(url: str, run: str) -> str:
    return f"""
# Every business event of the channel to NATS JetStream (added by bench/e2e.py).
[[channels.destinations]]
name = "analytics"
payload = "events"
connector = {{ type = "nats", url = "{url}", stream = "E2E_{run}", \
subject_prefix = "bench.e2e.{run}", duplicate_window = 600 }}

"""


def example_copy(folder: Path, nats_url: str | None, run: str) -> tuple[Path, dict[str, int]]:
    """The example's settings and master data under ``folder`` on free ports, data in ``folder``."""
    shutil.copytree(EXAMPLE / "masterdata", folder / "masterdata")
    _scale_stock(folder / "masterdata")
    ports = {name: free_port() for name in EXAMPLE_PORTS}
    text = (EXAMPLE / "careweave.toml").read_text()
    for name, port in EXAMPLE_PORTS.items():
        assert str(port) in text, f"the example no longer uses port {port}"
        text = text.replace(str(port), str(ports[name]))
    text = text.replace('"var/health-system', f'"{folder}/data')
    assert EXAMPLE_ERP_QUOTA in text, "the example's ERP quota changed: update bench/e2e.py"
    text = text.replace(
        EXAMPLE_ERP_QUOTA, f"rate_limit = {ERP_RATE_LIMIT}, rate_burst = {ERP_RATE_BURST}"
    )
    if nats_url is not None:
        close_channel = '[[channels]]\nname = "close"'
        assert close_channel in text
        text = text.replace(close_channel, _nats_destination(nats_url, run) + close_channel)
    config = folder / "careweave.toml"
    config.write_text(text)
    return config, ports


# -- processes ----------------------------------------------------------------------------------


class Server:
    """A long-running careweave command, started once it prints ``ready`` on stdout."""

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str], ready: str) -> None:
        self.log_path = log_path
        self._stderr: IO[str] = log_path.open("w")
        self.proc = subprocess.Popen(
            [str(CAREWEAVE), *args], stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != ready:
            self.stop()
            raise RuntimeError(f"{args[0]} did not start: {line!r} {log_path.read_text()[-2000:]}")

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> int:
        """SIGTERM, then the exit code."""
        self.proc.terminate()
        try:
            return self.proc.wait(60)
        finally:
            self._stderr.close()


# -- reading the store ----------------------------------------------------------------------------


@dataclass
class CaseOutcome:
    journals: int
    delivered: int
    last_delivered_at: float | None


class Probe:
    """Reads the engine's store while it runs: open effects, and each message's journals."""

    def __init__(self, backend: str, data: Path, pg_url: str, schema: str) -> None:
        self.backend = backend
        self._data, self._pg_url, self._schema = data, pg_url, schema
        self._conn: Any = None

    def _connect(self) -> Any:
        if self._conn is None:
            if self.backend == "sqlite":
                uri = f"{(self._data / 'careweave.db').as_uri()}?mode=ro"
                self._conn = sqlite3.connect(uri, uri=True, timeout=30)
            else:
                import psycopg

                self._conn = psycopg.connect(self._pg_url, autocommit=True)
                self._conn.execute(f'SET search_path TO "{self._schema}"')
        return self._conn

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        if self.backend == "postgresql":
            sql = sql.replace("?", "%s")
        return list(self._connect().execute(sql, args).fetchall())

    def open_effects(self, destination: str | None = None) -> int:
        where = "state IN ('pending', 'in_flight')"
        if destination is None:
            return int(self._query(f"SELECT count(*) FROM effects WHERE {where}")[0][0])
        sql = f"SELECT count(*) FROM effects WHERE destination = ? AND {where}"
        return int(self._query(sql, (destination,))[0][0])

    def messages(self) -> int:
        return int(self._query("SELECT count(*) FROM messages")[0][0])

    def dead(self) -> int:
        return int(self._query("SELECT count(*) FROM effects WHERE state = 'dead'")[0][0])

    def journals(self) -> dict[str, CaseOutcome]:
        """By message dedup key: its journal effects, how many are delivered, the last one's time."""
        finished = (
            "a.finished_at" if self.backend == "sqlite" else "extract(epoch FROM a.finished_at)"
        )
        rows = self._query(
            f"""
            SELECT m.dedup_key, count(DISTINCT e.id), count(a.id), max({finished})
            FROM messages m
            JOIN effects e ON e.message_id = m.id AND e.destination = 'erp' AND e.content_type = ?
            LEFT JOIN attempts a ON a.effect_id = e.id AND a.outcome = 'delivered'
            GROUP BY m.dedup_key
            """,
            (JOURNAL,),
        )
        return {
            key: CaseOutcome(int(n), int(done), float(last) if last is not None else None)
            for key, n, done, last in rows
        }

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# -- the EHR --------------------------------------------------------------------------------------


@dataclass
class Load:
    """What the EHR sent and when."""

    sent_procedure_at: dict[str, float] = field(default_factory=dict)
    """By the DFT^P03's dedup key: wall-clock time it was written to the socket."""
    scheduled_at: dict[str, float] = field(default_factory=dict)
    """Open loop, by the DFT^P03's dedup key: when its case was due to start."""
    cases_sent: int = 0
    not_accepted: int = 0
    lag: list[float] = field(default_factory=list)
    """Open loop: how late each case started against its schedule (seconds)."""
    first_sent: float = 0.0
    last_acked: float = 0.0


def _lanes(cases: list[SurgicalCase], connections: int) -> list[list[SurgicalCase]]:
    lanes: list[list[SurgicalCase]] = [[] for _ in range(connections)]
    for case in cases:
        lanes[zlib.crc32(case.patient_key.encode()) % connections].append(case)
    return lanes


async def _send_case(client: MllpClient, case: SurgicalCase, load: Load, key: str) -> None:
    for n, raw in enumerate(case.messages):
        sent = time.time()
        if n == 1:
            load.sent_procedure_at[key] = sent
        if ack_code(await client.send(raw)) != "AA":
            load.not_accepted += 1
    load.cases_sent += 1
    load.last_acked = time.time()


async def run_ehr(
    load: Load,
    port: int,
    cases: list[SurgicalCase],
    connections: int,
    *,
    until: float,
    schedule: Callable[[int], float] | None = None,
    may_send: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Send ``cases`` until the wall-clock ``until``: on ``schedule`` (open loop: case index ->
    start time; a case still waiting for its connection at ``until`` is not sent), or as fast as
    ``may_send`` lets (closed loop)."""
    load.first_sent = time.time()
    index = {case.number: i for i, case in enumerate(cases)}
    keys = {case.number: parse_header(case.procedure).dedup_key() for case in cases}

    async def lane(batch: list[SurgicalCase]) -> None:
        async with MllpClient("127.0.0.1", port, ack_timeout=60) as client:
            for case in batch:
                if time.time() >= until:
                    return
                if schedule is not None:
                    start = schedule(index[case.number])
                    if start >= until:
                        return
                    await asyncio.sleep(max(0.0, start - time.time()))
                    load.lag.append(max(0.0, time.time() - start))
                    load.scheduled_at[keys[case.number]] = start
                elif may_send is not None:
                    await may_send()
                await _send_case(client, case, load, keys[case.number])

    await asyncio.gather(*(lane(batch) for batch in _lanes(cases, connections) if batch))


# -- one run ------------------------------------------------------------------------------------


@dataclass
class Options:
    backend: str
    mode: str
    seconds: float
    rate: float
    connections: int
    window: int
    drain_timeout: float
    pg_url: str
    nats_url: str | None
    profile: str | None = None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def _drain(probe: Probe, expected_messages: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe.messages() >= expected_messages and probe.open_effects() == 0:
            return True
        await asyncio.sleep(0.5)
    return False


class Window:
    """Closed loop: lets the EHR send while the ERP's open effects are under ``limit``."""

    def __init__(self, probe: Probe, limit: int) -> None:
        self._probe, self._limit = probe, limit
        self._open = 0
        self._read_at = 0.0

    async def wait(self) -> None:
        while True:
            if time.monotonic() - self._read_at > 0.05:  # one count for every lane, 20 a second
                self._open = self._probe.open_effects("erp")
                self._read_at = time.monotonic()
            if self._open <= self._limit:
                return
            await asyncio.sleep(0.05)


async def _progress(probe: Probe, load: Load, every: float = 5.0) -> None:
    while True:
        await asyncio.sleep(every)
        log(f"  sent {load.cases_sent} cases, open effects {probe.open_effects()}")


def summarise(
    options: Options,
    load: Load,
    outcomes: dict[str, CaseOutcome],
    measured_at: float,
    drained: bool,
) -> dict[str, Any]:
    """Rate and latency of the cases sent. A case whose journals are not all delivered when the
    run ends counts with the time it has waited so far (the percentiles are then lower bounds)."""
    latencies: list[float] = []
    from_schedule: list[float] = []
    last_delivered = 0.0
    complete = 0
    for key, sent_at in load.sent_procedure_at.items():
        outcome = outcomes.get(key)
        done = outcome is not None and outcome.delivered == outcome.journals
        at = outcome.last_delivered_at if done and outcome is not None else None
        if at is None:
            at = measured_at
        else:
            complete += 1
            last_delivered = max(last_delivered, at)
        latencies.append(at - sent_at)
        if key in load.scheduled_at:
            from_schedule.append(at - load.scheduled_at[key])
    if not complete:
        raise RuntimeError("no case reached the GL")
    elapsed = (last_delivered if drained else measured_at) - load.first_sent
    target = TARGET_CASES_PER_S if options.mode == "closed-loop" else options.rate
    journals = [o.journals for k, o in outcomes.items() if k in load.sent_procedure_at]
    return {
        "bench": "e2e",
        "backend": options.backend,
        "load": options.mode,
        "cases_per_s": round(complete / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "target_cases_per_s": target,
        "ratio_to_target": round(complete / elapsed / target, 3),
        "target_p99_ms": TARGET_P99_MS if options.mode == "open-loop" else None,
        "cases": complete,
        "cases_sent": load.cases_sent,
        "not_accepted": load.not_accepted,
        "seconds": round(elapsed, 1),
        "ack_cases_per_s": round(load.cases_sent / (load.last_acked - load.first_sent), 1),
        "journals_per_case": round(statistics.mean(journals), 2) if journals else 0,
        "max_start_lag_ms": round(max(load.lag, default=0.0) * 1000, 1),
        # Open loop: from when the case was due, so that time queued in the EHR counts too.
        "p99_from_schedule_ms": round(_percentile(from_schedule, 0.99) * 1000, 1)
        if from_schedule
        else None,
        "drained": drained,
    }


async def measure(options: Options, folder: Path) -> dict[str, Any]:
    """One run: fresh simulators and engine, one load, its figures."""
    run = f"{os.getpid()}_{int(time.time())}"
    config, ports = example_copy(folder, options.nats_url, run)
    schema = f"careweave_e2e_{run}"
    env = {**os.environ, **EXAMPLE_API_SECRETS, "CAREWEAVE_ERP_SECRET": DEMO_CLIENT_SECRET}
    env.pop("CAREWEAVE_DATABASE_URL", None)
    if options.backend == "postgresql":
        env |= {"CAREWEAVE_DATABASE_URL": options.pg_url, "CAREWEAVE_DATABASE_SCHEMA": schema}
    planned = options.rate if options.mode == "open-loop" else CLOSED_LOOP_CEILING
    log(f"{options.backend} {options.mode}: generating the cases")
    cases = surgical_cases(WARM_UP + int(planned * options.seconds) + 1)
    serve = Server(
        ["sandbox", "serve", "--config", str(config)], folder / "serve.log", env, "ready"
    )
    engine: Server | None = None
    probe = Probe(options.backend, folder / "data", options.pg_url, schema)
    try:
        engine = Server(
            ["run", "--config", str(config)], folder / "run.log", env, "careweave ready"
        )
        # Warm up outside the measurement (the first charge loads the ICD-10-CM list, ~2 s).
        await run_ehr(Load(), ports["mllp"], cases[:WARM_UP], 1, until=time.time() + 60)
        if not await _drain(probe, 3 * WARM_UP, options.drain_timeout):
            raise RuntimeError(f"the warm-up cases did not go through; see {folder}/run.log")
        cases = cases[WARM_UP:]
        spy = _start_profiler(options.profile, engine.proc.pid, options.seconds)
        cpu_before = (engine.cpu_seconds(), serve.cpu_seconds(), time.process_time())
        load = Load()
        started = time.time()
        until = started + options.seconds
        if options.mode == "open-loop":
            sending = run_ehr(
                load, ports["mllp"], cases, options.connections, until=until,
                schedule=lambda i: started + i / options.rate,
            )  # fmt: skip
        else:
            window = Window(probe, options.window * ERP_EFFECTS_PER_CASE)
            sending = run_ehr(
                load, ports["mllp"], cases, options.connections, until=until,
                may_send=window.wait,
            )  # fmt: skip
        progress = asyncio.create_task(_progress(probe, load))
        try:
            await sending
        finally:
            progress.cancel()
        log(f"  {load.cases_sent} cases sent; waiting for the fan-out to drain")
        drained = await _drain(probe, 3 * (WARM_UP + load.cases_sent), options.drain_timeout)
        measured_at = time.time()
        cpu_after = (engine.cpu_seconds(), serve.cpu_seconds(), time.process_time())
        if spy is not None:
            spy.wait(120)
        outcomes = probe.journals()
        dead = probe.dead()
    finally:
        probe.close()
        codes = {"serve": serve.stop()}
        if engine is not None:
            codes["run"] = engine.stop()
    result = summarise(options, load, outcomes, measured_at, drained)
    per_case = 1000 / max(1, load.cases_sent)
    engine_cpu, simulators_cpu, ehr_cpu = (
        a - b for a, b in zip(cpu_after, cpu_before, strict=True)
    )
    return result | {
        "dead_letters": dead,
        "cpu_ms_per_case": {
            "engine": round(engine_cpu * per_case, 2),
            "simulators": round(simulators_cpu * per_case, 2),
            "ehr_load_generator": round(ehr_cpu * per_case, 2),
        },
        "connections": options.connections,
        "nats": options.nats_url is not None,
        "exit_codes": codes,
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores {platform.machine()} "
        f"{platform.python_implementation()} {platform.python_version()}",
    }


def _start_profiler(out: str | None, pid: int, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the engine for the length of the load (``--profile``)."""
    if out is None:
        return None
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("error: --profile needs py-spy (uv add --dev py-spy)")
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--threads",
         "--output", out, "--duration", str(int(seconds))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def _delete_streams(url: str, prefix: str) -> None:
    """Remove the JetStream streams the runs created (their events are not kept)."""
    import nats

    client = await nats.connect(url, connect_timeout=5)
    try:
        jetstream = client.jetstream()
        for stream in await jetstream.streams_info():
            if stream.config.name and stream.config.name.startswith(prefix):
                await jetstream.delete_stream(stream.config.name)
    finally:
        await client.close()


def _drop_schema(url: str, prefix: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"{prefix}%",)
        ).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def _pg_down(url: str) -> str | None:
    """Why PostgreSQL cannot be used (None when it can)."""
    if not reachable(url, 5432):
        parts = urlsplit(url)
        return f"PostgreSQL is not listening on {parts.hostname}:{parts.port or 5432}"
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        return f"PostgreSQL refused the connection: {str(exc).strip()}"
    return None


def main() -> None:
    # A SIGTERM runs the clean-up (servers stopped, schema dropped, streams deleted) as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (15 s each)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--load", choices=["closed-loop", "open-loop", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of sending per run")
    parser.add_argument("--rate", type=float, default=150.0, help="open loop: cases per second")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--window", type=int, default=300, help="closed loop: cases in flight")
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    parser.add_argument("--profile", help="record the engine with py-spy into this file (raw)")
    args = parser.parse_args()
    seconds = 15.0 if args.quick else args.seconds
    pg_url = os.environ.get("CAREWEAVE_DATABASE_URL") or DEFAULT_PG_URL
    nats_url = os.environ.get("CAREWEAVE_NATS_URL") or DEFAULT_NATS_URL
    if not reachable(nats_url, 4222):
        log(f"NATS is not listening at {nats_url}: running without the event-stream destination")
        nats_found: str | None = None
    else:
        nats_found = nats_url
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    loads = ["closed-loop", "open-loop"] if args.load == "both" else [args.load]
    for backend in backends:
        if backend == "postgresql" and (reason := _pg_down(pg_url)):
            log(f"skipping PostgreSQL: {reason}")
            print(json.dumps({"bench": "e2e", "backend": backend, "skipped": reason}), flush=True)
            continue
        for mode in loads:
            options = Options(
                backend=backend, mode=mode, seconds=seconds, rate=args.rate,
                connections=args.connections, window=args.window,
                drain_timeout=args.drain_timeout, pg_url=pg_url, nats_url=nats_found,
                profile=args.profile,
            )  # fmt: skip
            with tempfile.TemporaryDirectory(prefix="careweave-e2e-") as tmp:
                try:
                    result = asyncio.run(measure(options, Path(tmp)))
                finally:
                    if backend == "postgresql":
                        _drop_schema(pg_url, f"careweave_e2e_{os.getpid()}_")
                    if nats_found is not None:
                        asyncio.run(_delete_streams(nats_found, f"E2E_{os.getpid()}_"))
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
