"""Finance posting: what a remittance (X12 835) means for the general ledger.

Each finance event becomes one balanced journal of the payee's entity, in the patient-accounting
cost center:

=================================  ===========================  ==========================
event                              debit                        credit
=================================  ===========================  ==========================
ClaimPaid (negative: reversal)     cash                         insurance A/R
ContractualAdjustmentPosted        contractual allowance        insurance A/R
PatientResponsibilityAssigned      patient A/R                  insurance A/R
ClaimDenied                        denials pending              insurance A/R
WriteOffPosted (remittance)        denial write-off             insurance A/R
WriteOffPosted (denial resolved)   denial write-off             denials pending
ProviderLevelAdjustment            provider-level adjustments   cash
=================================  ===========================  ==========================

Each journal's description names its remittance: ``<event> payer <id> trace <TRN02>``, then
``claim <CLP01>`` for a claim's posting, so that a reconciliation ties GL lines to the 835's claims.
The payee is mapped to its legal entity by the optional ``payees`` service (any object with an
``entity(payee)`` method, e.g. the revenue side's ``PayeeEntities``). The journal's key is the
event's own key (payer + trace number + claim + line + index), so the same
835 received twice posts once: the ledger (:class:`~careweave.erp.ledger.LedgerBook` over
``out.state``) records each journal once, and a replay sends the journal recorded first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Protocol, runtime_checkable

from careweave.erp.ledger import JournalBuilder, LedgerBook
from careweave.erp.periods import PeriodCalendar
from careweave.exceptions import ValidationError
from careweave.flows.base import BaseFlow
from careweave.flows.services import FlowServices
from careweave.masterdata.cost_centers import ChartOfAccounts
from careweave.model.base import BusinessEvent
from careweave.model.erp import JOURNAL, GlSegments
from careweave.model.finance import (
    ClaimDenied,
    ClaimPaid,
    ContractualAdjustmentPosted,
    PatientResponsibilityAssigned,
    ProviderLevelAdjustment,
    RemittanceEvent,
    WriteOffOrigin,
    WriteOffPosted,
)
from careweave.model.flow import FlowOutput


def accounts_for(event: RemittanceEvent, chart: ChartOfAccounts) -> tuple[str, str] | None:
    """(debit account, credit account) of a finance event, or None when it posts nothing."""
    c = chart
    if isinstance(event, ClaimPaid):
        return c.cash, c.insurance_ar
    if isinstance(event, ContractualAdjustmentPosted):
        return c.contractual_allowance, c.insurance_ar
    if isinstance(event, PatientResponsibilityAssigned):
        return c.patient_ar, c.insurance_ar
    if isinstance(event, ClaimDenied):
        return c.denials_pending, c.insurance_ar
    if isinstance(event, WriteOffPosted):
        if event.origin is WriteOffOrigin.DENIAL_RESOLUTION:
            return c.denial_write_off, c.denials_pending
        return c.denial_write_off, c.insurance_ar
    if isinstance(event, ProviderLevelAdjustment):
        return c.provider_level_adjustment, c.cash
    return None


@runtime_checkable
class PayeeResolver(Protocol):
    """Maps an 835 payee (NPI or TIN) to the legal entity whose books it posts to."""

    def entity(self, payee: str) -> str:
        """The entity of ``payee`` (the payee itself when unmapped)."""
        ...


def remittance_day(event: RemittanceEvent) -> dt.date:
    """The day a finance event posts on; ValidationError when it carries none."""
    if event.remitted_on is not None:
        return event.remitted_on
    if event.occurred_at is not None:
        return event.occurred_at.date()
    raise ValidationError(f"{event.idempotency_key}: no payment date (BPR16 / DTM*405) to post on")


class FinancePostingFlow(BaseFlow):
    """Cash, contractual adjustments, denials, write-offs and patient responsibility to the GL."""

    name = "finance-posting"
    handles = (
        ClaimPaid,
        ContractualAdjustmentPosted,
        PatientResponsibilityAssigned,
        ClaimDenied,
        WriteOffPosted,
        ProviderLevelAdjustment,
    )

    def __init__(
        self,
        *,
        chart: ChartOfAccounts | None = None,
        payees: PayeeResolver | None = None,
        destination: str = "erp",
    ) -> None:
        self.chart = chart or ChartOfAccounts()
        self.payees = payees
        self.destination = destination

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Post the journal of one finance event."""
        if not isinstance(event, RemittanceEvent):
            return
        accounts = accounts_for(event, self.chart)
        amount: Decimal = getattr(event, "amount", Decimal(0))
        if accounts is None or amount == 0:
            return
        debit, credit = accounts
        entity = self.payees.entity(event.entity) if self.payees else event.entity
        cc = self.chart.revenue_cycle_cost_center
        memo = f"{type(event).__name__} payer {event.payer_id} trace {event.trace_number}"
        if claim_id := getattr(event, "claim_id", None):
            memo += f" claim {claim_id}"
        builder = JournalBuilder()
        builder.debit(GlSegments(entity, cc, debit), amount, memo)
        builder.credit(GlSegments(entity, cc, credit), amount, memo)
        key = f"journal:{event.idempotency_key}"
        day = remittance_day(event)
        journal = LedgerBook(out.state).post(
            builder,
            key,
            entity,
            day,
            memo,
            calendar=PeriodCalendar(out.state),
            currency=event.currency,
        )
        if journal is None:
            return
        # Order matters within a claim (a reversal before its correction), not across a check's
        # thousands of claims, which post in parallel.
        claim = getattr(event, "claim_id", None)
        base = event.ordering_key()
        ordering = f"{base}:{claim}" if base and claim else base
        out.send(self.destination, key, journal, ordering_key=ordering, content_type=JOURNAL)


def build_finance_posting(services: FlowServices) -> FinancePostingFlow:
    """The flow, with the optional chart of accounts and payee table."""
    return FinancePostingFlow(
        chart=services.chart,
        payees=services.payees,
        destination=services.erp_destination,
    )
