"""The governance pass of ``careweave check``: every interface names its owner and its SLA.

Only ``check`` runs it (``run`` and the application build do not), so a feed keeps running while
its catalog entry is being written, and a deployment pipeline that runs ``check`` refuses an
unowned interface before it ships. The error names the first gap with its path, the way every
settings error does (``... - at `$.channels[0].owner```).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from careweave.config import Settings
from careweave.exceptions import ConfigError
from careweave.model.catalog import InterfaceInfo


class Declared(Protocol):
    """An interface code declares (an API group)."""

    @property
    def name(self) -> str:
        """Its name."""

    @property
    def owner(self) -> str:
        """Its owner."""

    @property
    def sla(self) -> str:
        """Its SLA."""


_HOW = {
    "owner": 'name the team answerable for it (owner = "integration-team")',
    "sla": 'state its service level (sla = "ACK within 2 s; delivered within 15 min")',
}


def _gap(info: InterfaceInfo | Declared) -> str | None:
    for field in ("owner", "sla"):
        if not str(getattr(info, field)).strip():
            return field
    return None


def require_governance(settings: Settings, api_groups: Iterable[Declared] = ()) -> None:
    """ConfigError naming the first channel, destination (event streams included) or API group
    without an owner or an SLA."""
    for i, channel in enumerate(settings.channels):
        if field := _gap(channel):
            raise ConfigError(
                f"channel {channel.name} has no {field}: {_HOW[field]} - at "
                f"`$.channels[{i}].{field}`"
            )
        for j, destination in enumerate(channel.destinations):
            if field := _gap(destination):
                raise ConfigError(
                    f"destination {destination.name} has no {field}: {_HOW[field]} - at "
                    f"`$.channels[{i}].destinations[{j}].{field}`"
                )
    for group in api_groups:
        if field := _gap(group):
            raise ConfigError(f"API group {group.name} declares no {field} in its route module")
