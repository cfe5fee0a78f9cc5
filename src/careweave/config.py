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

    [masterdata]                      # the CSV files flows need, relative to this file
    items = "masterdata/items.csv"
    locations = "masterdata/locations.csv"

``careweave check --config FILE`` validates a file and names the first problem with its path; ``run``
refuses the same things through the same code. A value is checked where it is parsed (``Meta``
constraints, ``__post_init__``); rules across settings are :meth:`Settings.check`.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from careweave.connectors.base import ConnectorConfig
from careweave.connectors.file_source import FileSourceConfig
from careweave.connectors.http_source.api_config import ApiConfig
from careweave.connectors.http_source.config import HttpSourceConfig
from careweave.connectors.policy import WorkerPolicy
from careweave.connectors.registry import ConnectorRegistry, builtin_connectors
from careweave.engine.notifications.config import NotificationsConfig
from careweave.engine.sla_config import SlaConfig
from careweave.exceptions import ConfigError
from careweave.masterdata.config import MasterDataConfig
from careweave.model.catalog import InterfaceInfo
from careweave.model.flow import ERP_DESTINATION, GENERAL_LEDGER_DESTINATION, RCM_DESTINATION
from careweave.observability.config import MetricsConfig, TracingConfig


class MllpTlsConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """TLS of an MLLP source: PEM files, relative to the settings file (like master data)."""

    cert: Annotated[str, msgspec.Meta(min_length=1)]
    """The listener's certificate (chain), PEM."""
    key: Annotated[str, msgspec.Meta(min_length=1)]
    """Its private key, PEM (unencrypted: keep the file readable by careweave only)."""
    client_ca: Annotated[str, msgspec.Meta(min_length=1)] | None = None
    """CA certificate(s) a peer's client certificate must chain to; set, a peer without one is
    refused at the handshake (mutual TLS)."""


class MllpSourceConfig(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="mllp",
    tag_field="type",
):
    """An MLLP listener as a channel's source."""

    host: Annotated[str, msgspec.Meta(min_length=1)] = "127.0.0.1"
    """Address to bind."""
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 2575
    """Port to bind (0 picks a free one)."""
    max_frame_bytes: Annotated[int, msgspec.Meta(ge=1)] = 1_048_576
    """Largest accepted message; a larger frame is answered AR and its first ``max_frame_bytes``
    bytes are stored in error with the reason."""
    read_timeout: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    """Seconds to finish a frame once started (and a TLS handshake)."""
    idle_timeout: Annotated[float, msgspec.Meta(gt=0)] = 300.0
    """Seconds a connection is kept without a complete frame (bytes that complete none count
    for nothing)."""
    max_connections: Annotated[int, msgspec.Meta(ge=1)] = 256
    """Connections served at once; one more is closed straight away."""
    max_connections_per_peer: Annotated[int, msgspec.Meta(ge=1)] = 64
    """Connections served at once from one remote address."""
    tls: MllpTlsConfig | None = None
    """TLS for the listener (plain TCP when absent); with ``client_ca``, mutual TLS."""

    def __post_init__(self) -> None:
        if self.max_connections_per_peer > self.max_connections:
            raise ValueError(
                f"max_connections_per_peer ({self.max_connections_per_peer}) cannot exceed "
                f"max_connections ({self.max_connections})"
            )


