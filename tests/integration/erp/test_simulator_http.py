"""The simulated ERP over real HTTP: OAuth2, rate limit, idempotency, versions, faults."""

import subprocess
import sys
import time

import httpx
import pytest

from careweave.sandbox.erp import ErpSimulatorConfig, FaultConfig, seed_demo_books
from tests.integration.erp.conftest import ManualClock

CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "careweave",
    "client_secret": "careweave-secret",
}
JOURNAL_V1 = {
    "external_id": "E1",
    "entity": "10",
    "posting_date": "2026-11-27",
    "lines": [
        {"account": "10-4010-61000-CARD", "debit": "100.00"},
        {"account": "10-8400-14000", "credit": "100.00"},
    ],
}


def bearer(client: httpx.Client) -> dict[str, str]:
    token = client.post("/oauth/token", data=CREDENTIALS).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_token_endpoint_checks_credentials_and_grant(serve_erp):
    server = serve_erp()
    with httpx.Client(base_url=server.base_url) as client:
        good = client.post("/oauth/token", data=CREDENTIALS)
        assert good.status_code == 200
        assert good.json()["token_type"] == "Bearer" and good.json()["expires_in"] == 60
        bad = client.post("/oauth/token", data={**CREDENTIALS, "client_secret": "nope"})
        assert (bad.status_code, bad.json()) == (401, {"error": "invalid_client"})
        grant = client.post("/oauth/token", data={**CREDENTIALS, "grant_type": "password"})
        assert grant.json() == {"error": "unsupported_grant_type"}
        basic = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("careweave", "careweave-secret"),
        )
        assert basic.status_code == 200
        assert client.get("/api/v2/items").status_code == 401


def test_expired_token_is_refused_with_a_bearer_challenge(serve_erp):
    clock = ManualClock()
    server = serve_erp(ErpSimulatorConfig(token_ttl=30), clock=clock)
    with httpx.Client(base_url=server.base_url) as client:
        headers = bearer(client)
        assert client.get("/api/v2/items", headers=headers).status_code == 200
        clock.now += 31
        refused = client.get("/api/v2/items", headers=headers)
    assert refused.status_code == 401
    challenge = refused.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
    assert "expired" in challenge


def test_rate_limit_answers_429_with_retry_after(serve_erp):
    clock = ManualClock()
    server = serve_erp(ErpSimulatorConfig(rate_limit=2, rate_burst=3), clock=clock)
    with httpx.Client(base_url=server.base_url) as client:
        headers = bearer(client)
        statuses = [client.get("/api/v2/items", headers=headers).status_code for _ in range(4)]
        limited = client.get("/api/v2/items", headers=headers)
        clock.now += 0.5
        after_wait = client.get("/api/v2/items", headers=headers)
    assert statuses == [200, 200, 200, 429]
    assert limited.headers["retry-after"] == "1"
    assert after_wait.status_code == 200
    assert server.simulator.gateway.counters.rate_limited == 2


def test_idempotency_key_replays_the_first_answer_and_creates_nothing(serve_erp):
    server = serve_erp()
    with httpx.Client(base_url=server.base_url) as client:
        headers = {**bearer(client), "Idempotency-Key": "journal-E1"}
        first = client.post("/api/v1/journals", json=JOURNAL_V1, headers=headers)
        second = client.post("/api/v1/journals", json=JOURNAL_V1, headers=headers)
        changed = {**JOURNAL_V1, "description": "something else"}
        reused = client.post("/api/v1/journals", json=changed, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert reused.status_code == 422 and "another payload" in reused.json()["detail"]
    assert len(server.simulator.state.journals()) == 1


def test_unbalanced_journal_is_422_and_bulk_reports_each_entry(serve_erp):
    server = serve_erp()
    unbalanced = {
        **JOURNAL_V1,
        "lines": [JOURNAL_V1["lines"][0], {"account": "10-1-2", "credit": "1"}],
    }
    with httpx.Client(base_url=server.base_url) as client:
        headers = bearer(client)
        refused = client.post("/api/v1/journals", json=unbalanced, headers=headers)
        entries = [
            {"journal": JOURNAL_V1, "idempotency_key": "a"},
            {"journal": unbalanced, "idempotency_key": "b"},
            {"journal": JOURNAL_V1, "idempotency_key": "a"},
        ]
        bulk = client.post("/api/v1/journals/bulk", json={"journals": entries}, headers=headers)
    assert refused.status_code == 422
    assert "unbalanced: debits 100.00, credits 1" in refused.json()["detail"]
    results = bulk.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 200]
    assert results[2]["replayed"] is True and results[2]["id"] == results[0]["id"]
    assert len(server.simulator.state.journals()) == 1


def test_v1_is_deprecated_and_differs_from_v2_only_in_the_restructured_fields(serve_erp):
    server = serve_erp()
    seed_demo_books(server.simulator.state)
    with httpx.Client(base_url=server.base_url) as client:
        headers = bearer(client)
        v1 = client.get("/api/v1/items/STENT-DES-3015", headers=headers)
        v2 = client.get("/api/v2/items/STENT-DES-3015", headers=headers)
        client.post("/api/v1/journals", json=JOURNAL_V1, headers=headers)
        v1_journals = client.get("/api/v1/journals", headers=headers).json()
        v2_journals = client.get("/api/v2/journals", headers=headers).json()
    assert v1.headers["deprecation"] and v1.headers["sunset"]
    assert 'rel="successor-version"' in v1.headers["link"]
    assert "deprecation" not in v2.headers
    one, two = v1.json(), v2.json()
    assert one.pop("uom") == two.pop("unit_of_measure")["code"] == "EA"
    assert one == two
    assert v1_journals[0]["lines"][0]["account"] == "10-4010-61000-CARD-000"
    assert v2_journals[0]["lines"][0]["segments"]["service_line"] == "CARD"


def test_503_bursts_follow_the_seed(serve_erp):
    faults = FaultConfig(seed=3, burst_probability=0.3, burst_length=2, burst_retry_after=1)
    patterns = []
    for _ in range(2):
        server = serve_erp(ErpSimulatorConfig(faults=faults))
        with httpx.Client(base_url=server.base_url) as client:
            headers = bearer(client)
            answers = [client.get("/api/v2/locations", headers=headers) for _ in range(12)]
        patterns.append([a.status_code for a in answers])
        assert all(a.headers["retry-after"] == "1" for a in answers if a.status_code == 503)
    assert patterns[0] == patterns[1]
    assert 503 in patterns[0] and 200 in patterns[0]


def test_admin_state_counts_records(serve_erp):
    server = serve_erp()
    seed_demo_books(server.simulator.state)
    with httpx.Client(base_url=server.base_url) as client:
        state = client.get("/admin/state").json()
        client.post("/admin/revoke-tokens")
    assert state["records"]["items"] == 4
    assert state["records"]["locations"] == 6
    assert state["records"]["inventory_transactions"] == 12


def test_command_line_serves_on_the_given_port(unused_tcp_port):
    process = subprocess.Popen(
        [sys.executable, "-m", "careweave.sandbox.erp", "--port", str(unused_tcp_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        answer = None
        while time.monotonic() < deadline and answer is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{unused_tcp_port}/admin/state", timeout=1)
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200
        assert answer.json()["records"]["items"] == 4
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
