"""claim-submission and claim-acknowledgments over business state (an in-memory store's state).

A run registers each ready account's claim once, with control numbers from state, and queues the
837 and the billed notices as effects; the same accounts again (a run sent again after a kill, a
replay) register, number and queue nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from careweave.codecs.x12 import Address, BillingProvider, EnvelopeConfig, Organization
from careweave.engine.clock import ManualClock
from careweave.exceptions import MappingError
from careweave.flows.claim_acknowledgments import ClaimAcknowledgmentsFlow, ClaimAnswerLinked
from careweave.flows.claim_register import ClaimRegister, registered_claims
from careweave.flows.claim_submission import (
    CLAIM_RUN_CONTENT_TYPE,
    ClaimFileQueued,
    ClaimRunRequested,
    ClaimsAlreadySubmitted,
    ClaimSubmissionFlow,
    claim_run_request,
    decode_claim_run,
)
from careweave.flows.claims import ClaimsConfig, claim_id_for
from careweave.mappings.x12_claim_status import ClaimStatusReported, ClaimTransactionAcknowledged
from careweave.mappings.x12_decode import X12_CONTENT_TYPE
from careweave.model.envelope import Envelope
from careweave.model.flow import FlowOutput
from careweave.model.rcm import (
    CLAIM_BILLED_CONTENT_TYPE,
    RcmAccount,
    RcmAccountLine,
    RcmClaimBilled,
    RcmCoverage,
    RcmPatient,
)
from careweave.model.records import NewMessage
from careweave.model.state import InMemoryState, StateTable
from careweave.sandbox.clearinghouse import Clearinghouse, ClearinghouseConfig

DAY = dt.date(2025, 3, 3)
NOW = dt.datetime(2025, 3, 6, 18, tzinfo=dt.UTC)
PATIENT = RcmPatient(
    last_name="MÜLLER", first_name="ZOË", birth_date=dt.date(1961, 5, 2), gender="F"
)
COVERAGE = RcmCoverage(payer_id="60054", payer_name="ACME HEALTH PLAN", member_id="W123456789")
PROVIDER = BillingProvider(
    "RIVERBEND PHYSICIAN GROUP", "1234567893", "391234567",
    Address("100 RIVERBEND PKWY", "RIVERBEND", "WI", "549010001"),
)  # fmt: skip
CONFIG = ClaimsConfig(
    submitter=Organization("RIVERBEND HEALTH", "RBH837", "BILLING", "9205550100"),
    receiver=Organization("CAREWEAVE CLEARINGHOUSE", "CWCLEARING"),
    envelope=EnvelopeConfig(sender_id="RBH837", receiver_id="CWCLEARING"),
    billing_providers={"RBPG04": PROVIDER, "RBH01": PROVIDER},
)


def account(
    n: int,
    *,
    entity: str = "RBPG04",
    line_keys: tuple[str, ...] = (),
    coverage: RcmCoverage | None = COVERAGE,
) -> RcmAccount:
    encounter = f"RBPG|90000{n}"
    keys = line_keys or (f"{encounter}/1/1", f"{encounter}/2/1")
    lines = [
        RcmAccountLine(
            line_key=key, service_date=DAY, procedure_code="99214", quantity=Decimal(1),
            amount=Decimal("185.00"), diagnoses=("I25.10",),
        )
        for key in keys
    ]  # fmt: skip
    return RcmAccount(
        account_id=f"ACCT-{encounter}", encounter_id=encounter, patient_id=f"P{n}",
        state="ready", total=Decimal("185.00") * len(lines), lines=lines,
        diagnoses=("I25.10",), entity=entity, patient=PATIENT, coverage=coverage,
    )  # fmt: skip


def run_event(*accounts: RcmAccount, run_id: str = "2025-03-06") -> ClaimRunRequested:
    return ClaimRunRequested(
        idempotency_key=f"claim-run:{run_id}", run_id=run_id, accounts=accounts
    )


def submit(state: InMemoryState, *accounts: RcmAccount) -> FlowOutput:
    out = FlowOutput(state=state)
    ClaimSubmissionFlow(CONFIG, clock=ManualClock(NOW)).run(run_event(*accounts), out)
    return out


def files(out: FlowOutput) -> list[ClaimFileQueued]:
    return [e for e in out.events if isinstance(e, ClaimFileQueued)]


def test_a_run_registers_numbers_and_queues_each_file_and_billed_notice_once() -> None:
    state = InMemoryState()
    out = submit(state, account(1), account(2), account(3, entity="RBH01"))
    assert out.cases == []
    queued = files(out)
    assert [(f.entity, f.interchange, len(f.claim_ids)) for f in queued] == [
        ("RBH01", "000000001", 1),
        ("RBPG04", "000000002", 2),
    ]
    x12 = [e for e in out.effects if e.content_type == X12_CONTENT_TYPE]
    assert [e.idempotency_key for e in x12] == ["837:RBH837:000000001", "837:RBH837:000000002"]
    assert {e.destination for e in x12} == {"clearinghouse"}
    assert b"NM1*IL*1*MULLER*ZOE" in x12[1].payload  # X12 carries the unaccented name
    notices = [e for e in out.effects if e.content_type == CLAIM_BILLED_CONTENT_TYPE]
    assert {e.destination for e in notices} == {"revenue-cycle"}
    billed = [msgspec.json.decode(e.payload, type=RcmClaimBilled) for e in notices]
    assert sorted(b.claim_id for b in billed) == sorted(
        claim_id_for(f"RBPG|90000{n}") for n in (1, 2, 3)
    )
    assert notices[0].ordering_key == f"encounter:{account(3).encounter_id}"
    claims = registered_claims(state.items(StateTable.CLAIMS))
    assert len(claims) == 3 and {c.status for c in claims} == {"submitted"}
    assert ClaimRegister(state).billed_claim_of("RBPG|900001/2/1") == "RBPG900001"
    assert state.get(StateTable.CONTROL_NUMBERS, "RBH837|interchange") == b"2"


def test_the_same_accounts_again_register_number_and_queue_nothing() -> None:
    state = InMemoryState()
    submit(state, account(1), account(2))
    before = dict(state.rows)
    again = submit(state, account(2), account(1))
    assert again.effects == [] and again.cases == []
    assert state.rows == before, "no control number taken, no claim rewritten"
    [skipped] = again.events
    assert isinstance(skipped, ClaimsAlreadySubmitted)
    assert skipped.claim_ids == ("RBPG900002", "RBPG900001")
    # One new account among them: only it is billed, in the next interchange.
    third = submit(state, account(1), account(3))
    assert [f.interchange for f in files(third)] == ["000000002"]
    assert [f.claim_ids for f in files(third)] == [("RBPG900003",)]


def test_an_account_that_cannot_be_billed_is_parked_and_the_others_go_on() -> None:
    state = InMemoryState()
    out = submit(state, account(1, coverage=None), account(2, entity="NOWHERE"), account(3))
    assert sorted((c.reason_code, c.case_key) for c in out.cases) == [
        ("UNBILLABLE_ACCOUNT", "claim-unbillable:ACCT-RBPG|900001"),
        ("UNBILLABLE_ACCOUNT", "claim-unbillable:ACCT-RBPG|900002"),
    ]
    assert {c.owning_team for c in out.cases} == {"billing"}
    assert any("no billing provider" in c.summary for c in out.cases)
    assert [f.claim_ids for f in files(out)] == [("RBPG900003",)]


def test_a_line_billed_on_another_claim_is_refused_as_the_register_refuses_it() -> None:
    state = InMemoryState()
    submit(state, account(1))
    # Another account carrying a line already billed, and claim 1 back with a line added.
    stolen = account(2, line_keys=("RBPG|900001/1/1", "RBPG|900002/1/1"))
    grown = account(1, line_keys=("RBPG|900001/1/1", "RBPG|900001/2/1", "RBPG|900001/3/1"))
    twice = account(4, line_keys=("RBPG|900004/1/1",))
    out = submit(state, stolen, grown, twice, twice)
    reasons = sorted((c.case_key, c.summary) for c in out.cases)
    assert [key for key, _ in reasons] == [
        "claim-conflict:RBPG900001",
        "claim-conflict:RBPG900002",
        "claim-conflict:RBPG900004",
    ]
    assert "line RBPG|900001/1/1 billed on RBPG900001" in reasons[1][1]
    assert {c.reason_code for c in out.cases} == {"CLAIM_ALREADY_BILLED"}
    assert [f.claim_ids for f in files(out)] == [("RBPG900004",)]
    assert ClaimRegister(state).billed_claim_of("RBPG|900002/1/1") is None


def test_the_claim_run_message_names_its_accounts_not_its_run() -> None:
    first, key = claim_run_request([account(1), account(2)], "morning")
    _again, same = claim_run_request([account(2), account(1)], "afternoon")
    _other, different = claim_run_request([account(1)], "morning")
    assert key == same != different and key.startswith("claim-run:")
    message = NewMessage(
        channel="claims", raw=first, content_type=CLAIM_RUN_CONTENT_TYPE, sender="rcm",
        received_at=NOW, trace_id="t", dedup_key=key,
    )  # fmt: skip
    envelope = Envelope(message=message)
    decode_claim_run(envelope)
    [event] = envelope.events
    assert isinstance(event, ClaimRunRequested)
    assert event.run_id == "morning" and event.accounts == (account(1), account(2))
    assert event.idempotency_key == key
    broken = Envelope(message=msgspec.structs.replace(message, raw=b'{"run_id": 1}'))
    with pytest.raises(MappingError, match="claim run"):
        decode_claim_run(broken)


def test_acknowledgments_move_the_register_once_and_name_unknown_answers() -> None:
    state = InMemoryState()
    submit(state, account(1), account(2))
    link_key = ClaimRegister(state).claim("RBPG900001").link_key  # type: ignore[union-attr]
    flow = ClaimAcknowledgmentsFlow()
    answers = [
        ClaimTransactionAcknowledged(idempotency_key="999:a", link_key=link_key, status="A"),
        ClaimTransactionAcknowledged(idempotency_key="999:a", link_key=link_key, status="A"),
        ClaimStatusReported(
            idempotency_key="277:r", claim_id="RBPG900002", accepted=False,
            statuses=("A7:562:85",),
        ),
        ClaimStatusReported(
            idempotency_key="277:x", claim_id="ELSEWHERE", accepted=True, statuses=("A1:20:PR",)
        ),
    ]  # fmt: skip
    out = FlowOutput(state=state)
    for answer in answers:
        flow.run(answer, out)
    linked = [e for e in out.events if isinstance(e, ClaimAnswerLinked)]
    assert [(e.answer, e.claims_moved, e.known) for e in linked] == [
        ("999", 2, True),
        ("999", 0, True),
        ("277CA", 1, True),
        ("277CA", 0, False),
    ]
    statuses = {c.claim_id: c.status for c in registered_claims(state.items(StateTable.CLAIMS))}
    assert statuses == {"RBPG900001": "accepted", "RBPG900002": "rejected"}


def test_the_clearinghouse_answers_a_resent_file_once_by_its_idempotency_key(
    tmp_path: Path,
) -> None:
    """What makes an at-least-once delivery exactly-once at the far end: a retried POST."""
    house = Clearinghouse(
        ClearinghouseConfig(inbound=tmp_path / "in", outbound=tmp_path / "out"),
        clock=ManualClock(NOW).now,
    )
    state = InMemoryState()
    out = FlowOutput(state=state)
    ClaimSubmissionFlow(CONFIG, clock=ManualClock(NOW)).run(
        ClaimRunRequested(idempotency_key="r", run_id="r", accounts=(account(1),)), out
    )
    [file] = [e for e in out.effects if e.content_type == X12_CONTENT_TYPE]
    first = house.submit(file.payload, "a.x12", file.idempotency_key)
    again = house.submit(file.payload, "a.x12", file.idempotency_key)
    assert again == first and len(house.adjudicated()) == 1
    assert house.submit(file.payload, "b.x12").submission_id != first.submission_id
