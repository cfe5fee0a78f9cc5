"""``careweave diff`` on a real SQLite store filled by a real engine over a real socket.

It names exactly the effects that changed settings add, remove or alter on the stored traffic,
nothing when the settings are the same, in text and JSON, and writes nothing to the store. The
installed ``check`` and ``run`` refuse a step file that does not import with one error line.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careweave.app import build_application
from careweave.cli import app
from careweave.config import load_settings
from careweave.model.records import MessageQuery
from tests.integration.app.test_user_steps_engine import FILTER, TRANSFORM, admit, fill, write_feed

runner = CliRunner()
CAREWEAVE = Path(sys.executable).with_name("careweave")

SENT = [
    admit(1, "mr-00123"),
    admit(2, "TEST0042"),
    admit(3, "E4471", "ZZTEST^PATIENT"),
    admit(4, "no digits"),
    admit(5, "0004567"),
]


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    """The folder of a feed that ran with the filter step only, its store filled with SENT."""
    config = write_feed(tmp_path, FILTER)
    asyncio.run(fill(config, SENT))
    return tmp_path


def database(folder: Path) -> list[str]:
    """Every row of the store, as SQL."""
    conn = sqlite3.connect(folder / "var" / "careweave.db")
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def diff(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["diff", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_the_same_settings_change_nothing(feed: Path) -> None:
    before = database(feed)
    code, out = diff("--config", str(feed / "careweave.toml"))
    assert code == 0, out
    assert out.splitlines() == [
        "5 message(s) compared: 0 changed, 5 unchanged, 0 skipped; effects: 0 added, 0 removed, "
        "0 changed"
    ]
    assert database(feed) == before


def test_a_new_transform_is_reported_effect_by_effect_and_nothing_is_written(feed: Path) -> None:
    next_config = write_feed(feed, FILTER, TRANSFORM, name="next.toml")
    before = database(feed)
    code, out = diff("--config", str(next_config))
    assert code == 1, out
    lines = [line for line in out.splitlines() if not line.startswith("message ")]
    headers = [
        line.split(" received ")[0] for line in out.splitlines() if line.startswith("message ")
    ]
    assert headers == [
        "message 1 (adt, EPIC|NORTH|ADT0001)",
        "message 4 (adt, EPIC|NORTH|ADT0004)",
    ]
    assert (
        out.count(
            ": processed -> error: StepError: transform site_rules:normalize_mrn raised "
            "ValueError: PID-3.1 holds no digits"
        )
        == 1
    )
    assert lines == [
        "  ~ changed archive adt:EPIC|NORTH|ADT0001 (PID-3, ordering key)",
        "  + added patient-events admit:NORTH|0000123:-",
        "  - removed patient-events admit:NORTH|mr-00123:-",
        "  - removed archive adt:EPIC|NORTH|ADT0004",
        "  - removed patient-events admit:NORTH|no digits:-",
        "5 message(s) compared: 2 changed, 3 unchanged, 0 skipped; effects: 1 added, 3 removed, "
        "1 changed",
    ]

    code, out = diff("--config", str(next_config), "--json")
    assert code == 1, out
    report = json.loads(out)
    assert {k: report[k] for k in ("compared", "unchanged", "added", "removed", "changed")} == {
        "compared": 5,
        "unchanged": 3,
        "added": 1,
        "removed": 3,
        "changed": 1,
    }
    first, fourth = report["messages"]
    assert (first["message_id"], first["stored_state"], first["state"]) == (
        1,
        "processed",
        "processed",
    )
    assert first["effects"] == [
        {
            "change": "changed",
            "destination": "archive",
            "idempotency_key": "adt:EPIC|NORTH|ADT0001",
            "parts": ["PID-3", "ordering key"],
        },
        {
            "change": "added",
            "destination": "patient-events",
            "idempotency_key": "admit:NORTH|0000123:-",
            "parts": [],
        },
        {
            "change": "removed",
            "destination": "patient-events",
            "idempotency_key": "admit:NORTH|mr-00123:-",
            "parts": [],
        },
    ]
    assert (fourth["message_id"], fourth["state"]) == (4, "error")
    assert [e["change"] for e in fourth["effects"]] == ["removed", "removed"]
    assert report["skipped"] == []
    assert database(feed) == before


def test_dropping_the_filter_adds_the_test_patients_effects(feed: Path) -> None:
    code, out = diff("--config", str(write_feed(feed, name="no-filter.toml")), "--json")
    assert code == 1, out
    report = json.loads(out)
    assert [(m["message_id"], m["stored_state"], m["state"]) for m in report["messages"]] == [
        (2, "filtered", "processed"),
        (3, "filtered", "processed"),
    ]
    assert [(e["change"], e["destination"]) for m in report["messages"] for e in m["effects"]] == [
        ("added", "archive"),
        ("added", "patient-events"),
        ("added", "archive"),
        ("added", "patient-events"),
    ]


def test_limit_since_and_channel_choose_the_messages(feed: Path) -> None:
    next_config = str(write_feed(feed, FILTER, TRANSFORM, name="next.toml"))
    code, out = diff("--config", next_config, "--limit", "3", "--json")
    assert code == 1  # the three oldest: message 1 changes
    assert [m["message_id"] for m in json.loads(out)["messages"]] == [1]
    assert json.loads(out)["compared"] == 3
    code, out = diff("--config", next_config, "--since", "2999-01-01", "--channel", "adt")
    assert code == 0, out
    assert out.startswith("0 message(s) compared")
    code, out = diff("--config", next_config, "--since", "2000-01-01T00:00:00+02:00", "--json")
    assert code == 1
    assert json.loads(out)["compared"] == 5


def test_usage_mistakes_exit_2_with_one_error_line(feed: Path) -> None:
    config = str(feed / "careweave.toml")
    code, out = diff("--config", config, "--since", "yesterday")
    assert code == 2
    assert out.strip() == (
        "error: --since 'yesterday' is not an ISO date or date/time (e.g. 2026-01-31T08:00)"
    )
    code, out = diff("--config", config, "--channel", "lab")
    assert code == 2
    assert out.strip() == f"error: {config}: no channel 'lab' in the settings"
    (feed / "site_rules.py").write_text("def drop_test_patients(:\n")
    code, out = diff("--config", config)
    assert code == 2
    assert out.startswith(
        f"error: {config}: channel adt: steps[0] (filter site_rules:drop_test_patients): "
        "site_rules.py failed to import: SyntaxError: "
    )


def test_a_message_whose_content_was_pruned_is_skipped(feed: Path) -> None:
    async def deliver_and_prune_the_oldest() -> None:
        application = build_application(
            load_settings(feed / "careweave.toml"), settings_dir=feed, env=os.environ
        )
        async with application:
            store = application.store
            await application.start(listen=False)  # retention keeps undelivered work
            for _ in range(200):
                if (await store.counts()).get("effects.delivered") == 4:
                    break
                await asyncio.sleep(0.05)
            first, second = sorted(await store.list_messages(MessageQuery()), key=lambda m: m.id)[
                :2
            ]
            cutoff = first.received_at + (second.received_at - first.received_at) / 2
            assert await store.prune_content("adt", older_than=cutoff) == 1

    asyncio.run(deliver_and_prune_the_oldest())
    code, out = diff("--config", str(feed / "careweave.toml"))
    assert code == 0, out
    assert out.splitlines() == [
        "skipped message 1 (adt): content pruned by retention",
        "4 message(s) compared: 0 changed, 4 unchanged, 1 skipped; effects: 0 added, 0 removed, "
        "0 changed",
    ]


def test_check_and_run_refuse_a_broken_step_file_with_one_error_line(tmp_path: Path) -> None:
    config = write_feed(tmp_path, FILTER, TRANSFORM)
    (tmp_path / "site_rules.py").write_text("def drop_test_patients(step):\n    return (\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREWEAVE_")}
    for command in ("check", "run"):
        done = subprocess.run(
            [str(CAREWEAVE), command, "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**env, "COLUMNS": "80"},
            check=False,
        )
        assert done.returncode == 2, done
        assert "Traceback" not in done.stderr
        assert done.stderr.splitlines() == [
            f"error: {config}: channel adt: steps[0] (filter site_rules:drop_test_patients): "
            "site_rules.py failed to import: SyntaxError: '(' was never closed (site_rules.py, "
            "line 2)"
        ], command
    assert not (tmp_path / "var").exists()
