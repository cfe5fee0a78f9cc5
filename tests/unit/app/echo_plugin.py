"""A third-party careweave plugin, as a package outside careweave would write it.

It adds one of each: a channel format (``echo-lines``), a mapping (``echo-words``), a flow
(``echo-back``) and a destination connector (``type = "echo"``, with a secret from the environment).
The tests install it as a distribution (``*.dist-info/entry_points.txt``) or hand its entry points in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import msgspec

from careweave.app import FormatRegistry
from careweave.config import ChannelConfig
from careweave.connectors.base import BaseDestination, ConnectorConfig, Receipt
from careweave.connectors.registry import ConnectorRegistry, require_secret
from careweave.flows.base import BaseFlow
from careweave.flows.registry import FlowRegistry
from careweave.flows.services import FlowServices
from careweave.mappings.registry import Mapper, MappingRegistry
from careweave.model.base import BusinessEvent
from careweave.model.envelope import Envelope, Step
from careweave.model.flow import FlowOutput
from careweave.model.records import Effect


class EchoRequested(BusinessEvent, frozen=True, kw_only=True):
    """One word to echo."""

    text: str


class EchoConfig(
    msgspec.Struct,
    ConnectorConfig,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="echo",
    tag_field="type",
):
    """Settings of the echo destination."""

    prefix: str = ""
    """Put before each delivered word."""
    token_env: str = "ECHO_TOKEN"
    """Environment variable holding the echo service's token."""


class EchoDestination(BaseDestination):
    """Records what it is given."""

    def __init__(self, config: EchoConfig, token: str) -> None:
        self.config = config
        self.token = token
        self.delivered: list[str] = []

    async def deliver(self, effect: Effect) -> Receipt:
        """Record the word."""
        self.delivered.append(self.config.prefix + (effect.payload or b"").decode())
        return Receipt(status=200, response="echoed")


class EchoBackFlow(BaseFlow):
    """Sends each word to the ``echo`` destination."""

    name: ClassVar[str] = "echo-back"
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = (EchoRequested,)

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Queue the word."""
        assert isinstance(event, EchoRequested)
        out.send("echo", event.idempotency_key, event.text.encode(), content_type="text/plain")


def _decode_lines(_config: ChannelConfig) -> Step:
    def step(envelope: Envelope) -> None:
        envelope.decoded = envelope.message.raw.decode()

    return step


def _words() -> Mapper:
    def mapper(decoded: object) -> list[BusinessEvent]:
        assert isinstance(decoded, str)
        return [EchoRequested(idempotency_key=f"echo:{w}", text=w) for w in decoded.split()]

    return mapper


def _echo(config: EchoConfig, secrets: Mapping[str, str]) -> BaseDestination:
    return EchoDestination(config, require_secret(secrets, config.token_env))


def register_formats(registry: FormatRegistry) -> None:
    """``careweave.formats`` entry point."""
    registry.register("echo-lines", _decode_lines)


def register_mappings(registry: MappingRegistry) -> None:
    """``careweave.mappings`` entry point."""
    registry.register("echo-words", _words)


def register_flows(registry: FlowRegistry) -> None:
    """``careweave.flows`` entry point."""

    def build(_services: FlowServices) -> BaseFlow:
        return EchoBackFlow()

    registry.register("echo-back", build)


def register_connectors(registry: ConnectorRegistry) -> None:
    """``careweave.connectors`` entry point."""
    registry.register(EchoConfig, _echo)


def broken(_registry: object) -> None:
    """An entry point whose registration fails."""
    raise RuntimeError("the plugin's own bug")
