"""Encounter cost allocation: charges accrue revenue, procedures and supplies carry standard cost.

For each :class:`ChargeCaptured` line the flow posts one journal to the GL of the billing entity,
with segments from the effective-dated cost-center map (entity, cost center, service line,
physician group):

- revenue accrual: debit unbilled A/R, credit patient revenue (a credit line reverses it);
- the procedure's standard facility cost: debit procedure cost, credit cost absorbed;
- its professional cost: when the performing physician's group is another legal entity, the group
  books a due-from and intercompany revenue and the billing entity a professional cost and a
  due-to, so each entity balances and the pair nets to zero.

For each :class:`SupplyUsed` line it posts the item's standard cost: debit supply expense (less the
shares that research grants or capital projects carry), credit inventory or, for consigned stock,
consignment payable. Postings dated in a closed period go to the next open one, with the reason.
Every journal's idempotency key is its business identity, so it is never posted twice: the ledger
(:class:`~careweave.erp.ledger.LedgerBook` over ``out.state``) records each once, and a replay sends
the journal recorded first. The supply journals of each encounter are kept (``ENCOUNTER_COSTS``) to
reverse them when the visit is cancelled.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from careweave.erp.charge_facts import charge_amount, charge_day, department_of
from careweave.erp.ledger import JournalBuilder, LedgerBook
from careweave.erp.periods import PeriodCalendar
from careweave.erp.supply_match import match_supply
from careweave.flows.base import BaseFlow
from careweave.flows.services import FlowServices
from careweave.flows.supply_to_replenish import encounter_key
from careweave.masterdata.cost_centers import (
    ChartOfAccounts,
    CostCenterAssignment,
    CostCenterMap,
    PhysicianDirectory,
    ProjectAllocations,
    StandardCostTable,
)
from careweave.masterdata.items import ItemCrosswalk
from careweave.masterdata.locations import LocationDirectory
from careweave.model.base import BusinessEvent
from careweave.model.charges import ChargeCaptured
from careweave.model.clinical import CancelledAction, VisitCancelled
from careweave.model.erp import JOURNAL, GlSegments, JournalRequest
from careweave.model.flow import FlowOutput
from careweave.model.records import NewCase
from careweave.model.state import StateTable, load, save
from careweave.model.supplies import SupplyUsed

FINANCE = "finance"


def segments(assignment: CostCenterAssignment, account: str) -> GlSegments:
    """The GL segments of a department's line in ``account``."""
    return GlSegments(
        entity=assignment.entity,
        cost_center=assignment.cost_center,
        account=account,
        service_line=assignment.service_line,
        physician_group=assignment.physician_group,
    )


def cost_center_miss_case(department: str, reference: str) -> NewCase:
    """The finance case of a department with no cost-center mapping on the posting date."""
    where = department or "(none)"
    return NewCase(
        case_key=f"cost-center-miss:{where}",
        reason_code="COST_CENTER_NOT_MAPPED",
        owning_team=FINANCE,
        summary=f"department {where} has no cost-center mapping for the posting date",
        suggested_fix=f"add an effective-dated cost-center mapping row for department {where}",
        payload_reference=reference,
        sla_hours=24,
    )


