"""Acceptance 4 of issue 14 on PostgreSQL: the sandbox EHR's messages through an engine whose store
is PostgreSQL, then a ``pg_dump`` of its schema holds none of the patients' values in clear with a
PHI key; without one the same search finds them (so it can fail)."""

from __future__ import annotations

import asyncio
import base64
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from careweave.app import build_application
from careweave.config import parse_settings
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario, send_scenario
from careweave.testing import RecordingHttpServer

pytestmark = pytest.mark.postgres

KEY = base64.b64encode(bytes(range(32))).decode()
SCENARIO = generate_scenario(EhrScenarioConfig(seed=7, encounters_per_day=8, malformed_rate=0.0))


def _known_values() -> set[str]:
    sent = b"".join(m.raw for m in SCENARIO.messages)
    values: set[str] = set()
    for p in SCENARIO.patients:
        candidates = {
            p.epic_mrn,
            p.cerner_mrn,
            p.practice_chart,
            p.enterprise_id,
            p.birth_date.strftime("%Y%m%d"),
            p.street,
            f"{p.family}^{p.given}",
        }
        values |= {v for v in candidates if v.encode() in sent}
    return values


@pytest.fixture
def schema(postgres_url: str) -> Iterator[str]:
    name = f"cw_phi_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as pg:
        pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


async def _run(url: str, schema: str, folder: Path, *, sealed: bool) -> None:
    phi = 'phi_key_env = "CAREWEAVE_PHI_KEY"' if sealed else ""
    with RecordingHttpServer() as rcm:
        settings = parse_settings(f"""
[engine]
database_url = "{url}"
database_schema = "{schema}"
log_level = "error"
{phi}

[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
ordering_key = "PID-3.1"
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "rcm"
payload = "events"
connector = {{ type = "http", url = "{rcm.url}/rcm/events" }}
""")
        application = build_application(
            settings, settings_dir=folder, env={"CAREWEAVE_PHI_KEY": KEY}, middleware=[]
        )
        async with application:
            await application.start()
            port = application.engine.listeners["ehr"].port
            results = await send_scenario(SCENARIO.messages, "127.0.0.1", port, 2, None)
            assert all(r.ack_code == "AA" for r in results), [r.ack_code for r in results]
            store = application.store
            for _ in range(600):  # until every effect is delivered (bounded, not timed)
                counts = await store.counts()
                if counts.get("effects.delivered", 0) and not counts.get("effects.pending", 0):
                    break
                await asyncio.sleep(0.05)
            await application.stop()


def _dump(url: str, schema: str) -> bytes:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is not installed (the PostgreSQL client tools are needed)")
    done = subprocess.run(
        [pg_dump, "--no-owner", f"--schema={schema}", url], capture_output=True, check=True
    )
    return done.stdout


def _found(dump: bytes, values: set[str]) -> set[str]:
    # bytea columns are dumped in hex: look for both spellings.
    return {v for v in values if v.encode() in dump or v.encode().hex().encode() in dump}


@pytest.mark.parametrize("sealed", [True, False], ids=["with-key", "without-key"])
def test_a_pg_dump_holds_no_patient_value_in_clear_with_a_key(
    postgres_url: str, schema: str, tmp_path: Path, sealed: bool
) -> None:
    values = _known_values()
    assert len(values) > 20  # the search looks for something
    asyncio.run(_run(postgres_url, schema, tmp_path, sealed=sealed))
    found = _found(_dump(postgres_url, schema), values)
    if sealed:
        assert found == set()
    else:
        assert len(found) >= len(values) // 2, sorted(values - found)[:10]
