"""Matching a supply line to an ERP item and a stocking location, or the case that parks it.

Shared by the supply-to-replenish and cost-allocation flows, so both park a miss on the same case
key (``item-miss:{code}``): N transactions with one unknown code make one case for supply chain, and
fixing the crosswalk once releases all of them through both flows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

from careweave.exceptions import ValidationError
from careweave.masterdata.items import ItemCrosswalk, MasterItem, identifiers_of
from careweave.masterdata.locations import InventoryLocation, LocationDirectory
from careweave.model.records import NewCase
from careweave.model.supplies import SupplyUsed

SUPPLY_CHAIN = "supply-chain"


class SupplyMatch(msgspec.Struct, frozen=True, kw_only=True):
    """A supply line's ERP item, location, day and whole quantity (negative for a reversal)."""

    item: MasterItem
    location: InventoryLocation
    day: dt.date
    quantity: int
    crosswalk_version: int


def usage_day(event: SupplyUsed) -> dt.date:
    """The day the item was used; ValidationError when the line carries no time at all."""
    when = event.used_at or event.occurred_at
    if when is None:
        raise ValidationError(f"supply line {event.line_id}: no use time (ZSU-14 / EVN) to post on")
    return when.date()


def whole_quantity(event: SupplyUsed) -> int:
    """The quantity as a whole number of units; ValidationError names a fractional one."""
    quantity = event.quantity
    if quantity != quantity.to_integral_value() or quantity == 0:
        raise ValidationError(
            f"supply line {event.line_id}: quantity {quantity} is not a non-zero whole number"
        )
    return int(quantity)


def item_miss_case(event: SupplyUsed, crosswalk: ItemCrosswalk) -> NewCase:
    """The exception case of a code the crosswalk cannot resolve, with ranked suggestions."""
    code = event.item.code
    suggestions = crosswalk.suggest(event)
    if suggestions:
        best = suggestions[0]
        fix = f"careweave crosswalk add {code} {best.item_number} (best match: {best.reason})"
    else:
        fix = f"add the item to the ERP item master, then careweave crosswalk add {code} <ITEM>"
    seen = ", ".join(f"{kind}={value}" for kind, value in identifiers_of(event))
    return NewCase(
        case_key=f"item-miss:{code}",
        reason_code="ITEM_NOT_IN_CROSSWALK",
        owning_team=SUPPLY_CHAIN,
        summary=f"EHR item {code} ({event.item.display or 'no description'}) has no ERP item",
        suggested_fix=fix,
        payload_reference=event.idempotency_key,
        details=(f"identifiers: {seen}", *(f"suggestion: {s.line()}" for s in suggestions)),
        sla_hours=24,
    )


def location_miss_case(event: SupplyUsed) -> NewCase:
    """The exception case of a supply line whose place maps to no stocking location."""
    place = event.location or (event.encounter.location if event.encounter else None)
    where = place.display() if place else "no location"
    return NewCase(
        case_key=f"location-miss:{where}",
        reason_code="LOCATION_NOT_MAPPED",
        owning_team=SUPPLY_CHAIN,
        summary=f"supply used at {where}, which maps to no ERP stocking location",
        suggested_fix=f"map {where} to an inventory location in the location directory",
        payload_reference=event.idempotency_key,
        sla_hours=24,
    )


def match_supply(
    event: SupplyUsed, crosswalk: ItemCrosswalk, locations: LocationDirectory
) -> SupplyMatch | NewCase:
    """The match of a supply line, or the case to park it on."""
    day = usage_day(event)
    quantity = whole_quantity(event)
    found = crosswalk.resolve(event, day)
    if found is None:
        return item_miss_case(event, crosswalk)
    location = locations.for_supply(event)
    if location is None:
        return location_miss_case(event)
    return SupplyMatch(
        item=found.item,
        location=location,
        day=day,
        quantity=quantity,
        crosswalk_version=found.entry.version,
    )


def extended_cost(item: MasterItem, quantity: int) -> Decimal:
    """Standard cost times quantity (signed)."""
    return item.standard_cost * quantity
