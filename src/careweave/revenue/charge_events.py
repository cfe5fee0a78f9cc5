"""From the canonical ``ChargeCaptured`` event to the :class:`ChargeLine` the revenue rules check."""

from __future__ import annotations

from careweave.exceptions import ValidationError
from careweave.model.charges import ChargeCaptured, TransactionType
from careweave.model.revenue import ChargeLine, ChargeTransactionType, ClaimForm

_TRANSACTION_TYPES = {
    TransactionType.CHARGE: ChargeTransactionType.CHARGE,
    TransactionType.CREDIT: ChargeTransactionType.CREDIT,
}


def charge_line_from_event(
    event: ChargeCaptured,
    *,
    entity: str = "",
    claim_form: ClaimForm | None = None,
    place_of_service: str | None = None,
) -> ChargeLine:
    """The charge line of a captured charge or credit.

    ``claim_form`` defaults to institutional when the line carries a revenue code, professional
    otherwise; the place of service comes from the encounter location, which the caller resolves.

    Raises:
        ValidationError: the event is a payment or adjustment, or lacks an encounter or a date.
    """
    kind = _TRANSACTION_TYPES.get(event.transaction_type)
    if kind is None:
        raise ValidationError(
            f"transaction {event.transaction_id} is a {event.transaction_type.value}, "
            "not a charge or credit"
        )
    encounter_id = event.encounter.key() if event.encounter is not None else None
    if not encounter_id:
        raise ValidationError(f"charge {event.transaction_id} names no encounter (visit/account)")
    service_date = event.service_date
    if service_date is None and event.posted_at is not None:
        service_date = event.posted_at.date()
    if service_date is None:
        raise ValidationError(f"charge {event.transaction_id} has no service or posting date")
    amount = event.extended_amount.amount if event.extended_amount is not None else None
    if amount is None and event.unit_amount is not None:
        amount = event.unit_amount.amount * event.quantity
    if claim_form is None:
        claim_form = ClaimForm.INSTITUTIONAL if event.revenue_code else ClaimForm.PROFESSIONAL
    return ChargeLine(
        line_id=event.transaction_id,
        encounter_id=encounter_id,
        service_date=service_date,
        entity=entity,
        claim_form=claim_form,
        transaction_type=kind,
        procedure_code=event.procedure_code.code if event.procedure_code else None,
        modifiers=event.modifiers,
        diagnosis_codes=tuple(d.code for d in event.diagnoses),
        revenue_code=event.revenue_code,
        ndc=event.ndc.code if event.ndc else None,
        units=event.quantity,
        amount=amount,
        rendering_npi=event.performing_provider.npi if event.performing_provider else None,
        ordering_npi=event.ordering_provider.npi if event.ordering_provider else None,
        place_of_service=place_of_service,
        department=event.department.code if event.department else None,
        captured_at=event.posted_at,
    )
