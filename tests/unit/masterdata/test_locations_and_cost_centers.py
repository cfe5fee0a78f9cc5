"""Locations and par levels; effective-dated cost centers; project allocations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest

from careweave.exceptions import ValidationError
from careweave.masterdata import (
    CostCenterAssignment,
    CostCenterMap,
    ParLevel,
    ProjectAllocation,
    ProjectAllocations,
)
from careweave.model.care import Encounter, Location
from tests.unit.masterdata.factories import CATH_LAB, directory, supply


def test_a_supply_is_located_by_its_own_place_then_by_the_encounter() -> None:
    places = directory()
    assert places.for_supply(supply()) == CATH_LAB
    # A ZSU location without a facility borrows the encounter's facility.
    own = supply(location=Location(point_of_care="rbmc cath lab"))
    assert places.for_supply(own) == CATH_LAB
    # A nonsense ZSU location falls back to the encounter's place.
    assert places.for_supply(supply(location=Location(point_of_care="N"))) == CATH_LAB
    nowhere = supply(encounter=Encounter(location=Location(facility="X", point_of_care="Y")))
    assert places.for_supply(nowhere) is None


def test_par_shortfall_only_at_or_below_the_reorder_point() -> None:
    par = ParLevel(location_id="L", item_number="I", par=10, reorder_point=4)
    assert par.shortfall(5) == 0
    assert par.shortfall(4) == 6
    assert par.shortfall(-1) == 11


def test_cost_centers_follow_their_effective_dates() -> None:
    old = CostCenterAssignment(
        entity="RBH01", department="RBH01-7481", cost_center="7481", service_line="CARD",
        effective_from=dt.date(2020, 1, 1), effective_to=dt.date(2025, 3, 31),
    )  # fmt: skip
    new = CostCenterAssignment(
        entity="RBH01", department="RBH01-7481", cost_center="7490", service_line="HEART",
        effective_from=dt.date(2025, 4, 1),
    )  # fmt: skip
    centers = CostCenterMap([old, new])
    assert centers.lookup("rbh01-7481", dt.date(2025, 3, 31)) == old
    assert centers.lookup("RBH01-7481", dt.date(2025, 4, 1)) == new
    assert centers.lookup("RBH01-7481", dt.date(2019, 12, 31)) is None
    assert centers.lookup("UNKNOWN", dt.date(2025, 4, 1)) is None


def test_project_allocations_refuse_a_share_outside_zero_to_one() -> None:
    grant = ProjectAllocation(
        entity="RBH01", cost_center="7481", project="GR-1", kind="grant", share=Decimal("0.25")
    )
    assert ProjectAllocations([grant]).for_cost_center("RBH01", "7481") == [grant]
    assert ProjectAllocations([grant]).for_cost_center("RBH01", "6140") == []
    with pytest.raises(ValidationError, match=r"share 1\.5"):
        ProjectAllocations([msgspec.structs.replace(grant, share=Decimal("1.5"))])
