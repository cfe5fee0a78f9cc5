"""The public surface of careweave.masterdata, pinned."""

import careweave.masterdata as masterdata


def test_the_public_names_are_exactly_these() -> None:
    assert sorted(masterdata.__all__) == [
        "ChartOfAccounts", "CodeKind", "CostCenterAssignment", "CostCenterMap", "CrosswalkEntry",
        "CrosswalkFile", "EntityDirectory", "FeeScheduleRate", "InventoryLocation", "ItemCrosswalk",
        "ItemMatch", "LegalEntity", "LocationDirectory", "MasterItem", "ParLevel", "Payer",
        "PayerDirectory", "PhysicianDirectory", "PhysicianGroup", "ProjectAllocation",
        "ProjectAllocations", "StandardCost", "StandardCostTable", "Suggestion",
        "format_crosswalk", "parse_crosswalk",
    ]  # fmt: skip
    for name in masterdata.__all__:
        assert getattr(masterdata, name).__doc__, f"{name} needs a docstring"
