"""Settings -> the engine's parts: each channel's steps, routes and flows; each destination's connector.

Every name the settings use is looked up in the registries handed in, and every mistake is a
:class:`~careweave.exceptions.ConfigError` naming the channel or destination: an unknown format,
mapping, flow or connector type, a user-written step that cannot be loaded, a flow whose master
data is missing, a connector whose secret is not set.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from careweave.app.registries import Registries, default_registries
from careweave.app.user_code import user_steps
from careweave.config import ChannelConfig, DestinationConfig, Settings
from careweave.connectors.base import BaseDestination
from careweave.engine.channel import Channel, Route, message_types_filter
from careweave.engine.clock import Clock, SystemClock
from careweave.engine.middleware import Middleware
from careweave.engine.runtime import HL7_CONTENT_TYPE, Engine, ServedSource
from careweave.engine.store.base import BaseStore
from careweave.exceptions import ConfigError
from careweave.flows.services import FlowServices
from careweave.model.envelope import Step


def build_channel(
    config: ChannelConfig,
    registries: Registries,
    services: FlowServices,
    *,
    settings_dir: Path | None = None,
) -> Channel:
    """The steps (accept filter, decode, user steps, mapping, user steps, router), routes and flows
    a channel's settings describe; user steps' files are looked for in ``settings_dir`` (None:
    installed modules only)."""
    try:
        user = user_steps(config, settings_dir)
        steps: list[Step] = []
        if config.accept:
            steps.append(message_types_filter(config.accept))
        if (decode := registries.formats.decode_step(config)) is not None:
            steps.append(decode)
        steps.extend(user.after_decode)
        if config.mapping is not None:
            steps.append(registries.mappings.step(config.mapping))
        steps.extend(user.after_mapping)
        if user.router is not None:
            steps.append(user.router)
        flows = registries.flows.build_all(config.flows, services)
    except ConfigError as exc:
        raise ConfigError(f"channel {config.name}: {exc}") from exc
    routes = [
        Route(destination=d.name, payload=d.payload, event_types=tuple(d.event_types))
        for d in config.destinations
        if d.payload != "none"
    ]
    return Channel(
        config.name, steps=steps, routes=routes, flows=flows, content_type=HL7_CONTENT_TYPE
    )


def build_connector(
    config: DestinationConfig,
    registries: Registries,
    secrets: Mapping[str, str],
    settings_dir: Path | None = None,
) -> BaseDestination:
    """The connector of one destination (its secrets read from ``secrets``, its files from
    ``settings_dir``, the settings file's folder, when given)."""
    connector = config.connector
    if settings_dir is not None:
        connector = connector.with_files_from(settings_dir)
    try:
        return registries.connectors.build(connector, secrets)
    except ConfigError as exc:
        raise ConfigError(f"destination {config.name}: {exc}") from exc


def build_engine(
    settings: Settings,
    store: BaseStore,
    *,
    registries: Registries | None = None,
    services: FlowServices | None = None,
    connector_overrides: Mapping[str, BaseDestination] | None = None,
    secrets: Mapping[str, str] | None = None,
    middleware: list[Middleware] | None = None,
    clock: Clock | None = None,
    settings_dir: Path | None = None,
    http_guard: Callable[[], Any] | None = None,
) -> Engine:
    """An engine for ``settings`` over ``store`` (not started).

    ``registries``: what settings may name (careweave's own and the installed plugins' when None);
    ``services``: what flows are built with (no master data when None); ``connector_overrides``:
    connectors by destination name that replace the configured ones (a test double, a simulator);
    ``settings_dir``: where channels' user-written step files and MLLP sources' TLS files are (the
    settings file's folder); ``http_guard``: gives the guard (``[api]`` authentication) the
    channels' HTTP sources require, when they start.
    """
    registries = registries if registries is not None else default_registries()
    clock = clock or (services.clock if services is not None else SystemClock())
    services = services if services is not None else FlowServices(clock=clock)
    channels = {
        c.name: build_channel(c, registries, services, settings_dir=settings_dir)
        for c in settings.channels
    }
    overrides = dict(connector_overrides or {})
    names = [d.name for c in settings.channels for d in c.destinations]
    if unknown := sorted(set(overrides) - set(names)):
        raise ConfigError(f"connector overrides for destinations not configured: {unknown}")
    connectors = {
        d.name: overrides.get(d.name) or build_connector(d, registries, secrets or {}, settings_dir)
        for c in settings.channels
        for d in c.destinations
    }
    return Engine(
        settings,
        store,
        channels=channels,
        connectors=connectors,
        middleware=middleware,
        clock=clock,
        http_sources=functools.partial(_http_source, guard=http_guard),
        settings_dir=settings_dir,
    )


def _http_source(
    config: ChannelConfig, engine: Engine, *, guard: Callable[[], Any] | None = None
) -> ServedSource:
    """The gateway's HTTP source for a channel (Litestar and uvicorn are imported only here),
    behind the API's guard when ``guard`` gives one."""
    from careweave.gateway.app import ChannelHttpSource

    return ChannelHttpSource(
        config,
        engine,
        guard=guard() if guard is not None else None,
        settings_dir=engine.settings_dir,
    )
