"""The console's sessions over plain HTTP: no session or a bad one is sent to the login page, the
cookie is HttpOnly, SameSite=Strict and scoped to /console, a form without the session's CSRF
token changes nothing, what a user types is escaped, what they change is audited under their
name, and the pages stay out of the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from careweave.app.api import check_api
from careweave.config import parse_settings
from careweave.exceptions import ConfigError
from careweave.model.records import CaseState, MessageState, NewCase, NewMessage, Processing
from tests.integration.console.site import (
    ROOT,
    USERS,
    ConsoleSite,
    environment,
    settings_text,
)

SAMPLE_ADT = (ROOT / "examples" / "samples" / "adt-a01.hl7").read_bytes()


@pytest.fixture
def client(site: ConsoleSite) -> Iterator[httpx.Client]:
    """A client that does not follow redirects (the tests look at them)."""
    with httpx.Client(base_url=site.base_url, follow_redirects=False, timeout=30) as c:
        yield c


def log_in(client: httpx.Client, user: str, password: str | None = None) -> httpx.Response:
    """Fetch the login form (its nonce cookie) and post it."""
    form = client.get("/console/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', form.text)
    assert nonce is not None
    data = {"user": user, "password": password or USERS[user][2], "nonce": nonce.group(1)}
    return client.post("/console/login", data={**data, "next": "/console/cases"})


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token of a page's forms."""
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_without_a_session_every_page_sends_to_the_login_page(client: httpx.Client) -> None:
    for path in ("/console", "/console/messages?mrn=1", "/console/cases/1", "/console/dashboard"):
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/console/login?next=%2Fconsole")
    client.cookies.set("cw_session", "not.a.token", path="/console")
    answer = client.get("/console/cases")
    assert answer.status_code == 303 and "why=expired" in answer.headers["location"]
    posted = client.post("/console/cases/1/comment", data={"text": "hi", "csrf": "x"})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/console/login")


def test_a_wrong_password_or_a_forged_login_form_gives_no_session(client: httpx.Client) -> None:
    refused = log_in(client, "dana", "wrong")
    assert refused.status_code == 401 and "Unknown user or wrong password" in refused.text
    assert "cw_session" not in refused.headers.get("set-cookie", "")
    unknown = log_in(client, "nobody", "wrong")
    assert unknown.status_code == 401
    forged = client.post(
        "/console/login",
        data={"user": "dana", "password": USERS["dana"][2], "nonce": "guessed"},
    )
    assert forged.status_code == 400 and "cw_session" not in forged.headers.get("set-cookie", "")


def test_the_session_cookie_is_http_only_strict_and_scoped_to_the_console(
    client: httpx.Client,
) -> None:
    answer = log_in(client, "dana")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/cases"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("cw_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert client.get("/console/cases").status_code == 200


def test_after_login_only_console_paths_are_followed(client: httpx.Client) -> None:
    form = client.get("/console/login?next=https://evil.example/")
    assert 'name="next" value="/console"' in form.text


