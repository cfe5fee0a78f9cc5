"""Acceptance: a day's business state survives SIGKILL of the engine, on SQLite and on PostgreSQL.

The example health system (``examples/health-system``) runs as a user runs it: ``sandbox serve``,
``run`` and ``sandbox send`` as real processes. A reference run sends a seeded day undisturbed; a
second run of the same day kills ``careweave run`` with SIGKILL three times during the send and
restarts it each time, while the sender re-sends what was not acknowledged. Both end with the same
``careweave report --json`` business state: counts and money per kind of delivered effect, ledger
balances, stock, charges, claims and open cases. On PostgreSQL two ``run`` processes share the
database and one of them is killed each time.

A message's business state changes only in the commit that stores it, so a kill loses nothing that
was acknowledged and doubles nothing that is re-sent; these runs would differ otherwise (a stock
position forgotten at restart changes the requisitions, a journal posted twice the balances).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from careweave.config import load_settings
from careweave.engine.store.factory import build_store
from careweave.sandbox.erp.config import DEMO_CLIENT_SECRET
from tests.integration.api.example import EXAMPLE_API_SECRETS
from tests.integration.cli.test_operator_mistakes import CAREWEAVE, _env
from tests.integration.engine.helpers import free_port
from tests.integration.sandbox.test_product_run import Server, example_copy, stored

ENCOUNTERS = 60
SEED = 7
RATE = 150.0
"""Messages per second: the day lasts a few seconds, long enough to kill and restart three times."""
KILLS = 3


def _send(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CAREWEAVE), "sandbox", "send", "--config", str(config),
         "--encounters", str(ENCOUNTERS), "--seed", str(SEED), "--rate", str(RATE)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


async def _counts(config: Path, env: dict[str, str]) -> dict[str, int]:
    store = build_store(load_settings(config, env).engine, read_only=True)
    await store.open()
    try:
        return await store.counts()
    finally:
        await store.close()


def _wait_settled(config: Path, env: dict[str, str], timeout: float = 90.0) -> None:
    """Until no effect is pending or in flight (the engines deliver what the day queued)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = asyncio.run(_counts(config, env))
        if counts.get("effects.pending", 0) + counts.get("effects.in_flight", 0) == 0:
            return
        assert time.monotonic() < deadline, f"effects still open: {counts}"
        time.sleep(0.3)


def _report(config: Path, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [str(CAREWEAVE), "report", "--config", str(config), "--json"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    report.pop("messages")
    return dict(report)


def _second_engine(config: Path) -> Path:
    """The same settings on another MLLP port: a second process sharing the PostgreSQL store."""
    text = config.read_text()
    port = free_port()
    second = config.with_name("careweave-2.toml")
    settings = load_settings(config, {})
    first_port = settings.channels[0].source.port
    text = text.replace(f"port = {first_port}", f"port = {port}")
    if settings.api is not None:  # each engine serves the API on a port of its own
        text = text.replace(f"port = {settings.api.port}", f"port = {free_port()}")
    second.write_text(text)
    return second


def _day(folder: Path, env: dict[str, str], *, kills: int, two_engines: bool) -> dict[str, object]:
    folder.mkdir()
    config, _ports = example_copy(folder)
    configs = [config, _second_engine(config)] if two_engines else [config]
    serve = Server(
        ["sandbox", "serve", "--config", str(config)], folder / "serve.log", env, "ready"
    )
    engines: list[Server | None] = [None] * len(configs)

    def start(i: int, attempt: int) -> None:
        engines[i] = Server(
            ["run", "--config", str(configs[i])],
            folder / f"run-{i}-{attempt}.log",
            env,
            "careweave ready",
        )

    try:
        for i in range(len(configs)):
            start(i, 0)
        sender = _send(config, env)
        for kill in range(1, kills + 1):
            # Let part of the day in, then kill an engine mid-stream (on PostgreSQL, alternately
            # the one receiving the feed and the other one, which only delivers).
            target = stored(asyncio.run(_counts(config, env))) + 60
            deadline = time.monotonic() + 60
            while stored(asyncio.run(_counts(config, env))) < target:
                assert sender.poll() is None, "the day ended before the kills: slow the rate"
                assert time.monotonic() < deadline, "the engine stopped taking messages"
                time.sleep(0.05)
            victim = (kill - 1) % len(configs)
            engine = engines[victim]
            assert engine is not None
            engine.kill()
            start(victim, kill)
        out, err = sender.communicate(timeout=180)
        assert sender.returncode == 0, f"{out}\n{err}"
        if kills:
            assert ", resent 0" not in out or two_engines, f"a kill should force re-sends: {out}"
        _wait_settled(config, env)
        return _report(config, env)
    finally:
        for engine in engines:
            if engine is not None and engine.proc.poll() is None:
                assert engine.stop() == 0
        serve.stop()


def test_sqlite_day_killed_three_times_ends_with_the_same_books(tmp_path: Path) -> None:
    env = {**_env(), "CAREWEAVE_ERP_SECRET": DEMO_CLIENT_SECRET, **EXAMPLE_API_SECRETS}
    reference = _day(tmp_path / "reference", env, kills=0, two_engines=False)
    killed = _day(tmp_path / "killed", env, kills=KILLS, two_engines=False)
    assert reference["delivered"], "the day delivered effects"
    assert reference["ledger"] and reference["stock"], "the day moved the books and the stock"
    assert killed == reference


@pytest.mark.postgres
def test_postgres_two_engines_one_killed_each_time_end_with_the_same_books(
    tmp_path: Path, postgres_url: str
) -> None:
    schemas = [f"cw_kill_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    base = {**_env(), "CAREWEAVE_ERP_SECRET": DEMO_CLIENT_SECRET, **EXAMPLE_API_SECRETS}
    base["CAREWEAVE_DATABASE_URL"] = postgres_url
    try:
        reference = _day(
            tmp_path / "reference",
            {**base, "CAREWEAVE_DATABASE_SCHEMA": schemas[0]},
            kills=0,
            two_engines=False,
        )
        killed = _day(
            tmp_path / "killed",
            {**base, "CAREWEAVE_DATABASE_SCHEMA": schemas[1]},
            kills=KILLS,
            two_engines=True,
        )
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as pg:
            for schema in schemas:
                pg.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )
    assert reference["delivered"] and reference["ledger"] and reference["stock"]
    assert killed == reference
