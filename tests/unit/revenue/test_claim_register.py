"""The claim register as business state: a line on one claim only, answers applied once."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from careweave.exceptions import ValidationError
from careweave.flows.claim_register import (
    ClaimRegister,
    RegisteredClaim,
    RegisteredLine,
    registered_claims,
)
from careweave.model.state import InMemoryState, StateOverlay, StateTable


def claim(claim_id: str, *line_keys: str, link_key: str = "1/0001") -> RegisteredClaim:
    return RegisteredClaim(
        claim_id=claim_id, account_id=f"ACCT-{claim_id}", encounter_id=f"E|{claim_id}",
        entity="RBPG04", kind="professional", payer_id="60054",
        total=Decimal("185.00") * len(line_keys), file_name="RBPG04-837P-000000001.x12",
        link_key=link_key,
        lines=tuple(
            RegisteredLine(line_number=n, line_key=key, procedure_code="99214",
                           amount=Decimal("185.00"))
            for n, key in enumerate(line_keys, start=1)
        ),
    )  # fmt: skip


def test_claims_and_lines_are_recorded_and_read_back_by_a_new_register() -> None:
    state = InMemoryState()
    ClaimRegister(state).record([claim("C1", "E1/1/1", "E1/2/1"), claim("C2", "E2/1/1")])
    register = ClaimRegister(state)
    assert register.claim("C1") == claim("C1", "E1/1/1", "E1/2/1")
    assert register.billed_claim_of("E1/2/1") == "C1"
    assert register.billed_claim_of("E9/1/1") is None
    transaction = register.transaction("1/0001")
    assert transaction is not None and transaction.claim_ids == ("C1", "C2")
    rows = list(state.items(StateTable.CLAIMS))
    assert [c.claim_id for c in registered_claims(rows)] == ["C1", "C2"]


@pytest.mark.parametrize(
    ("batch", "problem"),
    [
        ([claim("C9", "E1/1/1")], "line E1/1/1 is already billed on claim C1"),
        ([claim("C1", "E5/1/1")], "claim C1 is already registered"),
        ([claim("C7", "E7/1/1"), claim("C8", "E7/1/1")], "line E7/1/1 is twice in the batch"),
        ([claim("C7", "E7/1/1"), claim("C7", "E8/1/1")], "claim C7 is twice in the batch"),
    ],
)
def test_a_second_claim_for_a_line_is_refused_and_nothing_of_the_batch_is_kept(
    batch: list[RegisteredClaim], problem: str
) -> None:
    state = InMemoryState()
    ClaimRegister(state).record([claim("C1", "E1/1/1")])
    before = dict(state.rows)
    with pytest.raises(ValidationError, match="refused") as refused:
        ClaimRegister(state).record([claim("C6", "E6/1/1"), *batch])
    assert problem in str(refused.value)
    assert state.rows == before


def test_a_999_moves_the_claims_of_its_transaction_set_once() -> None:
    state = InMemoryState()
    register = ClaimRegister(state)
    register.record(
        [claim("C1", "E1/1/1"), claim("C2", "E2/1/1"), claim("C3", "E3/1/1", link_key="1/0002")]
    )
    assert register.link_transaction("1/0001", "A") == 2
    assert register.link_transaction("1/0001", "A") == 0
    assert register.link_transaction("9/9999", "A") == 0
    assert register.link_transaction("1/0002", "R", "999 R IK5") == 1
    statuses = {
        c.claim_id: (c.status, c.status_detail)
        for c in registered_claims(state.items(StateTable.CLAIMS))
    }
    assert statuses == {
        "C1": ("accepted", "999 A"), "C2": ("accepted", "999 A"), "C3": ("rejected", "999 R IK5"),
    }  # fmt: skip
    transaction = register.transaction("1/0002")
    assert transaction is not None and transaction.status == "rejected"


def test_a_277ca_answer_stands_over_a_later_999_and_an_unknown_claim_is_said() -> None:
    state = InMemoryState()
    register = ClaimRegister(state)
    register.record([claim("C1", "E1/1/1")])
    assert register.link_claim_status("C1", True, "277CA A1:20")
    after_277 = dict(state.rows)
    assert register.link_claim_status("C1", True, "277CA A1:20")
    assert state.rows == after_277, "the same answer again rewrites nothing"
    assert register.link_transaction("1/0001", "A") == 0
    found = register.claim("C1")
    assert found is not None and found.status == "acknowledged"
    assert not register.link_claim_status("NOPE", False, "277CA A7:562")


def test_an_uncommitted_record_is_seen_in_its_transaction_only() -> None:
    committed = InMemoryState()
    overlay = StateOverlay(committed.get)
    ClaimRegister(overlay).record([claim("C1", "E1/1/1")])
    assert ClaimRegister(committed).claim("C1") is None
    assert ClaimRegister(overlay).refusal(claim("C2", "E1/1/1")) == (
        "line E1/1/1 is already billed on claim C1"
    )
    committed.apply(overlay.changes())
    stored = ClaimRegister(committed).claim("C1")
    assert stored is not None and msgspec.json.encode(stored) == msgspec.json.encode(
        claim("C1", "E1/1/1")
    )
