"""837P / 837I generation: pyx12 validates the output with zero errors; control numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from careweave.codecs.x12.claim_writer import write_claims
from careweave.codecs.x12.control import InMemoryControlNumbers, StateControlNumbers
from careweave.codecs.x12.document import read_document
from careweave.codecs.x12.emitter import EnvelopeConfig
from careweave.codecs.x12.guide_validation import validate_against_guides
from careweave.codecs.x12.validation import validate_interchange
from careweave.exceptions import X12Error
from careweave.model.state import InMemoryState, StateTable
from tests.unit.x12.claim_fixtures import make_submission
from tests.unit.x12.pyx12_oracle import pyx12_errors

CREATED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
CONFIG = EnvelopeConfig("CW0001", "CH0001")


@pytest.fixture(scope="module", params=["professional", "institutional"])
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    kind = request.param
    text = write_claims(make_submission(50, kind == "institutional"), kind, CONFIG,
                        InMemoryControlNumbers(), CREATED)  # fmt: skip
    path: Path = tmp_path_factory.mktemp("x12") / f"{kind}.837"
    path.write_text(text)
    return kind, text, path


def test_pyx12_finds_zero_errors(generated) -> None:
    _, _, path = generated
    assert pyx12_errors(path) == []


def test_careweave_validator_accepts_its_own_claims(generated) -> None:
    _, text, _ = generated
    report = validate_interchange(text)
    assert report.problems == []
    assert report.accepted
    guided = validate_against_guides(text)
    assert guided.errors == []
    assert guided.valid and len(guided.transaction_sets) == 5


def test_claims_spread_over_several_transactions(generated) -> None:
    kind, text, _ = generated
    document = read_document(text)
    transactions = document.of_type("837")
    assert len(transactions) == 5  # 50 claims, 12 per transaction
    assert len({p.transaction.control_number for p in transactions}) == 5
    claims = [loop for p in transactions for loop in p.tree.walk() if loop.id == "2300"]
    assert len(claims) == 50
    line_segment = "SV1" if kind == "professional" else "SV2"
    lines = [s for p in transactions for s in p.transaction.segments if s.id == line_segment]
    assert len(lines) == sum(1 + i % 4 for i in range(50))
    assert any(s.id == "LIN" for p in transactions for s in p.transaction.segments)
    assert sum(1 for p in transactions for loop in p.tree.walk() if loop.id == "2000C") == 10


def test_claim_total_is_the_sum_of_its_lines() -> None:
    submission = make_submission(3, institutional=False)
    text = write_claims(submission, "professional", CONFIG, InMemoryControlNumbers(), CREATED)
    clm = [line.split("*") for line in text.splitlines() if line.startswith("CLM*")]
    for fields, claim in zip(clm, submission.claims, strict=True):
        assert fields[1] == claim.claim_id
        assert fields[2] == format(claim.total_charge.normalize(), "f").rstrip("0").rstrip(".")


def test_empty_submission_is_refused() -> None:
    submission = make_submission(1, institutional=False)
    empty = type(submission)(submission.submitter, submission.receiver,
                             submission.billing_provider, ())  # fmt: skip
    with pytest.raises(X12Error, match="at least one claim"):
        write_claims(empty, "professional", CONFIG, InMemoryControlNumbers(), CREATED)


def test_delimiter_inside_a_value_is_refused() -> None:
    submission = make_submission(1, institutional=False)
    provider = msgspec.structs.replace(submission.billing_provider, name="A*B")
    bad = msgspec.structs.replace(submission, billing_provider=provider)
    with pytest.raises(X12Error, match="delimiter"):
        write_claims(bad, "professional", CONFIG, InMemoryControlNumbers(), CREATED)


def test_in_memory_control_numbers_are_unique_per_counter() -> None:
    numbers = InMemoryControlNumbers()
    assert [numbers.next("interchange") for _ in range(3)] == [1, 2, 3]
    assert numbers.next("group") == 1


def test_control_numbers_in_business_state_continue_across_sources_per_sender() -> None:
    state = InMemoryState()
    first = StateControlNumbers(state, "CW0001")
    text = write_claims(make_submission(2, False), "professional", CONFIG, first, CREATED)
    # A new source over the same state (a restart, another process) continues after them.
    second = StateControlNumbers(state, "CW0001")
    again = write_claims(make_submission(2, False), "professional", CONFIG, second, CREATED)
    isa13 = [t.split("*")[13] for t in (text, again)]
    assert isa13 == ["000000001", "000000002"]
    assert StateControlNumbers(state, "OTHER").next("interchange") == 1
    assert state.get(StateTable.CONTROL_NUMBERS, "CW0001|interchange") == b"2"
    state.put(StateTable.CONTROL_NUMBERS, "CW0001|group", b"999999999")
    assert second.next("group") == 1
