"""The composition root: settings -> store, master data, flow services, channels, connectors, engine.

::

    app = build_application(settings, settings_dir=path.parent, env=os.environ)
    async with app:                 # opens the store (and migrates it)
        await app.start()           # destination workers, then listeners
        ...                         # leaving stops the engine, closes connectors and the store

``careweave run`` is that; ``careweave check`` is :func:`check_application`, which builds the same
things the same way (master data, flows, channels, connectors, workers, the store object) without
opening a socket or the database, so it refuses every mistake ``run`` would hit. One difference, by
design: a connector secret missing from the environment is a *warning* in check (settings are
checked where production secrets are not: CI, a laptop) and an *error* in run.

The demo, the sandbox days and tests build on :func:`build_application` too, passing their own
pieces: ``connector_overrides`` (simulators), ``masterdata`` or ``services`` (prebuilt master data),
``store``, ``registries`` (a test's own flows).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType

import structlog

from careweave.app.api import ApiHost, check_api
from careweave.app.business_metrics import BusinessMetrics
from careweave.app.engine import build_channel, build_connector, build_engine
from careweave.app.registries import Registries, default_registries
from careweave.app.reload import MasterDataWatcher, masterdata_files
from careweave.app.sla import SlaMonitor
from careweave.config import Settings
from careweave.connectors.base import BaseDestination
from careweave.engine.clock import Clock, SystemClock
from careweave.engine.middleware import Middleware
from careweave.engine.notifications import CaseNotifier, build_notifier
from careweave.engine.runtime import Engine
from careweave.engine.store.base import BaseStore
from careweave.engine.store.factory import build_store
from careweave.flows.services import FlowServices
from careweave.masterdata.files import MasterData, load_master_data
from careweave.model.flow import Flow

log = structlog.get_logger("careweave.app")


class Application:
    """A careweave process, built: its store, master data, flow services and engine."""

    def __init__(
        self,
        *,
        settings: Settings,
        registries: Registries,
        store: BaseStore,
        masterdata: MasterData | None,
        services: FlowServices,
        engine: Engine,
        settings_dir: Path | None = None,
        clock: Clock | None = None,
        watch: bool = False,
        notifier: CaseNotifier | None = None,
        api: ApiHost | None = None,
        sla: SlaMonitor | None = None,
    ) -> None:
        self.settings = settings
        self.registries = registries
        self.store = store
        self.masterdata = masterdata
        """The master data loaded from ``[masterdata]`` (None when services were handed in)."""
        self.services = services
        self.engine = engine
        self._open = False
        self._running = False
        self._started: set[str] = set()  # destinations whose workers ran (they close their own)
        self._settings_dir = settings_dir
        self._clock = clock or SystemClock()
        self.notifier = notifier
        """Tells owning teams of their cases while running (None without ``[notifications]``)."""
        self.api = api
        """The ``[api]`` server, started and stopped with the engine (None without ``[api]``)."""
        self.sla = sla
        """Measures the ``[[sla]]`` service levels while running (None without any)."""
        self._warming: asyncio.Task[None] | None = None  # flows loading their code lists
        self.watcher: MasterDataWatcher | None = None
        """Reloads master data from its files while running (None when it was handed in)."""
        interval = settings.masterdata.watch_interval
        if watch and settings_dir is not None and interval > 0:
            self.watcher = MasterDataWatcher(
                masterdata_files(settings.masterdata, settings_dir),
                self.reload_masterdata,
                interval=interval,
            )

    def reload_masterdata(self) -> None:
        """Load the master data again and rebuild every channel's flows with it.

        Raises ConfigError (the running channels are kept) when the files do not load.
        """
        if self._settings_dir is None:
            return
        masterdata = _masterdata(self.settings, self._settings_dir, self._clock)
        services = FlowServices.from_master_data(
            masterdata, clock=self._clock, claims=self.settings.claims
        )
        channels = {
            config.name: build_channel(
                config, self.registries, services, settings_dir=self._settings_dir
            )
            for config in self.settings.channels
        }
        # One assignment per channel between two messages: no message sees half of each.
        self.engine.channels.update(channels)
        self.masterdata, self.services = masterdata, services

    @property
    def warnings(self) -> tuple[str, ...]:
        """Master-data rows that did not load."""
        return self.masterdata.warnings if self.masterdata is not None else ()

    async def open(self) -> None:
        """Open the store (migrating its schema)."""
        if not self._open:
            await self.store.open()
            self._open = True

    async def start(self, *, listen: bool = True, deliver: bool = True) -> None:
        """Open the store if needed, start the destination workers and the listeners."""
        await self.open()
        if self.api is not None and listen:
            self.api.prepare()  # its clients' secrets and keys, before anything listens
        self._running = True
        try:
            await self.engine.start(listen=listen, deliver=deliver)
        finally:  # a listener that cannot bind leaves the workers started so far to stop
            self._started |= {name for name, w in self.engine.workers.items() if w.running}
        if self.watcher is not None:
            self.watcher.start()
        if listen and self._warming is None:
            flows = [flow for channel in self.engine.channels.values() for flow in channel.flows]
            self._warming = asyncio.create_task(asyncio.to_thread(_warm_up, flows))
        if self.notifier is not None:
            await self.notifier.start()
        if self.sla is not None:
            await self.sla.start()
        if self.api is not None and listen:
            await self.api.start(self)

    async def stop(self) -> None:
        """Stop listening, finish deliveries in flight."""
        if self.api is not None:
            await self.api.stop()
        if self.sla is not None:
            await self.sla.stop()
        if self.notifier is not None:
            await self.notifier.stop()
        if self.watcher is not None:
            await self.watcher.stop()
        if self._warming is not None:
            # A thread cannot be cancelled: let a warm-up still loading finish (seconds at most).
            await asyncio.wait({self._warming}, timeout=30)
            self._warming = None
        if self._running:
            await self.engine.stop()
            self._running = False

    async def close(self) -> None:
        """Stop, close every connector and the store."""
        await self.stop()
        for name, worker in self.engine.workers.items():
            if name not in self._started:
                await worker.connector.close()
        if self._open:
            await self.store.close()
            self._open = False

    async def __aenter__(self) -> Application:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _warm_up(flows: list[Flow]) -> None:
    """Let each flow load what its first message would wait for (in a worker thread)."""
    for flow in flows:
        hook = getattr(flow, "warm_up", None)
        if callable(hook):
            try:
                hook()
            except Exception as exc:  # a failed warm-up only means the first message pays for it
                log.warning("flow warm-up failed", flow=type(flow).__name__, error=str(exc))


def _masterdata(settings: Settings, settings_dir: Path, clock: Clock) -> MasterData:
    on = settings.masterdata.as_of or clock.now().date()
    return load_master_data(settings.masterdata, base_dir=settings_dir, on=on)


def build_application(
    settings: Settings,
    *,
    settings_dir: Path,
    env: Mapping[str, str],
    registries: Registries | None = None,
    clock: Clock | None = None,
    connector_overrides: Mapping[str, BaseDestination] | None = None,
    masterdata: MasterData | None = None,
    services: FlowServices | None = None,
    store: BaseStore | None = None,
    middleware: list[Middleware] | None = None,
) -> Application:
    """Build everything ``settings`` describe; ConfigError names the first mistake.

    ``settings_dir``: where the ``[masterdata]`` paths start and channels' user-written step files
    are (the settings file's folder).
    ``env``: where connectors read their secrets (``secret_env`` names). ``registries``:
    careweave's own and the installed plugins' when None. ``masterdata``: loaded from the settings
    when None; ``services``: built from the master data when None (given, the settings' master data
    is not read). ``store``: the configured backend when None, not yet opened. The secrets
    ``[notifications]`` names are read from ``env`` too (ConfigError when one is not set).
    """
    registries = registries if registries is not None else default_registries()
    clock = clock or SystemClock()
    from_files = services is None and masterdata is None  # the settings' files: watch them
    if services is None:
        masterdata = masterdata or _masterdata(settings, settings_dir, clock)
        services = FlowServices.from_master_data(masterdata, clock=clock, claims=settings.claims)
    store = store if store is not None else build_store(settings.engine, env=env)
    api = ApiHost(settings.api, env, settings_dir) if settings.api is not None else None
    engine = build_engine(
        settings,
        store,
        registries=registries,
        services=services,
        connector_overrides=connector_overrides,
        secrets=env,
        middleware=middleware,
        clock=clock,
        settings_dir=settings_dir,
        http_guard=api.guard if api is not None else None,
    )
    # The business gauges of /metrics, read from the store when scraped.
    engine.metrics.on_scrape(BusinessMetrics(store, engine.metrics))
    return Application(
        settings=settings,
        registries=registries,
        store=store,
        masterdata=masterdata,
        services=services,
        engine=engine,
        settings_dir=settings_dir,
        clock=clock,
        watch=from_files,
        notifier=build_notifier(store, settings.notifications, env=env, clock=clock),
        api=api,
        sla=SlaMonitor(store, settings.sla, interval=settings.engine.sla_interval, clock=clock)
        if settings.sla
        else None,
    )


class _SecretsProbe(Mapping[str, str]):
    """The environment, answering a stand-in for an unset secret and remembering its name."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self.missing: list[str] = []

    def __getitem__(self, key: str) -> str:
        if value := self._env.get(key):
            return value
        self.missing.append(key)
        return "unset-in-check"

    def __iter__(self) -> Iterator[str]:
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)


