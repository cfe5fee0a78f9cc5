"""Denial work items: opened from a denial, aged by a clock, moved through the appeal states.

::

    open ──> appealed ──> won
      │         │  └────> lost ──> appealed (next level)
      │         │           └────> written_off
      └─────────┴──────────────────> written_off

``won`` and ``written_off`` are final. Writing an item off yields the :class:`WriteOffPosted` that
moves its amount out of pending denials; a won appeal is paid on a later 835.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec

from careweave.exceptions import ValidationError
from careweave.model.finance import ClaimDenied, WriteOffOrigin, WriteOffPosted
from careweave.model.revenue import AppealState, AppealStep, DenialWorkItem
from careweave.revenue.charge_lag import Clock

S = AppealState

ALLOWED_TRANSITIONS: dict[AppealState, frozenset[AppealState]] = {
    S.OPEN: frozenset({S.APPEALED, S.WRITTEN_OFF}),
    S.APPEALED: frozenset({S.WON, S.LOST, S.WRITTEN_OFF}),
    S.LOST: frozenset({S.APPEALED, S.WRITTEN_OFF}),
    S.WON: frozenset(),
    S.WRITTEN_OFF: frozenset(),
}

AGING_BUCKETS: tuple[tuple[int, str], ...] = ((30, "0-30"), (60, "31-60"), (90, "61-90"))
"""Upper bound (days, inclusive) and label of each aging bucket; older items are ``91+``."""


@dataclass(frozen=True, slots=True)
class AppealPolicy:
    """How long a denial may wait before it can no longer be appealed."""

    appeal_window_days: int = 180
    """Days from the denial to the payer's appeal deadline (payer contracts say 60-180)."""


def opens_work_item(denial: ClaimDenied) -> bool:
    """Whether a denial needs work: a negative amount reverses an earlier denial instead."""
    return denial.amount > 0


def open_work_item(denial: ClaimDenied) -> DenialWorkItem:
    """The work item of a denial; its id is the denial's idempotency key, so it opens once.

    Raises:
        ValidationError: the denial reverses an earlier one (amount not positive) or is undated.
    """
    if not opens_work_item(denial):
        raise ValidationError(
            f"denial {denial.idempotency_key} of {denial.amount} reverses an earlier denial; "
            "close that denial's work item instead"
        )
    denied_on = denial.remitted_on
    if denied_on is None and denial.occurred_at is not None:
        denied_on = denial.occurred_at.date()
    if denied_on is None:
        raise ValidationError(f"denial {denial.idempotency_key} has no remittance date")
    return DenialWorkItem(
        item_id=denial.idempotency_key,
        entity=denial.entity,
        payer_id=denial.payer_id,
        trace_number=denial.trace_number,
        claim_id=denial.claim_id,
        line_number=denial.line_number,
        category=denial.category,
        owner_team=denial.owner_team,
        suggested_action=denial.suggested_action,
        carc=denial.carc,
        group_code=denial.group_code,
        rarcs=denial.rarcs,
        adjustment_index=denial.adjustment_index,
        amount=denial.amount,
        denied_on=denied_on,
    )


def age_days(item: DenialWorkItem, clock: Clock) -> int:
    """Days since the denial, by the clock's date."""
    return (clock.now().date() - item.denied_on).days


def aging_bucket(days: int) -> str:
    """The aging bucket label of an age in days."""
    for upper, label in AGING_BUCKETS:
        if days <= upper:
            return label
    return "91+"


def appeal_deadline(item: DenialWorkItem, policy: AppealPolicy) -> dt.date:
    """The last day an appeal may be filed."""
    return item.denied_on + dt.timedelta(days=policy.appeal_window_days)


def is_appeal_overdue(item: DenialWorkItem, policy: AppealPolicy, clock: Clock) -> bool:
    """Whether an item still open (or lost) has passed its appeal deadline."""
    if item.state not in (S.OPEN, S.LOST):
        return False
    return clock.now().date() > appeal_deadline(item, policy)


def transition(
    item: DenialWorkItem, to: AppealState, *, by: str, clock: Clock, note: str = ""
) -> DenialWorkItem:
    """The item moved to state *to*, with the step recorded in its history.

    Raises:
        ValidationError: the appeal state machine does not allow the move.
    """
    if to not in ALLOWED_TRANSITIONS[item.state]:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[item.state])) or "none (final state)"
        raise ValidationError(
            f"denial work item {item.item_id}: cannot go from {item.state} to {to}; "
            f"allowed: {allowed}"
        )
    step = AppealStep(state=to, at=clock.now(), by=by, note=note)
    return msgspec.structs.replace(item, state=to, history=(*item.history, step))


def write_off_posting(item: DenialWorkItem) -> WriteOffPosted:
    """The posting that writes off a denial whose work item ended written off.

    Raises:
        ValidationError: the item is not written off.
    """
    if item.state is not S.WRITTEN_OFF or not item.history:
        raise ValidationError(f"denial work item {item.item_id} is {item.state}, not written off")
    return WriteOffPosted(
        idempotency_key=f"{item.item_id}:written-off",
        occurred_at=item.history[-1].at,
        entity=item.entity,
        payer_id=item.payer_id,
        trace_number=item.trace_number,
        remitted_on=item.denied_on,
        claim_id=item.claim_id,
        line_number=item.line_number,
        amount=item.amount,
        group_code=item.group_code,
        carc=item.carc,
        rarcs=item.rarcs,
        adjustment_index=item.adjustment_index,
        origin=WriteOffOrigin.DENIAL_RESOLUTION,
    )
