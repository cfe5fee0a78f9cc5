"""Where money books: effective-dated cost-center mapping, the chart of accounts, physician groups,
standard costs and grant / capital project allocations.

A clinical department (FT1-13, a point of care) maps to an entity, a cost center, a service line and
a physician group, from a date on; reorganisations add a row rather than edit one, so last month's
postings keep last month's segments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

import msgspec

from careweave.exceptions import ValidationError


class CostCenterAssignment(msgspec.Struct, frozen=True, kw_only=True):
    """The GL segments a department's postings carry, for a date range."""

    entity: str
    department: str
    """The department code the EHR sends (FT1-13 cost center, or a point of care)."""
    cost_center: str
    effective_from: dt.date
    service_line: str = "000"
    physician_group: str = "000"
    effective_to: dt.date | None = None

    def applies_on(self, day: dt.date) -> bool:
        """Whether the assignment is in effect on ``day``."""
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


class CostCenterMap:
    """Departments to GL segments, effective-dated."""

    def __init__(self, assignments: Iterable[CostCenterAssignment]) -> None:
        self._rows: dict[str, list[CostCenterAssignment]] = {}
        for row in assignments:
            self._rows.setdefault(row.department.upper(), []).append(row)

    def lookup(self, department: str, on: dt.date) -> CostCenterAssignment | None:
        """The assignment of ``department`` on ``on`` (the latest starting one wins an overlap)."""
        live = [r for r in self._rows.get(department.upper(), []) if r.applies_on(on)]
        return max(live, key=lambda r: r.effective_from) if live else None

    def assignments(self) -> list[CostCenterAssignment]:
        """Every row."""
        return [r for rows in self._rows.values() for r in rows]


class ChartOfAccounts(msgspec.Struct, frozen=True, kw_only=True):
    """The natural accounts careweave posts to (override per health system)."""

    revenue_cycle_cost_center: str = "8100"
    """Cost center of patient accounting, where remittance postings land."""
    cash: str = "10100"
    insurance_ar: str = "12000"
    unbilled_ar: str = "12100"
    accrued_unbilled: str = "12110"
    patient_ar: str = "12200"
    denials_pending: str = "12300"
    inventory: str = "13000"
    due_from_affiliate: str = "14900"
    construction_in_progress: str = "17000"
    consignment_payable: str = "21500"
    due_to_affiliate: str = "24900"
    patient_revenue: str = "40000"
    intercompany_revenue: str = "47000"
    contractual_allowance: str = "48000"
    denial_write_off: str = "48500"
    provider_level_adjustment: str = "48900"
    supply_expense: str = "61000"
    procedure_cost: str = "62000"
    professional_cost: str = "62100"
    grant_expense: str = "63000"
    cost_absorbed: str = "69000"


class PhysicianGroup(msgspec.Struct, frozen=True, kw_only=True):
    """A physician group: its GL segment and the legal entity that employs its physicians."""

    code: str
    entity: str
    cost_center: str


class PhysicianDirectory:
    """Which group (and so which entity) a performing physician belongs to, by NPI."""

    def __init__(self, members: dict[str, PhysicianGroup]) -> None:
        self._members = dict(members)

    def group_of(self, npi: str | None) -> PhysicianGroup | None:
        """The physician's group, or None for a physician no group employs."""
        return self._members.get(npi) if npi else None

    def members(self) -> dict[str, PhysicianGroup]:
        """Every physician's group, by NPI."""
        return dict(self._members)


class StandardCost(msgspec.Struct, frozen=True, kw_only=True):
    """Standard cost of one procedure: what the facility spends, what the physician's time costs."""

    procedure_code: str
    facility_cost: Decimal
    professional_cost: Decimal = Decimal("0.00")


class StandardCostTable:
    """Standard procedure costs by CPT/HCPCS code."""

    def __init__(self, costs: Iterable[StandardCost]) -> None:
        self._costs = {c.procedure_code: c for c in costs}

    def get(self, procedure_code: str | None) -> StandardCost | None:
        """The standard cost of a procedure, if the table has one."""
        return self._costs.get(procedure_code) if procedure_code else None

    def costs(self) -> list[StandardCost]:
        """Every procedure's standard cost."""
        return list(self._costs.values())


class ProjectAllocation(msgspec.Struct, frozen=True, kw_only=True):
    """A share of a cost center's supply cost charged to a research grant or a capital project."""

    entity: str
    cost_center: str
    project: str
    """The grant or project number (``GR-2291``, ``CAP-0042``), written into the line memo."""
    kind: Literal["grant", "capital"]
    share: Decimal
    """Fraction of the cost, 0 < share <= 1."""


class ProjectAllocations:
    """Grant and capital allocations by entity + cost center."""

    def __init__(self, allocations: Iterable[ProjectAllocation] = ()) -> None:
        self._rules: dict[tuple[str, str], list[ProjectAllocation]] = {}
        for rule in allocations:
            if not Decimal(0) < rule.share <= Decimal(1):
                raise ValidationError(
                    f"allocation {rule.project}: share {rule.share} not in (0, 1]"
                )
            self._rules.setdefault((rule.entity, rule.cost_center), []).append(rule)

    def for_cost_center(self, entity: str, cost_center: str) -> list[ProjectAllocation]:
        """The allocations applying to a cost center."""
        return list(self._rules.get((entity, cost_center), []))
