"""What a captured charge line means for the books: its day, its signed amount, its department.

Shared by the cost-allocation flow (which posts the revenue) and the reconciliation (which counts the
revenue cycle's side), so both read a charge line the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from careweave.erp.reconciliation import RevenueCycleLine
from careweave.exceptions import ValidationError
from careweave.masterdata.cost_centers import CostCenterMap
from careweave.model.charges import ChargeCaptured


def charge_day(event: ChargeCaptured) -> dt.date:
    """The service date of a charge line; ValidationError when it has none."""
    if event.service_date is not None:
        return event.service_date
    if event.occurred_at is not None:
        return event.occurred_at.date()
    raise ValidationError(f"charge {event.transaction_id}: no service date (FT1-4) to post on")


def charge_amount(event: ChargeCaptured) -> Decimal | None:
    """The signed extended amount of a charge line (negative for a credit); None when absent."""
    if event.extended_amount is not None:
        amount = event.extended_amount.amount
    elif event.unit_amount is not None:
        amount = event.unit_amount.amount * event.quantity
    else:
        return None
    return -abs(amount) if event.is_credit else amount


def department_of(event: ChargeCaptured) -> str:
    """The department a charge books to: FT1-13, else the encounter's point of care."""
    if event.department is not None and event.department.code:
        return event.department.code
    place = event.encounter.location if event.encounter else None
    return (place.point_of_care or "") if place else ""


def revenue_cycle_lines(
    charges: Iterable[ChargeCaptured], cost_centers: CostCenterMap
) -> list[RevenueCycleLine]:
    """The revenue cycle's side of the reconciliation: each charge's amount by entity, day and
    service line (lines without an amount or a mapped department count nowhere and are not posted
    either: the flow parks them)."""
    lines: list[RevenueCycleLine] = []
    for charge in charges:
        amount = charge_amount(charge)
        day = charge_day(charge)
        where = cost_centers.lookup(department_of(charge), day)
        if amount is None or where is None:
            continue
        lines.append(
            RevenueCycleLine(
                entity=where.entity,
                day=day,
                service_line=where.service_line,
                amount=amount,
                reference=charge.idempotency_key,
            )
        )
    return lines
