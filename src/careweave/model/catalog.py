"""What the integration catalog says of an interface, as settings and code declare it.

Channels and destinations inherit :class:`InterfaceInfo` (``owner``, ``sla``, ``systems``,
``description``, ``phi``, ``version`` beside their other settings); the API's route groups declare
the same in code and may have their lifecycle overridden by ``[api.lifecycle]``
(:class:`LifecycleOverride`). Kept in the model so that settings (``careweave.config``, the ``[api]``
settings in the connectors) and the gateway share one definition.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

PhiClass = Literal["none", "limited", "full"]
"""How much PHI an interface carries: none, a limited data set (dates, ZIP codes, ids), or full."""

Lifecycle = Literal["draft", "active", "deprecated", "retired"]
"""Where an interface is in its life: ``deprecated`` ones still answer (with ``Deprecation`` and
``Sunset`` headers), ``retired`` ones answer 410 Gone."""

LIFECYCLES: tuple[Lifecycle, ...] = ("draft", "active", "deprecated", "retired")


class InterfaceInfo(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Catalog metadata of a channel or a destination (``careweave catalog`` lists it).

    ``careweave check`` refuses an interface without ``owner`` or ``sla``; ``run`` does not.
    """

    owner: str = ""
    """The team answerable for the interface (``integration-team``, ``revenue-integrity``)."""
    sla: str = ""
    """Its service level in words (``ACK within 2 s; charges to billing within 15 min``)."""
    systems: list[str] = msgspec.field(default_factory=list)
    """The systems at either end (``Epic``, ``Workday``)."""
    description: str = ""
    """What the interface is for."""
    phi: PhiClass = "full"
    """The PHI it carries; unclassified interfaces are taken to carry all of it."""
    version: Annotated[str, msgspec.Meta(min_length=1)] = "1"
    """The interface's version as its owner numbers it."""


class LifecycleOverride(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``[api.lifecycle] "<group>" = { state = "deprecated", sunset = ..., successor = ... }``."""

    state: Lifecycle
    """The group's lifecycle state, replacing the one its code declares."""
    sunset: dt.date | None = None
    """When a deprecated group is retired (the ``Sunset`` header)."""
    successor: str = ""
    """Where its callers should go instead (a path or URL: the ``Link`` header, rel successor)."""
    deprecated_on: dt.date | None = None
    """Since when it is deprecated (the ``Deprecation`` header's date); today when not given."""

    def __post_init__(self) -> None:
        if self.state not in ("deprecated", "retired") and (self.sunset or self.successor):
            raise ValueError(f"sunset and successor apply to a deprecated group, not {self.state}")
