"""SLA monitors: a breach opens one case stating its business impact, recovery resolves it.

A real application from settings (SQLite, the fan-out channel of test_fan_out.py), a manual clock so
that effects age without waiting, and a webhook receiver standing in for the owning team: each
breach and each recovery is told once.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from careweave.app import build_application
from careweave.config import parse_settings
from careweave.engine.clock import ManualClock
from careweave.model.rcm import CHARGE_CONTENT_TYPE
from careweave.model.records import CaseState
from careweave.testing import RecordingHttpServer
from tests.integration.app.fan_out import FAN_OUT_CHANNEL, unknown_implant_case

SETTINGS_HEAD = """
[engine]
data_dir = "{data_dir}"
log_level = "error"

[notifications]
poll_interval = 0.05
webhook = {{ url = "{hook}/hooks", secret_env = "HOOK_SECRET" }}

"""
SLA_LEVELS = """
[[sla]]
name = "charges-to-billing"
measure = "oldest_pending_seconds"
destination = "revenue-cycle"
content_type = "application/vnd.careweave.rcm-charge+json"
threshold = 900
team = "revenue-integrity"

[[sla]]
name = "implants-mapped"
measure = "open_cases"
reason = "ITEM_NOT_IN_CROSSWALK"
threshold = 0
team = "supply-chain"

[[sla]]
name = "erp-queue"
measure = "queue_depth"
destination = "erp"
threshold = 1
team = "finance"
"""
SETTINGS = SETTINGS_HEAD + FAN_OUT_CHANNEL + SLA_LEVELS


async def test_a_late_queue_and_an_unmapped_implant_breach_once_and_recover_once(
    tmp_path: Path,
) -> None:
    case = unknown_implant_case()
    raw, charges, services = case.raw, case.charges, case.services
    clock = ManualClock()
    with RecordingHttpServer() as hook:
        settings = parse_settings(SETTINGS.format(data_dir=tmp_path, hook=hook.url))
        assert settings.sla[0].content_type == CHARGE_CONTENT_TYPE
        application = build_application(
            settings,
            settings_dir=tmp_path,
            env={"HOOK_SECRET": "s"},
            services=services,
            middleware=[],
            clock=clock,
        )
        assert application.sla is not None and application.notifier is not None
        async with application:
            await application.open()  # workers not started: the charges wait
            engine, store, monitor = application.engine, application.store, application.sla
            await engine.receive_hl7("ehr", raw)
            assert await monitor.run_once() == [
                ("implants-mapped", "breached"),
                ("erp-queue", "breached"),
            ]
            [erp] = await store.list_cases(case_key="sla:erp-queue")
            assert (
                " waiting for erp, the oldest for " in erp.summary
            )  # valued in full once breached
            clock.advance(1200)  # the charges now wait 20 min, over the 15 allowed
            assert await monitor.run_once() == [("charges-to-billing", "breached")]
            assert await monitor.run_once() == []  # still breached: nothing opened twice
            [late] = await store.list_cases(case_key="sla:charges-to-billing")
            money = sum(c.extended_amount.amount for c in charges if c.extended_amount)
            assert late.owning_team == "revenue-integrity"
            assert f"{len(charges)} charges (${money:,.2f}) waiting for revenue-cycle" in (
                late.summary
            )
            assert "the oldest for 20 min" in late.summary
            [held] = await store.list_cases(case_key="sla:implants-mapped")
            assert "1 ITEM_NOT_IN_CROSSWALK case(s) hold 1 message(s) carrying" in held.summary
            await application.notifier.run_once()
            notices = [json.loads(r.body) for r in hook.requests]
            opened = [n for n in notices if n["case_key"].startswith("sla:")]
            assert sorted((n["case_key"], n["kind"]) for n in opened) == [
                ("sla:charges-to-billing", "opened"),
                ("sla:erp-queue", "opened"),
                ("sla:implants-mapped", "opened"),
            ]
            assert all("waiting for" in n["summary"] or "hold" in n["summary"] for n in opened)

            await engine.start(listen=False)  # the destination answers: the queue drains
            for worker in engine.workers.values():
                worker.wake()
            for _ in range(200):
                counts = await store.counts()
                if not counts.get("effects.pending") and not counts.get("effects.in_flight"):
                    break
                await asyncio.sleep(0.05)
            assert await monitor.run_once() == [
                ("charges-to-billing", "recovered"),
                ("erp-queue", "recovered"),
            ]
            resolved = await store.get_case(late.id)
            assert resolved.state is CaseState.RESOLVED
            assert (resolved.resolution or "").startswith("recovered: nothing waiting for")
            before = len(hook.requests)
            await application.notifier.run_once()
            told = [
                n
                for n in (json.loads(r.body) for r in hook.requests[before:])
                if n["case_key"].startswith("sla:")
            ]
            assert sorted((n["case_key"], n["kind"]) for n in told) == [
                ("sla:charges-to-billing", "resolved"),
                ("sla:erp-queue", "resolved"),
            ]