class DestinationConfig(InterfaceInfo, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One destination of a channel, with its own durable queue (and its catalog metadata:
    ``owner``, ``sla``, ``systems``, ``description``, ``phi``, ``version``)."""

    name: Annotated[str, msgspec.Meta(min_length=1)]
    """Unique across the configuration; names the queue."""
    connector: ConnectorConfig
    """Where and how to deliver: a table whose ``type`` names a registered connector (``http``,
    ``file``, ``mllp``, ``erp``, ``rcm``, ``nats``, ``bus``, ``null`` or a plugin's), parsed into
    that connector's own settings struct (see :mod:`careweave.connectors.registry`)."""
    payload: Literal["raw", "events", "none"] = "raw"
    """``raw`` forwards the inbound message; ``events`` sends each business event as JSON (the
    channel's mapped events, then the events its flows derived); ``none``: only flows send here
    (journals, inventory movements)."""
    event_types: list[str] = msgspec.field(default_factory=list)
    """With ``payload = "events"``: the event types to send (all when empty)."""
    worker: WorkerPolicy = msgspec.field(default_factory=WorkerPolicy)
    """Concurrency, rate limit, retry and circuit breaker."""

    def __post_init__(self) -> None:
        if self.connector.flow_only and self.payload != "none":
            raise ValueError(
                f"a destination of type {_tag(self.connector)!r} takes only the flows' effects: "
                f'payload must be "none", not {self.payload!r}'
            )
        if self.connector.events_only and self.payload != "events":
            raise ValueError(
                f"a destination of type {_tag(self.connector)!r} publishes business events: "
                f'payload must be "events", not {self.payload!r}'
            )
        if self.event_types and self.payload != "events":
            raise ValueError(f'event_types needs payload = "events", not {self.payload!r}')


_CALL = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def _check_call(call: str, what: str) -> None:
    if not _CALL.fullmatch(call):
        raise ValueError(
            f"{what} must name a function as 'module:function' (e.g. "
            f"'site_rules:drop_test_patients'), not {call!r}"
        )


class StepConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A user-written filter or transform step of a channel (docs/user-steps.md)."""

    kind: Literal["filter", "transform"]
    """``filter``: the function returns True to keep the message, False to store it as filtered;
    ``transform``: it changes the decoded message or the events (or returns replacements)."""
    call: str
    """``module:function``: ``module.py`` beside the settings file, else an installed module."""
    after: Literal["decode", "mapping"] = "decode"
    """``decode``: runs on the decoded message, before the mapping (so the mapping sees its
    changes); ``mapping``: runs once the mapping has made the canonical events."""

    def __post_init__(self) -> None:
        _check_call(self.call, "call")


class ChannelConfig(InterfaceInfo, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One inbound interface (with its catalog metadata, :class:`InterfaceInfo`)."""

    name: Annotated[str, msgspec.Meta(min_length=1)]
    """Unique channel name."""
    source: MllpSourceConfig | HttpSourceConfig | FileSourceConfig
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
    retention_days: Annotated[float, msgspec.Meta(gt=0)] | None = None
    """Days after which message content is pruned (metadata is kept); None keeps content."""
    destinations: list[DestinationConfig] = msgspec.field(default_factory=list)
    """Where the channel's work goes."""
    steps: list[StepConfig] = msgspec.field(default_factory=list)
    """User-written filter and transform steps, run in order (docs/user-steps.md)."""
    router: str | None = None
    """``module:function`` choosing, per message, which of the channel's ``raw``/``events``
    destinations get it (all when unset); flows' effects are not routed by it."""

    def __post_init__(self) -> None:
        if self.router is not None:
            _check_call(self.router, "router")


class EngineConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Process-wide settings."""

    data_dir: Annotated[str, msgspec.Meta(min_length=1)] = "var"
    """Folder of the embedded SQLite database."""
    database_url: str = ""
    """``postgresql://...`` selects the PostgreSQL backend; empty means SQLite in ``data_dir``."""
    database_schema: str = "public"
    """PostgreSQL schema holding careweave's tables."""
    synchronous: Literal["FULL", "NORMAL", "EXTRA"] = "FULL"
    """SQLite durability (FULL: survives power loss)."""
    log_level: str = "info"
    """Logging level: ``debug``, ``info``, ``warning``, ``error`` or ``critical``."""
    log_format: Literal["console", "json"] = "console"
    """Human-readable or JSON logs."""
    phi_key_env: Annotated[str, msgspec.Meta(pattern=r"^([A-Za-z_][A-Za-z0-9_]*)?$")] = ""
    """Environment variable holding the PHI keyring (base64 of 32 bytes, or ``kid:base64,...``):
    set, the store seals payloads, error text and compared keys with AES-256 (empty: off)."""
    phi_key_file: str = ""
    """Or a file holding the keyring (the demo writes one); relative to the working directory."""
    sla_interval: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    """Seconds between two measures of the ``[[sla]]`` service levels."""

    def __post_init__(self) -> None:
        if self.log_level.upper() not in logging.getLevelNamesMapping():
            raise ValueError(
                f"log_level must be debug, info, warning, error or critical, not {self.log_level!r}"
            )


class PartyConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A claim submitter or receiver (loops 1000A / 1000B of the 837)."""

    name: Annotated[str, msgspec.Meta(min_length=1)]
    """NM103: the organization's name."""
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    """NM109: the id the clearinghouse knows it by (ETIN)."""
    contact_name: str = ""
    """PER02 (submitter only; empty: the name)."""
    contact_phone: str = ""
    """PER04 (submitter only)."""


_ISA_ID = Annotated[str, msgspec.Meta(min_length=1, max_length=15, pattern=r"^[A-Za-z0-9 ]+$")]
_GS_CODE = Annotated[str, msgspec.Meta(max_length=15, pattern=r"^[A-Za-z0-9 ]*$")]


class InterchangeConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The ISA/GS envelope of the 837 files."""

    sender_id: _ISA_ID
    """ISA06: the submitter's interchange id (control numbers are unique per sender)."""
    receiver_id: _ISA_ID
    """ISA08: the clearinghouse's interchange id."""
    sender_qualifier: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2}$")] = "ZZ"
    """ISA05 (ZZ mutually defined, 30 federal tax id ...)."""
    receiver_qualifier: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2}$")] = "ZZ"
    """ISA07."""
    usage: Literal["T", "P"] = "P"
    """ISA15: P production, T test."""
    acknowledgment_requested: Literal["0", "1"] = "0"
    """ISA14: 1 asks for a TA1."""
    application_sender: _GS_CODE = ""
    """GS02 application sender's code (empty: ``sender_id``)."""
    application_receiver: _GS_CODE = ""
    """GS03 application receiver's code (empty: ``receiver_id``)."""


class ClaimsSettingsConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``[claims]``: who submits 837 claims to whom (the ``claim-submission`` flow needs it).

    The billing provider of each legal entity comes from the ``[masterdata] entities`` file.
    """

    submitter: PartyConfig
    receiver: PartyConfig
    interchange: InterchangeConfig
    claims_per_transaction: Annotated[int, msgspec.Meta(ge=1, le=5000)] = 100
    """Claims per 837 transaction set (ST/SE); the guides advise at most 5000."""
    claims_per_file: Annotated[int, msgspec.Meta(ge=1)] = 1000
    """Claims per 837 file (one interchange)."""

    def __post_init__(self) -> None:
        # X222A1/X223A3 1000A PER: PER03/PER04 (a communication number) are required.
        if not self.submitter.contact_phone:
            raise ValueError(
                "claims.submitter needs contact_phone: the 837's submitter contact "
                "(loop 1000A PER04) must carry a telephone number"
            )


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A whole careweave configuration."""

    engine: EngineConfig = msgspec.field(default_factory=EngineConfig)
    channels: list[ChannelConfig] = msgspec.field(default_factory=list)
    masterdata: MasterDataConfig = msgspec.field(default_factory=MasterDataConfig)
    """Master-data files, relative to the settings file."""
    notifications: NotificationsConfig = msgspec.field(default_factory=NotificationsConfig)
    """How owning teams hear of their exception cases (webhook, e-mail)."""
    claims: ClaimsSettingsConfig | None = None
    """Claim submission (submitter, receiver, 837 envelope); None: not configured."""
    api: ApiConfig | None = None
    """The governed HTTP API (``careweave.gateway.api``); None: not served."""
    tracing: TracingConfig = msgspec.field(default_factory=TracingConfig)
    """OpenTelemetry tracing and its OTLP export (off by default)."""
    metrics: MetricsConfig = msgspec.field(default_factory=MetricsConfig)
    """Prometheus metrics on a port of the engine's own (the API serves them too)."""
    sla: list[SlaConfig] = msgspec.field(default_factory=list)
    """Service levels per interface, watched while the engine runs (``[[sla]]``)."""

    def check(
        self,
        *,
        formats: Collection[str] | None = None,
        flows: Collection[str] | None = None,
        mappings: Collection[str] | None = None,
    ) -> None:
        """Rules across settings that types alone cannot express; each error names its path.

        ``formats``, ``flows`` and ``mappings`` are the names code has registered (the CLI passes
        its registries' names); left out, a channel's format and flow names are refused only when
        the application builds the channel, and mappings are checked against careweave's own.
        """
        if mappings is None:
            from careweave.mappings.registry import builtin_mappings

            mappings = builtin_mappings().names()

        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise _at(f"channel names must be unique: {names}", "$.channels")
        dests = [d.name for c in self.channels for d in c.destinations]
        if len(set(dests)) != len(dests):
            raise _at(f"destination names must be unique across channels: {dests}", "$.channels")
        ports = [c.source.port for c in self.channels if c.source.port != 0]
        if len(set(ports)) != len(ports):
            raise _at(f"two channels listen on the same port: {ports}", "$.channels")
        if self.api is not None and self.api.port != 0 and self.api.port in ports:
            raise _at(f"the API's port {self.api.port} is a channel's port too", "$.api.port")
        if self.engine.database_url and not self.engine.database_url.startswith(
            ("postgresql://", "postgres://")
        ):
            raise _at(
                "database_url must be a postgresql:// URL (or empty for SQLite)",
                "$.engine.database_url",
            )
        for i, level in enumerate(self.sla):
            if level.destination and level.destination not in dests:
                raise _at(
                    f"sla {level.name}: no destination {level.destination!r}; known: {dests}",
                    f"$.sla[{i}].destination",
                )
        names = [level.name for level in self.sla]
        if len(set(names)) != len(names):
            raise _at(f"sla names must be unique: {names}", "$.sla")
        sends_to = _flow_destinations() if any(c.flows for c in self.channels) else {}
        for i, channel in enumerate(self.channels):
            at = f"$.channels[{i}]"
            if formats is not None and channel.format not in formats:
                raise _at(
                    f"unknown format {channel.format!r}; known: {sorted(formats)}", f"{at}.format"
                )
            if channel.mapping is not None and channel.mapping not in mappings:
                raise _at(
                    f"unknown mapping {channel.mapping!r}; known: {sorted(mappings)}",
                    f"{at}.mapping",
                )
            for j, flow in enumerate(channel.flows):
                if flows is not None and flow not in flows:
                    raise _at(f"unknown flow {flow!r}; known: {sorted(flows)}", f"{at}.flows[{j}]")
                target = sends_to.get(flow)
                if target is not None and target not in dests:
                    raise _at(
                        f"flow {flow!r} sends to destination {target!r}, which is not configured",
                        f"{at}.flows[{j}]",
                    )


