"""Canonical mappings by name, as channels name them in configuration (``mapping = "hl7v2-clinical"``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from careweave.exceptions import ConfigError
from careweave.model.base import BusinessEvent
from careweave.model.envelope import Envelope, Step

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


MapperFactory = Callable[[], Mapper]
"""Imports a mapping's module and gives its mapper (lazily: mappings pull in their codecs)."""


class MappingRegistry:
    """Mapping factories by configuration name.

    An instance the composition root builds and hands on: nothing registers itself on import.
    :func:`builtin_mappings` gives careweave's own; third-party packages add theirs through the
    ``careweave.mappings`` entry-point group.
    """

    def __init__(self, factories: Mapping[str, MapperFactory] | None = None) -> None:
        self._factories: dict[str, MapperFactory] = dict(factories or {})

    def register(self, name: str, factory: MapperFactory) -> None:
        """Make a mapping available under ``name`` (a second use of a name fails)."""
        if name in self._factories:
            raise ConfigError(f"mapping {name!r} is registered twice")
        self._factories[name] = factory

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def step(self, name: str) -> Step:
        """A channel step that appends the named mapping's events to the envelope."""
        try:
            factory = self._factories[name]
        except KeyError:
            raise ConfigError(f"unknown mapping {name!r}; known: {self.names()}") from None
        mapper = factory()

        def mapping(envelope: Envelope) -> None:  # the name a trace shows for this step
            envelope.events.extend(mapper(envelope.decoded))

        return mapping


def builtin_mappings() -> MappingRegistry:
    """careweave's own mappings."""
    return MappingRegistry(
        {
            "hl7v2-clinical": _hl7v2_clinical,
            "fhir-clinical": _fhir_clinical,
            "x12-835-finance": _x12_835_finance,
            "x12-claim-status": _x12_claim_status,
            "x12-revenue": _x12_revenue,
        }
    )
