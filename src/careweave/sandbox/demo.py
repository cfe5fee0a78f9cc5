"""``careweave demo``: the whole simulated day through every flow, reconciled, then serving.

:mod:`careweave.sandbox.whole_day` runs the day (EHR -> engine -> revenue-cycle platform -> 837 ->
clearinghouse and payers -> 999/277CA/835 -> GL, and supplies -> inventory -> replenishment ->
bill-only POs -> cost allocation -> GL) with a progress bar over each stage; this module prints
what it did (messages, events, effects by destination and state, exceptions by owning team and
reason, throughput) and the verdict, a line beginning ``reconciled:`` or ``NOT reconciled:``
with the breaks. Then, unless told not to, the engine, the simulators (and the API,
when the application has one) keep serving on the printed addresses until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import shutil
import signal
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from careweave.app import Application
from careweave.engine.store.phi_keys import FOLDER_KEY_FILE, write_key_file
from careweave.sandbox.revenue_day import Tick
from careweave.sandbox.whole_day import WholeDay, WholeDayConfig, whole_day


class ProgressStages:
    """The day's stages as rich progress bars (notes are left out: the summary says it all)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def stage(self, label: str) -> Tick:
        """A new bar; ``tick(done, total)`` moves it."""
        task: TaskID = self._progress.add_task(label, total=None)

        def tick(done: int, total: int) -> None:
            self._progress.update(task, completed=done, total=max(total, done))

        return tick

    def note(self, text: str) -> None:
        """Left out."""


def api_url(application: Application) -> str | None:
    """Where the application serves its API (None when it does not)."""
    api = application.api
    if api is None or api.port is None:
        return None
    return f"http://{api.config.host}:{api.port}"


def _table(title: str, headers: tuple[str, ...], rows: list[tuple[object, ...]]) -> Table:
    table = Table(title=title, title_justify="left", show_header=True)
    for n, header in enumerate(headers):
        table.add_column(header, justify="right" if n == len(headers) - 1 else "left")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    return table


