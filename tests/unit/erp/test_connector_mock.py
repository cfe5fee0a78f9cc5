"""The ERP connector against scripted answers: tokens, 401, 429, 5xx, timeouts, idempotency."""

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest

from careweave.connectors.erp import (
    ErpConfig,
    ErpConnector,
    GlSegments,
    JournalLine,
    JournalRequest,
    idempotency_key,
)
from careweave.exceptions import ConfigError, PermanentDeliveryError, TransientDeliveryError


def make_journal(key: str = "enc-1/alloc/v1") -> JournalRequest:
    return JournalRequest(
        business_key=key,
        entity="10",
        posting_date=dt.date(2026, 11, 27),
        lines=[
            JournalLine(GlSegments("10", "4010", "61000"), debit=Decimal("5.00")),
            JournalLine(GlSegments("10", "8400", "14000"), credit=Decimal("5.00")),
        ],
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class ScriptedErp:
    """Answers API calls from a script; counts tokens and records requests."""

    def __init__(self, *answers: httpx.Response | Exception, token_ttl: int = 60) -> None:
        self.answers: list[httpx.Response | Exception] = list(answers)
        self.requests: list[httpx.Request] = []
        self.tokens_issued = 0
        self.token_ttl = token_ttl

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.tokens_issued += 1
            body = {"access_token": f"t{self.tokens_issued}", "expires_in": self.token_ttl}
            return httpx.Response(200, json=body)
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def connector(
    erp: Callable[[httpx.Request], httpx.Response],
    clock: FakeClock | None = None,
    **overrides: Any,
) -> ErpConnector:
    clock = clock or FakeClock()
    settings = {"base_url": "http://erp.test", "client_id": "cw"} | overrides
    return ErpConnector(
        ErpConfig(**settings),
        secret="s",
        transport=httpx.MockTransport(erp),
        clock=clock,
        sleep=clock.sleep,
    )


POSTED = httpx.Response(201, json={"journal_id": "JE-1", "external_id": "enc-1/alloc/v1"})


async def test_post_sends_bearer_idempotency_key_and_v2_shape():
    erp = ScriptedErp(POSTED)
    async with connector(erp) as erp_connector:
        outcome = await erp_connector.post_journal(make_journal())
    assert (outcome.status, outcome.document_id) == ("posted", "JE-1")
    (request,) = erp.requests
    assert request.url.path == "/api/v2/journals"
    assert request.headers["authorization"] == "Bearer t1"
    assert request.headers["idempotency-key"] == idempotency_key("journal", "enc-1/alloc/v1")
    assert "segments" in msgspec.json.decode(request.content)["lines"][0]


async def test_token_is_reused_then_refreshed_before_expiry():
    clock = FakeClock()
    erp = ScriptedErp(POSTED, POSTED, POSTED, token_ttl=60)
    async with connector(erp, clock, token_refresh_leeway=10) as erp_connector:
        await erp_connector.post_journal(make_journal())
        clock.now += 45
        await erp_connector.post_journal(make_journal())
        assert erp.tokens_issued == 1
        clock.now += 6  # 51 s after issue: inside the 10 s leeway
        await erp_connector.post_journal(make_journal())
    assert erp.tokens_issued == 2
    assert erp.requests[-1].headers["authorization"] == "Bearer t2"


async def test_a_401_refreshes_the_token_once_and_resends_the_same_bytes():
    expired = httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    erp = ScriptedErp(expired, POSTED)
    async with connector(erp) as erp_connector:
        outcome = await erp_connector.post_journal(make_journal())
    assert outcome.status == "posted"
    first, second = erp.requests
    assert (first.headers["authorization"], second.headers["authorization"]) == (
        "Bearer t1",
        "Bearer t2",
    )
    assert first.content == second.content
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]


async def test_a_second_401_is_transient_not_a_loop():
    expired = httpx.Response(401)
    erp = ScriptedErp(expired, expired)
    async with connector(erp) as erp_connector:
        with pytest.raises(TransientDeliveryError, match="freshly issued token"):
            await erp_connector.post_journal(make_journal())
    assert len(erp.requests) == 2


async def test_429_is_transient_with_retry_after_and_holds_the_whole_client_back():
    clock = FakeClock()
    erp = ScriptedErp(httpx.Response(429, headers={"Retry-After": "2"}), POSTED)
    async with connector(erp, clock) as erp_connector:
        with pytest.raises(TransientDeliveryError) as caught:
            await erp_connector.post_journal(make_journal())
        assert caught.value.status == 429 and caught.value.retry_after == 2.0
        before = clock.now
        await erp_connector.post_journal(make_journal())
        assert clock.now - before == pytest.approx(2.0)


