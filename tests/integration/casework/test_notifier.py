"""Teams hear of their cases by webhook and e-mail: once opened, once escalated, once resolved.

Real servers on real sockets: :class:`RecordingHttpServer` as the webhook, aiosmtpd as the mail
server; the store is each backend in turn. Time is a manual clock: nothing sleeps for an SLA.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from careweave.app import build_application, check_application
from careweave.config import parse_settings
from careweave.engine.clock import ManualClock
from careweave.engine.notifications import CaseNotifier, NotificationsConfig
from careweave.engine.store.base import BaseStore
from careweave.exceptions import ConfigError
from careweave.model.casework import CaseSeverity, NotificationState
from careweave.model.records import MessageState, NewCase, Processing
from careweave.testing import RecordedRequest, RecordingHttpServer
from tests.integration.casework.mailbox import SmtpServer
from tests.integration.engine.helpers import wait_for
from tests.integration.store.builders import NOW, message
from tests.integration.store.conftest import StoreFactory

SECRET = "s3cret-for-tests"
ENV = {"CW_HOOK_SECRET": SECRET}


def notifications(webhook_url: str, smtp_port: int, extra: str = "") -> NotificationsConfig:
    settings = parse_settings(
        f"""
[notifications]
poll_interval = 0.05
webhook = {{ url = "{webhook_url}/hooks/cases", secret_env = "CW_HOOK_SECRET" }}
email = {{ host = "127.0.0.1", port = {smtp_port}, from = "careweave@example.org" }}