def print_summary(day: WholeDay, console: Console) -> None:
    """Messages, events, effects, exceptions, the ERP's records, throughput and the verdict."""
    counts, sent = day.counts, day.sent
    acks = collections.Counter(r.ack_code or "no answer" for r in sent)
    damaged = sum(1 for m in day.scenario.messages if m.malformed is not None)
    stored = {k.split(".", 1)[1]: v for k, v in counts.items() if k.startswith("messages.")}
    console.print(
        _table(
            "Messages",
            ("", "count"),
            [
                ("EHR messages sent over MLLP", len(sent)),
                ("  damaged on purpose (answered AR)", damaged),
                ("  ACKs " + ", ".join(f"{k} {v}" for k, v in sorted(acks.items())), len(sent)),
                (
                    "claim runs and clearinghouse files (999, 277CA, 835)",
                    day.remitted.responses + 1,
                ),
                *((f"stored, {state}", n) for state, n in sorted(stored.items()) if n),
            ],
        )
    )
    events = sorted(day.events.items(), key=lambda kv: (-kv[1], kv[0]))
    console.print(
        _table(
            f"Events ({sum(day.events.values())} canonical events stored)",
            ("type", "count"),
            list(events),
        )
    )
    console.print(
        _table(
            "Effects by destination and state",
            ("destination", "state", "count"),
            [(d, s, n) for (d, s), n in sorted(day.effects.items())],
        )
    )
    teams = collections.Counter((c.owning_team, c.reason_code) for c in day.cases)
    console.print(
        _table(
            f"Open exceptions by owning team and reason ({len(day.cases)} cases)",
            ("team", "reason", "cases"),
            [(team, reason, n) for (team, reason), n in sorted(teams.items())],
        )
    )
    if day.errors:
        console.print(
            "messages in error, by reason: "
            + ", ".join(f"{r} x{n}" for r, n in sorted(day.errors.items())),
            markup=False,
        )
    erp = day.sims.erp.state
    console.print(
        _table(
            "The ERP simulator's books",
            ("", "count"),
            [
                (
                    "inventory movements",
                    sum(1 for t in erp.transactions() if t.reference != "opening"),
                ),
                ("replenishment requisitions", len(erp.requisitions())),
                (
                    "bill-only purchase orders (consigned implants)",
                    sum(1 for p in erp.purchase_orders() if p.bill_only),
                ),
                ("journals (cost allocation and remittances)", len(erp.journals())),
            ],
        )
    )
    if day.fix is not None and day.fixed_case is not None:
        console.print(
            f"fixed the crosswalk once ({day.fixed_case.case_key} -> {day.fix.entry.item_number}): "
            f"{day.fix.replayed} parked message(s) replayed, case {day.fixed_case.id} resolved "
            "with its audit trail",
            markup=False,
        )
    claim_run = day.remitted.claim_run
    console.print(
        f"billing: {len(claim_run.files)} 837 files; the payers answered with "
        f"{day.remitted.responses} files; the platform applied {day.remitted.applied} remittances",
        markup=False,
    )
    total = sum(stored.values())
    ingest = day.timings.get("ehr_sent_s", 0.0) - day.timings.get("started_s", 0.0)
    whole = day.timings.get("reconciled_s", 0.0) - day.timings.get("started_s", 0.0)
    console.print(
        f"throughput: {len(sent) / ingest if ingest else 0:.0f} messages/s over MLLP "
        f"({len(sent)} in {ingest:.1f} s, each ACKed after its SQLite commit); "
        f"{total / whole if whole else 0:.0f} messages/s for the whole day "
        f"({total} messages, from the first sent to the verdict in {whole:.1f} s)",
        markup=False,
    )
    console.print(
        "seconds from the start: "
        + ", ".join(f"{k.removesuffix('_s')} {v:.1f}" for k, v in day.timings.items()),
        markup=False,
    )
    for line in day.verdict.lines():
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def addresses(day: WholeDay) -> list[tuple[str, str]]:
    """What serves, and where."""
    engine = day.application.engine
    found = [
        (f"engine: channel {name} (MLLP)", f"127.0.0.1:{listener.port}")
        for name, listener in engine.listeners.items()
    ]
    found += [
        ("revenue-cycle platform simulator", day.sims.rcm_url),
        ("clearinghouse and payers simulator", day.sims.house_url),
        ("cloud ERP simulator", day.sims.erp_url),
    ]
    if (url := api_url(day.application)) is not None:
        found.append(("API (its OpenAPI document at /schema/openapi.json)", url))
    return found


async def _serve_until_interrupted(day: WholeDay, console: Console) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        for label, where in addresses(day):
            console.print(f"serving {label} on {where}", markup=False, highlight=False)
        console.print("ready: Ctrl-C stops", markup=False)
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    console.print("stopped", markup=False)


async def run_demo(
    data_dir: Path,
    *,
    seed: int = 7,
    encounters: int = 300,
    serve: bool = True,
    console: Console,
) -> bool:
    """Run the day in the prepared, empty ``data_dir``, print it, serve when asked; returns
    whether it reconciled."""
    config = WholeDayConfig(encounters=encounters, seed=seed, api=serve)
    console.print(
        f"[bold]careweave demo[/]: one simulated day of {encounters} encounters (seed {seed}) "
        "through every flow at once, on SQLite, over real sockets"
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    async with contextlib.AsyncExitStack() as stack:
        with Progress(*columns, console=console) as progress:
            day = await stack.enter_async_context(
                whole_day(config, data_dir, ProgressStages(progress))
            )
        print_summary(day, console)
        console.print(
            f"PHI sealed at rest (AES-256-GCM) with the key in {data_dir / FOLDER_KEY_FILE}"
        )
        console.print(
            f"look inside: careweave cases list --config {data_dir}/demo.toml; "
            f"careweave messages list --state error --config {data_dir}/demo.toml",
            markup=False,
            highlight=False,
        )
        if serve:
            await _serve_until_interrupted(day, console)
    return day.verdict.reconciled


def prepare_data_dir(data_dir: Path) -> None:
    """Wipe and recreate the demo's folder and write a settings file pointing at it."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    key = data_dir / FOLDER_KEY_FILE  # PHI is sealed at rest in the demo's store with this key
    write_key_file(key)
    (data_dir / "demo.toml").write_text(
        f'[engine]\ndata_dir = "{data_dir}"\nphi_key_file = "{key}"\n'
    )
