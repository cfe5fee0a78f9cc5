"""What the 835s call for in the general ledger, read the reconciliation's own way.

Not the 835 mapping the posting flows use (:mod:`careweave.mappings.adjustments`): a short table
of its own decides what each CAS amount is (:func:`adjustment_kind`), and the chart of accounts
where it books (:func:`debit_account`). A payment debits cash; a patient-responsibility (PR)
amount patient A/R; a contractual one (CO-45 and the like) the contractual allowance; a write-off
the denial write-off; any other adjustment denials pending; each credits insurance A/R. A PLB
amount debits provider-level adjustments and credits cash (interest, negative, the other way).

A remittance journal is tied to its check and claim by its description, ``... trace <TRN02>
claim <CLP01>``, as the finance-posting flow writes it (:func:`reference`).
"""

from __future__ import annotations

import collections
import datetime as dt
import enum
import re
from decimal import Decimal

from careweave.masterdata.cost_centers import ChartOfAccounts
from careweave.revenue.x12_totals import X12Totals

ZERO = Decimal("0.00")
_TRACE = re.compile(r"\btrace (\S+)")
_CLAIM = re.compile(r"\bclaim (\S+)")


class Kind(enum.StrEnum):
    """What an 835 amount is, for the books."""

    PAID = "paid"
    CONTRACTUAL = "contractual"
    PATIENT = "patient responsibility"
    DENIED = "denied"
    WRITTEN_OFF = "written off"
    PROVIDER = "provider-level"


CONTRACTUAL_REASONS = frozenset(
    {"24", "45", "59", "69", "70", "74", "75", "94", "104", "131", "253"}
)
"""CARCs of expected reductions under the payer contract (fee schedule, capitation, ...)."""
WRITE_OFF_REASONS = frozenset({"23", "246"})
"""CARCs absorbed without a denial work item (prior payer impact, reporting-only)."""


def adjustment_kind(group: str, reason: str) -> Kind:
    """The kind of a CAS amount: PR is the patient's, then contractual, write-off, else denied."""
    if group == "PR":
        return Kind.PATIENT
    if reason in CONTRACTUAL_REASONS:
        return Kind.CONTRACTUAL
    if reason in WRITE_OFF_REASONS:
        return Kind.WRITTEN_OFF
    return Kind.DENIED


def debit_account(kind: Kind, chart: ChartOfAccounts) -> str:
    """The account an amount of ``kind`` debits (insurance A/R, or cash for PLB, is credited)."""
    return {
        Kind.PAID: chart.cash,
        Kind.CONTRACTUAL: chart.contractual_allowance,
        Kind.PATIENT: chart.patient_ar,
        Kind.DENIED: chart.denials_pending,
        Kind.WRITTEN_OFF: chart.denial_write_off,
        Kind.PROVIDER: chart.provider_level_adjustment,
    }[kind]


def account_names(chart: ChartOfAccounts) -> dict[str, str]:
    """The remittance accounts of the chart, by number, with a short name."""
    return {
        chart.cash: "cash",
        chart.insurance_ar: "insurance A/R",
        chart.patient_ar: "patient A/R",
        chart.denials_pending: "denials pending",
        chart.contractual_allowance: "contractual allowance",
        chart.denial_write_off: "denial write-off",
        chart.provider_level_adjustment: "provider-level adjustments",
    }


def reference(description: str) -> tuple[str, str]:
    """(trace, claim) a remittance journal's description names; ``""`` for what it does not."""
    trace, claim = _TRACE.search(description), _CLAIM.search(description)
    return (trace.group(1) if trace else "", claim.group(1) if claim else "")


LedgerKey = tuple[str, dt.date | None, str, str, str]
"""(entity, day, trace, claim, account)."""


def expected_items(x12: X12Totals, chart: ChartOfAccounts) -> dict[LedgerKey, list[Decimal]]:
    """Each signed (debit +) GL amount the 835s call for, per entity, day, trace, claim, account."""
    found: dict[LedgerKey, list[Decimal]] = collections.defaultdict(list)
    for claim in x12.remitted:
        at = (claim.entity, claim.day, claim.trace, claim.claim_id)
        if claim.paid:
            found[(*at, chart.cash)].append(claim.paid)
            found[(*at, chart.insurance_ar)].append(-claim.paid)
        for cas in claim.adjustments:
            if cas.amount:
                kind = adjustment_kind(cas.group, cas.reason)
                found[(*at, debit_account(kind, chart))].append(cas.amount)
                found[(*at, chart.insurance_ar)].append(-cas.amount)
    for plb in x12.provider_adjustments:
        if plb.amount:
            at = (plb.entity, plb.day, plb.trace, "")
            found[(*at, chart.provider_level_adjustment)].append(plb.amount)
            found[(*at, chart.cash)].append(-plb.amount)
    return found


def expected_ledger(x12: X12Totals, chart: ChartOfAccounts) -> dict[LedgerKey, Decimal]:
    """The signed (debit +) GL balance the 835s call for, per entity, day, trace, claim, account."""
    sums = {key: sum(items, ZERO) for key, items in expected_items(x12, chart).items()}
    return {key: amount for key, amount in sums.items() if amount}
