"""999 and 277CA answers on an x12 channel: rejections become billing work items, acceptances pass.

Real clearinghouse answers from the corpus (imsweb x12-parser test files).
"""

from __future__ import annotations

from pathlib import Path

from careweave.app import build_engine
from careweave.config import parse_settings
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.mappings.x12_decode import X12_CONTENT_TYPE
from careweave.model.records import CaseState, ExceptionCase, MessageState
from tests.conftest import corpus_path

IMSWEB = ("x12", "imsweb-x12-parser")

SETTINGS = """
[[channels]]
name = "clearinghouse"
format = "x12"
mapping = "x12-claim-status"
flows = ["claim-rejections"]
source = { type = "mllp", port = 0 }
"""


async def receive_all(
    tmp_path: Path, files: list[bytes]
) -> tuple[list[MessageState], list[ExceptionCase]]:
    store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
    await store.open()
    engine = build_engine(parse_settings(SETTINGS), store, middleware=[])
    states = []
    for n, raw in enumerate(files):
        _result, processing = await engine.receive(
            "clearinghouse", raw, content_type=X12_CONTENT_TYPE, dedup_key=f"file-{n}"
        )
        states.append(processing.state)
    cases = await store.list_cases(state=CaseState.OPEN)
    await store.close()
    return states, cases


async def test_a_rejected_claim_opens_one_case_for_billing(tmp_path: Path) -> None:
    rejected = corpus_path(*IMSWEB, "277_5010", "x12_277CA_rejected.txt").read_bytes()
    accepted = corpus_path(*IMSWEB, "277_5010", "x12_277CA_accepted.txt").read_bytes()
    # The rejection received twice (two file names) still opens one case.
    states, cases = await receive_all(tmp_path, [rejected, accepted, rejected])
    assert states == [MessageState.PARKED, MessageState.PROCESSED, MessageState.PARKED]
    [case] = cases
    assert case.reason_code == "CLAIM_REJECTED"
    assert case.owning_team == "billing"
    assert case.case_key == "claim-rejected:3920394930203"
    assert list(case.details) == ["STC A7:562:85"]
    assert len(case.message_ids) == 2


async def test_a_rejected_837_transaction_set_opens_a_case(tmp_path: Path) -> None:
    rejected = corpus_path(*IMSWEB, "837_5010", "x12_999_rejected.txt").read_bytes()
    accepted = corpus_path(*IMSWEB, "837_5010", "x12_999_accepted.txt").read_bytes()
    states, cases = await receive_all(tmp_path, [accepted, rejected])
    assert states == [MessageState.PROCESSED, MessageState.PARKED]
    assert [c.reason_code for c in cases] == ["TRANSACTION_REJECTED"]
    assert cases[0].case_key.startswith("837-rejected:")
    assert cases[0].details, "the 999's error codes are kept on the case"
