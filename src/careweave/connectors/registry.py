"""Destination connectors by type tag: each tag's settings struct and the factory that builds it.

::

    [[channels.destinations]]
    name = "erp"
    payload = "none"
    connector = { type = "erp", base_url = "https://erp.example.org", client_id = "careweave" }

The settings parser hands each destination's ``connector`` table to :meth:`ConnectorRegistry.parse`,
which reads its ``type`` and converts the table to that tag's struct (a wrong value is named with
its path, like any other setting). The composition root then calls :meth:`ConnectorRegistry.build`
with that struct and the secrets mapping (the environment, in the CLI): the factory takes the struct
as it is, so no setting is ever copied into a second struct. A connector that needs a secret reads
it with :func:`require_secret`, which names the variable when it is unset.

:func:`builtin_connectors` gives careweave's own; a third-party package registers its own through
the ``careweave.connectors`` entry-point group (see :mod:`careweave.app.registries`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec

from careweave.connectors.base import BaseDestination, ConnectorConfig
from careweave.exceptions import ConfigError

C = TypeVar("C", bound=ConnectorConfig)

ConnectorFactory = Callable[[C, Mapping[str, str]], BaseDestination]
"""Builds a connector from its settings struct and the secrets mapping; raises ConfigError."""


class MissingSecretError(ConfigError):
    """A connector's secret is not set in the environment."""

    def __init__(self, variable: str) -> None:
        super().__init__(f"set {variable} to the connector's secret (it is never in the settings)")
        self.variable = variable


def require_secret(secrets: Mapping[str, str], variable: str) -> str:
    """The value of ``variable`` in ``secrets``; :class:`MissingSecretError` when unset or empty."""
    value = secrets.get(variable)
    if not value:
        raise MissingSecretError(variable)
    return value


@dataclass(frozen=True)
class ConnectorType(Generic[C]):
    """One registered connector type."""

    config: type[C]
    """The settings struct (a tagged msgspec Struct deriving from ConnectorConfig)."""
    factory: ConnectorFactory[C]
    """Builds the connector from that struct and the secrets."""


def struct_tag(config: type[Any]) -> str:
    """The ``type`` tag of a connector settings struct; ConfigError if it is not one."""
    if not (issubclass(config, msgspec.Struct) and issubclass(config, ConnectorConfig)):
        raise ConfigError(
            f"{config.__name__} must be a msgspec Struct deriving from ConnectorConfig"
        )
    struct_config = config.__struct_config__
    if struct_config.tag_field != "type" or not isinstance(struct_config.tag, str):
        raise ConfigError(f'{config.__name__} must be tagged: tag="...", tag_field="type"')
    return struct_config.tag


class ConnectorRegistry:
    """Connector types by their ``type`` tag."""

    def __init__(self) -> None:
        self._types: dict[str, ConnectorType[Any]] = {}

    def register(self, config: type[C], factory: ConnectorFactory[C]) -> None:
        """Make ``config``'s tag configurable, built by ``factory`` (a second use of a tag fails)."""
        tag = struct_tag(config)
        if tag in self._types:
            raise ConfigError(f"connector type {tag!r} is registered twice")
        self._types[tag] = ConnectorType(config, factory)

    def tags(self) -> list[str]:
        """Every registered tag, sorted."""
        return sorted(self._types)

    def __contains__(self, tag: object) -> bool:
        return tag in self._types

    def parse(self, table: object, *, at: str = "$") -> ConnectorConfig:
        """The settings struct a ``connector`` table describes; ConfigError naming the path ``at``."""
        if not isinstance(table, dict):
            raise ConfigError(f"expected a table with a `type` - at `{at}`")
        tag = table.get("type")
        if tag is None:
            raise ConfigError(f"a connector needs a `type`, one of {self.tags()} - at `{at}`")
        known = self._types.get(tag) if isinstance(tag, str) else None
        if known is None:
            raise ConfigError(
                f"unknown connector type {tag!r}; known: {self.tags()} - at `{at}.type`"
            )
        try:
            parsed: ConnectorConfig = msgspec.convert(table, known.config)
        except msgspec.ValidationError as exc:
            message = str(exc)
            if " - at `$" in message:  # the struct names the field: make the path whole
                raise ConfigError(message.replace(" - at `$", f" - at `{at}", 1)) from None
            raise ConfigError(f"{message} - at `{at}`") from None
        return parsed

    def build(self, config: ConnectorConfig, secrets: Mapping[str, str]) -> BaseDestination:
        """The connector for a parsed settings struct."""
        tag = struct_tag(type(config))
        known = self._types.get(tag)
        if known is None or not isinstance(config, known.config):
            raise ConfigError(f"no connector is registered for {type(config).__name__}")
        return known.factory(config, secrets)


def builtin_connectors() -> ConnectorRegistry:
    """careweave's own destination connectors: http, file, null, mllp, erp, rcm, nats, bus."""
    from careweave.connectors.erp import ErpConfig, ErpConnector, ErpDestination
    from careweave.connectors.event_bus import EventBusConfig, EventBusDestination
    from careweave.connectors.files import FileDestination, FileDestinationConfig
    from careweave.connectors.http import HttpDestination, HttpDestinationConfig
    from careweave.connectors.mllp_destination import MllpDestination, MllpDestinationConfig
    from careweave.connectors.nats_stream import NatsStreamConfig, NatsStreamDestination
    from careweave.connectors.null import NullDestination, NullDestinationConfig
    from careweave.connectors.rcm import RcmDestination, RcmDestinationConfig

    def erp(config: ErpConfig, secrets: Mapping[str, str]) -> BaseDestination:
        return ErpDestination(
            ErpConnector(config, secret=require_secret(secrets, config.secret_env))
        )

    registry = ConnectorRegistry()
    registry.register(HttpDestinationConfig, lambda c, _secrets: HttpDestination(c))
    registry.register(FileDestinationConfig, lambda c, _secrets: FileDestination(c))
    registry.register(NullDestinationConfig, lambda _c, _secrets: NullDestination())
    registry.register(MllpDestinationConfig, lambda c, _secrets: MllpDestination(c))
    registry.register(ErpConfig, erp)
    registry.register(RcmDestinationConfig, lambda c, _secrets: RcmDestination(c))
    registry.register(NatsStreamConfig, lambda c, _secrets: NatsStreamDestination(c))
    registry.register(EventBusConfig, lambda c, _secrets: EventBusDestination(c))
    return registry
