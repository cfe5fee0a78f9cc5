"""The API's identity, throttling, limits and writes, against a real server on loopback."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from tests.integration.api.site import CLIENTS, Site, start_site, stop_site

FHIR_PATIENT = b'{"resourceType": "Patient", "id": "p1", "name": [{"family": "Testperson"}]}'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    served = start_site(tmp_path_factory.mktemp("api"))
    try:
        yield served
    finally:
        stop_site(served)


def token_request(site: Site, **form: str) -> httpx.Response:
    return httpx.post(f"{site.base_url}/v1/oauth/token", data=form, timeout=30)


def test_a_token_is_an_es256_jwt_the_published_keys_verify(site: Site) -> None:
    client = CLIENTS["finance"]
    answer = token_request(
        site, grant_type="client_credentials", client_id=client, client_secret=f"secret-of-{client}"
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert set(body["scope"].split()) == {
        "messages:read",
        "cases:read",
        "masterdata:read",
        "catalog:read",
    }
    assert answer.headers["cache-control"] == "no-store"
    keys = jwt.PyJWKClient(f"{site.base_url}/.well-known/jwks.json")
    key = keys.get_signing_key_from_jwt(body["access_token"])
    claims = jwt.decode(body["access_token"], key.key, algorithms=["ES256"], audience="careweave")
    assert claims["sub"] == client
    assert claims["iss"] == "careweave"
    assert claims["exp"] - claims["iat"] == 300
    assert jwt.get_unverified_header(body["access_token"])["kid"] == key.key_id
    same = httpx.get(f"{site.base_url}/v1/oauth/jwks", timeout=30).json()
    assert [k["kid"] for k in same["keys"]] == [key.key_id]


def test_token_requests_that_are_refused(site: Site) -> None:
    client = CLIENTS["finance"]
    wrong = token_request(
        site, grant_type="client_credentials", client_id=client, client_secret="guess"
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    unknown = token_request(
        site, grant_type="client_credentials", client_id="nobody", client_secret="x"
    )
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_client")
    beyond = token_request(
        site, grant_type="client_credentials", client_id=client,
        client_secret=f"secret-of-{client}", scope="messages:read phi:read",
    )  # fmt: skip
    assert (beyond.status_code, beyond.json()["error"]) == (400, "invalid_scope")
    assert "phi:read" in beyond.json()["error_description"]
    grant = token_request(site, grant_type="password", client_id=client, client_secret="x")
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")


def test_client_credentials_by_http_basic(site: Site) -> None:
    client = CLIENTS["read-only"]
    basic = base64.b64encode(f"{client}:secret-of-{client}".encode()).decode()
    answer = httpx.post(
        f"{site.base_url}/v1/oauth/token",
        data={"grant_type": "client_credentials", "scope": "cases:read"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.json()["scope"] == "cases:read"


def test_a_body_over_the_limit_is_413(site: Site) -> None:
    records = [{"id": str(n), "family": "X" * 100} for n in range(1000)]
    answer = httpx.post(
        f"{site.base_url}/v1/patients/match",
        json={"records": records},
        headers=site.headers("integration-admin"),
        timeout=30,
    )
    assert answer.status_code == 413


def test_the_fhir_source_sits_behind_the_same_authentication(site: Site) -> None:
    headers = {"content-type": "application/fhir+json"}
    none = httpx.post(f"{site.fhir_url}/Patient", content=FHIR_PATIENT, headers=headers)
    assert none.status_code == 401
    assert none.json()["resourceType"] == "OperationOutcome"
    finance = httpx.post(
        f"{site.fhir_url}/Patient", content=FHIR_PATIENT, headers=headers | site.headers("finance")
    )
    assert finance.status_code == 403
    admin = httpx.post(
        f"{site.fhir_url}/Patient",
        content=FHIR_PATIENT,
        headers=headers | site.headers("integration-admin"),
    )
    assert admin.status_code == 201, admin.text
    metadata = httpx.get(f"{site.fhir_url}/metadata")
    assert metadata.status_code == 200
    assert metadata.json()["resourceType"] == "CapabilityStatement"


def test_case_work_and_replays_are_done_and_audited_with_the_client_as_actor(site: Site) -> None:
    case_id = site.seeded.case_id
    base, admin = site.base_url, site.headers("supply-chain")
    assigned = httpx.post(f"{base}/v1/cases/{case_id}/assign", json={"assignee": "pat"},
                          headers=admin, timeout=30)  # fmt: skip
    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == "pat"
    commented = httpx.post(f"{base}/v1/cases/{case_id}/comments", json={"text": "on it"},
                           headers=admin, timeout=30)  # fmt: skip
    assert commented.status_code == 201
    assert [e["detail"] for e in commented.json()["audit"] if e["action"] == "comment"] == ["on it"]
    replayed = httpx.post(f"{base}/v1/messages/{site.seeded.message_id}/replay",
                          json={"reason": "check"}, headers=admin, timeout=30)  # fmt: skip
    assert replayed.status_code == 202
    lineage = httpx.get(f"{base}/v1/messages/{site.seeded.message_id}", headers=admin,
                        timeout=30).json()  # fmt: skip
    assert [r["reason"] for r in lineage["replays"]] == ["check"]
    redelivered = httpx.post(f"{base}/v1/deadletters/archive/replay", json={"reason": "x"},
                             headers=admin, timeout=30)  # fmt: skip
    assert (redelivered.status_code, redelivered.json()) == (202, {"queued": 0})
    nowhere = httpx.post(f"{base}/v1/deadletters/nowhere/replay", json={"reason": "x"},
                         headers=admin, timeout=30)  # fmt: skip
    assert nowhere.status_code == 404
    missing = httpx.post(f"{base}/v1/cases/999999/comments", json={"text": "x"},
                         headers=admin, timeout=30)  # fmt: skip
    assert missing.status_code == 404
    audit = httpx.get(f"{base}/v1/audit", headers=site.headers("auditor"), timeout=30).json()
    mine = [(e["action"], e["subject"]) for e in audit if e["actor"] == "supply-chain-client"]
    assert ("case.assign", f"case:{case_id}") in mine
    assert ("case.comment", f"case:{case_id}") in mine
    assert ("message.replay", f"message:{site.seeded.message_id}") in mine
    assert ("message.replay", "destination:archive") in mine


def test_a_crosswalk_fix_saves_the_file_and_resolves_the_case(site: Site, tmp_path: Path) -> None:
    base = site.base_url
    unknown = httpx.post(f"{base}/v1/crosswalk", json={"code": "EHR-4471", "item_number": "nope"},
                         headers=site.headers("supply-chain"), timeout=30)  # fmt: skip
    assert unknown.status_code == 409
    fixed = httpx.post(f"{base}/v1/crosswalk",
                       json={"code": "EHR-4471", "item_number": "IT-10400"},
                       headers=site.headers("supply-chain"), timeout=30)  # fmt: skip
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["case_ids"] == [site.seeded.case_id]
    listed = httpx.get(f"{base}/v1/crosswalk", params={"code": "EHR-4471"},
                       headers=site.headers("finance"), timeout=30).json()  # fmt: skip
    assert [e["item_number"] for e in listed] == ["IT-10400"]
    crosswalk_file = site.application.masterdata.crosswalk_file  # type: ignore[union-attr]
    assert "EHR-4471" in crosswalk_file.path.read_text()  # type: ignore[union-attr]
    case = httpx.get(f"{base}/v1/cases/{site.seeded.case_id}", headers=site.headers("finance"),
                     timeout=30).json()  # fmt: skip
    assert case["state"] == "resolved"
    audit = httpx.get(f"{base}/v1/audit", headers=site.headers("auditor"), timeout=30).json()
    changes = [e for e in audit if e["action"] == "crosswalk.change"]
    assert [(e["actor"], e["subject"]) for e in changes] == [
        ("supply-chain-client", "crosswalk:ehr:EHR-4471")
    ]
    assert ("case.resolve", "supply-chain-client") in {(e["action"], e["actor"]) for e in audit}


def test_throttling_per_client_and_route(tmp_path: Path) -> None:
    site = start_site(tmp_path, rate=0.001, burst=3)
    try:
        headers = site.headers("read-only")
        for _ in range(3):
            assert httpx.get(f"{site.base_url}/v1/items", headers=headers).status_code == 200
        refused = httpx.get(f"{site.base_url}/v1/items", headers=headers)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        other_route = httpx.get(f"{site.base_url}/v1/payers", headers=headers)
        assert other_route.status_code == 200
        other_client = httpx.get(f"{site.base_url}/v1/items", headers=site.headers("finance"))
        assert other_client.status_code == 200
    finally:
        stop_site(site)
