"""The console's pieces alone: a user logs in for their role's scopes and session lifetime, a wrong
password or an unknown user does not; HTML is escaped by construction; charts draw negative values
left of zero; the login's ``next`` never leaves the console; settings refuse a user named as a
client."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from careweave.connectors.http_source.api_config import ApiClientConfig, ApiConfig, ApiUserConfig
from careweave.gateway.api.keys import KeyRing
from careweave.gateway.api.scopes import scopes_of
from careweave.gateway.api.security import Throttle
from careweave.gateway.api.tokens import TokenAuthority, TokenError
from careweave.gateway.console.auth import ConsoleAuth, TooManyLogins
from careweave.gateway.console.charts import bars
from careweave.gateway.console.html import Html, esc, tag, url
from careweave.gateway.console.pages_cases import as_segments, suggested_item
from careweave.gateway.console.pages_dashboard import hourly
from careweave.gateway.console.pages_login import safe_next

CONFIG = ApiConfig(
    users=[ApiUserConfig(name="dana", role="supply-chain", password_env="DANA")],
    session_ttl=600,
)


def _authority() -> TokenAuthority:
    keys = KeyRing.generated(rotation=3600)
    return TokenAuthority(CONFIG, {}, keys, passwords_by_user={"dana": "pw-1"})


async def test_a_user_logs_in_for_the_scopes_of_their_role() -> None:
    authority = _authority()
    issued = authority.login("dana", "pw-1")
    assert issued.expires_in == 600
    principal = await authority.verify(issued.access_token)
    assert principal.client_id == "dana"
    assert principal.scopes == {str(s) for s in scopes_of("supply-chain")}
    assert "phi:read" not in principal.scopes


@pytest.mark.parametrize(("user", "password"), [("dana", "pw-2"), ("eve", "pw-1"), ("dana", "")])
def test_a_wrong_password_or_an_unknown_user_is_refused(user: str, password: str) -> None:
    with pytest.raises(TokenError) as refused:
        _authority().login(user, password)
    assert refused.value.error == "invalid_grant"


def test_a_user_may_not_bear_a_clients_name() -> None:
    with pytest.raises(ValueError, match="differ from client ids"):
        ApiConfig(
            clients=[ApiClientConfig(id="dana", secret_env="X")],
            users=[ApiUserConfig(name="dana", role="finance", password_env="Y")],
        )
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"name": "da na", "role": "finance", "password_env": "Y"}, ApiUserConfig)


def test_text_is_escaped_and_markup_is_not() -> None:
    assert esc('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert esc(Html("<b>ok</b>")) == "<b>ok</b>"
    shown = tag("td", "<script>", title='"quoted"', class_="c", hidden=True, open=None)
    assert shown == '<td title="&quot;quoted&quot;" class="c" hidden>&lt;script&gt;</td>'
    assert url("/console/messages", mrn="A&B", state="", channel=None) == (
        "/console/messages?mrn=A%26B"
    )


def test_a_negative_bar_is_drawn_left_of_zero_in_its_own_colour() -> None:
    svg = bars([("CARD", 100.0), ("ORTHO", -50.0)], label="margin")
    assert svg.count("<rect") == 2 and "#b3261e" in svg and "ORTHO" in svg
    assert "<script" not in bars([("<script>", 1.0)], label="x")


def test_after_login_only_console_paths_are_followed() -> None:
    assert safe_next("/console/cases/3") == "/console/cases/3"
    for bad in ("https://evil.example/", "//evil.example/console", "/v1/messages", None, ""):
        assert safe_next(bad) == "/console"


def test_the_suggested_item_and_a_typed_hl7_message() -> None:
    details = ["identifiers: ehr=X1", "suggestion: IT-7 (STENT): same GTIN, score 1.00"]
    assert suggested_item(details) == "IT-7" and suggested_item([]) == ""
    assert as_segments("MSH|a\r\nPID|b\n\n") == b"MSH|a\rPID|b\r"


def test_messages_are_counted_in_the_hour_they_arrived() -> None:
    now = dt.datetime(2026, 1, 1, 10, 30, tzinfo=dt.UTC)
    received = [
        now,
        now - dt.timedelta(minutes=20),
        now - dt.timedelta(hours=3),
        now - dt.timedelta(days=2),
    ]
    counts = hourly(received, now, hours=24)
    assert len(counts) == 24 and counts[-1] == ("10:00", 2.0) and counts[-4] == ("07:00", 1.0)
    assert sum(v for _, v in counts) == 3


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_address_that_keeps_failing_is_held_off_then_let_in() -> None:
    clock = _Clock()
    auth = ConsoleAuth(_authority(), throttle=Throttle(0.5, 2, clock=clock), clock=clock)
    assert auth.login("10.0.0.1", "dana", "pw-1")[1] == 600  # success takes nothing
    for _ in range(3):
        with pytest.raises(TokenError):
            auth.login("10.0.0.1", "dana", "guess")
    with pytest.raises(TooManyLogins) as held:
        auth.login("10.0.0.1", "dana", "pw-1")  # even the right password waits
    assert held.value.retry_after == 2
    assert auth.login("10.0.0.2", "dana", "pw-1")  # another address is not held
    clock.now += 2.5
    assert auth.login("10.0.0.1", "dana", "pw-1")
