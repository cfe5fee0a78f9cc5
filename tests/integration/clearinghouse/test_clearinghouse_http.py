"""The clearinghouse simulator on a real port: POST /837, the drop directory, GET /999 /277 /835."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from careweave.codecs.x12 import parse_277, parse_999, parse_remittances
from careweave.sandbox.clearinghouse import (
    AdjudicatedClaim,
    ClearinghouseSimulator,
    OutboundFile,
    SubmissionReceipt,
)
from careweave.sandbox.rcm import SimulatorServer
from tests.integration.clearinghouse.claim_builder import (
    SettableClock,
    claim,
    make_clearinghouse,
    x12_837,
)


class Running(msgspec.Struct):
    client: httpx.Client
    clock: SettableClock
    root: Path


@pytest.fixture
def house(tmp_path: Path) -> Iterator[Running]:
    clearinghouse, clock = make_clearinghouse(tmp_path)
    simulator = ClearinghouseSimulator(clearinghouse, poll_interval=0.05)
    with (
        SimulatorServer(simulator.app, name="clearinghouse") as server,
        httpx.Client(base_url=server.base_url, timeout=10) as client,
    ):
        yield Running(client, clock, tmp_path)


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _files(house: Running, kind: str) -> list[OutboundFile]:
    response = house.client.get(f"/{kind}")
    assert response.status_code == 200
    return msgspec.json.decode(response.content, type=list[OutboundFile])


def _post(house: Running, body: str | bytes) -> SubmissionReceipt:
    response = house.client.post("/837", content=body, headers={
        "Content-Type": "application/edi-x12", "X-Filename": "day1.837"})  # fmt: skip
    assert response.status_code == 201, response.text
    return msgspec.json.decode(response.content, type=SubmissionReceipt)


def test_post_837_answers_999_and_277_then_835_on_the_payment_date(house: Running) -> None:
    receipt = _post(house, x12_837(claim("C1"), claim("C2", ("99214", "200.00"), member="M2")))
    assert receipt.accepted and receipt.claims_accepted == 2
    (ack,) = parse_999(house.client.get(f"/999/{receipt.ack_999}").text)
    assert ack.status == "A"
    (status,) = parse_277(house.client.get(f"/277/{receipt.status_277}").text)
    assert sorted(e.link_key for e in status.claims()) == ["C1", "C2"]
    assert _files(house, "835") == []
    assert house.client.get("/835/CHK0010000001.835").status_code == 404
    house.clock.advance(30)
    released = _files(house, "835")
    assert released and all(f.released >= dt.date(2026, 3, 23) for f in released)
    paid = {c.id for f in released
            for a in parse_remittances(house.client.get(f"/835/{f.name}").content)
            for c in a.claims}  # fmt: skip
    assert paid == {"C1", "C2"}
    since = max(f.sequence for f in _files(house, "277"))
    later = house.client.get("/835", params={"since": since}).json()
    assert [f["name"] for f in later] == [f.name for f in released]


def test_the_drop_directory_is_watched_while_serving(house: Running) -> None:
    inbound = house.root / "inbound"
    staging = inbound / ".batch.837.tmp"
    staging.write_text(x12_837(claim("D1")))
    staging.rename(inbound / "batch.837")  # rename: the watcher never sees half a file
    _wait(lambda: len(_files(house, "999")) == 1, "the 999 of the dropped file")
    _wait(lambda: not (inbound / "batch.837").exists(), "the file to move to processed/")
    assert (house.root / "outbound" / "SUB000001.277").exists()


def test_authorizations_over_http_change_the_adjudication(house: Running) -> None:
    _post(house, x12_837(claim("NOAUTH", ("93458", "2500.00"))))
    authorization = {"payer_id": "60054", "member_id": "M100", "procedure_code": "93458",
                     "number": "A-1", "start": "2026-03-01", "end": "2026-03-31"}  # fmt: skip
    assert house.client.post("/authorizations", json=authorization).status_code == 201
    _post(house, x12_837(claim("AUTHED", ("93458", "2600.00")), start=10))
    decided = msgspec.json.decode(house.client.get("/admin/claims").content,
                                  type=list[AdjudicatedClaim])  # fmt: skip
    by_id = {c.claim_id: c for c in decided}
    assert by_id["NOAUTH"].lines[0].adjustments[0][:2] == ("CO", "197")
    assert by_id["AUTHED"].lines[0].allowed > 0


def test_non_x12_is_a_rejection_not_a_server_error(house: Running) -> None:
    receipt = _post(house, b"\x00\x01 definitely not X12")
    assert not receipt.accepted and receipt.status_277 == ""
    assert "TA1*" in house.client.get(f"/999/{receipt.ack_999}").text


def test_inbound_837s_are_kept_as_they_arrived_once_each(house: Running) -> None:
    first = x12_837(claim("K1"))
    headers = {"Content-Type": "application/edi-x12", "X-Filename": "day1.837",
               "Idempotency-Key": "837:RBH837:1"}  # fmt: skip
    for _ in range(2):  # a retry after a lost answer is the same submission
        assert house.client.post("/837", content=first, headers=headers).status_code == 201
    second = _post(house, x12_837(claim("K2"), start=5))
    kept = house.client.get("/837").json()
    assert [(f["name"], f["filename"], f["sequence"]) for f in kept] == [
        ("SUB000001.837", "day1.837", 1), (f"{second.submission_id}.837", "day1.837", 2),
    ]  # fmt: skip
    assert house.client.get("/837/SUB000001.837").content == first.encode()
    assert house.client.get("/837/SUB999999.837").status_code == 404
