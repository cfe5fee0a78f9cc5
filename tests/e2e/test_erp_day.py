"""An ERP day as operators run it: master data in files, the engine running, fixes from the CLI.

The master data (item master, crosswalk, locations, par levels, cost centers, standard costs,
physicians) is written as the CSV files a health system keeps under version control and loaded by
``load_erp_master_data``. The engine runs in-process on SQLite and delivers to the ERP simulator over
HTTP. A code missing from the crosswalk parks its transactions; ``careweave crosswalk add`` (a second
process's worth of work on the same database) resolves the case and replays them, and the running
engine delivers what the replay queued. ``careweave erp close`` and ``careweave erp report`` close
the period and print its report.
"""

from __future__ import annotations

import asyncio
import csv
import uuid
from collections import Counter
from pathlib import Path

import psycopg
from psycopg import sql
from typer.testing import CliRunner

from careweave.app import build_engine
from careweave.cli.app import app
from careweave.config import load_settings
from careweave.connectors.erp import ErpConfig, ErpConnector, ErpDestination
from careweave.engine.records import EffectState
from careweave.engine.runtime import Engine
from careweave.engine.store.factory import build_store
from careweave.erp.stored import stored_closed_periods, stored_journals, stored_positions
from careweave.flows.supply_to_replenish import encounter_key
from careweave.masterdata import format_crosswalk
from careweave.masterdata.loader import load_erp_master_data
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.erp import ErpSimulator, ErpSimulatorConfig, ErpSimulatorServer
from careweave.sandbox.erp_books import (
    OPENING_STOCK,
    SINCE,
    ScenarioBooks,
    build_books,
    erp_item_number,
    seed_erp,
)
from tests.integration.erp_flows.expectations import events_of, unbalanced
from tests.integration.erp_flows.harness import SETTINGS


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_master_files(folder: Path, books: ScenarioBooks) -> Path:
    items = books.crosswalk.items()
    write_csv(
        folder / "items.csv",
        ["item_number", "description", "uom", "standard_cost", "effective_from", "gtin",
         "manufacturer", "catalog_number", "consigned"],
        [[i.item_number, i.description, i.uom, i.standard_cost, SINCE, i.gtin, i.manufacturer,
          i.catalog_number, "Y" if i.consigned else "N"] for i in items],
    )  # fmt: skip
    (folder / "crosswalk.csv").write_text(format_crosswalk(books.crosswalk.entries()))
    locations = books.locations.locations()
    write_csv(
        folder / "locations.csv",
        ["location_id", "entity", "facility", "point_of_care", "cost_center", "kind"],
        [[x.location_id, x.entity, x.facility, x.point_of_care, x.cost_center, x.kind]
         for x in locations],
    )  # fmt: skip
    write_csv(
        folder / "par_levels.csv",
        ["location_id", "item_number", "par", "reorder_point"],
        [[p.location_id, p.item_number, p.par, p.reorder_point]
         for p in books.locations.par_levels()],
    )  # fmt: skip
    write_csv(
        folder / "on_hand.csv",
        ["location_id", "item_number", "quantity"],
        [[x.location_id, i.item_number, OPENING_STOCK] for x in locations for i in items],
    )
    write_csv(
        folder / "cost_centers.csv",
        ["entity", "department_code", "cost_center", "effective_from", "service_line"],
        [[a.entity, a.department, a.cost_center, a.effective_from, a.service_line]
         for a in books.cost_centers.assignments()],
    )  # fmt: skip
    write_csv(
        folder / "standard_costs.csv",
        ["procedure_code", "facility_cost", "professional_cost"],
        [[code, cost.facility_cost, cost.professional_cost]
         for code, cost in books.standard_costs._costs.items()],
    )  # fmt: skip
    members = books.physicians._members
    write_csv(
        folder / "physicians.csv",
        ["npi", "group", "entity", "cost_center"],
        [[npi, g.code, g.entity, g.cost_center] for npi, g in members.items()],
    )
    toml = folder / "erp.toml"
    toml.write_text(
        '[erp]\ndestination = "erp"\nitem_master = "items.csv"\ncrosswalk = "crosswalk.csv"\n'
        'locations = "locations.csv"\npar_levels = "par_levels.csv"\non_hand = "on_hand.csv"\n'
        'cost_centers = "cost_centers.csv"\nstandard_costs = "standard_costs.csv"\n'
        'physicians = "physicians.csv"\n'
    )
    return toml


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
    erp_toml = write_master_files(tmp_path, books)
    master = load_erp_master_data(erp_toml, on=SINCE.replace(year=2025))
    assert master.warnings == []
    assert len(master.crosswalk.entries()) == len(books.crosswalk.entries())
    config = tmp_path / "careweave.toml"
    # PostgreSQL: the CLI works on the same store while the engine runs, as a second process would.
    schema = f"cw_erp_{uuid.uuid4().hex[:12]}"
    config.write_text(
        f'[engine]\ndatabase_url = "{postgres_url}"\ndatabase_schema = "{schema}"\n{SETTINGS}'
    )
    settings = load_settings(config, {})

    simulator = ErpSimulator(ErpSimulatorConfig(rate_limit=2000.0, rate_burst=500))
    seed_erp(simulator.state, books)
    runner = CliRunner()
    with ErpSimulatorServer(simulator) as server:
        connector = ErpConnector(
            ErpConfig(base_url=server.base_url, client_id="careweave", rate_limit=2000.0,
                      rate_burst=100),
            secret="careweave-secret",
        )  # fmt: skip
        store = build_store(settings.engine)
        await store.open()
        engine = build_engine(
            settings,
            store,
            middleware=[],
            connector_overrides={"erp": ErpDestination(connector)},
            services=master.services(),
        )
        await engine.start(listen=False)
        try:
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
                ["crosswalk", "add", code, erp_item_number(code), "--erp", str(erp_toml),
                 "--config", str(config), "--actor", "jdoe", "--effective", "2024-01-01"],
            )  # fmt: skip
            assert add.exit_code == 0, add.output
            assert "message(s) replayed" in add.output
            await settle(engine)
            references = Counter(t.reference for t in state.transactions())
            assert parked <= set(references)
            assert all(n == 1 for ref, n in references.items() if ref != "opening")
            assert sum(1 for t in state.transactions() if t.reference in parked) == uses
            assert "jdoe" in (tmp_path / "crosswalk.csv").read_text()
            # The CLI's engine moved stock in the shared store: careweave's positions are the ERP's.
            positions = await stored_positions(store)
            assert positions and all(
                state.on_hand(item, loc) == p.on_hand for (loc, item), p in positions.items()
            )

            close = await asyncio.to_thread(
                runner.invoke,
                app,
                ["erp", "close", "2025-03", "--config", str(config), "--erp", str(erp_toml)],
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
            await engine.stop()
            await connector.aclose()
            await store.close()
            with psycopg.connect(postgres_url, autocommit=True) as pg:
                pg.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )
