"""``careweave sandbox``: run the simulated health system like a product.

``serve`` starts the simulators a settings file points at, ``send`` plays a simulated EHR day into
the settings' MLLP channels, ``masterdata`` writes the simulated health system's master data.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from careweave.cli.build import in_settings, settings_dir
from careweave.cli.common import (
    console,
    err_console,
    fail,
    json_output,
    say,
    settings_from,
    use_log_format,
)
from careweave.config import MllpSourceConfig, Settings
from careweave.engine.clock import SystemClock
from careweave.exceptions import CareweaveError, ConfigError
from careweave.masterdata.files import MasterData, load_master_data
from careweave.sandbox.ehr.delivery import FeedReport, ResendPolicy, deliver_feed
from careweave.sandbox.ehr.messages import GeneratedMessage
from careweave.sandbox.health_system import MALFORMED_RATE, simulated_day

if TYPE_CHECKING:
    from careweave.sandbox.stack import SimulatorSpec

# The simulators (Litestar apps) are imported by the commands that serve them, not at start-up.
app = typer.Typer(
    help="The simulated health system: its simulators, its EHR's traffic, its master data.",
    no_args_is_help=True,
)
ConfigFile = typer.Option(..., "--config", "-c", help="Settings file (TOML).")


def _masterdata(config: Path, settings: Settings) -> MasterData:
    on = settings.masterdata.as_of or SystemClock().now().date()
    return load_master_data(
        settings.masterdata, base_dir=settings_dir(config), on=on, source=str(config)
    )


def _warn(message: str) -> None:
    if json_output():
        say(f"warning: {message}", stderr=True, level="warning")
        return
    err_console.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True, highlight=False)


def _check_secrets(specs: list[SimulatorSpec]) -> None:
    from careweave.sandbox.erp.config import DEMO_CLIENT_SECRET

    for spec in specs:
        for erp in spec.erp:
            value = os.environ.get(erp.secret_env)
            if value and value != DEMO_CLIENT_SECRET:
                _warn(
                    f"${erp.secret_env} is not the ERP simulator's client secret: `careweave "
                    f"run` will be refused a token (export {erp.secret_env}={DEMO_CLIENT_SECRET})"
                )


@app.command("serve")
def serve(config: Path = ConfigFile) -> None:
    """Start every simulator the settings point at, each on its address; run until SIGTERM/SIGINT.

    Destinations on loopback ``http://`` URLs get the simulator of their connector (``rcm``: the
    revenue-cycle platform, ``erp``: the cloud ERP seeded with the settings' items, locations and
    on-hand, ``http``: an endpoint that accepts everything); a FHIR channel's EHR on loopback gets
    the EHR FHIR simulator. Prints ``ready`` on stdout once all listen. A port already taken exits 1.
    """
    from careweave.sandbox.stack import SandboxStack, plan_simulators

    settings = settings_from(config)
    use_log_format(settings.engine.log_format, settings.engine.log_level)
    try:
        specs = plan_simulators(settings)
        masterdata = _masterdata(config, settings) if any(s.erp for s in specs) else None
    except ConfigError as exc:
        fail(in_settings(config, exc), 2)
    if not specs:
        fail(
            f"{config}: nothing to serve: no destination or FHIR source is on a loopback http:// URL",
            2,
        )
    for warning in masterdata.warnings if masterdata is not None else ():
        _warn(warning)
    _check_secrets(specs)
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = SandboxStack(specs, masterdata=masterdata)
    try:
        stack.start()
        for spec, server in stack.servers:
            say(f"{spec.label} on {server.base_url} ({', '.join(spec.users)})", stderr=True)
        say("ready")
        stop.wait()
    except CareweaveError as exc:
        fail(str(exc), 1)
    finally:
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _send_host(host: str) -> str:
    """Where to connect to a listener bound to ``host`` (the wildcard means this machine)."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104


