"""An in-process ERP day: EHR scenario -> engine (SQLite) -> ERP flows -> ERP simulator over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from careweave.app import build_engine
from careweave.config import parse_settings
from careweave.connectors.erp import ErpConfig, ErpConnector, ErpDestination
from careweave.engine.runtime import Engine
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.model.records import EffectState
from careweave.sandbox.erp import ErpSimulator, ErpSimulatorConfig, ErpSimulatorServer
from careweave.sandbox.erp_books import ScenarioBooks, seed_erp

SETTINGS = """
[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["supply-to-replenish", "cost-allocation"]
source = { type = "mllp", port = 0 }
[[channels.destinations]]
name = "erp"
# Flow effects only: the route itself forwards no event (the engine has no "flows only" route yet).
payload = "events"
event_types = ["NoSuchEvent"]
connector = { type = "null" }
worker = { concurrency = 8, retry = { max_attempts = 20, initial_backoff = 0.05, max_backoff = 0.2 } }

[[channels]]
name = "remittance"
format = "x12"
mapping = "x12-835-finance"
flows = ["finance-posting"]
source = { type = "mllp", port = 0 }

[[channels]]
name = "close"
format = "erp-close-request"
flows = ["month-end-close"]
source = { type = "mllp", port = 0 }
"""


@dataclass
class ErpDay:
    engine: Engine
    store: SqliteStore
    simulator: ErpSimulator
    books: ScenarioBooks

    async def settle(self, timeout: float = 60.0) -> None:
        """Wait until no ERP effect is pending or in flight."""
        deadline = time.monotonic() + timeout
        while True:
            open_effects = [
                e
                for state in (EffectState.PENDING, EffectState.IN_FLIGHT)
                for e in await self.store.list_effects(destination="erp", state=state, limit=10)
            ]
            if not open_effects:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"ERP effects still open after {timeout}s: {open_effects[:3]}")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def erp_day(tmp_path: Path, books: ScenarioBooks) -> AsyncIterator[ErpDay]:
    simulator = ErpSimulator(ErpSimulatorConfig(rate_limit=2000.0, rate_burst=500))
    seed_erp(simulator.state, books)
    with ErpSimulatorServer(simulator) as server:
        connector = ErpConnector(
            ErpConfig(
                base_url=server.base_url,
                client_id="careweave",
                rate_limit=2000.0,
                rate_burst=100,
            ),
            secret="careweave-secret",
        )
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
        await store.open()
        engine = build_engine(
            parse_settings(SETTINGS),
            store,
            middleware=[],
            connector_overrides={"erp": ErpDestination(connector)},
            services=books.services(),
        )
        await engine.start(listen=False)
        try:
            yield ErpDay(engine=engine, store=store, simulator=simulator, books=books)
        finally:
            await engine.stop()
            await connector.aclose()
            await store.close()
