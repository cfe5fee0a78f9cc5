"""The three sides of a sandbox revenue day's books, read from the simulators over their APIs.

- the ERP simulator's journals and trial balance (``/api/v2/journals``, ``/api/v2/trial-balance``,
  with an OAuth2 client-credentials token), as :class:`~careweave.revenue.books.GlLine` and
  :class:`~careweave.revenue.books.TrialBalanceFact`;
- the clearinghouse's raw 837 files as they arrived (``/837``) and the 835 files it released
  (``/835``), read by :func:`careweave.revenue.x12_totals.read_totals`;
- the revenue-cycle platform simulator's receivables (``/api/receivables``).

:func:`deliver_remittances` plays the clearinghouse's electronic remittance delivery to the
platform: each claim the payers settled on a released check goes to ``POST /api/remittances``, as
the payer decided it (the clearinghouse's adjudication records, not the 835 text), so the
platform's A/R is its own account of the money.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import httpx
import msgspec

from careweave.masterdata.cost_centers import ChartOfAccounts
from careweave.revenue.books import GlLine, ReceivableFact, ReceivablePosting, TrialBalanceFact
from careweave.revenue.remittance_ledger import account_names, reference
from careweave.revenue.x12_totals import CasAmount, X12Totals, read_totals
from careweave.sandbox.clearinghouse import AdjudicatedClaim, OutboundFile, ReceivedFile
from careweave.sandbox.erp.records import Segments
from careweave.sandbox.rcm import (
    AdjustmentAmount,
    PostingResult,
    Receivable,
    RemittanceBatch,
    RemittancePosting,
)


class _JournalLine(msgspec.Struct, frozen=True):
    segments: Segments
    debit: Decimal
    credit: Decimal
    memo: str = ""


class _Journal(msgspec.Struct, frozen=True):
    journal_id: str
    external_id: str
    entity: str
    posting_date: dt.date
    lines: list[_JournalLine]
    description: str = ""


async def ledger(
    base_url: str, client_id: str, secret: str
) -> tuple[list[GlLine], list[TrialBalanceFact]]:
    """Every line of every journal the ERP accepted, and its trial balance."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        token = await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        journals = await client.get("/api/v2/journals", headers=headers)
        journals.raise_for_status()
        balance = await client.get("/api/v2/trial-balance", headers=headers)
        balance.raise_for_status()
    lines = [
        GlLine(
            journal_id=journal.journal_id,
            external_id=journal.external_id,
            description=journal.description,
            entity=line.segments.entity,
            account=line.segments.account,
            day=journal.posting_date,
            debit=line.debit,
            credit=line.credit,
        )
        for journal in msgspec.json.decode(journals.content, type=list[_Journal])
        for line in journal.lines
    ]
    rows = msgspec.json.decode(balance.content, type=list[TrialBalanceFact])
    return lines, rows


def remittance_lines(gl: list[GlLine], chart: ChartOfAccounts | None = None) -> list[GlLine]:
    """The lines of the journals the books answer for: those naming a remittance (a trace) and
    any that touch a remittance account (cash, A/R, allowances, denials).

    The ERP also holds the day's operational journals (charges' unbilled revenue and standard
    costs, supplies used): they name no trace and touch none of those accounts, and are proved
    otherwise (balanced, and stock against careweave's positions). A journal that strays into a
    remittance account stays in the books, where the 835s do not explain it.
    """
    names = account_names(chart or ChartOfAccounts())
    kept = {
        line.journal_id for line in gl if line.account in names or reference(line.description)[0]
    }
    return [line for line in gl if line.journal_id in kept]


async def payer_files(base_url: str, entities: Mapping[str, str]) -> X12Totals:
    """The totals of the 837s the clearinghouse took in and of the 835s it released."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        listing = await client.get("/837")
        listing.raise_for_status()
        received = msgspec.json.decode(listing.content, type=list[ReceivedFile])
        listing = await client.get("/835")
        listing.raise_for_status()
        released = msgspec.json.decode(listing.content, type=list[OutboundFile])
        files: dict[str, list[tuple[str, bytes]]] = {"837": [], "835": []}
        for kind, name in [("837", f.name) for f in received] + [("835", f.name) for f in released]:
            response = await client.get(f"/{kind}/{name}")
            response.raise_for_status()
            files[kind].append((name, response.content))
    return read_totals(files["837"], files["835"], entities)


async def deliver_remittances(house_url: str, rcm_url: str) -> list[PostingResult]:
    """Post every claim settled on a released check to the platform, one batch per check."""
    async with httpx.AsyncClient(base_url=house_url, timeout=120) as house:
        released = await house.get("/835")
        released.raise_for_status()
        decided = await house.get("/admin/claims")
        decided.raise_for_status()
    files = msgspec.json.decode(released.content, type=list[OutboundFile])
    traces = {f.name.removesuffix(".835") for f in files}
    checks: dict[str, list[RemittancePosting]] = {}
    for claim in msgspec.json.decode(decided.content, type=list[AdjudicatedClaim]):
        if claim.trace_number in traces:
            checks.setdefault(claim.trace_number, []).append(_posting(claim))
    results: list[PostingResult] = []
    async with httpx.AsyncClient(base_url=rcm_url, timeout=120) as rcm:
        for trace in sorted(checks):
            body = msgspec.json.encode(RemittanceBatch(postings=checks[trace]))
            response = await rcm.post(
                "/api/remittances", content=body, headers={"Content-Type": "application/json"}
            )
            response.raise_for_status()
            results += msgspec.json.decode(response.content, type=list[PostingResult])
    return results


def _posting(claim: AdjudicatedClaim) -> RemittancePosting:
    return RemittancePosting(
        claim_id=claim.claim_id,
        payer_id=claim.payer_id,
        trace_number=claim.trace_number,
        paid_on=claim.payment_date,
        charge=claim.charge,
        paid=claim.paid,
        adjustments=[
            AdjustmentAmount(group=group, reason=reason, amount=amount)
            for line in claim.lines
            for group, reason, amount in line.adjustments
        ],
    )


async def receivables(rcm_url: str) -> list[ReceivableFact]:
    """The platform's receivable of every billed claim (and of unapplied postings)."""
    async with httpx.AsyncClient(base_url=rcm_url, timeout=120) as client:
        response = await client.get("/api/receivables")
        response.raise_for_status()
    return [
        ReceivableFact(
            claim_id=r.claim_id,
            encounter_id=r.encounter_id,
            entity=r.entity,
            billed=r.billed,
            insurance_balance=r.insurance_balance,
            patient_balance=r.patient_balance,
            postings=tuple(
                ReceivablePosting(
                    trace=p.trace_number,
                    day=p.paid_on,
                    paid=p.paid,
                    adjustments=tuple(
                        CasAmount(a.group, a.reason, a.amount) for a in p.adjustments
                    ),
                )
                for p in r.postings
            ),
        )
        for r in msgspec.json.decode(response.content, type=list[Receivable])
    ]