async def test_503_timeouts_and_refused_connections_are_transient():
    request = httpx.Request("POST", "http://erp.test/api/v2/journals")
    erp = ScriptedErp(
        httpx.Response(503),
        httpx.ReadTimeout("slow", request=request),
        httpx.ConnectError("refused", request=request),
    )
    async with connector(erp) as erp_connector:
        for _ in range(3):
            with pytest.raises(TransientDeliveryError):
                await erp_connector.post_journal(make_journal())
    keys = {r.headers["idempotency-key"] for r in erp.requests}
    assert len(keys) == 1


async def test_unbalanced_journal_is_permanent():
    refusal = httpx.Response(422, json={"detail": "journal is unbalanced"})
    erp = ScriptedErp(refusal)
    async with connector(erp) as erp_connector:
        with pytest.raises(PermanentDeliveryError, match="unbalanced") as caught:
            await erp_connector.post_journal(make_journal())
    assert caught.value.status == 422


async def test_refused_credentials_are_permanent():
    def erp(request):
        return httpx.Response(401, json={"error": "invalid_client"})

    async with connector(erp) as erp_connector:
        with pytest.raises(PermanentDeliveryError, match="refused the client credentials"):
            await erp_connector.post_journal(make_journal())


async def test_non_json_success_is_reported_not_crashed():
    erp = ScriptedErp(httpx.Response(201, text="<html>ok</html>"))
    async with connector(erp) as erp_connector:
        with pytest.raises(PermanentDeliveryError, match="not JSON"):
            await erp_connector.post_journal(make_journal())


async def test_bulk_batches_and_maps_per_journal_results():
    def bulk_answer(request: httpx.Request) -> httpx.Response:
        entries = msgspec.json.decode(request.content)["journals"]
        results = [
            {"index": i, "status": 201, "id": f"JE-{i}"}
            if i != 1
            else {"index": i, "status": 422, "error": "unbalanced"}
            for i in range(len(entries))
        ]
        return httpx.Response(200, json={"results": results})

    journals = [make_journal(f"k{i}") for i in range(5)]

    class Bulk(ScriptedErp):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/oauth/token":
                return super().__call__(request)
            self.requests.append(request)
            return bulk_answer(request)

    erp = Bulk()
    async with connector(erp, batch_size=2, api_version="v1") as erp_connector:
        outcomes = await erp_connector.post_journals(journals)
    assert [o.status for o in outcomes] == ["posted", "rejected", "posted", "rejected", "posted"]
    assert outcomes[1].error == "unbalanced"
    assert len(erp.requests) == 3
    first = msgspec.json.decode(erp.requests[0].content)["journals"]
    assert first[0]["idempotency_key"] == idempotency_key("journal", "k0")
    assert first[0]["journal"]["lines"][0]["account"] == "10-4010-61000-000-000"


async def test_deprecation_is_logged_once(caplog):
    deprecated = httpx.Response(
        201,
        json={"journal_id": "JE-1"},
        headers={
            "Deprecation": "@1767225600",
            "Sunset": "Wed, 30 Jun 2027 23:59:59 GMT",
            "Link": '</api/v2>; rel="successor-version"',
        },
    )
    erp = ScriptedErp(deprecated, deprecated)
    with caplog.at_level(logging.WARNING, logger="careweave.connectors.erp"):
        async with connector(erp, api_version="v1") as erp_connector:
            await erp_connector.post_journal(make_journal())
            await erp_connector.post_journal(make_journal())
    warnings = [r for r in caplog.records if "deprecated" in r.getMessage()]
    assert len(warnings) == 1
    assert "Sunset: Wed, 30 Jun 2027" in warnings[0].getMessage()
    assert erp_connector.deprecation is not None
    assert erp_connector.deprecation.successor == "/api/v2"


def test_config_is_checked_and_holds_no_secret():
    with pytest.raises(ValueError, match="base_url"):
        ErpConfig(base_url="erp.test", client_id="cw")
    with pytest.raises(ValueError, match="api_version"):
        ErpConfig(base_url="http://erp", client_id="cw", api_version="v3")  # type: ignore[arg-type]
    config = ErpConfig(base_url="http://erp", client_id="cw")
    # The settings name where the secret is; only the connector holds its value.
    assert "secret" not in ErpConfig.__struct_fields__
    assert config.secret_env == "CAREWEAVE_ERP_SECRET"
    with pytest.raises(ConfigError, match="CAREWEAVE_ERP_SECRET"):
        ErpConnector(config, secret="")
