"""Finance events: what a remittance (X12 835) means for the books.

One 835 transaction yields one :class:`RemittanceReceived` (the cash) and exactly one posting event
per payment or adjustment in it:

- :class:`ClaimPaid` for each claim's non-zero payment (CLP04, negative on a reversal);
- one event per CAS adjustment, decided by its group code and reason code:
  :class:`ContractualAdjustmentPosted`, :class:`PatientResponsibilityAssigned`,
  :class:`ClaimDenied` (the balance waits on a denial work item) or :class:`WriteOffPosted`;
- :class:`ProviderLevelAdjustment` for each PLB amount (positive amounts reduce the payment).

Zero amounts move no money and post nothing.

So per claim, paid + adjustments = charge; per transaction, the sum of claim payments minus the
provider-level adjustments = the payment (BPR02). Amounts are :class:`decimal.Decimal`.

Idempotency keys are built from payer + check/EFT trace number (TRN02) + claim + line + adjustment
index, never from receipt facts, so receiving the same 835 twice yields the same keys and posts once.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from careweave.model.base import BusinessEvent
from careweave.model.revenue import DenialCategory


def remittance_key(kind: str, payer_id: str, trace_number: str, *parts: str | int | None) -> str:
    """An idempotency key ``835:<kind>:<payer>:<trace>:<part>...``; a missing part is ``-``."""
    rest = ("-" if part is None or part == "" else str(part) for part in parts)
    return ":".join(("835", kind, payer_id or "-", trace_number or "-", *rest))


class RemittanceEvent(BusinessEvent, frozen=True, kw_only=True):
    """Facts every remittance event carries: who paid, to whom, under which trace."""

    entity: str
    """The legal entity the payee maps to; GL postings are per entity."""
    payer_id: str
    trace_number: str
    """TRN02: the check number or EFT trace that ties the remittance to the money."""
    remitted_on: dt.date | None = None
    """The payment's effective date (BPR16), else the production date (DTM*405)."""
    currency: str = "USD"

    def ordering_key(self) -> str | None:
        """Postings of one remittance reach the GL in the order they were read."""
        return f"remittance:{self.payer_id}:{self.trace_number}"


class RemittanceReceived(RemittanceEvent, frozen=True, kw_only=True):
    """A payer's remittance arrived: the cash side of one 835 transaction."""

    payment_amount: Decimal
    """BPR02: the total actual provider payment."""
    payment_method: str
    """BPR04: ``CHK``, ``ACH``, ``FWT``, ``BOP`` or ``NON`` (no payment)."""
    payee_id: str
    claim_count: int
    payer_name: str = ""


class ClaimPosting(RemittanceEvent, frozen=True, kw_only=True):
    """A posting against one claim (and possibly one service line of it)."""

    claim_id: str
    """CLP01: the provider's claim submitter identifier (patient control number)."""
    amount: Decimal
    line_number: int | None = None
    """1-based position of the SVC within the claim; None for claim-level facts."""
    procedure_code: str | None = None
    payer_claim_number: str | None = None
    """CLP07: the payer's claim control number."""


class ClaimPaid(ClaimPosting, frozen=True, kw_only=True):
    """The payer paid a claim (CLP04); negative when the payer reverses an earlier payment."""

    claim_status: str
    """CLP02: 1 processed as primary, 2 secondary, 3 tertiary, 4 denied, 22 reversal ..."""
    charge_amount: Decimal
    """CLP03: what the claim billed."""


class ClaimAdjustmentPosting(ClaimPosting, frozen=True, kw_only=True):
    """One CAS adjustment amount: group code + reason code at an index within its level."""

    group_code: str
    carc: str
    adjustment_index: int
    """1-based position of the amount among the CAS amounts of its claim or line."""
    rarcs: tuple[str, ...] = ()
    quantity: Decimal | None = None


class ContractualAdjustmentPosted(ClaimAdjustmentPosting, frozen=True, kw_only=True):
    """An expected reduction under the payer contract (CO-45 and the like)."""


class PatientResponsibilityAssigned(ClaimAdjustmentPosting, frozen=True, kw_only=True):
    """A balance moved to the patient: deductible, coinsurance, copay or non-covered (group PR)."""


class ClaimDenied(ClaimAdjustmentPosting, frozen=True, kw_only=True):
    """The payer refused an amount; a denial work item decides appeal or write-off."""

    category: DenialCategory
    owner_team: str
    suggested_action: str


class WriteOffOrigin(enum.StrEnum):
    """Why an amount was written off."""

    REMITTANCE = "remittance"
    """An adjustment on the 835 the provider absorbs (prior payer impact, reversal ...)."""
    DENIAL_RESOLUTION = "denial_resolution"
    """A denial work item ended without recovery; moves the amount out of pending denials."""


class WriteOffPosted(ClaimAdjustmentPosting, frozen=True, kw_only=True):
    """An amount the provider will not collect."""

    origin: WriteOffOrigin = WriteOffOrigin.REMITTANCE


class ProviderLevelAdjustment(RemittanceEvent, frozen=True, kw_only=True):
    """A PLB adjustment not tied to one claim: interest, recoupment, withholding, levy ...

    A positive amount reduces the payment; a negative amount increases it.
    """

    provider_id: str
    reason_code: str
    """PLB03-1 and following: ``L6`` interest, ``WO`` overpayment recovery, ``FB`` forward balance."""
    reference: str
    amount: Decimal
    adjustment_index: int
    fiscal_period_end: dt.date | None = None
