"""Settings: one TOML file plus environment overrides (applied by the CLI).

::

    [engine]
    data_dir = "var"                  # SQLite file and spool live here
    database_url = ""                 # postgresql://... to share work between processes
    synchronous = "FULL"

    [[channels]]
    name = "adt"
    ordering_key = "PID-3.1"
    accept = ["ADT^*"]
    source = { type = "mllp", port = 2575 }

    [[channels.destinations]]
    name = "rcm"
    connector = { type = "http", url = "http://127.0.0.1:9000/charges" }
    worker = { concurrency = 8, retry = { max_attempts = 10 } }

``careweave check --config FILE`` validates a file and names the first problem with its path.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

import msgspec

from careweave.connectors.files import FileDestinationConfig
from careweave.connectors.http import HttpDestinationConfig
from careweave.connectors.http_source.config import HttpSourceConfig
from careweave.connectors.null import NullDestinationConfig
from careweave.engine.worker import WorkerPolicy
from careweave.exceptions import ConfigError


class MllpSourceConfig(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="mllp",
    tag_field="type",
):
    """An MLLP listener as a channel's source."""

    host: str = "127.0.0.1"
    """Address to bind."""
    port: int = 2575
    """Port to bind (0 picks a free one)."""
    max_frame_bytes: int = 1_048_576
    """Largest accepted message; a larger frame is refused with AR."""
    read_timeout: float = 30.0
    """Seconds to finish a frame once started."""
    idle_timeout: float = 300.0
    """Seconds an idle connection is kept."""


class MllpDestinationConfig(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="mllp",
    tag_field="type",
):
    """An MLLP peer as a destination: each effect is sent as an HL7 message and must be ACKed AA."""

    host: str
    """Peer address."""
    port: int
    """Peer port."""
    ack_timeout: float = 30.0
    """Seconds to wait for the ACK."""


class ErpDestinationConfig(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="erp",
    tag_field="type",
):
    """The cloud ERP's REST API as a destination (journals, inventory, requisitions, POs)."""

    base_url: str
    """The ERP's base URL."""
    client_id: str
    """OAuth2 client id."""
    secret_env: str = "CAREWEAVE_ERP_SECRET"  # noqa: S105 - the name of a variable, not a secret
    """Environment variable holding the OAuth2 client secret (never in the settings file)."""
    api_version: Literal["v1", "v2"] = "v2"
    """ERP API version: moving from v1 to v2 is this one setting."""
    rate_limit: float = 20.0
    """Requests per second the ERP allows this client."""


DestinationConnector = (
    HttpDestinationConfig
    | FileDestinationConfig
    | NullDestinationConfig
    | MllpDestinationConfig
    | ErpDestinationConfig
)


class DestinationConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One destination of a channel, with its own durable queue."""

    name: str
    """Unique across the configuration; names the queue."""
    connector: DestinationConnector
    """Where and how to deliver."""
    payload: Literal["raw", "events", "none"] = "raw"
    """``raw`` forwards the inbound message; ``events`` sends each canonical event as JSON;
    ``none``: only flows send here (journals, inventory movements)."""
    event_types: list[str] = msgspec.field(default_factory=list)
    """With ``payload = "events"``: the event types to send (all when empty)."""
    worker: WorkerPolicy = msgspec.field(default_factory=WorkerPolicy)
    """Concurrency, rate limit, retry and circuit breaker."""


class ChannelConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One inbound interface."""

    name: str
    """Unique channel name."""
    source: MllpSourceConfig | HttpSourceConfig
    """Where messages come from."""
    format: str = "hl7v2"
    """How the message is decoded: ``hl7v2``, ``raw`` (and each format module's own, e.g. ``fhir``)."""
    ordering_key: str | None = "PID-3.1"
    """Path of the field that orders messages per destination (patient by default)."""
    accept: list[str] = msgspec.field(default_factory=list)
    """Message types routed (globs on ``ADT^A01``); others are stored as filtered. Empty: all."""
    mapping: str | None = None
    """Canonical mapping that turns the decoded message into business events."""
    flows: list[str] = msgspec.field(default_factory=list)
    """Process flows run on the channel's events (``supply-to-replenish``, ``patient-to-billing``)."""
    retention_days: float | None = None
    """Days after which message content is pruned (metadata is kept); None keeps content."""
    destinations: list[DestinationConfig] = msgspec.field(default_factory=list)
    """Where the channel's work goes."""


class EngineConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Process-wide settings."""

    data_dir: str = "var"
    """Folder of the embedded SQLite database."""
    database_url: str = ""
    """``postgresql://...`` selects the PostgreSQL backend; empty means SQLite in ``data_dir``."""
    database_schema: str = "public"
    """PostgreSQL schema holding careweave's tables."""
    synchronous: Literal["FULL", "NORMAL", "EXTRA"] = "FULL"
    """SQLite durability (FULL: survives power loss)."""
    log_level: str = "info"
    """Logging level."""
    log_format: Literal["console", "json"] = "console"
    """Human-readable or JSON logs."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A whole careweave configuration."""

    engine: EngineConfig = msgspec.field(default_factory=EngineConfig)
    channels: list[ChannelConfig] = msgspec.field(default_factory=list)

    def check(self) -> None:
        """Cross-field rules that types alone cannot express."""
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ConfigError(f"channel names must be unique: {names}")
        dests = [d.name for c in self.channels for d in c.destinations]
        if len(set(dests)) != len(dests):
            raise ConfigError(f"destination names must be unique across channels: {dests}")
        ports = [c.source.port for c in self.channels if c.source.port != 0]
        if len(set(ports)) != len(ports):
            raise ConfigError(f"two channels listen on the same port: {ports}")
        if self.engine.database_url and not self.engine.database_url.startswith(
            ("postgresql://", "postgres://")
        ):
            raise ConfigError("database_url must be a postgresql:// URL (or empty for SQLite)")


ENV_OVERRIDES = {
    "CAREWEAVE_DATABASE_URL": "database_url",
    "CAREWEAVE_DATABASE_SCHEMA": "database_schema",
    "CAREWEAVE_DATA_DIR": "data_dir",
    "CAREWEAVE_SYNCHRONOUS": "synchronous",
    "CAREWEAVE_LOG_LEVEL": "log_level",
    "CAREWEAVE_LOG_FORMAT": "log_format",
}


def parse_settings(
    text: str, env: dict[str, str] | None = None, *, source: str = "<config>"
) -> Settings:
    """Parse TOML settings, apply environment overrides, validate."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    engine = data.setdefault("engine", {})
    for var, key in ENV_OVERRIDES.items():
        if env and env.get(var):
            engine[key] = env[var]
    try:
        settings = msgspec.convert(data, Settings)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    settings.check()
    return settings


def load_settings(path: Path, env: dict[str, str] | None = None) -> Settings:
    """Read and validate a settings file."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_settings(text, env, source=str(path))
