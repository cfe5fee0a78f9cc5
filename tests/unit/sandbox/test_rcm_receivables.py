"""The simulated platform's accounts receivable over real HTTP: billed totals, remittances once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import httpx
import msgspec
import pytest

from careweave.sandbox.rcm import (
    AdjustmentAmount,
    PostingResult,
    RcmSimulator,
    Receivable,
    RemittanceBatch,
    RemittancePosting,
    SimulatorServer,
)
from tests.unit.sandbox.test_rcm_api import _encounter, _line, _post


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with (
        SimulatorServer(RcmSimulator().app, name="rcm-simulator") as running,
        httpx.Client(base_url=running.base_url, timeout=10) as client,
    ):
        yield client


def posting(claim: str, paid: str, *adjustments: tuple[str, str, str]) -> RemittancePosting:
    return RemittancePosting(
        claim_id=claim, payer_id="60054", trace_number="TR1", paid_on=dt.date(2026, 12, 1),
        charge=Decimal("2500.00"), paid=Decimal(paid),
        adjustments=[AdjustmentAmount(group=g, reason=r, amount=Decimal(a))
                     for g, r, a in adjustments],
    )  # fmt: skip


def remit(client: httpx.Client, *postings: RemittancePosting) -> list[str]:
    body = msgspec.json.encode(RemittanceBatch(postings=list(postings)))
    response = client.post(
        "/api/remittances", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    return [r.status for r in msgspec.json.decode(response.content, type=list[PostingResult])]


def receivables(client: httpx.Client) -> dict[str, Receivable]:
    found = msgspec.json.decode(client.get("/api/receivables").content, type=list[Receivable])
    return {r.claim_id: r for r in found}


def test_a_claim_is_billed_at_its_total_and_settled_once(client: httpx.Client) -> None:
    _post(client, "B1", _line("L1"), _line("L2"))
    client.put("/api/encounters/E1", content=msgspec.json.encode(_encounter()))
    client.post("/api/claims/billed", json={"account_id": "ACCT-E1", "claim_id": "C-1"})
    [open_claim] = receivables(client).values()
    assert (open_claim.billed, open_claim.insurance_balance) == (Decimal("2500.00"),) * 2
    assert open_claim.encounter_id == "E1" and open_claim.postings == []

    settled = posting("C-1", "1500.00", ("CO", "45", "700.00"), ("PR", "1", "300.00"))
    assert remit(client, settled) == ["applied"]
    assert remit(client, settled) == ["duplicate"]  # the same check delivered twice
    claim = receivables(client)["C-1"]
    assert claim.payments == Decimal("1500.00")
    assert claim.adjustments == {"CO": Decimal("700.00"), "PR": Decimal("300.00")}
    assert claim.insurance_balance == 0 and claim.patient_balance == Decimal("300.00")


def test_a_posting_for_no_billed_claim_is_kept_unapplied(client: httpx.Client) -> None:
    assert remit(client, posting("NOPE", "10.00")) == ["unapplied"]
    unapplied = receivables(client)["NOPE"]
    assert unapplied.account_id == "" and unapplied.payments == Decimal("10.00")


def test_the_billed_total_is_the_accounts_when_billed(client: httpx.Client) -> None:
    _post(client, "B1", _line("L1"))
    client.put("/api/encounters/E1", content=msgspec.json.encode(_encounter()))
    client.post("/api/claims/billed", json={"account_id": "ACCT-E1", "claim_id": "C-1"})
    client.post("/api/claims/billed", json={"account_id": "ACCT-E1", "claim_id": "C-2"})
    assert list(receivables(client)) == ["C-1"]
    assert receivables(client)["C-1"].billed == Decimal("1250.00")
