"""Inventory locations and their par levels: where a supply line is consumed, when to reorder.

A location is found from where the care happened: the supply line's own location when the sender
gave one, else the encounter's (facility + point of care, as PV1-3 names them).
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from careweave.model.care import Location
from careweave.model.supplies import SupplyUsed


class InventoryLocation(msgspec.Struct, frozen=True, kw_only=True):
    """An ERP stocking location and the clinical place it serves."""

    location_id: str
    """The ERP's location id (``LCH-CVL``)."""
    entity: str
    """Legal entity that owns the stock."""
    facility: str
    """Facility code as the EHR sends it (PV1-3.4, MSH-4)."""
    point_of_care: str
    """PV1-3.1: the OR, the cath lab."""
    cost_center: str
    """Cost center consumption is expensed to."""
    kind: str = "cath_lab"


class ParLevel(msgspec.Struct, frozen=True, kw_only=True):
    """Replenishment rule of one item at one location: reorder up to ``par`` at ``reorder_point``."""

    location_id: str
    item_number: str
    par: int
    reorder_point: int

    def shortfall(self, on_hand: int) -> int:
        """How many to requisition when on hand has fallen to the reorder point; else 0."""
        return self.par - on_hand if on_hand <= self.reorder_point else 0


class LocationDirectory:
    """Locations by facility + point of care, with their par levels."""

    def __init__(
        self, locations: Iterable[InventoryLocation], par_levels: Iterable[ParLevel] = ()
    ) -> None:
        self._by_place = {
            (loc.facility.upper(), loc.point_of_care.upper()): loc for loc in locations
        }
        self._by_id = {loc.location_id: loc for loc in self._by_place.values()}
        self._pars = {(p.location_id, p.item_number): p for p in par_levels}

    def get(self, location_id: str) -> InventoryLocation | None:
        """One location by ERP id."""
        return self._by_id.get(location_id)

    def locations(self) -> list[InventoryLocation]:
        """Every location."""
        return list(self._by_id.values())

    def find(self, place: Location | None, facility: str | None = None) -> InventoryLocation | None:
        """The location serving a clinical place (``facility`` fills in a place that lacks one)."""
        if place is None or not place.point_of_care:
            return None
        site = place.facility or facility or ""
        return self._by_place.get((site.upper(), place.point_of_care.upper()))

    def for_supply(self, event: SupplyUsed) -> InventoryLocation | None:
        """Where a supply line was consumed: its own location, else the encounter's."""
        encounter_place = event.encounter.location if event.encounter else None
        facility = encounter_place.facility if encounter_place else None
        return self.find(event.location, facility) or self.find(encounter_place)

    def par(self, location_id: str, item_number: str) -> ParLevel | None:
        """The par level of an item at a location, if one is set."""
        return self._pars.get((location_id, item_number))

    def par_levels(self) -> list[ParLevel]:
        """Every par level."""
        return list(self._pars.values())
