"""The catalog of a settings file: channels, flows, destinations, event streams (and the API's
groups, handed in by :mod:`careweave.gateway.api.catalog_routes`, which reads them from the
served application)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from careweave.config import ChannelConfig, DestinationConfig, Settings
from careweave.flows.registry import FlowRegistry
from careweave.gateway.catalog.document import (
    ApiGroupEntry,
    Catalog,
    ChannelEntry,
    DestinationEntry,
    EventStreamEntry,
    FlowEntry,
    SourceEntry,
)
from careweave.gateway.catalog.flow_needs import FlowNeeds, flow_needs
from careweave.gateway.catalog.message_types import mapping_message_types
from careweave.model.catalog import InterfaceInfo
from careweave.observability.redaction import redact_secrets


def connector_type(config: object) -> str:
    """A connector's or a source's ``type`` (its settings struct's tag)."""
    tag = getattr(getattr(type(config), "__struct_config__", None), "tag", None)
    return str(tag) if tag is not None else type(config).__name__


def _target(config: object) -> str:
    """Where a connector delivers, without credentials: URL, folder or ``host:port``."""
    for attribute in ("base_url", "url"):
        if isinstance(value := getattr(config, attribute, None), str) and value:
            return redact_secrets(value)
    if isinstance(directory := getattr(config, "directory", None), str):
        return directory
    host, port = getattr(config, "host", None), getattr(config, "port", None)
    if isinstance(host, str) and isinstance(port, int):
        return f"{host}:{port}"
    return connector_type(config)  # in-process (bus, null) or a plugin that does not say


def _source(channel: ChannelConfig) -> SourceEntry:
    source = channel.source
    kind = connector_type(source)
    directory = getattr(source, "directory", None)
    if isinstance(directory, str):
        return SourceEntry(type=kind, address=directory)
    address = f"{getattr(source, 'host', '')}:{getattr(source, 'port', '')}"
    path = getattr(source, "path", None)
    tls = getattr(source, "tls", None) is not None
    return SourceEntry(
        type=kind, address=address + (path if isinstance(path, str) else ""), tls=tls
    )


def _governance(info: InterfaceInfo, name: str) -> dict[str, Any]:
    """The governance fields of an entry, from the interface's settings."""
    return {
        "name": name,
        "owner": info.owner,
        "sla": info.sla,
        "systems": list(info.systems),
        "description": info.description,
        "phi": info.phi,
        "version": info.version,
        # A configured interface runs: the settings do not stage or retire channels.
        "lifecycle": "active",
    }


def _is_stream(destination: DestinationConfig) -> bool:
    return bool(destination.connector.events_only)


def _stream(channel: ChannelConfig, d: DestinationConfig) -> EventStreamEntry:
    prefix = getattr(d.connector, "subject_prefix", None)
    stream = getattr(d.connector, "stream", None)
    if isinstance(prefix, str):
        subjects = [f"{prefix}.{t}" for t in sorted(d.event_types)] or [f"{prefix}.>"]
    else:  # the in-process bus: subscribers subscribe by event type
        subjects = sorted(d.event_types) or ["*"]
    return EventStreamEntry(
        **_governance(d, d.name),
        channel=channel.name,
        connector=connector_type(d.connector),
        stream=stream if isinstance(stream, str) else "in-process",
        subjects=subjects,
        event_types=sorted(d.event_types),
    )


def build_catalog(
    settings: Settings, *, flows: FlowRegistry, apis: Sequence[ApiGroupEntry] = ()
) -> Catalog:
    """The catalog of ``settings`` (API groups as given: empty without ``[api]``)."""
    needs: dict[str, FlowNeeds] = {}
    for channel in settings.channels:
        for flow in channel.flows:
            if flow not in needs:
                needs[flow] = flow_needs(flows, flow)
    channels, destinations, streams = [], [], []
    for channel in settings.channels:
        own = [d.name for d in channel.destinations]
        channels.append(
            ChannelEntry(
                **_governance(channel, channel.name),
                source=_source(channel),
                format=channel.format,
                mapping=channel.mapping,
                message_types=sorted(channel.accept) or mapping_message_types(channel.mapping),
                flows=list(channel.flows),
                feeds=sorted({*own, *(t for f in channel.flows for t in needs[f].sends_to)}),
                master_data=sorted({m for f in channel.flows for m in needs[f].master_data}),
            )
        )
        for d in channel.destinations:
            if _is_stream(d):
                streams.append(_stream(channel, d))
                continue
            destinations.append(
                DestinationEntry(
                    **_governance(d, d.name),
                    channel=channel.name,
                    connector=connector_type(d.connector),
                    target=_target(d.connector),
                    payload=d.payload,
                    fed_by=sorted(f for f, need in needs.items() if d.name in need.sends_to),
                )
            )
    flow_entries = [
        FlowEntry(
            name=flow,
            channels=[c.name for c in settings.channels if flow in c.flows],
            sends_to=need.sends_to,
            master_data=need.master_data,
        )
        for flow, need in sorted(needs.items())
    ]
    return Catalog(
        channels=channels,
        flows=flow_entries,
        destinations=destinations,
        event_streams=streams,
        apis=list(apis),
    )
