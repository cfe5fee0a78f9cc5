"""``careweave crosswalk`` and ``careweave erp`` as operators run them: the settings file and nothing else.

The master data is the scenario's books written as the ``[masterdata]`` CSV files; the commands run
as separate processes (``python -m careweave``) on the engine's SQLite file. A code missing from the
crosswalk parks its supplies on ``item-miss:CODE``; ``crosswalk add CODE ITEM --config`` writes the
entry to the crosswalk file, resolves the case and replays the parked messages, whose effects are
queued in the store, and, with an engine running on the same file, delivered by that engine.
``erp close PERIOD --config`` closes the period through the engine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest

from careweave.app import Application, build_application
from careweave.config import load_settings
from careweave.engine.store.base import BaseStore
from careweave.erp.stored import stored_closed_periods, stored_journals
from careweave.flows.supply_to_replenish import encounter_key
from careweave.masterdata import CrosswalkFile
from careweave.model.erp import INVENTORY_TRANSACTION, InventoryTransactionRequest
from careweave.model.records import CaseState, EffectState
from careweave.sandbox.ehr import EhrScenarioConfig, GeneratedMessage, generate_scenario
from careweave.sandbox.erp import ErpSimulator, ErpSimulatorConfig, ErpSimulatorServer
from careweave.sandbox.erp_books import ScenarioBooks, build_books, erp_item_number, seed_erp
from tests.integration.erp_flows.expectations import events_of, unbalanced
from tests.integration.erp_flows.master_files import SECRET, erp_settings, write_master_files
from tests.unit.masterdata.sample_files import write_masterdata

CLI = [sys.executable, "-m", "careweave"]
ENV = {**os.environ, "COLUMNS": "200", "CAREWEAVE_ERP_SECRET": SECRET}


async def careweave(*args: str) -> tuple[int, str, str]:
    """Run the real CLI in its own process."""
    proc = await asyncio.create_subprocess_exec(
        *CLI, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=ENV
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


@dataclass
class ErpDay:
    """A day of supplies in March 2026, its books on disk and the settings naming them."""

    config: Path
    books: ScenarioBooks
    messages: list[GeneratedMessage]
    code: str
    """The busiest code missing from the crosswalk."""
    parked: set[str]
    """The inventory references of its supplies (encounter/line)."""

    @property
    def item(self) -> str:
        return erp_item_number(self.code)

    def application(self) -> Application:
        return build_application(
            load_settings(self.config, {}),
            settings_dir=self.config.parent,
            env={"CAREWEAVE_ERP_SECRET": SECRET},
        )


def erp_day(folder: Path, erp_url: str) -> ErpDay:
    scenario = generate_scenario(
        EhrScenarioConfig(
            seed=4, start_date=dt.date(2026, 3, 3), encounters_per_day=40, item_mismatch_rate=0.15
        )
    )
    messages = list(scenario.well_formed())
    supplies, _charges = events_of(messages)
    missing = scenario.catalog.missing_from_erp
    code, _uses = Counter(s.item.code for s in supplies if s.item.code in missing).most_common(1)[0]
    books = build_books(scenario, crosswalk_missing=missing)
    config = folder / "careweave.toml"
    config.write_text(
        f'[engine]\ndata_dir = "{folder / "data"}"\n'
        + write_master_files(folder, books)
        + erp_settings(erp_url)
    )
    parked = {f"{encounter_key(s)}/{s.line_id}" for s in supplies if s.item.code == code}
    return ErpDay(config=config, books=books, messages=messages, code=code, parked=parked)


async def movements(store: BaseStore, state: EffectState | None = None) -> dict[str, EffectState]:
    """The state of each queued inventory movement, by its reference."""
    found: dict[str, EffectState] = {}
    for effect in await store.list_effects(destination="erp", state=state, limit=100_000):
        if effect.content_type == INVENTORY_TRANSACTION and effect.payload is not None:
            request = msgspec.json.decode(effect.payload, type=InventoryTransactionRequest)
            found[request.reference or ""] = effect.state
    return found


async def settled(store: BaseStore) -> bool:
    return not [
        e
        for state in (EffectState.PENDING, EffectState.IN_FLIGHT)
        for e in await store.list_effects(destination="erp", state=state, limit=1)
    ]


async def test_crosswalk_add_writes_the_file_resolves_the_case_and_queues_the_replay(
    tmp_path: Path,
) -> None:
    day = erp_day(tmp_path, "http://127.0.0.1:9")  # never started: nothing is delivered
    async with day.application() as application:
        for message in day.messages:
            await application.engine.receive_hl7("ehr", message.raw)
        (case,) = await application.store.list_cases(case_key=f"item-miss:{day.code}")
        assert not set(await movements(application.store)) & day.parked

    code, out, err = await careweave(
        "crosswalk", "add", day.code, day.item, "--config", str(day.config), "--actor", "jdoe"
    )
    assert code == 0, err
    assert f"{len(case.message_ids)} message(s) replayed" in out
    assert f"ehr:{day.code} -> {day.item} from 1900-01-01" in out  # a new code: always

    # The entry is in the file [masterdata] names, under version control.
    entries = CrosswalkFile(tmp_path / "masterdata" / "crosswalk.csv").load()
    added = [e for e in entries if e.code == day.code]
    assert [(e.item_number, e.added_by, e.source) for e in added] == [(day.item, "jdoe", "cli")]
    code, out, err = await careweave(
        "crosswalk", "list", "--config", str(day.config), "--code", day.code.lower(), "--json"
    )
    assert code == 0, err
    assert [row["item_number"] for row in json.loads(out)] == [day.item]

    async with day.application() as application:
        store = application.store
        resolved = await store.get_case(case.id)
        assert resolved.state is CaseState.RESOLVED
        assert [e.actor for e in resolved.audit if e.action == "replayed"] == ["jdoe"]
        # Replayed with the new entry, nothing parks on the code again.
        assert await store.list_cases(state=CaseState.OPEN, case_key=f"item-miss:{day.code}") == []
        # Each parked supply's movement is queued once, for the running engine to deliver.
        queued = await movements(store)
        assert day.parked <= set(queued)
        assert {queued[ref] for ref in day.parked} == {EffectState.PENDING}


async def test_beside_a_running_engine_the_fix_is_delivered_and_the_close_posts(
    tmp_path: Path,
) -> None:
    simulator = ErpSimulator(ErpSimulatorConfig(rate_limit=2000.0, rate_burst=500))
    with ErpSimulatorServer(simulator) as server:
        day = erp_day(tmp_path, server.base_url)
        seed_erp(simulator.state, day.books)
        state = simulator.state
        async with day.application() as application:
            store = application.store
            await application.start(listen=False)
            for message in day.messages:
                await application.engine.receive_hl7("ehr", message.raw)
            await wait_until(lambda: settled(store), "the first deliveries")
            assert not {t.reference for t in state.transactions()} & day.parked

            code, out, err = await careweave("erp", "cases", "--config", str(day.config))
            assert code == 0, err
            assert f"item-miss:{day.code}" in out and day.item in out  # the suggested match

            code, out, err = await careweave(
                "crosswalk", "add", day.code, day.item, "--config", str(day.config)
            )
            assert code == 0, err

            # The engine delivers what the other process replayed: each movement once.
            async def at_the_erp() -> bool:
                return day.parked <= {t.reference for t in state.transactions()}

            await wait_until(at_the_erp, "the replayed movements at the ERP")
            await wait_until(lambda: settled(store), "the replayed deliveries")
            references = Counter(t.reference for t in state.transactions())
            assert all(n == 1 for ref, n in references.items() if ref != "opening")
            delivered = await movements(store)
            assert {delivered[ref] for ref in day.parked} == {EffectState.DELIVERED}

            code, out, err = await careweave("erp", "close", "2026-03", "--config", str(day.config))
            assert code == 0, err
            assert out.startswith("close 2026-03: message ")
            await wait_until(lambda: settled(store), "the accrual journals")
            assert [c.period for c in await stored_closed_periods(store)] == ["2026-03"]
            accruals = [j for j in state.journals() if "unbilled-accrual" in j.external_id]
            assert accruals and unbalanced(state.journals()) == []
            posted = {p.journal.business_key for p in await stored_journals(store)}
            assert posted == {j.external_id for j in state.journals()}

            code, out, err = await careweave(
                "erp", "report", "2026-03", "--config", str(day.config)
            )
            assert code == 0, err
            assert out.startswith("Close cycle 2026-03") and "RBH01:" in out


async def test_a_code_mapped_again_gets_a_new_version_from_today(tmp_path: Path) -> None:
    config = tmp_path / "careweave.toml"
    config.write_text(f'[engine]\ndata_dir = "{tmp_path / "data"}"\n' + write_masterdata(tmp_path))
    before = dt.date.today()  # noqa: DTZ011 (the CLI's calendar day)
    code, out, err = await careweave(
        "crosswalk", "add", "CV10421", "PACER-1", "--config", str(config), "--actor", "jdoe"
    )
    assert code == 0, err
    assert "case(s) none open resolved, 0 message(s) replayed" in out
    code, out, err = await careweave("crosswalk", "list", "--config", str(config), "--json")
    assert code == 0, err
    first, second = json.loads(out)
    since = dt.date.fromisoformat(second["effective_from"])
    assert since in (before, dt.date.today())  # noqa: DTZ011
    assert (first["item_number"], first["version"], first["effective_to"]) == (
        "STENT-1", 1, (since - dt.timedelta(days=1)).isoformat(),
    )  # fmt: skip
    assert (second["item_number"], second["version"], second["effective_to"]) == (
        "PACER-1", 2, None,
    )  # fmt: skip
    assert "PACER-1" in (tmp_path / "md" / "crosswalk.csv").read_text()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["crosswalk", "add", "CV1", "NO-SUCH-ITEM"], "NO-SUCH-ITEM"),
        (["crosswalk", "add", "CV1", "IT-10421", "--effective", "3/1"], "--effective"),
        (["erp", "close", "2026-13"], "2026-13"),
        (["erp", "close", "2026-03", "--channel", "nowhere"], "no channel 'nowhere'"),
    ],
)
async def test_a_mistake_is_one_error_line_and_exit_2(
    tmp_path: Path, args: list[str], says: str
) -> None:
    day = erp_day(tmp_path, "http://127.0.0.1:9")
    code, out, err = await careweave(*args, "--config", str(day.config))
    assert code == 2, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1 and says in err, err
    assert "Traceback" not in err


async def test_without_a_crosswalk_in_the_settings_crosswalk_add_says_so(tmp_path: Path) -> None:
    config = tmp_path / "careweave.toml"
    config.write_text(f'[engine]\ndata_dir = "{tmp_path / "data"}"\n')
    for args in (["add", "CV1", "IT-1"], ["list"]):
        code, _out, err = await careweave("crosswalk", *args, "--config", str(config))
        assert code == 2 and err.startswith("error: ") and "names no crosswalk" in err, err
    code, _out, err = await careweave("crosswalk", "list", "--erp", "erp.toml")
    assert code == 2 and "--erp" in err, err  # the old flag is gone: --config says it all


async def wait_until(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0
) -> None:
    """Poll ``check`` until it answers True."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, f"timed out after {timeout}s waiting for {what}"
        await asyncio.sleep(0.05)