def _tag(connector: ConnectorConfig) -> str:
    tag = getattr(connector, "__struct_config__", None)
    return str(tag.tag) if tag is not None else type(connector).__name__


def _at(message: str, path: str) -> ConfigError:
    """A settings error naming where it is, the way msgspec names a value's problem."""
    return ConfigError(f"{message} - at `{path}`")


def _flow_destinations() -> dict[str, str]:
    """The destination each of careweave's flows sends its effects to (the others send none).

    The names are the flows' defaults, kept in the model so that settings need not import flows.
    """
    return {
        "supply-to-replenish": ERP_DESTINATION,
        "cost-allocation": ERP_DESTINATION,
        "finance-posting": ERP_DESTINATION,
        "month-end-close": ERP_DESTINATION,
        "patient-to-billing": RCM_DESTINATION,
        "remittance-posting": GENERAL_LEDGER_DESTINATION,
    }


ENV_OVERRIDES = {
    "CAREWEAVE_DATABASE_URL": "database_url",
    "CAREWEAVE_DATABASE_SCHEMA": "database_schema",
    "CAREWEAVE_DATA_DIR": "data_dir",
    "CAREWEAVE_SYNCHRONOUS": "synchronous",
    "CAREWEAVE_LOG_LEVEL": "log_level",
    "CAREWEAVE_LOG_FORMAT": "log_format",
}


def _parse_connectors(data: dict[str, Any], connectors: ConnectorRegistry) -> None:
    """Replace each destination's ``connector`` table by its connector's settings struct.

    Done before the rest is converted, through the registry, so that a third-party connector is
    configured like a built-in one and a wrong value is named with its whole path; shapes that are
    wrong above the connector are left for msgspec to name.
    """
    channels = data.get("channels")
    for i, channel in enumerate(channels if isinstance(channels, list) else []):
        destinations = channel.get("destinations") if isinstance(channel, dict) else None
        for j, destination in enumerate(destinations if isinstance(destinations, list) else []):
            if isinstance(destination, dict) and "connector" in destination:
                at = f"$.channels[{i}].destinations[{j}].connector"
                destination["connector"] = connectors.parse(destination["connector"], at=at)


def _parsed_connector(kind: type, value: Any) -> Any:
    """msgspec's hook for the ``connector`` field: it holds a struct parsed by the registry."""
    if kind is ConnectorConfig and isinstance(value, ConnectorConfig):
        return value
    # msgspec's dec_hook protocol: NotImplementedError means "not a type this hook decodes", which
    # msgspec reports as a validation error naming the path.
    raise NotImplementedError(f"{kind!r} is not a settings type")


def parse_settings(
    text: str,
    env: dict[str, str] | None = None,
    *,
    source: str = "<config>",
    formats: Collection[str] | None = None,
    flows: Collection[str] | None = None,
    mappings: Collection[str] | None = None,
    connectors: ConnectorRegistry | None = None,
) -> Settings:
    """Parse TOML settings, apply environment overrides, validate (see :meth:`Settings.check`).

    ``connectors`` parses each destination's ``connector`` table (careweave's own when None).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    engine = data.setdefault("engine", {})
    for var, key in ENV_OVERRIDES.items():
        if env and env.get(var):
            engine[key] = env[var]
    try:
        _parse_connectors(data, connectors if connectors is not None else builtin_connectors())
        settings = msgspec.convert(data, Settings, dec_hook=_parsed_connector)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    try:
        settings.check(formats=formats, flows=flows, mappings=mappings)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    return settings


def load_settings(
    path: Path,
    env: dict[str, str] | None = None,
    *,
    formats: Collection[str] | None = None,
    flows: Collection[str] | None = None,
    mappings: Collection[str] | None = None,
    connectors: ConnectorRegistry | None = None,
) -> Settings:
    """Read and validate a settings file."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_settings(
        text,
        env,
        source=str(path),
        formats=formats,
        flows=flows,
        mappings=mappings,
        connectors=connectors,
    )