class CostAllocationFlow(BaseFlow):
    """Revenue accrual and standard-cost journals for charges and supplies."""

    name = "cost-allocation"
    handles = (ChargeCaptured, SupplyUsed, VisitCancelled)

    def __init__(
        self,
        *,
        cost_centers: CostCenterMap,
        standard_costs: StandardCostTable,
        physicians: PhysicianDirectory,
        crosswalk: ItemCrosswalk,
        locations: LocationDirectory,
        chart: ChartOfAccounts | None = None,
        projects: ProjectAllocations | None = None,
        destination: str = "erp",
    ) -> None:
        self.cost_centers = cost_centers
        self.standard_costs = standard_costs
        self.physicians = physicians
        self.crosswalk = crosswalk
        self.locations = locations
        self.chart = chart or ChartOfAccounts()
        self.projects = projects or ProjectAllocations()
        self.destination = destination

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Post the journal of one charge or supply line."""
        if isinstance(event, ChargeCaptured):
            self._charge(event, out)
        elif isinstance(event, SupplyUsed):
            self._supply(event, out)
        elif isinstance(event, VisitCancelled):
            self._cancel(event, out)

    def _post(
        self,
        builder: JournalBuilder,
        key: str,
        entity: str,
        day: dt.date,
        what: str,
        out: FlowOutput,
    ) -> JournalRequest | None:
        book = LedgerBook(out.state)
        journal = book.post(builder, key, entity, day, what, calendar=PeriodCalendar(out.state))
        if journal is not None:
            out.send(
                self.destination,
                key,
                journal,
                ordering_key=f"gl:{journal.entity}",
                content_type=JOURNAL,
            )
        return journal

    def _charge(self, event: ChargeCaptured, out: FlowOutput) -> None:
        day = charge_day(event)
        department = department_of(event)
        billing = self.cost_centers.lookup(department, day)
        if billing is None:
            out.park(cost_center_miss_case(department, event.idempotency_key))
            return
        c = self.chart
        builder = JournalBuilder()
        memo = f"{event.transaction_code.code} {event.transaction_id}"
        if (amount := charge_amount(event)) is not None:
            builder.debit(segments(billing, c.unbilled_ar), amount, memo)
            builder.credit(segments(billing, c.patient_revenue), amount, memo)
        code = event.procedure_code.code if event.procedure_code else None
        if (cost := self.standard_costs.get(code)) is not None:
            units = -abs(event.quantity) if event.is_credit else event.quantity
            facility = cost.facility_cost * units
            builder.debit(segments(billing, c.procedure_cost), facility, f"standard cost {code}")
            builder.credit(segments(billing, c.cost_absorbed), facility, f"standard cost {code}")
            self._professional(event, billing, cost.professional_cost * units, builder)
        self._post(builder, f"journal:{event.idempotency_key}", billing.entity, day, memo, out)

    def _professional(
        self,
        event: ChargeCaptured,
        billing: CostCenterAssignment,
        amount: Decimal,
        builder: JournalBuilder,
    ) -> None:
        c = self.chart
        provider = event.performing_provider
        group = self.physicians.group_of(provider.npi if provider else None)
        memo = f"professional cost {event.transaction_id}"
        builder.debit(segments(billing, c.professional_cost), amount, memo)
        if group is None or group.entity == billing.entity:
            builder.credit(segments(billing, c.cost_absorbed), amount, memo)
            return
        # Performing entity != billing entity: a due-to / due-from pair that nets to zero.
        builder.credit(
            GlSegments(billing.entity, billing.cost_center, c.due_to_affiliate, "000", group.code),
            amount,
            f"due to {group.entity}",
        )
        builder.debit(
            GlSegments(group.entity, group.cost_center, c.due_from_affiliate, "000", group.code),
            amount,
            f"due from {billing.entity}",
        )
        builder.credit(
            GlSegments(group.entity, group.cost_center, c.intercompany_revenue, "000", group.code),
            amount,
            memo,
        )

    def _supply(self, event: SupplyUsed, out: FlowOutput) -> None:
        match = match_supply(event, self.crosswalk, self.locations)
        if isinstance(match, NewCase):
            out.park(match)
            return
        location = match.location
        where = self.cost_centers.lookup(location.cost_center, match.day) or CostCenterAssignment(
            entity=location.entity,
            department=location.cost_center,
            cost_center=location.cost_center,
            effective_from=match.day,
        )
        c = self.chart
        cost = match.item.standard_cost * match.quantity
        memo = f"{match.item.item_number} x{match.quantity} at {location.location_id}"
        builder = JournalBuilder()
        remaining = cost
        for rule in self.projects.for_cost_center(where.entity, where.cost_center):
            share = (cost * rule.share).quantize(Decimal("0.01"))
            account = c.grant_expense if rule.kind == "grant" else c.construction_in_progress
            builder.debit(segments(where, account), share, f"{rule.kind} {rule.project}: {memo}")
            remaining -= share
        builder.debit(segments(where, c.supply_expense), remaining, memo)
        consigned = match.item.consigned or bool(event.consigned)
        builder.credit(
            segments(where, c.consignment_payable if consigned else c.inventory), cost, memo
        )
        key = f"journal:{event.idempotency_key}"
        journal = self._post(builder, key, where.entity, match.day, memo, out)
        if journal is not None and match.quantity > 0:
            encounter = encounter_key(event)
            costs = load(out.state, StateTable.ENCOUNTER_COSTS, encounter, list[str]) or []
            if key not in costs:
                save(out.state, StateTable.ENCOUNTER_COSTS, encounter, [*costs, key])

    def _cancel(self, event: VisitCancelled, out: FlowOutput) -> None:
        """Reverse the supply cost of a cancelled admission, line for line, on the cancel day.

        A replay (or a second cancel) finds each reversal posted and sends it again, unchanged.
        """
        if event.cancelled is not CancelledAction.ADMISSION or event.occurred_at is None:
            return
        book = LedgerBook(out.state)
        keys = load(out.state, StateTable.ENCOUNTER_COSTS, encounter_key(event), list[str]) or []
        for key in keys:
            journal = book.journal(key)
            if journal is None:
                continue
            builder = JournalBuilder()
            for line in journal.lines:
                builder.debit(line.segments, line.credit - line.debit, f"reversal: {line.memo}")
            what = f"visit cancelled: reversal of {key}"
            self._post(
                builder,
                f"journal:reversal:{key}",
                journal.entity,
                event.occurred_at.date(),
                what,
                out,
            )


def build_cost_allocation(services: FlowServices) -> CostAllocationFlow:
    """The flow, from cost centers, standard costs, physicians, items and locations."""
    name = "cost-allocation"
    return CostAllocationFlow(
        cost_centers=services.need(services.cost_centers, "cost_centers", name),
        standard_costs=services.need(services.standard_costs, "standard_costs", name),
        physicians=services.need(services.physicians, "physicians", name),
        crosswalk=services.need(services.crosswalk, "items", name),
        locations=services.need(services.locations, "locations", name),
        chart=services.chart,
        projects=services.projects,
        destination=services.erp_destination,
    )