[[notifications.teams]]
team = "supply-chain"
email = ["supply-chain@example.org", "buyer@example.org"]
{extra}
"""
    )
    return settings.notifications


def notifier(store: BaseStore, config: NotificationsConfig, clock: ManualClock) -> CaseNotifier:
    return CaseNotifier(store, config, secrets=ENV, clock=clock)


async def park(store: BaseStore, code: str, *, team: str = "supply-chain", trace: str = "t") -> int:
    case = NewCase(
        case_key=f"item-miss:{code}",
        reason_code="ITEM_NOT_IN_MASTER",
        owning_team=team,
        summary=f"EHR item {code} is not in the ERP item master",
        suggested_fix=f"map {code} in the item crosswalk (best match: ITM-100)",
        payload_reference="line-1",
        sla_hours=4,
        severity=CaseSeverity.HIGH,
    )
    await store.ingest(
        message(trace_id=trace), Processing(state=MessageState.PARKED, cases=(case,))
    )
    (found,) = await store.list_cases(state=None, case_key=case.case_key)
    return found.id


def events(server: RecordingHttpServer) -> list[str]:
    requests, _ = server.snapshot()
    return [r.headers["x-careweave-event"] for r in requests]


async def test_each_notice_goes_out_once_per_channel_even_with_two_notifiers(
    stores: StoreFactory, webhook: RecordingHttpServer, smtp: SmtpServer
) -> None:
    store = await stores.open()
    # PostgreSQL: a second process's store on the same schema; SQLite: one process, two tasks.
    other = await stores.open() if stores.backend == "postgres" else store
    clock = ManualClock(NOW)
    config = notifications(webhook.url, smtp.port)
    first, second = notifier(store, config, clock), notifier(other, config, clock)
    case_id = await park(store, "EHR-4471")
    clock.advance(60)

    sent = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(sent) == 2  # one webhook call, one e-mail, whoever sent them
    assert await first.run_once() == 0 and await second.run_once() == 0
    assert events(webhook) == ["case.opened"]
    assert len(smtp.mailbox.messages) == 1

    clock.advance(4 * 3600)  # past the 4-hour SLA
    await asyncio.gather(first.run_once(), second.run_once(), first.run_once())
    assert events(webhook) == ["case.opened", "case.escalated"]
    clock.advance(3600)
    assert await first.run_once() == 0  # escalated once, however long it stays overdue

    await store.resolve_case(case_id, actor="ana", resolution="mapped", now=clock.now())
    await asyncio.gather(first.run_once(), second.run_once())
    assert await first.run_once() == 0
    assert events(webhook) == ["case.opened", "case.escalated", "case.resolved"]
    assert [s.split(":")[0] for s in smtp.mailbox.subjects()] == [
        "[careweave] new case",
        "[careweave] SLA passed",
        "[careweave] closed",
    ]
    case = await store.get_case(case_id)
    assert {n.state for n in case.notifications} == {NotificationState.SENT}
    assert len([e for e in case.audit if e.action == "notified"]) == 6
    await first.stop()
    await second.stop()


async def test_the_webhook_body_is_the_case_signed_with_the_secret(
    store: BaseStore, webhook: RecordingHttpServer, smtp: SmtpServer
) -> None:
    clock = ManualClock(NOW)
    case_id = await park(store, "EHR-4471")
    await park(store, "EHR-4471", trace="second message")
    await notifier(store, notifications(webhook.url, smtp.port), clock).run_once()

    (request,) = webhook.snapshot()[0]
    assert (request.method, request.path) == ("POST", "/hooks/cases")
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-careweave-signature"] == f"sha256={expected}"
    forged = hmac.new(b"another secret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-careweave-signature"] != f"sha256={forged}"
    assert request.idempotency_key == f"case-{case_id}-opened"
    body = json.loads(request.body)
    assert {k: body[k] for k in ("kind", "case_id", "case_key", "team", "severity")} == {
        "kind": "opened",
        "case_id": case_id,
        "case_key": "item-miss:EHR-4471",
        "team": "supply-chain",
        "severity": "high",
    }
    assert body["reason_code"] == "ITEM_NOT_IN_MASTER"
    assert body["summary"] == "EHR item EHR-4471 is not in the ERP item master"
    assert body["suggested_fix"].startswith("map EHR-4471 in the item crosswalk")
    assert body["sla_due_at"] == "2025-03-01T16:00:00Z" and body["overdue"] is False
    assert body["parked_messages"] == 2

    (mail,) = smtp.mailbox.messages
    assert smtp.mailbox.recipients == [["supply-chain@example.org", "buyer@example.org"]]
    assert mail["From"] == "careweave@example.org"
    assert mail["Subject"] == (
        f"[careweave] new case: case {case_id} (high) EHR item EHR-4471 is not in the ERP item master"
    )
    text = mail.get_content()
    assert "Suggested fix: map EHR-4471 in the item crosswalk (best match: ITM-100)" in text
    assert "Parked messages: 2" in text and f"careweave cases show {case_id}" in text


async def test_failed_sends_are_retried_with_backoff_and_logged(
    store: BaseStore, smtp: SmtpServer
) -> None:
    refusals = {"count": 2}

    def respond(_request: RecordedRequest) -> tuple[int, bytes]:
        if refusals["count"] > 0:
            refusals["count"] -= 1
            return 503, b"maintenance"
        return 200, b"ok"

    smtp.mailbox.refuse = 1
    clock = ManualClock(NOW)
    with RecordingHttpServer(respond=respond) as webhook:
        worker = notifier(store, notifications(webhook.url, smtp.port), clock)
        case_id = await park(store, "EHR-4471")
        with capture_logs() as logs:
            assert await worker.run_once() == 0
        failures = [e for e in logs if e["event"] == "case notice failed; will retry"]
        assert {e["channel"] for e in failures} == {"webhook", "email"}
        assert "503" in next(e["error"] for e in failures if e["channel"] == "webhook")
        assert "451" in next(e["error"] for e in failures if e["channel"] == "email")

        assert await worker.run_once() == 0  # not due yet: nothing is sent
        assert len(webhook.snapshot()[0]) == 1
        clock.advance(29)
        assert await worker.run_once() == 0
        clock.advance(1)  # the first backoff (30 s) is over: the webhook fails again
        assert await worker.run_once() == 1  # the e-mail goes out
        clock.advance(59)
        assert await worker.run_once() == 0  # the second backoff is 60 s
        clock.advance(1)
        assert await worker.run_once() == 1
        assert len(webhook.snapshot()[0]) == 3
    case = await store.get_case(case_id)
    by_channel = {n.channel.value: n for n in case.notifications}
    assert (by_channel["webhook"].state, by_channel["webhook"].attempts) == (
        NotificationState.SENT,
        3,
    )
    assert (by_channel["email"].state, by_channel["email"].attempts) == (NotificationState.SENT, 2)
    assert len(smtp.mailbox.messages) == 1


async def test_a_refused_notice_is_abandoned_and_a_team_without_address_skipped(
    store: BaseStore, smtp: SmtpServer
) -> None:
    clock = ManualClock(NOW)
    with RecordingHttpServer(respond=lambda _r: (400, b"unknown channel")) as webhook:
        worker = notifier(store, notifications(webhook.url, smtp.port), clock)
        case_id = await park(store, "NPI-1", team="revenue-integrity")
        with capture_logs() as logs:
            await worker.run_once()
        clock.advance(3600)
        await worker.run_once()
        assert len(webhook.snapshot()[0]) == 1  # a 4xx is not retried
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["case notice abandoned"]
    case = await store.get_case(case_id)
    states = {n.channel.value: (n.state, n.last_error) for n in case.notifications}
    assert states["email"] == (
        NotificationState.SKIPPED,
        "no e-mail address for team revenue-integrity",
    )
    assert states["webhook"][0] is NotificationState.ABANDONED
    assert "400" in (states["webhook"][1] or "")
    (failed,) = [e for e in case.audit if e.action == "notify-failed"]
    assert failed.detail.startswith("opened notice by webhook abandoned:")
    assert smtp.mailbox.messages == []


async def test_a_team_webhook_replaces_the_common_one(
    store: BaseStore, webhook: RecordingHttpServer, smtp: SmtpServer
) -> None:
    with RecordingHttpServer() as team_hook:
        extra = f'webhook = {{ url = "{team_hook.url}/supply", secret_env = "CW_TEAM_SECRET" }}'
        config = notifications(webhook.url, smtp.port, extra)
        with pytest.raises(ConfigError, match="CW_TEAM_SECRET"):
            CaseNotifier(store, config, secrets=ENV)
        worker = CaseNotifier(
            store, config, secrets={**ENV, "CW_TEAM_SECRET": "team"}, clock=ManualClock(NOW)
        )
        await park(store, "EHR-1")
        await park(store, "NPI-1", team="revenue-integrity")
        await worker.run_once()
        (to_team,) = team_hook.snapshot()[0]
        (to_common,) = webhook.snapshot()[0]
    assert json.loads(to_team.body)["team"] == "supply-chain"
    assert json.loads(to_common.body)["team"] == "revenue-integrity"
    expected = hmac.new(b"team", to_team.body, hashlib.sha256).hexdigest()
    assert to_team.headers["x-careweave-signature"] == f"sha256={expected}"


async def test_the_application_runs_the_notifier_while_started(
    tmp_path: Path, webhook: RecordingHttpServer, smtp: SmtpServer
) -> None:
    text = f"""
[engine]
data_dir = "{tmp_path / "data"}"

[notifications]
poll_interval = 0.05
webhook = {{ url = "{webhook.url}/hooks", secret_env = "CW_HOOK_SECRET" }}
"""
    settings = parse_settings(text)
    warnings = await check_application(settings, settings_dir=tmp_path, env={})
    assert [w for w in warnings if "CW_HOOK_SECRET" in w] == [
        "[notifications]: CW_HOOK_SECRET is not set in the environment; "
        "`careweave run` refuses to start without it"
    ]
    with pytest.raises(ConfigError, match="CW_HOOK_SECRET"):
        build_application(settings, settings_dir=tmp_path, env={})

    application = build_application(settings, settings_dir=tmp_path, env=ENV)
    started = application.notifier
    assert started is not None

    def running() -> bool:
        return started.running

    async with application:
        await application.start()
        assert running()
        await park(application.store, "EHR-4471")
        await wait_for(lambda: events(webhook) == ["case.opened"], 10, "the opening notice")
        await application.stop()
        assert not running()
    without = build_application(parse_settings(""), settings_dir=tmp_path, env={})
    assert without.notifier is None
