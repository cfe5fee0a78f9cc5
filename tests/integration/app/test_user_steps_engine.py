"""User-written steps in a running engine: real MLLP socket, real SQLite store.

A filtered message is stored FILTERED and acknowledged AA; a transformed one's effects carry the
change; a step that raises holds only its own message in error (AE) and the listener goes on.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from careweave.app import build_application, check_application
from careweave.codecs.hl7v2 import parse_message
from careweave.config import load_settings
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.exceptions import ConfigError
from careweave.model.records import MessageQuery, MessageState

RULES = '''
"""Site rules of the tests' ADT feed."""

from careweave import StepContext


def drop_test_patients(step: StepContext) -> bool:
    mrn = step.message.get("PID-3.1").upper()
    names = {step.message.get("PID-5.1").upper(), step.message.get("PID-5.2").upper()}
    return not (mrn.startswith("TEST") or "ZZTEST" in names)


def normalize_mrn(step: StepContext) -> None:
    digits = "".join(ch for ch in step.message.get("PID-3.1") if ch.isdigit())
    if not digits:
        raise ValueError("PID-3.1 holds no digits")
    step.message.set("PID-3.1", digits.zfill(7))
'''

FILTER = '{ kind = "filter", call = "site_rules:drop_test_patients" }'
TRANSFORM = '{ kind = "transform", call = "site_rules:normalize_mrn" }'


def write_feed(folder: Path, *steps: str, name: str = "careweave.toml") -> Path:
    """``site_rules.py`` and settings naming ``steps`` in ``folder``; returns the settings file."""
    folder.mkdir(parents=True, exist_ok=True)
    rules = folder / "site_rules.py"
    if not rules.exists():
        rules.write_text(RULES)
    config = folder / name
    config.write_text(
        f"""
[engine]
data_dir = "{folder / "var"}"

[[channels]]
name = "adt"
mapping = "hl7v2-clinical"
source = {{ type = "mllp", port = 0 }}
steps = [{", ".join(steps)}]

[[channels.destinations]]
name = "archive"
connector = {{ type = "null" }}

[[channels.destinations]]
name = "patient-events"
payload = "events"
connector = {{ type = "null" }}
"""
    )
    return config


def admit(n: int, mrn: str, name: str = "DOE^JOHN") -> bytes:
    """An ADT^A01 with control id ADT<n>, PID-3 ``mrn`` and PID-5 ``name``."""
    return (
        f"MSH|^~\\&|EPIC|NORTH|CAREWEAVE|NORTH|20260302081500||ADT^A01^ADT_A01|ADT{n:04d}|P|2.5.1\r"
        f"EVN|A01|20260302081500\r"
        f"PID|1||{mrn}^^^NORTH^MR||{name}||19700101|M\r"
        f"PV1|1|I|4N^401^1^NORTH||||1234567893^SMITH^ANN|||||||||||V{n:04d}\r"
    ).encode()


async def fill(config: Path, messages: list[bytes]) -> list[bytes]:
    """Run the engine of ``config`` on a real socket, send ``messages``, return their ACKs."""
    application = build_application(
        load_settings(config), settings_dir=config.parent, env=os.environ
    )
    acks: list[bytes] = []
    async with application:
        await application.start(deliver=False)
        port = application.engine.listeners["adt"].port
        async with MllpClient("127.0.0.1", port) as client:
            for raw in messages:
                acks.append(await client.send(raw))
    return acks


async def test_steps_filter_and_transform_messages_received_on_a_socket(tmp_path: Path) -> None:
    config = write_feed(tmp_path, FILTER, TRANSFORM)
    sent = [
        admit(1, "mr-00123"),
        admit(2, "TEST0042"),
        admit(3, "E4471", "ZZTEST^PATIENT"),
        admit(4, "no digits"),
        admit(5, "0004567"),
    ]
    acks = await fill(config, sent)
    assert [ack_code(a) for a in acks] == ["AA", "AA", "AA", "AE", "AA"]
    assert parse_message(acks[3]).get("MSA-3") == (
        "StepError: transform site_rules:normalize_mrn raised ValueError: PID-3.1 holds no digits"
    )

    application = build_application(load_settings(config), settings_dir=tmp_path, env=os.environ)
    async with application:
        store = application.store
        stored = sorted(await store.list_messages(MessageQuery()), key=lambda m: m.id)
        assert [m.state for m in stored] == [
            MessageState.PROCESSED,
            MessageState.FILTERED,
            MessageState.FILTERED,
            MessageState.ERROR,
            MessageState.PROCESSED,
        ]
        assert stored[3].error == parse_message(acks[3]).get("MSA-3")
        transformed = await store.lineage(stored[0].id)
        by_destination = {e.destination: e for e in transformed.effects}
        assert by_destination["archive"].payload == sent[0].replace(b"mr-00123", b"0000123")
        assert by_destination["archive"].ordering_key == "0000123"
        assert by_destination["patient-events"].idempotency_key == "admit:NORTH|0000123:-"
        assert [e.idempotency_key for e in transformed.events] == ["admit:NORTH|0000123:-"]
        for filtered in stored[1:4]:
            assert (await store.lineage(filtered.id)).effects == []
        untouched = await store.lineage(stored[4].id)
        assert {e.destination: e.payload for e in untouched.effects}["archive"] == sent[4]


async def test_check_and_run_refuse_a_step_file_that_does_not_import(tmp_path: Path) -> None:
    config = write_feed(tmp_path, FILTER, TRANSFORM)
    (tmp_path / "site_rules.py").write_text(
        RULES.replace("def normalize_mrn", "def normalize_mrn(")
    )
    settings = load_settings(config)
    expected = (
        "channel adt: steps[0] (filter site_rules:drop_test_patients): site_rules.py failed to "
        "import: SyntaxError: "
    )
    with pytest.raises(ConfigError) as checked:
        await check_application(settings, settings_dir=tmp_path, env={})
    assert str(checked.value).startswith(expected)
    with pytest.raises(ConfigError) as built:
        build_application(settings, settings_dir=tmp_path, env={})
    assert str(built.value) == str(checked.value)
    assert not (tmp_path / "var").exists()  # refused before any database was opened
