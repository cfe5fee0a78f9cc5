"""X12 835 -> finance events: every payment and adjustment of a remittance file, once.

The meaning of an 835 is decided here, in one place: :func:`map_remittances` (the channel mapping
``x12-835-finance``) reads every 835 transaction of a file; :func:`remittance_events` turns one
parsed transaction into finance events, with each CAS adjustment classified by
:mod:`careweave.mappings.adjustments`. Flows and revenue-cycle rules only read the events.

Every 835 transaction of the file is read and must balance (BPR02 = claim payments - provider
adjustments; per claim, charge - payment = adjustments): one that does not puts the whole message
in error with the imbalance named, and nothing of the file is posted, not even its balanced
transactions, so that a corrected file posts as a whole. Other transaction sets in the file
(999, 277) are left to their own mapping.

For each 835 transaction: one :class:`RemittanceReceived`; per claim, a :class:`ClaimPaid` when
the claim's payment (CLP04) is not zero; per non-zero CAS amount (claim level, then each service
line), the posting its classification calls for; per non-zero PLB amount, a
:class:`ProviderLevelAdjustment`. Zero amounts move no money and post nothing.

Idempotency keys come from payer + trace number (TRN02) + claim + line + adjustment index. A claim
id that occurs several times in one 835 (a reversal and its correction) is numbered by occurrence
(``CLM1``, ``CLM1~2``), so keys stay distinct and identical on every re-receipt. The kind of an
adjustment is not part of its key: a change to the classification table never posts it twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

from careweave.codecs.x12.remittance import (
    Adjustment,
    ClaimPayment,
    Party,
    RemarkCode,
    RemittanceAdvice,
    remittance_from,
)
from careweave.exceptions import MappingError
from careweave.mappings.adjustments import DenialPolicy, classify_adjustment
from careweave.mappings.x12_decode import X12Inbound
from careweave.model.base import BusinessEvent
from careweave.model.finance import (
    ClaimDenied,
    ClaimPaid,
    ContractualAdjustmentPosted,
    PatientResponsibilityAssigned,
    ProviderLevelAdjustment,
    RemittanceEvent,
    RemittanceReceived,
    WriteOffPosted,
    remittance_key,
)
from careweave.model.revenue import AdjustmentKind


def map_remittances(decoded: X12Inbound) -> list[BusinessEvent]:
    """The finance events of every 835 transaction in the file, in reading order.

    Raises:
        MappingError: a transaction does not balance or lacks its trace number, payer or payee.
    """
    if not isinstance(decoded, X12Inbound):
        raise MappingError(
            f"x12-835-finance needs a channel of format x12, not {type(decoded).__name__}"
        )
    document = decoded.document
    events: list[BusinessEvent] = []
    for parsed in document.of_type("835"):
        advice = remittance_from(parsed, document.delimiters)
        events.extend(remittance_events(advice))
    return events


PayeeResolver = Callable[[Party], str]
"""Maps the 835 payee (N1*PE name and NPI/TIN) to the legal entity that books the money."""

# LQ01 "HE" marks a remark code (RARC); "RX" marks an NCPDP reject code, which is not one.
_RARC_SOURCES = frozenset({"HE", "MIA", "MOA"})


def default_entity(payee: Party) -> str:
    """The payee's identifier (NPI or TIN), else its name."""
    return payee.id or payee.name


class _Context:
    """What every event of one 835 transaction shares."""

    def __init__(
        self,
        advice: RemittanceAdvice,
        entity: str,
        policy: DenialPolicy,
        source_message_id: str | None,
    ) -> None:
        self.payer_id = advice.payer_id or advice.payer.id or advice.payer.name
        self.trace = advice.trace_number
        self.entity = entity
        self.policy = policy
        self.remitted_on = _date(advice.payment_date, "BPR16")
        self.source_message_id = source_message_id

    def common(self) -> dict[str, object]:
        return {
            "entity": self.entity,
            "payer_id": self.payer_id,
            "trace_number": self.trace,
            "remitted_on": self.remitted_on,
            "source_message_id": self.source_message_id,
        }


