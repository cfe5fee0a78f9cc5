"""The example health system run like a product: three real processes on real sockets.

A copy of ``examples/health-system`` with free ports and a temporary data folder; ``careweave
sandbox serve`` starts the revenue-cycle and ERP simulators, ``careweave run`` the engine, and
``careweave sandbox send`` plays a simulated day into it. Every message is stored, the simulators
receive charges, inventory movements and journals, the ERP's on-hand matches careweave's stock
positions, and SIGTERM stops both servers with exit code 0.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

import httpx

from careweave.config import load_settings
from careweave.engine.store.factory import build_store
from careweave.erp.stored import stored_positions
from careweave.masterdata.files import load_master_data
from careweave.sandbox.erp.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.integration.api.example import EXAMPLE_API_PORT, EXAMPLE_API_SECRETS
from tests.integration.cli.test_operator_mistakes import CAREWEAVE, _env
from tests.integration.engine.helpers import free_port

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "health-system"
PORTS = {"mllp": 27575, "rcm": 27580, "erp": 27590, "api": EXAMPLE_API_PORT}


def example_copy(folder: Path) -> tuple[Path, dict[str, int]]:
    """The example's settings and master data under ``folder``, on free ports, data in ``folder``."""
    shutil.copytree(EXAMPLE / "masterdata", folder / "masterdata")
    ports = {name: free_port() for name in PORTS}
    text = (EXAMPLE / "careweave.toml").read_text()
    for name, port in PORTS.items():
        assert str(port) in text
        text = text.replace(str(port), str(ports[name]))
    text = text.replace('"var/health-system', f'"{folder}/data')
    assert "var/" not in text
    config = folder / "careweave.toml"
    config.write_text(text)
    return config, ports


class Server:
    """A long-running careweave command, started once it prints ``ready`` on stdout."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str], ready: str) -> None:
        self.log = log
        self._stderr: IO[str] = log.open("w")
        self.proc = subprocess.Popen(
            [str(CAREWEAVE), *args], stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == ready, f"{args[0]} did not start: {line!r} {log.read_text()}"

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush or say goodbye."""
        self.proc.kill()
        self.proc.wait(30)
        self._stderr.close()

    def stop(self) -> int:
        """SIGTERM, then the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        finally:
            self._stderr.close()


def stored(counts: dict[str, int]) -> int:
    """Messages in the store, whatever their state."""
    return sum(
        n for k, n in counts.items() if k.startswith("messages.") and k != "messages.duplicates"
    )


async def settled(config: Path, expected: int, timeout: float = 40.0) -> dict[str, int]:
    """The store's counts once ``expected`` messages are in and no effect is pending."""
    store = build_store(load_settings(config, {}).engine, read_only=True)
    await store.open()
    try:
        deadline = time.monotonic() + timeout
        while True:
            counts = await store.counts()
            open_effects = counts.get("effects.pending", 0) + counts.get("effects.in_flight", 0)
            if stored(counts) >= expected and not open_effects:
                return counts
            assert time.monotonic() < deadline, counts
            await asyncio.sleep(0.2)
    finally:
        await store.close()


async def positions(config: Path) -> dict[tuple[str, str], int]:
    settings = load_settings(config, {})
    master = load_master_data(settings.masterdata, base_dir=config.parent, on=dt.date(2025, 3, 3))
    store = build_store(settings.engine, read_only=True)
    await store.open()
    try:
        moved = await stored_positions(store, master.opening_stock)
    finally:
        await store.close()
    return {key: p.on_hand for key, p in moved.items()}


def erp_on_hand(base: str) -> dict[tuple[str, str], int]:
    """The ERP's on hand per (location, item), as its last movement of each left it."""
    with httpx.Client(base_url=base, timeout=10) as client:
        form = {"grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET}  # fmt: skip
        token = client.post("/oauth/token", data=form).json()["access_token"]
        answer = client.get(
            "/api/v2/inventory/transactions", headers={"Authorization": f"Bearer {token}"}
        )
    answer.raise_for_status()
    return {(t["location_id"], t["item_number"]): t["on_hand_after"] for t in answer.json()}


def test_serve_run_and_send_a_simulated_day(tmp_path: Path) -> None:
    config, ports = example_copy(tmp_path)
    env = {**_env(), "CAREWEAVE_ERP_SECRET": DEMO_CLIENT_SECRET, **EXAMPLE_API_SECRETS}
    serve = Server(
        ["sandbox", "serve", "--config", str(config)], tmp_path / "serve.log", env, "ready"
    )
    run = None
    try:
        run = Server(["run", "--config", str(config)], tmp_path / "run.log", env, "careweave ready")
        sent = subprocess.run(
            [str(CAREWEAVE), "sandbox", "send", "--config", str(config),
             "--encounters", "20", "--seed", "7"],
            capture_output=True, text=True, timeout=60, env=env, check=False,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        summary = re.fullmatch(
            r"ehr: sent (\d+), answered (\d+) \(AA (\d+), AE (\d+), AR (\d+)\), resent 0\n",
            sent.stdout,
        )
        assert summary, sent.stdout
        total, answered, _aa, ae, ar = map(int, summary.groups())
        assert total == answered and ar > 0, "the deliberately malformed ones are answered AR"

        counts = asyncio.run(settled(config, total))
        assert stored(counts) == total
        assert counts.get("messages.error", 0) == ae + ar, "each refused message is stored"
        assert counts.get("effects.dead", 0) == 0, counts

        rcm = httpx.get(f"http://127.0.0.1:{ports['rcm']}/api/charges", timeout=10).json()
        assert rcm, "the revenue-cycle platform received charges"
        erp = f"http://127.0.0.1:{ports['erp']}"
        records = httpx.get(f"{erp}/admin/state", timeout=10).json()["records"]
        on_hand_rows = (tmp_path / "masterdata" / "on_hand.csv").read_text().splitlines()[1:]
        assert records["inventory_transactions"] > len(on_hand_rows), "movements after the opening"
        assert records["journals"] > 0
        ours = asyncio.run(positions(config))
        assert ours, "careweave moved stock"
        theirs = erp_on_hand(erp)
        assert {key: theirs[key] for key in ours} == ours, "the ERP's books match careweave's"
    finally:
        codes = {"run": run.stop() if run is not None else 0, "serve": serve.stop()}
    logs = "".join((tmp_path / f"{name}.log").read_text()[-2000:] for name in ("run", "serve"))
    assert codes == {"run": 0, "serve": 0}, logs
