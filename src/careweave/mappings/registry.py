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


def _x12_835_finance() -> Mapper:
    from careweave.mappings.x12_remittance import map_remittances

    return map_remittances


def _x12_claim_status() -> Mapper:
    from careweave.mappings.x12_claim_status import map_claim_status

    return map_claim_status


def _x12_revenue() -> Mapper:
    from careweave.mappings.x12_claim_status import map_revenue_x12

    return map_revenue_x12


def _fhir_clinical() -> Mapper:
    from careweave.mappings.fhir_clinical import map_fhir

    return map_fhir


MAPPINGS: dict[str, Callable[[], Mapper]] = {
    "hl7v2-clinical": _hl7v2_clinical,
    "fhir-clinical": _fhir_clinical,
    "x12-835-finance": _x12_835_finance,
    "x12-claim-status": _x12_claim_status,
    "x12-revenue": _x12_revenue,
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
