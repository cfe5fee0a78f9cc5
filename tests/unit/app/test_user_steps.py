"""User-written steps: resolved from a file beside the settings or an installed module, run in the
channel (filter, transform, router), every mistake named."""

from __future__ import annotations

import datetime as dt
import sys
import textwrap
from pathlib import Path

import msgspec
import pytest

from careweave.app import build_channel, builtin_registries
from careweave.codecs.hl7v2 import parse_header
from careweave.config import parse_settings
from careweave.engine.channel import Channel
from careweave.exceptions import ConfigError
from careweave.flows.services import FlowServices
from careweave.model.records import MessageState, NewMessage, Processing
from tests.integration.engine.helpers import adt

RULES = """
import msgspec

from careweave import StepContext

calls = []


def drop_test_patients(step: StepContext) -> bool:
    return not step.message.get("PID-3.1").startswith("TEST")


def normalize_mrn(step: StepContext) -> None:
    digits = "".join(ch for ch in step.message.get("PID-3.1") if ch.isdigit())
    step.message.set("PID-3.1", digits.zfill(7))


def tag_facility(step: StepContext) -> None:
    step.attributes["facility"] = step.message.get("MSH-4")


def by_facility(step: StepContext) -> list[str]:
    return ["north"] if step.attributes.get("facility") == "NORTH" else ["south", "events"]


def rename_family(step: StepContext) -> list[object]:
    renamed = []
    for event in step.events:
        patient = event.patient
        names = [msgspec.structs.replace(n, family="X") for n in patient.names]
        patient = msgspec.structs.replace(patient, names=names)
        renamed.append(msgspec.structs.replace(event, patient=patient))
    return renamed


def count(step: StepContext) -> bool:
    calls.append(step.channel)
    return True


def says_maybe(step: StepContext) -> str:
    return "maybe"


def gives_text(step: StepContext) -> str:
    return "0001234"


def routes_nowhere_known(step: StepContext) -> str:
    return "elsewhere"


def explodes(step: StepContext) -> None:
    raise ValueError("no MRN in PID-3")


not_a_function = 42


def two_arguments(step: StepContext, extra: int) -> bool:
    return True
"""

DESTINATIONS = """
[[channels.destinations]]
name = "north"
connector = { type = "null" }
[[channels.destinations]]
name = "south"
connector = { type = "null" }
[[channels.destinations]]
name = "events"
payload = "events"
connector = { type = "null" }
[[channels.destinations]]
name = "flows-only"
payload = "none"
connector = { type = "null" }
"""


def channel_with(folder: Path, steps: str, *, router: str = "", name: str = "adt") -> Channel:
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "site_rules.py").exists():
        (folder / "site_rules.py").write_text(RULES)
    text = f"""
[[channels]]
name = "{name}"
mapping = "hl7v2-clinical"
source = {{ type = "mllp", port = 0 }}
steps = [{steps}]
{f'router = "{router}"' if router else ""}
{DESTINATIONS}
"""
    (config,) = parse_settings(text).channels
    return build_channel(config, builtin_registries(), FlowServices(), settings_dir=folder)


def run(channel: Channel, raw: bytes) -> Processing:
    message = NewMessage(
        channel=channel.name,
        raw=raw,
        content_type="application/hl7-v2",
        received_at=dt.datetime(2026, 3, 2, 8, 15, tzinfo=dt.UTC),
        trace_id="t",
        dedup_key=parse_header(raw).dedup_key(),
    )
    return channel.process(message, parse_header(raw))


def north(n: int, mrn: str) -> bytes:
    return adt(n, mrn, facility="NORTH")


def test_a_filter_keeps_what_it_returns_true_for_and_filters_the_rest(tmp_path: Path) -> None:
    channel = channel_with(tmp_path, '{ kind = "filter", call = "site_rules:drop_test_patients" }')
    kept = run(channel, north(1, "mr-00123"))
    assert kept.state is MessageState.PROCESSED
    assert {e.destination for e in kept.effects} == {"north", "south", "events"}
    dropped = run(channel, north(2, "TEST0042"))
    assert dropped.state is MessageState.FILTERED
    assert dropped.effects == ()


