"""``careweave revenue bill``: claims under ``careweave run`` from the settings alone.

The settings name the revenue-cycle platform (an ``rcm`` destination), a ``claims`` channel running
``claim-submission`` with a ``file`` clearinghouse destination, the ``[claims]`` section and the
example health system's master data. A small EHR day goes through a running engine into the RCM
simulator (served in-process on a real socket); ``revenue bill`` runs as its own process on the same
SQLite file, and the running engine drops the 837 files in the folder.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careweave.app import build_application
from careweave.cli.app import app
from careweave.config import load_settings
from careweave.engine.store.base import BaseStore
from careweave.flows.claim_register import registered_claims
from careweave.model.records import EffectState
from careweave.model.state import StateTable
from careweave.sandbox.health_system import simulated_day
from careweave.sandbox.rcm import RcmSimulator
from careweave.sandbox.serving import SimulatorServer

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "health-system"
CLI = [sys.executable, "-m", "careweave"]
ENV = {**os.environ, "COLUMNS": "200"}
CLAIMS = """
[claims]
submitter = { name = "RIVERBEND HEALTH", id = "RBH837", contact_phone = "9205550100" }
receiver = { name = "CAREWEAVE CLEARINGHOUSE", id = "CWCLEARING" }

[claims.interchange]
sender_id = "RBH837"
receiver_id = "CWCLEARING"
usage = "T"
application_sender = "RBHBILL"
"""


def write_settings(
    folder: Path, rcm_url: str, *, claims: str = CLAIMS, masterdata: bool = True
) -> Path:
    """Settings like the example's, on ``folder``: the EHR feed, the claims channel, the outbox."""
    shutil.copytree(EXAMPLE / "masterdata", folder / "masterdata")
    example = (EXAMPLE / "careweave.toml").read_text()
    section = example[example.index("\n[masterdata]\n") :]
    if not masterdata:
        section = section.replace('entities = "masterdata/entities.csv"\n', "")
    config = folder / "careweave.toml"
    config.write_text(
        f"""[engine]
data_dir = "{folder / "data"}"

[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["patient-to-billing"]
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "revenue-cycle"
payload = "none"
connector = {{ type = "rcm", base_url = "{rcm_url}" }}

[[channels]]
name = "claims"
format = "claim-run"
flows = ["claim-submission"]
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "clearinghouse"
payload = "none"
connector = {{ type = "file", directory = "{folder / "outbox"}", suffix = ".837" }}
{claims}
{section}"""
    )
    return config