def test_a_form_without_the_sessions_csrf_token_changes_nothing(
    site: ConsoleSite, client: httpx.Client
) -> None:
    log_in(client, "dana")
    case_id = site.seeded.case_id
    before = site.run(site.application.store.get_case(case_id))
    forged = client.post(f"/console/cases/{case_id}/comment", data={"text": "forged"})
    assert forged.status_code == 400
    assert site.run(site.application.store.get_case(case_id)).audit == before.audit

    page = client.get(f"/console/cases/{case_id}")
    comment = "<script>alert(1)</script> checked the implant log"
    done = client.post(
        f"/console/cases/{case_id}/comment", data={"text": comment, "csrf": csrf_of(page)}
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "comment added" in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text and "<script>" not in shown.text
    entries = site.run(site.application.store.audit_entries(after_seq=0, limit=10_000))
    assert any(e.actor == "dana" and e.subject == f"case:{case_id}" for e in entries)


def test_a_user_without_a_scope_gets_a_403_page(client: httpx.Client) -> None:
    log_in(client, "fin")
    answer = client.get("/console/deadletters")
    assert answer.status_code == 200  # finance reads messages
    refused = client.post("/console/deadletters/erp/replay", data={"csrf": "x"})
    assert refused.status_code == 403 and "messages:replay" in refused.text
    assert refused.headers["content-type"].startswith("text/html")


def test_logging_out_ends_the_session(client: httpx.Client) -> None:
    log_in(client, "dana")
    page = client.get("/console/cases")
    out = client.post("/console/logout", data={"csrf": csrf_of(page)})
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    assert client.get("/console/cases").status_code == 303


def test_console_pages_are_not_in_the_openapi_document(client: httpx.Client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert paths and not [p for p in paths if p.startswith("/console")]


def test_a_users_password_unset_in_the_environment_is_named(tmp_path: Path) -> None:
    settings = parse_settings(settings_text(tmp_path))
    assert settings.api is not None
    env = environment()
    del env["CW_TEST_CONSOLE_FIN"]
    with pytest.raises(ConfigError, match="user fin: CW_TEST_CONSOLE_FIN is not set"):
        check_api(settings.api, env, tmp_path)


def test_an_encounters_trail_shows_its_charges_and_what_is_not_billed(
    client: httpx.Client,
) -> None:
    log_in(client, "fin")
    listing = client.get("/console/reconciliation")
    assert listing.status_code == 200
    first = re.search(r'href="(/console/reconciliation\?encounter=[^"]+)"', listing.text)
    assert first is not None, "the seeded charges' encounters are listed"
    trail = client.get(first.group(1).replace("&amp;", "&"))
    assert trail.status_code == 200
    # The site bills nothing: every charge of the encounter is a break until a claim carries it.
    assert re.search(r"Charges \([1-9]", trail.text) and "not billed" in trail.text
    assert "is not on any claim" in trail.text


def test_a_parked_message_is_corrected_from_its_case(
    site: ConsoleSite, client: httpx.Client
) -> None:
    case_id, message_id = site.run(_park_a_sample(site))
    log_in(client, "fin")
    assert client.get(f"/console/cases/{case_id}/messages/{message_id}/edit").status_code == 403

    log_in(client, "ops")  # integration admin: cases:write and phi:read
    form = client.get(f"/console/cases/{case_id}/messages/{message_id}/edit")
    assert form.status_code == 200 and "PID|" in form.text  # shown to correct, audited as read
    corrected = SAMPLE_ADT.decode().replace("\r", "\n")  # as a text box sends it back
    done = client.post(
        f"/console/cases/{case_id}/messages/{message_id}/edit",
        data={"payload": corrected, "csrf": csrf_of(form)},
    )
    assert done.status_code == 303 and "done=corrected" in done.headers["location"]
    store = site.application.store
    case = site.run(store.get_case(case_id))
    assert case.state is CaseState.RESOLVED
    assert site.run(store.get_message(message_id)).state is MessageState.SUPERSEDED
    entries = site.run(store.audit_entries(after_seq=0, limit=10_000))
    assert any(e.actor == "ops" and e.subject == f"message:{message_id}" for e in entries)


async def _park_a_sample(site: ConsoleSite) -> tuple[int, int]:
    """A sample ADT parked on a case of its own (as a flow would park it)."""
    stored = await site.application.store.ingest(
        NewMessage(channel="ehr", raw=SAMPLE_ADT.replace(b"RBMC0303071512", b"EDIT1"),
                   content_type="x-application/hl7-v2+er7", received_at=dt.datetime.now(dt.UTC),
                   trace_id="t-edit", dedup_key="EPIC|RBMC|EDIT1"),
        Processing(state=MessageState.PARKED, ordering_key="E2090417", cases=(
            NewCase(case_key="edit-me", reason_code="CHARGE_INVALID", owning_team="revenue",
                    summary="a field to correct", suggested_fix="edit the payload"),
        )),
    )  # fmt: skip
    [case] = await site.application.store.list_cases(case_key="edit-me")
    return case.id, stored.message_id
