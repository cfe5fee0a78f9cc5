"""An ERP day as operators run it: master data in files, the engine running, fixes from the CLI.

The master data (item master, crosswalk, locations, par levels, cost centers, standard costs,
physicians) is written as the CSV files a health system keeps under version control and named in the
settings' ``[masterdata]`` section. The engine, built by ``careweave.app.build_application`` from
those settings, runs in-process on PostgreSQL and delivers to the ERP simulator over HTTP. A code
missing from the crosswalk parks its transactions; ``careweave crosswalk add --config`` (a second
process's worth of work on the same database) resolves the case and replays them, and the running
engine delivers what the replay queued. ``careweave erp close`` and ``careweave erp report`` close
the period and print its report. (tests/integration/cli/test_erp_cli.py runs the same on SQLite, the
CLI in its own processes.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path

import psycopg
from psycopg import sql
from typer.testing import CliRunner

from careweave.app import build_application
from careweave.cli.app import app
from careweave.config import load_settings
from careweave.engine.runtime import Engine
from careweave.erp.stored import stored_closed_periods, stored_journals, stored_positions
from careweave.flows.supply_to_replenish import encounter_key
from careweave.model.records import EffectState
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.erp import ErpSimulator, ErpSimulatorConfig, ErpSimulatorServer
from careweave.sandbox.erp_books import build_books, erp_item_number, seed_erp
from tests.integration.erp_flows.expectations import events_of, unbalanced
from tests.integration.erp_flows.master_files import SECRET, erp_settings, write_master_files


async def settle(engine: Engine, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        pending = [
            e
            for state in (EffectState.PENDING, EffectState.IN_FLIGHT)
            for e in await engine.store.list_effects(destination="erp", state=state, limit=5)
        ]
        if not pending:
            return
        assert loop.time() < deadline, f"effects still open: {pending[:2]}"
        await asyncio.sleep(0.1)


async def test_an_erp_day_with_a_crosswalk_fix_and_a_close_from_the_cli(
    tmp_path: Path, postgres_url: str
) -> None:
    scenario = generate_scenario(
        EhrScenarioConfig(seed=4, days=1, encounters_per_day=40, item_mismatch_rate=0.15)
    )
    messages = list(scenario.well_formed())
    supplies, _ = events_of(messages)
    missing = scenario.catalog.missing_from_erp
    code, uses = Counter(s.item.code for s in supplies if s.item.code in missing).most_common(1)[0]
    books = build_books(scenario, crosswalk_missing=missing)
    config = tmp_path / "careweave.toml"
    # PostgreSQL: the CLI works on the same store while the engine runs, as a second process would.
    schema = f"cw_erp_{uuid.uuid4().hex[:12]}"
    engine_section = f'[engine]\ndatabase_url = "{postgres_url}"\ndatabase_schema = "{schema}"\n'
    masterdata = write_master_files(tmp_path, books)

    simulator = ErpSimulator(ErpSimulatorConfig(rate_limit=2000.0, rate_burst=500))
    seed_erp(simulator.state, books)
    runner = CliRunner(env={"CAREWEAVE_ERP_SECRET": SECRET})
    with ErpSimulatorServer(simulator) as server:
        config.write_text(engine_section + masterdata + erp_settings(server.base_url))
        application = build_application(
            load_settings(config, {}),
            settings_dir=tmp_path,
            env={"CAREWEAVE_ERP_SECRET": SECRET},
            middleware=[],
        )
        assert application.warnings == ()
        assert application.masterdata is not None and application.masterdata.crosswalk is not None
        assert len(application.masterdata.crosswalk.entries()) == len(books.crosswalk.entries())
        engine, store = application.engine, application.store
        try:
            await application.start(listen=False)
            for message in messages:
                await engine.receive_hl7("ehr", message.raw)
            await settle(engine)
            state = simulator.state
            parked = {f"{encounter_key(s)}/{s.line_id}" for s in supplies if s.item.code == code}
            moved = {t.reference for t in state.transactions()}
            assert not parked & moved

            listed = await asyncio.to_thread(
                runner.invoke, app, ["erp", "cases", "--config", str(config)]
            )
            assert listed.exit_code == 0, listed.output
            assert f"item-miss:{code}" in listed.output and erp_item_number(code) in listed.output

            add = await asyncio.to_thread(
                runner.invoke,
                app,
                ["crosswalk", "add", code, erp_item_number(code), "--config", str(config),
                 "--actor", "jdoe", "--effective", "2024-01-01"],
            )  # fmt: skip
            assert add.exit_code == 0, add.output
            assert "message(s) replayed" in add.output
            await settle(engine)
            references = Counter(t.reference for t in state.transactions())
            assert parked <= set(references)
            assert all(n == 1 for ref, n in references.items() if ref != "opening")
            assert sum(1 for t in state.transactions() if t.reference in parked) == uses
            assert "jdoe" in (tmp_path / "masterdata" / "crosswalk.csv").read_text()
            # The running engine picks the fix up from the file (its watcher logs the reload: wait
            # for it, so that its log line does not land in the next command's captured output).
            for _ in range(200):
                crosswalk = application.masterdata.crosswalk if application.masterdata else None
                if crosswalk is not None and any(e.code == code for e in crosswalk.entries()):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the running engine did not reload the crosswalk")
            # The CLI's engine moved stock in the shared store: careweave's positions are the ERP's.
            positions = await stored_positions(store)
            assert positions and all(
                state.on_hand(item, loc) == p.on_hand for (loc, item), p in positions.items()
            )

            close = await asyncio.to_thread(
                runner.invoke,
                app,
                ["erp", "close", "2025-03", "--config", str(config)],
            )
            assert close.exit_code == 0, close.output
            await settle(engine)
            accruals = [j for j in state.journals() if "unbilled-accrual" in j.external_id]
            assert accruals and unbalanced(state.journals()) == []
            assert [c.period for c in await stored_closed_periods(store)] == ["2025-03"]
            posted = {p.journal.business_key for p in await stored_journals(store)}
            assert posted == {j.external_id for j in state.journals()}

            report = await asyncio.to_thread(
                runner.invoke, app, ["erp", "report", "2025-03", "--config", str(config)]
            )
            assert report.exit_code == 0, report.output
            assert report.output.startswith("Close cycle 2025-03")
            assert "RBH01:" in report.output
        finally:
            await application.close()
            with psycopg.connect(postgres_url, autocommit=True) as pg:
                pg.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )
