"""When the store cannot commit, the sender hears 503 (retry later), never a 500 or a 2xx."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from careweave.config import parse_settings
from careweave.exceptions import StoreError
from careweave.gateway import build_channel_app
from careweave.model.records import IngestResult, Processing

CHANNEL = parse_settings(
    '[[channels]]\nname = "f"\nformat = "fhir"\nsource = { type = "http", port = 0 }\n'
).channels[0]


class FailingReceiver:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    async def receive(
        self,
        channel: str,
        raw: bytes,
        *,
        content_type: str,
        sender: str = "",
        dedup_key: str | None = None,
    ) -> tuple[IngestResult, Processing]:
        self.calls += 1
        raise self.error


@pytest.mark.parametrize("error", [StoreError("database is locked"), RuntimeError("a bug")])
def test_store_failure_is_503_with_retry_after(error):
    receiver = FailingReceiver(error)
    with TestClient(app=build_channel_app(CHANNEL, receiver)) as client:
        answer = client.post(
            "/fhir/Patient",
            content=b'{"resourceType":"Patient","id":"p1"}',
            headers={"Content-Type": "application/fhir+json"},
        )
    assert receiver.calls == 1
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    issue = answer.json()["issue"][0]
    assert issue["code"] == "transient"
    assert "was not stored" in issue["diagnostics"]


def test_unknown_route_is_an_operation_outcome():
    with TestClient(app=build_channel_app(CHANNEL, FailingReceiver(StoreError()))) as client:
        answer = client.get("/other")
    assert answer.status_code == 404
    assert answer.json()["resourceType"] == "OperationOutcome"
