"""The registries a careweave application is built from: flows, mappings, formats, connectors.

Registries are instances handed to :func:`~careweave.app.build_application`; no module fills or
changes one when it is imported. :func:`builtin_registries` holds careweave's own;
:func:`default_registries` adds what installed packages declare in the entry-point groups::

    # a plugin's pyproject.toml
    [project.entry-points."careweave.flows"]
    bed-board = "acme_careweave.flows:register"

Each entry point names a callable that takes the registry of its group and registers into it
(``register(flows: FlowRegistry) -> None``); a plugin that fails to load or to register is a
:class:`~careweave.exceptions.ConfigError` naming the entry point and its distribution.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from dataclasses import dataclass

from careweave.app.formats import FormatRegistry, builtin_formats
from careweave.connectors.registry import ConnectorRegistry, builtin_connectors
from careweave.exceptions import ConfigError
from careweave.flows.registry import FlowRegistry, builtin_flows
from careweave.mappings.registry import MappingRegistry, builtin_mappings

ENTRY_POINT_GROUPS: dict[str, str] = {
    "careweave.flows": "flows",
    "careweave.mappings": "mappings",
    "careweave.formats": "formats",
    "careweave.connectors": "connectors",
}
"""Entry-point group -> the :class:`Registries` field its callables register into."""


@dataclass(frozen=True, kw_only=True)
class Registries:
    """Everything configuration may name, by name."""

    flows: FlowRegistry
    """Process flows (``flows = ["supply-to-replenish"]``)."""
    mappings: MappingRegistry
    """Wire -> canonical mappings (``mapping = "hl7v2-clinical"``)."""
    formats: FormatRegistry
    """Channel decode formats (``format = "x12"``)."""
    connectors: ConnectorRegistry
    """Destination connectors by type tag (``connector = { type = "erp", ... }``)."""


def builtin_registries() -> Registries:
    """careweave's own flows, mappings, formats and connectors (fresh instances)."""
    return Registries(
        flows=builtin_flows(),
        mappings=builtin_mappings(),
        formats=builtin_formats(),
        connectors=builtin_connectors(),
    )


def installed_entry_points() -> list[importlib.metadata.EntryPoint]:
    """The entry points installed distributions declare in careweave's groups."""
    found: list[importlib.metadata.EntryPoint] = []
    for group in ENTRY_POINT_GROUPS:
        found.extend(importlib.metadata.entry_points(group=group))
    return found


def load_entry_points(
    registries: Registries, entry_points: Iterable[importlib.metadata.EntryPoint]
) -> list[str]:
    """Run each entry point's callable on the registry of its group; returns ``group:name`` each."""
    loaded: list[str] = []
    for entry in sorted(entry_points, key=lambda e: (e.group, e.name)):
        field = ENTRY_POINT_GROUPS.get(entry.group)
        where = f"entry point {entry.name!r} = {entry.value!r} of group {entry.group!r}"
        if entry.dist is not None:
            where += f" (distribution {entry.dist.name} {entry.dist.version})"
        if field is None:
            raise ConfigError(
                f"{where}: not a careweave group, one of {sorted(ENTRY_POINT_GROUPS)}"
            )
        try:
            register = entry.load()
            register(getattr(registries, field))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        except Exception as exc:  # a plugin's bug is named, never a bare traceback
            raise ConfigError(f"{where} failed: {type(exc).__name__}: {exc}") from exc
        loaded.append(f"{entry.group}:{entry.name}")
    return loaded


def default_registries(
    *, entry_points: Iterable[importlib.metadata.EntryPoint] | None = None
) -> Registries:
    """careweave's own registries plus the plugins' (``entry_points``: the installed ones)."""
    registries = builtin_registries()
    load_entry_points(
        registries, installed_entry_points() if entry_points is None else entry_points
    )
    return registries
