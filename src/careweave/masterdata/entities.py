"""The legal entities of a health system: who books revenue and bills claims under which NPI.

Each entity is an ERP company (its journals carry its code) and, for claims, a billing provider
(loop 2010AA): name, NPI, tax id and a 9-digit-ZIP address. An 835's payee (the billing provider's
NPI or TIN) maps back to its entity through :class:`PayeeEntities`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import msgspec

from careweave.codecs.x12 import Address, BillingProvider


class LegalEntity(msgspec.Struct, frozen=True, kw_only=True):
    """One legal entity."""

    entity: str
    """The entity code the GL and the other master files use (``RBH01``)."""
    name: str
    npi: str
    """The billing provider NPI."""
    tax_id: str
    """EIN, nine digits."""
    address_line: str
    city: str
    state: str
    postal_code: str

    def billing_provider(self) -> BillingProvider:
        """The entity as a claim's billing provider."""
        address = Address(self.address_line, self.city, self.state, self.postal_code)
        return BillingProvider(name=self.name, npi=self.npi, tax_id=self.tax_id, address=address)


class EntityDirectory:
    """Legal entities by code."""

    def __init__(self, entities: Iterable[LegalEntity]) -> None:
        self._entities = {e.entity: e for e in entities}

    def get(self, entity: str) -> LegalEntity | None:
        """The entity, or None when unknown."""
        return self._entities.get(entity)

    def __contains__(self, entity: object) -> bool:
        return entity in self._entities

    def codes(self) -> list[str]:
        """Every entity code, sorted."""
        return sorted(self._entities)

    def billing_providers(self) -> dict[str, BillingProvider]:
        """Each entity's billing provider, by entity code (what the claims flow takes)."""
        return {code: e.billing_provider() for code, e in self._entities.items()}


@dataclass(frozen=True)
class PayeeEntities:
    """Legal entity by payee identifier (the billing provider NPI or TIN on the 835)."""

    by_payee: Mapping[str, str] = field(default_factory=dict)

    def entity(self, payee: str) -> str:
        """The entity of a payee; the payee itself when unmapped."""
        return self.by_payee.get(payee, payee)
