"""The simulated revenue-cycle platform over real HTTP: idempotent batches, accounts, claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import msgspec
import pytest

from careweave.codecs.x12 import EnvelopeConfig, InMemoryControlNumbers, write_claims
from careweave.codecs.x12.claims import Address, BillingProvider, ClaimSubmission, Organization
from careweave.exceptions import ValidationError
from careweave.sandbox.rcm import (
    BatchResult,
    BilledAccount,
    ChargeBatch,
    ChargeLine,
    Coverage,
    EncounterUpdate,
    PatientDemographics,
    RcmSimulator,
    SimulatorServer,
    claim_for,
)
from tests.unit.x12.pyx12_oracle import pyx12_errors

DAY = dt.date(2026, 11, 2)


def _line(key: str, encounter: str = "E1", **changes: object) -> ChargeLine:
    line = ChargeLine(
        line_key=key, encounter_id=encounter, patient_id="P1", service_date=DAY,
        procedure_code="93458", unit_amount=Decimal("1250.00"), diagnoses=("I25.10",),
    )  # fmt: skip
    return msgspec.structs.replace(line, **changes)


def _encounter(status: str = "discharged", coverage: bool = True) -> EncounterUpdate:
    return EncounterUpdate(
        patient_id="P1", status=status,  # type: ignore[arg-type]
        patient=PatientDemographics(last_name="DOE", first_name="JANE",
                                    birth_date=dt.date(1960, 5, 4), gender="F"),
        coverage=Coverage(payer_id="60054", payer_name="ACME HEALTH PLAN", member_id="M123")
        if coverage else None,
        diagnoses=("I21.4",),
    )  # fmt: skip


@pytest.fixture
def rcm() -> Iterator[tuple[httpx.Client, RcmSimulator]]:
    simulator = RcmSimulator()
    with (
        SimulatorServer(simulator.app, name="rcm-simulator") as running,
        httpx.Client(base_url=running.base_url, timeout=10) as client,
    ):
        yield client, simulator


def _post(client: httpx.Client, key: str, *lines: ChargeLine) -> BatchResult:
    response = client.post("/api/charges/batch", content=msgspec.json.encode(ChargeBatch(lines=list(lines))),
                           headers={"Idempotency-Key": key, "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 200, response.text
    return msgspec.json.decode(response.content, type=BatchResult)


def test_a_batch_is_applied_once_per_key_and_once_per_line(rcm) -> None:
    client, simulator = rcm
    first = _post(client, "B1", _line("L1"), _line("L2"))
    assert (first.replayed, [r.status for r in first.results]) == (False, ["accepted"] * 2)
    again = _post(client, "B1", _line("L1"), _line("L2"), _line("L3"))
    assert again.replayed and again.results == first.results
    moved = _post(client, "B2", _line("L2"), _line("L4"))
    assert [r.status for r in moved.results] == ["duplicate", "accepted"]
    assert simulator.state.lines_applied == 3
    charges = client.get("/api/charges", params={"encounter_id": "E1"}).json()
    assert [c["line"]["line_key"] for c in charges] == ["L1", "L2", "L4"]


def test_missing_idempotency_key_is_a_400(rcm) -> None:
    client, simulator = rcm
    response = client.post("/api/charges/batch", json={"lines": []})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.text
    assert simulator.state.lines_applied == 0


def test_bad_lines_are_rejected_with_a_reason_and_others_go_on(rcm) -> None:
    client, _ = rcm
    result = _post(
        client, "B1", _line("L1", procedure_code="9345"), _line("L2", quantity=Decimal(0)),
        _line("L3", transaction="credit", reverses="NOPE"), _line("L4"),
        _line("L5", procedure_code="", revenue_code="0120"), _line("L6", procedure_code=""),
    )  # fmt: skip
    statuses = [(r.status, r.reason) for r in result.results]
    assert statuses[0][0] == "rejected" and "'9345'" in statuses[0][1]
    assert statuses[1][0] == "rejected" and "quantity" in statuses[1][1]
    assert statuses[2][0] == "rejected" and "'NOPE'" in statuses[2][1]
    assert statuses[3] == ("accepted", "")
    assert statuses[4] == ("accepted", "")  # room and board: revenue code alone
    assert statuses[5][0] == "rejected" and "revenue code" in statuses[5][1]


def test_account_is_ready_once_discharged_and_credits_net_out(rcm) -> None:
    client, _ = rcm
    _post(
        client,
        "B1",
        _line("L1"),
        _line("L2", procedure_code="C1874", unit_amount=Decimal("3100.50")),
    )
    account = client.put("/api/encounters/E1", content=msgspec.json.encode(_encounter("open")))
    assert account.json()["state"] == "open"
    assert client.get("/api/claims/ready").json() == []
    _post(client, "B2", _line("L1-CR", transaction="credit", reverses="L1"))
    client.put("/api/encounters/E1", content=msgspec.json.encode(_encounter()))
    (ready,) = msgspec.json.decode(
        client.get("/api/claims/ready").content, type=list[BilledAccount]
    )
    assert ready.state == "ready" and ready.account_id == "ACCT-E1"
    assert [line.line_key for line in ready.lines] == ["L2"]
    assert ready.total == Decimal("3100.50")
    assert ready.diagnoses == ("I214", "I2510")
    second = _post(client, "B3", _line("L1-CR2", transaction="credit", reverses="L1"))
    assert second.results[0].status == "rejected" and "already reversed" in second.results[0].reason


def test_billed_account_leaves_the_queue_and_late_charges_are_rejected(rcm) -> None:
    client, _ = rcm
    _post(client, "B1", _line("L1"))
    client.put("/api/encounters/E1", content=msgspec.json.encode(_encounter()))
    billed = client.post("/api/claims/billed", json={"account_id": "ACCT-E1", "claim_id": "C-1"})
    assert billed.json()["state"] == "billed"
    assert client.get("/api/claims/ready").json() == []
    late = _post(client, "B2", _line("L9"))
    assert late.results[0].status == "rejected" and "late charge" in late.results[0].reason
    assert client.get("/api/accounts/UNKNOWN").status_code == 404


def test_self_pay_is_not_billed_to_a_payer(rcm) -> None:
    client, simulator = rcm
    _post(client, "B1", _line("L1"))
    self_pay = Coverage(payer_id="SELF", payer_name="SELF PAY", member_id="")
    update = msgspec.structs.replace(_encounter(), coverage=self_pay)
    account = simulator.state.update_encounter("E1", update)
    assert (account.state, account.not_ready) == (
        "open", "self-pay: billed to the patient, not on a claim",
    )  # fmt: skip
    assert client.get("/api/claims/ready").json() == []


def test_public_surface() -> None:
    import careweave.sandbox.rcm as rcm_package

    assert set(rcm_package.__all__) == {
        "AccountLine", "AdjustmentAmount", "BatchResult", "BilledAccount", "BilledNotice",
        "ChargeBatch", "ChargeLine", "ChargeRecord", "Coverage", "EncounterUpdate", "LineResult",
        "PatientDemographics", "PostingResult", "RcmSimulator", "RcmState", "Receivable",
        "RemittanceBatch", "RemittancePosting", "SimulatorServer", "account_id_for",
        "claim_for", "is_self_pay",
    }  # fmt: skip


def test_no_coverage_keeps_the_account_open_with_the_reason(rcm) -> None:
    client, _ = rcm
    _post(client, "B1", _line("L1"))
    account = client.put(
        "/api/encounters/E1", content=msgspec.json.encode(_encounter(coverage=False))
    )
    assert (account.json()["state"], account.json()["not_ready"]) == (
        "open", "no coverage or patient demographics",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="ACCT-E1"):
        claim_for(msgspec.json.decode(account.content, type=BilledAccount))


def test_a_ready_account_becomes_an_837p_that_pyx12_accepts(rcm, tmp_path: Path) -> None:
    client, simulator = rcm
    _post(
        client, "B1", _line("L1"), _line("L2", procedure_code="C1874", diagnoses=("I21.4", "E11.9"))
    )
    simulator.state.update_encounter("E1", _encounter())
    (account,) = simulator.state.ready()
    claim = claim_for(account)
    assert [line.diagnosis_pointers for line in claim.lines] == [(2,), (1, 3)]
    provider = BillingProvider(
        "HEART CLINIC",
        "1234567893",
        "123456789",
        Address("1 CARE WAY", "SPRINGFIELD", "IL", "627011234"),
    )
    submission = ClaimSubmission(
        Organization("HEART CLINIC", "S1", "BILLING", "5555550100"),
        Organization("CLEARINGHOUSE", "CH1"),
        provider,
        (claim,),
    )
    text = write_claims(
        submission,
        "professional",
        EnvelopeConfig("S1", "CH1"),
        InMemoryControlNumbers(),
        dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC),
    )
    path = tmp_path / "claim.837"
    path.write_text(text)
    assert pyx12_errors(path) == []
