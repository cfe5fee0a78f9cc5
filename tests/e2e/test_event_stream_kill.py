"""Acceptance: a subscriber of the NATS JetStream stream finds every business event of a sandbox day
exactly once, though the engine was killed with SIGKILL mid-day.

The example health system runs as a user runs it (``sandbox serve``, ``run``, ``sandbox send`` as
real processes) with one more destination on its EHR channel: ``analytics``, a ``nats`` destination
taking every event (the mapped ones and the ones the flows derive). ``careweave run`` is killed
twice during the send and restarted, the sender re-sending what was not acknowledged; afterwards
every event is published once more on purpose (each delivered effect requeued, as a crash between
the PubAck and its recording would). A JetStream consumer then reads the whole stream: its messages'
``Nats-Msg-Id`` are exactly the business keys of the events the store's lineage holds, each once.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from careweave.config import load_settings
from careweave.engine.clock import SystemClock
from careweave.engine.store.factory import build_store
from careweave.model.records import EffectState, Lineage, MessageQuery
from careweave.sandbox.erp.config import DEMO_CLIENT_SECRET
from tests.e2e.test_kill_restart import _counts, _send, _wait_settled
from tests.integration.api.example import EXAMPLE_API_SECRETS
from tests.integration.cli.test_operator_mistakes import CAREWEAVE, _env
from tests.integration.jetstream import ScratchStream, read_stream, scratch_stream
from tests.integration.sandbox.test_product_run import Server, example_copy, stored

pytestmark = pytest.mark.nats

KILLS = 2
DESTINATION = "analytics"
EVERYTHING = 100_000_000


def _with_stream(config: Path, stream: ScratchStream) -> None:
    """The example's settings with a ``nats`` destination for every event of the EHR channel."""
    block = f"""# Every business event of the EHR feed, for analytics subscribers.
[[channels.destinations]]
name = "{DESTINATION}"
payload = "events"
connector = {{ type = "nats", url = "{stream.url}", stream = "{stream.name}", subject_prefix = "{stream.prefix}" }}
owner = "analytics"
sla = "each business event published once, within 1 min of its message"

"""  # noqa: E501
    text = config.read_text()
    ehr = text.index('\nname = "ehr"\n')
    # At the end of the EHR channel: before the next channel or the [masterdata] section.
    ends = [i for part in ("\n[[channels]]", "\n[masterdata]") if (i := text.find(part, ehr)) >= 0]
    end = min(ends, default=len(text))
    config.write_text(f"{text[: end + 1]}{block}{text[end + 1 :]}")
    (channel,) = [c for c in load_settings(config, {}).channels if c.name == "ehr"]
    assert DESTINATION in [d.name for d in channel.destinations]


async def _lineages(config: Path, env: dict[str, str]) -> list[Lineage]:
    store = build_store(load_settings(config, env).engine, read_only=True)
    await store.open()
    try:
        messages = await store.list_messages(MessageQuery(limit=EVERYTHING))
        return [await store.lineage(m.id) for m in messages]
    finally:
        await store.close()


async def _publish_everything_again(config: Path, env: dict[str, str]) -> int:
    """Requeue every delivered event effect beside the running engine (a replay of each)."""
    store = build_store(load_settings(config, env).engine, shared=True)
    await store.open()
    try:
        effects = await store.list_effects(destination=DESTINATION, limit=EVERYTHING)
        ids = [e.id for e in effects if e.state is EffectState.DELIVERED]
        assert len(ids) == len(effects), "every event was delivered before the replay"
        return await store.requeue_effects(ids, reason="publish again", now=SystemClock().now())
    finally:
        await store.close()


def _day(folder: Path, stream: ScratchStream, env: dict[str, str]) -> None:
    config, _ports = example_copy(folder)
    _with_stream(config, stream)
    checked = subprocess.run(
        [str(CAREWEAVE), "check", "--config", str(config)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert checked.returncode == 0 and "warning" not in checked.stderr, checked.stderr
    serve = Server(
        ["sandbox", "serve", "--config", str(config)], folder / "serve.log", env, "ready"
    )
    engine: Server | None = None
    try:
        engine = Server(
            ["run", "--config", str(config)], folder / "run-0.log", env, "careweave ready"
        )
        sender = _send(config, env)
        for kill in range(1, KILLS + 1):
            target = stored(asyncio.run(_counts(config, env))) + 60
            deadline = time.monotonic() + 60
            while stored(asyncio.run(_counts(config, env))) < target:
                assert sender.poll() is None, "the day ended before the kills: slow the rate"
                assert time.monotonic() < deadline, "the engine stopped taking messages"
                time.sleep(0.05)
            engine.kill()
            engine = Server(
                ["run", "--config", str(config)], folder / f"run-{kill}.log", env, "careweave ready"
            )
        out, err = sender.communicate(timeout=180)
        assert sender.returncode == 0, f"{out}\n{err}"
        assert ", resent 0" not in out, f"a kill should force re-sends: {out}"
        _wait_settled(config, env)
        assert asyncio.run(_publish_everything_again(config, env)) > 0
        _wait_settled(config, env)
    finally:
        if engine is not None and engine.proc.poll() is None:
            assert engine.stop() == 0
        serve.stop()


async def test_every_business_event_of_a_killed_day_is_in_the_stream_exactly_once(
    tmp_path: Path, nats_url: str
) -> None:
    env = {**_env(), "CAREWEAVE_ERP_SECRET": DEMO_CLIENT_SECRET, **EXAMPLE_API_SECRETS}
    async with scratch_stream(nats_url) as stream:
        await asyncio.to_thread(_day, tmp_path, stream, env)
        lineages = await _lineages(tmp_path / "careweave.toml", env)
        messages = await read_stream(stream)

    events = {(e.event_type, e.idempotency_key) for lin in lineages for e in lin.events}
    assert events, "the day produced business events"
    types = {event_type for event_type, _key in events}
    assert {"ChargeCaptured", "SupplyUsed", "ChargeRouted"} <= types, types  # derived ones too

    ids = Counter(m.msg_id for m in messages)
    doubled = {key: n for key, n in ids.items() if n > 1}
    assert not doubled, f"published twice: {sorted(doubled)[:10]}"
    streamed = {(m.subject.removeprefix(f"{stream.prefix}."), m.msg_id) for m in messages}
    assert not events - streamed, f"missing: {sorted(events - streamed)[:10]}"
    assert not streamed - events, f"not in the lineage: {sorted(streamed - events)[:10]}"

    # Every event was published at least twice (the requeue): JetStream dropped the repeats.
    effects = [e for lin in lineages for e in lin.effects if e.destination == DESTINATION]
    assert {e.state for e in effects} == {EffectState.DELIVERED}
    last = {
        a.effect_id: a.response or ""
        for lin in lineages
        for a in sorted(lin.attempts, key=lambda a: a.started_at)
    }
    assert all(last[e.id].endswith("(duplicate: already in the stream)") for e in effects)