def test_a_transform_before_the_mapping_changes_events_payload_and_ordering_key(
    tmp_path: Path,
) -> None:
    channel = channel_with(tmp_path, '{ kind = "transform", call = "site_rules:normalize_mrn" }')
    raw = north(1, "mr-00123")
    done = run(channel, raw)
    assert done.state is MessageState.PROCESSED
    forwarded = next(e for e in done.effects if e.destination == "north")
    assert forwarded.payload == raw.replace(b"mr-00123", b"0000123")
    assert forwarded.ordering_key == "0000123"
    (event,) = [e for e in done.effects if e.destination == "events"]
    assert event.idempotency_key == "admit:HOSP|0000123:-"
    assert b'"value":"0000123"' in event.payload
    # An untouched message is forwarded as received, byte for byte.
    same = run(channel, north(2, "0004567"))
    assert next(e for e in same.effects if e.destination == "north").payload == north(2, "0004567")


def test_a_transform_after_the_mapping_may_replace_the_events(tmp_path: Path) -> None:
    step = '{ kind = "transform", call = "site_rules:rename_family", after = "mapping" }'
    done = run(channel_with(tmp_path, step), north(1, "123"))
    (event,) = [e for e in done.effects if e.destination == "events"]
    assert msgspec.json.decode(event.payload)["patient"]["names"][0]["family"] == "X"
    (stored,) = done.events
    assert b'"family":"X"' in stored.payload


def test_a_router_picks_destinations_from_attributes_steps_left(tmp_path: Path) -> None:
    channel = channel_with(
        tmp_path,
        '{ kind = "transform", call = "site_rules:tag_facility" }',
        router="site_rules:by_facility",
    )
    assert [e.destination for e in run(channel, north(1, "1")).effects] == ["north"]
    south = adt(2, "2", facility="SOUTH")
    assert [e.destination for e in run(channel, south).effects] == ["south", "events"]


@pytest.mark.parametrize(
    ("steps", "router", "error"),
    [
        (
            '{ kind = "transform", call = "site_rules:explodes" }',
            "",
            "StepError: transform site_rules:explodes raised ValueError: no MRN in PID-3",
        ),
        (
            '{ kind = "filter", call = "site_rules:says_maybe" }',
            "",
            "StepError: filter site_rules:says_maybe returned str, not a bool "
            "(True keeps the message, False filters it)",
        ),
        (
            '{ kind = "transform", call = "site_rules:gives_text" }',
            "",
            "StepError: transform site_rules:gives_text returned str; it returns None or a list "
            "of events or a Message",
        ),
        (
            "",
            "site_rules:routes_nowhere_known",
            "StepError: router site_rules:routes_nowhere_known chose ['elsewhere'], not among "
            "this channel's routed destinations ['north', 'south', 'events']",
        ),
        (
            "",
            "site_rules:drop_test_patients",
            "StepError: router site_rules:drop_test_patients returned bool; a router returns a "
            "destination name or a list of them",
        ),
    ],
)
def test_a_step_that_fails_puts_the_message_in_error_naming_the_step(
    tmp_path: Path, steps: str, router: str, error: str
) -> None:
    done = run(channel_with(tmp_path, steps, router=router), north(1, "mr-1"))
    assert done.state is MessageState.ERROR
    assert done.error == error
    assert done.error_code == "207"
    assert done.effects == ()


def test_files_beside_the_settings_are_loaded_apart_for_each_channel(tmp_path: Path) -> None:
    step = '{ kind = "filter", call = "site_rules:count" }'
    first = channel_with(tmp_path / "a", step, name="one")
    second = channel_with(tmp_path / "a", step, name="two")
    run(first, north(1, "1"))
    run(first, north(2, "2"))
    run(second, north(3, "3"))
    counted = [
        module.calls
        for name, module in sys.modules.items()
        if name.endswith(".site_rules") and getattr(module, "calls", None)
    ]
    assert sorted(counted) == [["one", "one"], ["two"]]
    assert "site_rules" not in sys.modules


