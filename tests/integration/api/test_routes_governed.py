"""Acceptance 1: every route of the API, read from its own OpenAPI document, is governed.

For each operation: no token is 401, a token lacking any one of the scopes the operation states
is 403 (and so is the client without a role), the finance role sees PHI masked wherever it can
read, a ``phi:read`` token sees it. The server is real: uvicorn on a loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from careweave.gateway.api.masking import MASK
from careweave.gateway.api.scopes import ROLE_SCOPES, Scope
from tests.integration.api.site import MRN, PATIENT_NAME, Site, start_site, stop_site

PUBLIC = {
    ("post", "/v1/oauth/token"),
    ("get", "/v1/oauth/jwks"),
    ("get", "/.well-known/jwks.json"),
}
"""The only operations that need no token (getting one, and the keys that verify it)."""
PHI_VALUES = (PATIENT_NAME, MRN, "19480311", "19481399", "WALNUT")
"""What the seeded messages say about the patient: name, MRN, birth dates, street."""
BODIES: dict[str, dict[str, Any]] = {
    "/v1/messages/{message_id}/replay": {"reason": "test"},
    "/v1/deadletters/{destination}/replay": {"reason": "test"},
    "/v1/cases/{case_id}/assign": {"assignee": "pat"},
    "/v1/cases/{case_id}/comments": {"text": "looked at it"},
    "/v1/cases/{case_id}/resolve": {"resolution": "fixed"},
    "/v1/cases/{case_id}/discard": {"reason": "not wanted"},
    "/v1/crosswalk": {"code": "EHR-4471", "item_number": "nope"},
    "/v1/patients/match": {"records": [{"id": "a", "family": "X"}, {"id": "b", "family": "X"}]},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    served = start_site(tmp_path_factory.mktemp("api"))
    try:
        yield served
    finally:
        stop_site(served)


def operations(site: Site) -> list[tuple[str, str, list[str] | None]]:
    """(method, path template, scopes or None when public) of every operation in the document."""
    document = httpx.get(f"{site.base_url}/schema/openapi.json", timeout=30).json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            security = operation.get("security")
            scopes = (
                sorted({s for req in security for s in req.get("oauth2", [])}) if security else None
            )
            found.append((method, path, scopes))
    return found


def url(site: Site, path: str) -> str:
    seeded = site.seeded
    message = seeded.parked_message_id if "/cases/" in path else seeded.message_id
    filled = (
        path.replace("{message_id}", str(message))
        .replace("{case_id}", str(seeded.case_id))
        .replace("{destination}", "archive")
    )
    return site.base_url + filled


def call(site: Site, method: str, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    body = BODIES.get(path)
    return httpx.request(method, url(site, path), headers=headers, json=body, timeout=30)


def test_the_document_lists_every_api_and_only_the_token_routes_are_public(site: Site) -> None:
    ops = operations(site)
    public = {(m, p) for m, p, scopes in ops if scopes is None}
    assert public == PUBLIC
    paths = {p for _m, p, _s in ops}
    for expected in ("/v1/messages/{message_id}", "/v1/deadletters", "/v1/cases/{case_id}/resolve",
                     "/v1/crosswalk", "/v1/patients/match", "/v1/system/connectors",
                     "/v1/providers", "/v1/payers", "/v1/locations", "/v1/cost-centers"):  # fmt: skip
        assert expected in paths
    assert "/metrics" not in paths


def test_every_route_without_a_token_is_401(site: Site) -> None:
    for method, path, scopes in operations(site):
        if scopes is None:
            continue
        answer = call(site, method, path, None)
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer")
        garbage = call(site, method, path, "not.a.token")
        assert garbage.status_code == 401, (method, path, garbage.text)


def test_every_route_refuses_a_token_lacking_any_of_its_scopes(site: Site) -> None:
    everything = {str(s) for s in Scope}
    for method, path, scopes in operations(site):
        if scopes is None:
            continue
        assert scopes, f"{method} {path} states no scope"
        for missing in scopes:
            narrowed = " ".join(sorted(everything - {missing}))
            token = site.token("integration-admin", scope=narrowed)
            answer = call(site, method, path, token)
            assert answer.status_code == 403, (method, path, missing, answer.text)
            assert missing in answer.json()["detail"]
        answer = call(site, method, path, site.token(None))
        assert answer.status_code == 403, (method, path, answer.text)


def test_finance_reads_every_route_it_may_with_phi_masked(site: Site) -> None:
    finance = {str(s) for s in ROLE_SCOPES["finance"]}
    read = 0
    for method, path, scopes in operations(site):
        if method != "get" or scopes is None or not set(scopes) <= finance:
            continue
        answer = call(site, method, path, site.token("finance"))
        assert answer.status_code == 200, (path, answer.text)
        for value in PHI_VALUES:
            assert value not in answer.text, (path, value)
        read += 1
    assert read >= 10
    lineage = call(site, "get", "/v1/messages/{message_id}", site.token("finance")).json()
    assert lineage["raw"] == MASK
    assert lineage["message"]["ordering_key"] == MASK
    assert all(e["payload"] == MASK for e in lineage["events"])
    failed = httpx.get(
        f"{site.base_url}/v1/messages",
        params={"state": "error"},
        headers=site.headers("finance"),
        timeout=30,
    ).json()
    assert failed and all(m["error"] == MASK for m in failed)


def test_a_phi_read_token_sees_the_phi_and_the_read_is_audited(site: Site) -> None:
    admin = site.token("integration-admin")
    lineage = call(site, "get", "/v1/messages/{message_id}", admin)
    assert PATIENT_NAME in lineage.json()["raw"]
    assert lineage.json()["message"]["ordering_key"] == MRN
    payload = call(site, "get", "/v1/cases/{case_id}/messages/{message_id}/payload", admin)
    assert PATIENT_NAME in payload.json()["raw"]
    failed = httpx.get(
        f"{site.base_url}/v1/messages", params={"state": "error"}, headers=site.headers(
            "integration-admin"), timeout=30,
    ).json()  # fmt: skip
    assert "19481399" in failed[0]["error"]
    audit = httpx.get(f"{site.base_url}/v1/audit", headers=site.headers("auditor"), timeout=30)
    reads = [e for e in audit.json() if e["action"] == "phi.read"]
    subjects = {e["subject"] for e in reads}
    assert f"message:{site.seeded.message_id}" in subjects
    assert f"message:{site.seeded.parked_message_id}" in subjects
    assert {e["actor"] for e in reads} == {"integration-admin-client"}


def test_every_get_route_answers_the_admin(site: Site) -> None:
    for method, path, scopes in operations(site):
        if method == "get" and scopes is not None:
            answer = call(site, method, path, site.token("integration-admin"))
            assert answer.status_code == 200, (path, answer.text)