async def careweave(*args: str) -> tuple[int, str, str]:
    """Run the real CLI in its own process."""
    proc = await asyncio.create_subprocess_exec(
        *CLI, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=ENV
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


async def wait_until(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0
) -> None:
    """Poll ``check`` (deliveries by the engine's workers) until it answers True."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, f"timed out after {timeout}s waiting for {what}"
        await asyncio.sleep(0.05)


def delivered(store: BaseStore, destination: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        for state in (EffectState.PENDING, EffectState.IN_FLIGHT):
            if await store.list_effects(destination=destination, state=state, limit=1):
                return False
        return True

    return check


async def test_revenue_bill_drops_valid_837s_once_and_bills_nothing_twice(tmp_path: Path) -> None:
    rcm = RcmSimulator()
    day = [m for m in simulated_day(7, 20).messages if not m.malformed]
    with SimulatorServer(rcm.app, name="rcm") as server:
        config = write_settings(tmp_path, server.base_url)
        settings = load_settings(config, {})
        application = build_application(settings, settings_dir=config.parent, env={})
        async with application:
            store = application.store
            await application.start(listen=False)
            for message in day:
                await application.engine.receive_hl7("ehr", message.raw)
            await wait_until(delivered(store, "revenue-cycle"), "the charges to the RCM")
            ready = len(rcm.state.ready())
            assert ready, "a small day leaves accounts ready to bill"

            code, out, err = await careweave(
                "revenue", "bill", "--config", str(config), "--run-id", "day-1"
            )
            assert code == 0, err
            assert out.startswith("claim run day-1: message "), out
            await wait_until(delivered(store, "clearinghouse"), "the 837 files")
            await wait_until(delivered(store, "revenue-cycle"), "the billed notices")
            claims = registered_claims(await store.state_rows(StateTable.CLAIMS))
            assert len(claims) == ready
            assert f"{len(claims)} claim(s) in " in out, out

            files = sorted((tmp_path / "outbox").glob("*.837"))
            assert files and f"in {len(files)} 837 file(s)" in out, out
            for file in files:
                text = file.read_text()
                assert "*T*:~" in text.split("~", 1)[0] + "~"  # ISA15 from [claims]: a test file
                assert "GS*HC*RBHBILL*CWCLEARING*" in text  # GS02 application sender
                code, out_v, err_v = await careweave("x12", "validate", str(file))
                assert code == 0, out_v + err_v
            assert not rcm.state.ready(), "the platform heard which claim billed each"

            code, out, err = await careweave("revenue", "bill", "--config", str(config))
            assert code == 0, err
            assert "no account is ready to bill" in out or "nothing billed again" in out, out
            again = registered_claims(await store.state_rows(StateTable.CLAIMS))
            assert sorted(c.claim_id for c in again) == sorted(c.claim_id for c in claims)
            assert sorted((tmp_path / "outbox").glob("*.837")) == files


async def test_the_same_ready_accounts_sent_again_are_a_duplicate_run(tmp_path: Path) -> None:
    rcm = RcmSimulator()
    day = [m for m in simulated_day(3, 10).messages if not m.malformed]
    with SimulatorServer(rcm.app, name="rcm") as server:
        config = write_settings(tmp_path, server.base_url)
        application = build_application(load_settings(config, {}), settings_dir=tmp_path, env={})
        async with application:
            store = application.store
            await application.start(listen=False, deliver=False)
            for message in day:
                await application.engine.receive_hl7("ehr", message.raw)
        # The charges are queued, not delivered: deliver them, then stop (no billed notice goes out).
        application = build_application(load_settings(config, {}), settings_dir=tmp_path, env={})
        async with application:
            await application.start(listen=False)
            await wait_until(delivered(application.store, "revenue-cycle"), "the charges")
        assert rcm.state.ready()
        code, first, err = await careweave("revenue", "bill", "--config", str(config))
        assert code == 0 and " claim(s) in " in first, err
        code, second, err = await careweave("revenue", "bill", "--config", str(config))
        assert code == 0, err
        assert "already sent as message" in second and "nothing billed again" in second, second
        async with build_application(
            load_settings(config, {}), settings_dir=tmp_path, env={}
        ) as application:
            store = application.store
            claims = registered_claims(await store.state_rows(StateTable.CLAIMS))
            assert len({c.claim_id for c in claims}) == len(claims) == len(rcm.state.ready())


@pytest.mark.parametrize(
    ("claims", "masterdata", "says"),
    [
        ("", True, "flow 'claim-submission' needs the [claims] section"),
        (CLAIMS, False, "[claims] needs [masterdata] entities"),
        (CLAIMS.replace('usage = "T"', 'usage = "X"'), True, "$.claims.interchange.usage"),
    ],
)
def test_check_and_bill_refuse_claims_settings_that_cannot_bill(
    tmp_path: Path, claims: str, masterdata: bool, says: str
) -> None:
    config = write_settings(tmp_path, "http://127.0.0.1:9", claims=claims, masterdata=masterdata)
    for command in (["check"], ["revenue", "bill"]):
        result = CliRunner().invoke(app, [*command, "--config", str(config)])
        assert result.exit_code == 2, result.output
        (line,) = result.output.strip().splitlines()
        assert line.startswith("error: ") and says in line, line