def remittance_events(
    advice: RemittanceAdvice,
    *,
    entity_for: PayeeResolver = default_entity,
    policy: DenialPolicy | None = None,
    source_message_id: str | None = None,
) -> list[RemittanceEvent]:
    """The finance events of one 835 transaction, in reading order.

    Raises:
        MappingError: the 835 does not balance (the imbalances are named), or it lacks the
            trace number that makes its postings idempotent, the payer or the payee.
    """
    if advice.imbalances:
        found = "; ".join(i.message for i in advice.imbalances)
        raise MappingError(f"835 {advice.control_number} does not balance: {found}")
    if not advice.trace_number:
        raise MappingError(f"835 {advice.control_number}: TRN02 trace number is missing")
    ctx = _Context(advice, entity_for(advice.payee), policy or DenialPolicy(), source_message_id)
    if not ctx.payer_id:
        raise MappingError(f"835 {advice.control_number}: no payer id (TRN03, N1*PR) or name")
    if not ctx.entity:
        raise MappingError(f"835 {advice.control_number}: no payee (N1*PE) to book the money to")
    events: list[RemittanceEvent] = [
        RemittanceReceived(
            idempotency_key=remittance_key("remittance", ctx.payer_id, ctx.trace),
            payment_amount=advice.payment,
            payment_method=advice.method,
            payee_id=advice.payee.id,
            payer_name=advice.payer.name,
            claim_count=len(advice.claims),
            **ctx.common(),  # type: ignore[arg-type]
        )
    ]
    occurrences: dict[str, int] = {}
    for claim in advice.claims:
        occurrences[claim.id] = occurrences.get(claim.id, 0) + 1
        seen = occurrences[claim.id]
        claim_ref = claim.id if seen == 1 else f"{claim.id}~{seen}"
        events.extend(_claim_events(ctx, claim, claim_ref))
    for index, plb in enumerate(advice.provider_adjustments, start=1):
        if plb.amount == 0:
            continue
        events.append(
            ProviderLevelAdjustment(
                idempotency_key=remittance_key("plb", ctx.payer_id, ctx.trace, index),
                provider_id=plb.provider_id,
                reason_code=plb.reason,
                reference=plb.reference,
                amount=plb.amount,
                adjustment_index=index,
                fiscal_period_end=_date(plb.fiscal_period, "PLB02"),
                **ctx.common(),  # type: ignore[arg-type]
            )
        )
    return events


def _claim_events(ctx: _Context, claim: ClaimPayment, claim_ref: str) -> list[RemittanceEvent]:
    events: list[RemittanceEvent] = []
    claim_facts: dict[str, object] = {
        "claim_id": claim.id,
        "payer_claim_number": claim.payer_claim_id or None,
        **ctx.common(),
    }
    if claim.paid != 0:
        events.append(
            ClaimPaid(
                idempotency_key=remittance_key("paid", ctx.payer_id, ctx.trace, claim_ref),
                amount=claim.paid,
                claim_status=claim.status,
                charge_amount=claim.charge,
                **claim_facts,  # type: ignore[arg-type]
            )
        )
    claim_rarcs = _rarcs(claim.remarks)
    events.extend(
        _adjustments(ctx, claim_ref, claim_facts, None, None, claim.adjustments, claim_rarcs)
    )
    for number, line in enumerate(claim.lines, start=1):
        line_rarcs = _rarcs(line.remarks)
        # A line's own remarks come first: they decide the category of a generic reason code.
        rarcs = line_rarcs + tuple(r for r in claim_rarcs if r not in line_rarcs)
        code = line.procedure_code or line.revenue_code or None
        events.extend(
            _adjustments(ctx, claim_ref, claim_facts, number, code, line.adjustments, rarcs)
        )
    return events


def _adjustments(
    ctx: _Context,
    claim_ref: str,
    claim_facts: dict[str, object],
    line_number: int | None,
    procedure_code: str | None,
    adjustments: Iterable[Adjustment],
    rarcs: tuple[str, ...],
) -> list[RemittanceEvent]:
    events: list[RemittanceEvent] = []
    level = "claim" if line_number is None else line_number
    for index, adjustment in enumerate(adjustments, start=1):
        if adjustment.amount == 0:
            continue
        found = classify_adjustment(adjustment.group, adjustment.reason, rarcs, ctx.policy)
        facts: dict[str, object] = {
            "idempotency_key": remittance_key(
                "adj", ctx.payer_id, ctx.trace, claim_ref, level, index
            ),
            "amount": adjustment.amount,
            "quantity": adjustment.quantity,
            "line_number": line_number,
            "procedure_code": procedure_code,
            "group_code": found.group_code,
            "carc": found.carc,
            "rarcs": found.rarcs,
            "adjustment_index": index,
            **claim_facts,
        }
        event: RemittanceEvent
        if found.kind is AdjustmentKind.CONTRACTUAL:
            event = ContractualAdjustmentPosted(**facts)  # type: ignore[arg-type]
        elif found.kind is AdjustmentKind.PATIENT_RESPONSIBILITY:
            event = PatientResponsibilityAssigned(**facts)  # type: ignore[arg-type]
        elif found.kind is AdjustmentKind.WRITE_OFF:
            event = WriteOffPosted(**facts)  # type: ignore[arg-type]
        else:
            assert found.category is not None and found.owner_team and found.suggested_action
            event = ClaimDenied(
                category=found.category,
                owner_team=found.owner_team,
                suggested_action=found.suggested_action,
                **facts,  # type: ignore[arg-type]
            )
        events.append(event)
    return events


def _rarcs(remarks: Iterable[RemarkCode]) -> tuple[str, ...]:
    return tuple(r.code for r in remarks if r.source in _RARC_SOURCES and r.code)


def _date(value: str, element: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.strptime(value, "%Y%m%d").replace(tzinfo=dt.UTC).date()
    except ValueError:
        raise MappingError(f"{element} {value!r} is not a CCYYMMDD date") from None


def posted_total(events: Iterable[RemittanceEvent]) -> Decimal:
    """Claim payments minus provider-level adjustments: what the remittance must have paid."""
    total = Decimal(0)
    for event in events:
        if isinstance(event, ClaimPaid):
            total += event.amount
        elif isinstance(event, ProviderLevelAdjustment):
            total -= event.amount
    return total
