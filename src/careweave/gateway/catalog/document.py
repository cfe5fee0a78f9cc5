"""The integration catalog's document: every interface, with who owns it and what it promises.

One shape for ``careweave catalog --json``, ``/v1/catalog`` and the Markdown rendering. Every
entry carries the same governance fields (:class:`Governance`): owner, SLA, systems, PHI
classification, version and lifecycle. Nothing in it is a secret (connector URLs lose their
credentials and secret query values) or PHI.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from careweave.model.catalog import Lifecycle, PhiClass


class Governance(msgspec.Struct, frozen=True, kw_only=True):
    """What every interface of the catalog states."""

    name: str
    """The interface's name (a channel's, a destination's, an API group's)."""
    owner: str
    """The team answerable for it ("" when the settings name none: ``check`` refuses that)."""
    sla: str
    """Its service level in words ("" when the settings state none: ``check`` refuses that)."""
    systems: list[str]
    """The systems at either end."""
    description: str
    """What it is for."""
    phi: PhiClass
    """The PHI it carries."""
    version: str
    """Its version."""
    lifecycle: Lifecycle
    """Where it is in its life."""


class SourceEntry(msgspec.Struct, frozen=True, kw_only=True):
    """Where a channel's messages come from."""

    type: str
    """``mllp``, ``http`` or ``file``."""
    address: str
    """``host:port`` (``:0``: a free port when it starts), with the HTTP path, or the folder."""
    tls: bool = False
    """True when the MLLP listener speaks TLS."""


class ChannelEntry(Governance, frozen=True, kw_only=True):
    """An inbound interface."""

    source: SourceEntry
    format: str
    """How its messages are decoded (``hl7v2``, ``fhir``, ``x12`` ...)."""
    mapping: str | None
    """The canonical mapping of its messages (None: none)."""
    message_types: list[str]
    """The message types it routes: its ``accept`` globs, else what its mapping supports
    (empty: every type its format reads)."""
    flows: list[str]
    """The process flows run on its events."""
    feeds: list[str]
    """The destinations it feeds (its own, event streams included)."""
    master_data: list[str]
    """The master data its flows need (``[masterdata]`` names)."""


class FlowEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A process flow as channels run it."""

    name: str
    channels: list[str]
    """The channels that run it."""
    sends_to: list[str]
    """The destinations its effects go to."""
    master_data: list[str]
    """The master data it needs."""


class DestinationEntry(Governance, frozen=True, kw_only=True):
    """An outbound interface (other than an event stream)."""

    channel: str
    """The channel whose queue it drains."""
    connector: str
    """Its connector's type (``http``, ``erp``, ``rcm``, ``file`` ...)."""
    target: str
    """Where it delivers: a URL without credentials, a folder, ``host:port``."""
    payload: str
    """``raw``, ``events`` or ``none`` (only the flows' effects)."""
    fed_by: list[str]
    """The flows whose effects it delivers."""


class EventStreamEntry(Governance, frozen=True, kw_only=True):
    """A destination that publishes business events (``nats``, ``bus``)."""

    channel: str
    connector: str
    stream: str
    """The JetStream stream (``bus``: in-process)."""
    subjects: list[str]
    """The subjects published to (``{prefix}.{EventType}``; ``{prefix}.>`` for every type)."""
    event_types: list[str]
    """The event types published (empty: all)."""


class ApiRouteEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One operation of an API group."""

    method: str
    path: str
    scopes: list[str]
    """The scopes a token needs (empty: a public route)."""


class ApiGroupEntry(Governance, frozen=True, kw_only=True):
    """A family of the API's routes, as its code declares it (lifecycle: as the settings say)."""

    title: str
    """Its OpenAPI tag."""
    layer: str
    """``process``, ``domain``, ``system`` or ``identity``."""
    sunset: dt.date | None
    """When a deprecated group is retired."""
    successor: str
    """Where its callers go instead."""
    routes: list[ApiRouteEntry]


class Catalog(msgspec.Struct, frozen=True, kw_only=True):
    """Every interface a settings file describes, and the API's route groups when it serves one."""

    channels: list[ChannelEntry]
    flows: list[FlowEntry]
    destinations: list[DestinationEntry]
    event_streams: list[EventStreamEntry]
    apis: list[ApiGroupEntry]
    """Empty without an ``[api]`` section."""

    def to_json(self) -> bytes:
        """The document as ``careweave catalog --json`` prints it and ``/v1/catalog`` serves it."""
        return msgspec.json.format(msgspec.json.encode(self), indent=2)