def mllp_targets(settings: Settings, names: list[str]) -> list[tuple[str, str, int]]:
    """``(channel, host, port)`` of the named MLLP channels; when none is named, of every MLLP
    channel of format ``hl7v2`` (the EHR's day is HL7 v2: a close-request channel gets none of it).
    """
    mllp = {c.name: c.source for c in settings.channels if isinstance(c.source, MllpSourceConfig)}
    for name in names:
        if name not in mllp:
            known = ", ".join(mllp) or "none"
            raise ConfigError(f"no MLLP channel {name!r} (MLLP channels: {known})")
    hl7v2 = [c.name for c in settings.channels if c.name in mllp and c.format == "hl7v2"]
    if not names and not hl7v2:
        raise ConfigError("no HL7 v2 channel listens on MLLP: nothing to send to")
    targets = []
    for name in names or hl7v2:
        source = mllp[name]
        if source.port == 0:
            raise ConfigError(
                f"channel {name!r} listens on port 0 (a free port picked at start): "
                "give it a fixed port to send to it"
            )
        targets.append((name, _send_host(source.host), source.port))
    return targets


def _deliver(
    messages: tuple[GeneratedMessage, ...],
    target: tuple[str, str, int],
    connections: int,
    policy: ResendPolicy,
) -> FeedReport:
    name, host, port = target
    if json_output():  # no progress bar among JSON lines
        return asyncio.run(deliver_feed(messages, host, port, connections, None, policy=policy))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err_console) as progress:
        task = progress.add_task(f"EHR -> {name} {host}:{port}", total=len(messages))

        def advance(done: int, _total: int) -> None:
            progress.update(task, completed=done)

        return asyncio.run(deliver_feed(messages, host, port, connections, advance, policy=policy))


@app.command("send")
def send(
    config: Path = ConfigFile,
    encounters: int = typer.Option(300, min=0, help="Encounters started on the simulated day."),
    seed: int = typer.Option(7, help="Seed of the day: the same seed sends the same messages."),
    connections: int = typer.Option(
        1,
        min=1,
        help="MLLP connections (a patient keeps to one). With one, the engine sees the day in the "
        "same order every time, so two runs of a seed end with the same books; with more, patients "
        "interleave differently and par-level requisitions may be raised by other lines.",
    ),
    rate: float = typer.Option(
        0.0, min=0.0, help="Messages per second per connection (0: as fast as they are answered)."
    ),
    channel: list[str] = typer.Option(
        [], "--channel", help="MLLP channel to send to (repeatable; default: every hl7v2 one)."
    ),
    patience: float = typer.Option(
        120.0, min=0.1, help="Give up after this many seconds without a single answer."
    ),
    malformed_rate: float = typer.Option(
        MALFORMED_RATE, min=0.0, max=0.5, help="Share of messages damaged on purpose (answered AR)."
    ),
) -> None:
    """Send a simulated EHR day over MLLP to the settings' HL7 v2 channel(s), until all is answered.

    After a connection error it reconnects with backoff and re-sends what was not acknowledged;
    AA, AE and AR all count as answers. Prints one summary line per channel; exits 1 when it gives
    up (no answer for ``--patience`` seconds).
    """
    settings = settings_from(config)
    use_log_format(settings.engine.log_format, settings.engine.log_level)
    try:
        targets = mllp_targets(settings, channel)
    except ConfigError as exc:
        fail(in_settings(config, exc), 2)
    day = simulated_day(seed, encounters, malformed_rate=malformed_rate)
    policy = ResendPolicy(patience=patience, pace=1.0 / rate if rate > 0 else 0.0)
    for target in targets:
        report = _deliver(day.messages, target, connections, policy)
        say(f"{target[0]}: {report.summary()}")
        if not report.complete:
            fail(
                f"gave up on channel {target[0]} ({target[1]}:{target[2]}) after {patience:g} s "
                f"without an answer; last error: {report.last_error or 'none'}",
                1,
            )


@app.command("masterdata")
def masterdata(
    out: Path = typer.Option(..., "--out", help="Folder to write the CSV files into."),
) -> None:
    """Write the simulated health system's master data (the example's ``masterdata`` folder)."""
    from careweave.sandbox.masterdata_export import write_master_files

    try:
        written = write_master_files(out)
    except OSError as exc:
        fail(f"cannot write the master data to {out}: {exc.strerror or exc}", 1)
    console.print(f"wrote {len(written)} master-data files to {escape(str(out))}", highlight=False)