async def check_application(
    settings: Settings,
    *,
    settings_dir: Path,
    env: Mapping[str, str],
    registries: Registries | None = None,
    clock: Clock | None = None,
) -> list[str]:
    """Build what ``run`` builds, open nothing; returns the warnings (ConfigError on a mistake).

    An ``[api]`` client whose secret is not set in ``env`` is an error (naming the variable).
    Warnings: master-data rows that did not load, connector secrets not set in ``env`` (an
    error in ``run``), and what a connector says of its worker's policy (an event stream whose
    duplicate window is shorter than the worker's retries).
    """
    registries = registries if registries is not None else default_registries()
    clock = clock or SystemClock()
    if settings.api is not None:
        check_api(settings.api, env, settings_dir)
    masterdata = _masterdata(settings, settings_dir, clock)
    warnings = list(masterdata.warnings)
    warnings.extend(
        f"[notifications]: {name} is not set in the environment; "
        "`careweave run` refuses to start without it"
        for name in settings.notifications.secret_names()
        if not env.get(name)
    )
    connectors: dict[str, BaseDestination] = {}
    try:
        for channel in settings.channels:
            for destination in channel.destinations:
                secrets = _SecretsProbe(env)
                connectors[destination.name] = build_connector(
                    destination, registries, secrets, settings_dir
                )
                warnings.extend(
                    f"destination {destination.name}: {name} is not set in the environment; "
                    "`careweave run` refuses to start without it"
                    for name in secrets.missing
                )
                warnings.extend(
                    f"destination {destination.name}: {warning}"
                    for warning in destination.connector.delivery_warnings(destination.worker)
                )
        build_engine(
            settings,
            build_store(settings.engine, env=env),
            registries=registries,
            services=FlowServices.from_master_data(masterdata, clock=clock, claims=settings.claims),
            connector_overrides=connectors,
            middleware=[],
            clock=clock,
            settings_dir=settings_dir,
        )
    finally:
        await asyncio.gather(*(c.close() for c in connectors.values()))
    return warnings
