"""What the audit log records when operators act from the CLI: a crosswalk fix with the case it
resolves and each replay it causes, a manual replay, a PHI read of a parked payload, a period close."""

from __future__ import annotations

import getpass
from pathlib import Path

from careweave.engine.store.audit_verify import verify_chain
from tests.integration.cli.test_erp_cli import careweave, erp_day


async def test_a_crosswalk_fix_its_replays_and_phi_reads_are_audited(tmp_path: Path) -> None:
    day = erp_day(tmp_path, "http://127.0.0.1:9")  # never started: nothing is delivered
    async with day.application() as application:
        for message in day.messages:
            await application.engine.receive_hl7("ehr", message.raw)
        (case,) = await application.store.list_cases(case_key=f"item-miss:{day.code}")
        assert await application.store.audit_entries() == []  # receiving is not audited
    parked = case.message_ids[0]
    config = str(day.config)

    code, out, err = await careweave("cases", "payload", str(case.id), str(parked), "-c", config)
    assert code == 0 and out.startswith("MSH|"), err
    code, _out, err = await careweave(
        "crosswalk", "add", day.code, day.item, "--config", config, "--actor", "jdoe"
    )
    assert code == 0, err
    code, _out, err = await careweave("replay", "message", str(parked), "--config", config)
    assert code == 0, err
    code, out, err = await careweave("erp", "close", "2026-03", "--config", config)
    assert code == 0, err

    async with day.application() as application:
        entries = await application.store.audit_entries(limit=10_000)
        report = await verify_chain(application.store)
    me = getpass.getuser()
    read, change, resolve, *replays, manual, close = entries
    assert (read.actor, read.action, read.subject, read.detail) == (
        me,
        "phi.read",
        f"message:{parked}",
        {"command": "cases payload", "case": str(case.id)},
    )
    assert (change.actor, change.action, change.subject) == (
        "jdoe",
        "crosswalk.change",
        f"crosswalk:ehr:{day.code}",
    )
    assert change.detail["item"] == day.item and change.detail["source"] == "cli"
    assert (resolve.actor, resolve.action, resolve.subject) == (
        "jdoe",
        "case.resolve",
        f"case:{case.id}",
    )
    assert resolve.detail["parked"] == str(len(case.message_ids))
    # Each parked message replayed by the fix, as the person who made it.
    assert sorted(e.subject for e in replays) == sorted(f"message:{m}" for m in case.message_ids)
    assert {(e.actor, e.action) for e in replays} == {("jdoe", "message.replay")}
    assert (manual.actor, manual.action, manual.subject) == (
        me,
        "message.replay",
        f"message:{parked}",
    )
    assert manual.detail == {"queued": manual.detail["queued"]}  # not the typed reason
    assert (close.actor, close.action, close.subject) == (
        me,
        "admin.period-close",
        "period:2026-03",
    )
    assert close.detail["message"] in out
    assert (report.entries, report.broken) == (len(entries), None)