def test_an_installed_module_is_used_when_no_file_is_beside_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_rules.py").write_text(
        "def keep_north(step):\n    return step.message.get('MSH-4') == 'NORTH'\n"
    )
    monkeypatch.syspath_prepend(str(site))
    channel = channel_with(
        tmp_path / "settings", '{ kind = "filter", call = "acme_rules:keep_north" }'
    )
    assert run(channel, north(1, "1")).state is MessageState.PROCESSED
    assert run(channel, adt(2, "2", facility="SOUTH")).state is MessageState.FILTERED
    # A file beside the settings comes first, even with the name of an installed module.
    (tmp_path / "beside").mkdir()
    (tmp_path / "beside" / "acme_rules.py").write_text("def keep_north(step):\n    return False\n")
    channel = channel_with(
        tmp_path / "beside", '{ kind = "filter", call = "acme_rules:keep_north" }'
    )
    assert run(channel, north(3, "3")).state is MessageState.FILTERED


@pytest.mark.parametrize(
    ("source", "steps", "router", "error"),
    [
        (
            "def broken(:\n",
            '{ kind = "filter", call = "site_rules:drop_test_patients" }',
            "",
            "channel adt: steps[0] (filter site_rules:drop_test_patients): site_rules.py failed "
            "to import: SyntaxError: invalid syntax (site_rules.py, line 1)",
        ),
        (
            "import no_such_helper_module\n",
            '{ kind = "filter", call = "site_rules:drop_test_patients" }',
            "",
            "channel adt: steps[0] (filter site_rules:drop_test_patients): site_rules.py failed "
            "to import: ModuleNotFoundError: No module named 'no_such_helper_module'",
        ),
        (
            RULES,
            '{ kind = "filter", call = "site_rules:drop_test_patients" }, '
            '{ kind = "transform", call = "site_rules:normalise_mrn" }',
            "",
            "channel adt: steps[1] (transform site_rules:normalise_mrn): site_rules.py has no "
            "function 'normalise_mrn'",
        ),
        (
            RULES,
            '{ kind = "transform", call = "site_rules:not_a_function" }',
            "",
            "channel adt: steps[0] (transform site_rules:not_a_function): 'not_a_function' in "
            "site_rules.py is a int, not a function",
        ),
        (
            RULES,
            '{ kind = "filter", call = "site_rules:two_arguments" }',
            "",
            "channel adt: steps[0] (filter site_rules:two_arguments): two_arguments(step, "
            "extra) in site_rules.py cannot be called with one argument (a step gets one "
            "StepContext)",
        ),
        (
            RULES,
            "",
            "site_rules:missing",
            "channel adt: router site_rules:missing: site_rules.py has no function 'missing'",
        ),
    ],
)
def test_a_step_that_cannot_be_loaded_is_a_config_error_naming_channel_step_and_reason(
    tmp_path: Path, source: str, steps: str, router: str, error: str
) -> None:
    (tmp_path / "site_rules.py").write_text(source)
    with pytest.raises(ConfigError) as raised:
        channel_with(tmp_path, steps, router=router)
    assert str(raised.value) == error


def test_a_module_found_nowhere_is_named_with_the_file_looked_for(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        channel_with(tmp_path, '{ kind = "filter", call = "site_rulez:keep" }')
    assert str(raised.value) == (
        f"channel adt: steps[0] (filter site_rulez:keep): no file {tmp_path / 'site_rulez.py'} "
        "and no installed module 'site_rulez'"
    )


def test_the_call_is_checked_where_the_settings_are_parsed() -> None:
    with pytest.raises(
        ConfigError,
        match=r"call must name a function as 'module:function'.*"
        r"not 'site_rules' - at `\$.channels\[0\].steps\[0\]`",
    ):
        parse_settings(
            '[[channels]]\nname = "a"\nsource = { type = "mllp" }\n'
            'steps = [{ kind = "filter", call = "site_rules" }]\n'
        )
    text = textwrap.dedent(
        """
        [[channels]]
        name = "a"
        source = { type = "mllp" }
        router = "site_rules:by_facility"
        [[channels.destinations]]
        name = "flows-only"
        payload = "none"
        connector = { type = "null" }
        """
    )
    (config,) = parse_settings(text).channels
    with pytest.raises(ConfigError, match="no destination with a raw or events payload"):
        build_channel(config, builtin_registries(), FlowServices(), settings_dir=None)
