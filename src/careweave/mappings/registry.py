"""Canonical mappings by name, as channels name them in configuration (``mapping = "hl7v2-clinical"``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from careweave.engine.channel import Envelope, Step
from careweave.exceptions import ConfigError
from careweave.model.base import BusinessEvent

Mapper = Callable[[Any], list[BusinessEvent]]
"""Turns a decoded wire message into canonical events."""


def _hl7v2_clinical() -> Mapper:
    from careweave.mappings.hl7v2_clinical import map_message

    return map_message


MAPPINGS: dict[str, Callable[[], Mapper]] = {
    "hl7v2-clinical": _hl7v2_clinical,
}


def mapping_step(name: str) -> Step:
    """A channel step that appends the named mapping's events to the envelope."""
    try:
        mapper = MAPPINGS[name]()
    except KeyError:
        raise ConfigError(f"unknown mapping {name!r}; known: {sorted(MAPPINGS)}") from None

    def step(envelope: Envelope) -> None:
        envelope.events.extend(mapper(envelope.decoded))

    return step
