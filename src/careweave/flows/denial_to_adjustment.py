"""denial-to-adjustment: every denial on an 835 becomes a work item for the team that owns it.

A ``ClaimDenied`` (the payer refused an amount: CO-50, CO-197, CO-16 ...) opens a denial work item,
persisted as an exception case owned by the denial category's team (eligibility, authorization,
coding ...), with the CARC, RARCs, amount, remittance date and appeal deadline in its details. The
case key is the denial's idempotency key, so the same 835 received twice opens one item. A
negative denial amount reverses an earlier denial and opens nothing.

The SLA clock of the case is the appeal window left, counted from the remittance date (not the day
careweave read the 835), so aging follows the payer's calendar. Once worked, the item is closed
on the store (``store.resolve_case``); its write-off, when it ends written off, is a
``WriteOffPosted`` to the general ledger (see :func:`careweave.revenue.write_off_posting`).
"""

from __future__ import annotations

from typing import ClassVar

from careweave.engine.clock import Clock
from careweave.exceptions import ValidationError
from careweave.flows.base import BaseFlow
from careweave.flows.services import FlowServices
from careweave.model.base import BusinessEvent
from careweave.model.finance import ClaimDenied
from careweave.model.flow import FlowOutput
from careweave.model.records import NewCase
from careweave.revenue import (
    AppealPolicy,
    age_days,
    aging_bucket,
    appeal_deadline,
    open_work_item,
    opens_work_item,
)

MIN_SLA_HOURS = 24.0
"""An item past (or at) its appeal deadline still gets a day: someone must decide to write it off."""


def denial_case_key(denial: ClaimDenied) -> str:
    """The case key of a denial's work item."""
    return f"denial:{denial.idempotency_key}"


class DenialToAdjustmentFlow(BaseFlow):
    """Opens a denial work item (an exception case) per denied amount."""

    name: ClassVar[str] = "denial-to-adjustment"
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = (ClaimDenied,)

    def __init__(self, policy: AppealPolicy, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Open the work item of one denial."""
        assert isinstance(event, ClaimDenied)
        if not opens_work_item(event):
            return
        try:
            item = open_work_item(event)
        except ValidationError as exc:
            raise ValidationError(f"denial on claim {event.claim_id}: {exc}") from exc
        deadline = appeal_deadline(item, self.policy)
        today = self.clock.now().date()
        hours_left = (deadline - today).days * 24.0
        age = age_days(item, self.clock)
        where = "claim" if item.line_number is None else f"line {item.line_number}"
        rarcs = ",".join(item.rarcs) or "-"
        out.park(
            NewCase(
                case_key=denial_case_key(event),
                reason_code=f"DENIAL_{item.category.value.upper()}",
                owning_team=item.owner_team,
                summary=(
                    f"Claim {item.claim_id} {where}: {item.group_code}-{item.carc} denied "
                    f"{item.amount} {event.currency} by payer {item.payer_id}"
                ),
                suggested_fix=item.suggested_action,
                payload_reference=f"835:{item.payer_id}:{item.trace_number}:{item.claim_id}",
                details=(
                    f"carc={item.carc} group={item.group_code} rarcs={rarcs}",
                    f"amount={item.amount} entity={item.entity}",
                    f"denied_on={item.denied_on.isoformat()} age_days={age} "
                    f"aging={aging_bucket(max(age, 0))}",
                    f"appeal_deadline={deadline.isoformat()}",
                    f"procedure={event.procedure_code or '-'} trace={item.trace_number}",
                ),
                sla_hours=max(hours_left, MIN_SLA_HOURS),
            )
        )


def build_denial_to_adjustment(services: FlowServices) -> DenialToAdjustmentFlow:
    """The flow, with the optional appeal policy."""
    return DenialToAdjustmentFlow(services.appeal_policy or AppealPolicy(), services.clock)