async def test_a_running_engine_uses_the_fixed_crosswalk_for_the_next_message(
    tmp_path: Path,
) -> None:
    simulator = ErpSimulator(ErpSimulatorConfig(rate_limit=2000.0, rate_burst=500))
    with ErpSimulatorServer(simulator) as server:
        day = erp_day(tmp_path, server.base_url)
        seed_erp(simulator.state, day.books)
        with_code = [m for m in day.messages if day.code.encode() in m.raw]
        later = with_code[-1]
        async with day.application() as application:
            store = application.store
            await application.start(listen=False)
            assert application.watcher is not None
            application.watcher.interval = 0.05
            for message in day.messages:
                if message is not later:
                    await application.engine.receive_hl7("ehr", message.raw)
            await wait_until(lambda: settled(store), "the first deliveries")

            code, _out, err = await careweave(
                "crosswalk", "add", day.code, day.item, "--config", str(day.config)
            )
            assert code == 0, err

            async def reloaded() -> bool:
                assert application.watcher is not None
                return application.watcher.reloads >= 1

            await wait_until(reloaded, "the running engine to load the new crosswalk")
            result, _ack = await application.engine.receive_hl7("ehr", later.raw)
            # Without the reload the message would park on a new item-miss case for the code.
            assert result.state.value == "processed"
            open_cases = await store.list_cases(
                state=CaseState.OPEN, case_key=f"item-miss:{day.code}"
            )
            assert open_cases == []
            await wait_until(lambda: settled(store), "the later message's deliveries")
            references = Counter(t.reference for t in simulator.state.transactions())
            assert day.parked <= set(references)
            assert all(n == 1 for ref, n in references.items() if ref != "opening")
