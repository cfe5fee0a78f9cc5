"""``careweave diff`` re-runs flows against a what-if business state and writes nothing.

A sandbox day of HL7 traffic goes through supply-to-replenish and cost-allocation into a real
SQLite store. Re-run with the same settings, nothing changes; with a step that drops the supply
events, exactly the supply work goes (stock movements, bill-only orders, requisitions, supply-cost
journals) and the store, business state included, is as it was. A flow numbering admissions shows
that each message sees the what-if state the messages before it left, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import pytest

from careweave.app import build_engine, builtin_registries
from careweave.app.diff import ReplayClock, diff_stored, what_if_channels
from careweave.config import Settings, parse_settings
from careweave.engine.store.base import BaseStore
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.flows.base import BaseFlow
from careweave.model.base import BusinessEvent
from careweave.model.clinical import PatientAdmitted
from careweave.model.flow import FlowOutput
from careweave.model.records import MessageQuery, MessageState
from careweave.model.state import StateTable, load, save
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.erp_books import build_books
from tests.integration.engine.helpers import adt
from tests.integration.store.conftest import StoreFactory

SETTINGS = """
[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["supply-to-replenish", "cost-allocation"]
source = {{ type = "mllp", port = 0 }}
{steps}
[[channels.destinations]]
name = "erp"
payload = "none"
connector = {{ type = "null" }}
"""

NO_SUPPLIES = '''
def no_supplies(step):
    """Drop the supply events (as a mapping change that lost them would)."""
    return [e for e in step.events if type(e).__name__ != "SupplyUsed"]
'''

SUPPLY_WORK = ("inventory:", "bill-only:", "requisition:", "journal:supply:")


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


async def test_flows_rerun_on_a_what_if_state_and_only_the_supply_work_goes(
    tmp_path: Path,
) -> None:
    scenario = generate_scenario(
        EhrScenarioConfig(seed=11, days=1, encounters_per_day=40, item_mismatch_rate=0.0)
    )
    books = build_books(scenario)
    messages = list(scenario.well_formed())
    store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
    await store.open()
    try:
        engine = build_engine(
            parse_settings(SETTINGS.format(steps="")),
            store,
            middleware=[],
            services=books.services(),
        )
        await engine.start(listen=False, deliver=False)
        for message in messages:
            result, _ack = await engine.receive_hl7("ehr", message.raw)
            assert result.state is MessageState.PROCESSED
        await engine.stop()
        stored = await store.list_effects(limit=100_000)
        state = {table: await store.state_rows(table) for table in StateTable}
        before = dump(tmp_path / "cw.db")

        clock = ReplayClock()
        same = what_if_channels(
            parse_settings(SETTINGS.format(steps="")),
            settings_dir=tmp_path,
            clock=clock,
            services=books.services(),
        )
        report = await diff_stored(store, same, clock=clock)
        assert (report.compared, report.unchanged, report.messages) == (
            len(messages),
            len(messages),
            [],
        )
        # The later half alone decides from the stock the earlier half left, as it did.
        listed = sorted(await store.list_messages(MessageQuery(limit=10_000)), key=lambda m: m.id)
        later = listed[len(listed) // 2]
        report = await diff_stored(store, same, clock=clock, since=later.received_at)
        assert (report.compared, report.messages) == (len(listed) - len(listed) // 2, [])

        (tmp_path / "rules.py").write_text(NO_SUPPLIES)
        step = 'steps = [{ kind = "transform", call = "rules:no_supplies", after = "mapping" }]'
        changed = what_if_channels(
            parse_settings(SETTINGS.format(steps=step)),
            settings_dir=tmp_path,
            clock=clock,
            services=books.services(),
        )
        report = await diff_stored(store, changed, clock=clock)
        gone = {
            (e.destination, e.idempotency_key)
            for m in report.messages
            for e in m.effects
            if e.change == "removed"
        }
        supply_work = {
            (e.destination, e.idempotency_key)
            for e in stored
            if e.idempotency_key.startswith(SUPPLY_WORK)
        }
        kinds = {key.split(":")[0] for _destination, key in supply_work}
        assert kinds == {"inventory", "bill-only", "requisition", "journal"}
        assert gone == supply_work
        assert (report.added, report.changed, report.removed) == (0, 0, len(supply_work))
        assert {(m.stored_state, m.state) for m in report.messages} == {
            (MessageState.PROCESSED, MessageState.PROCESSED)
        }

        assert {table: await store.state_rows(table) for table in StateTable} == state
        assert dump(tmp_path / "cw.db") == before
    finally:
        await store.close()


class AdmissionNumbers(BaseFlow):
    """Gives each admission the next number, once: a replay gets the first number back."""

    name: ClassVar[str] = "admission-numbers"
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = (PatientAdmitted,)

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Number the admission (by its idempotency key) and send the number."""
        given = load(out.state, StateTable.CONTROL_NUMBERS, event.idempotency_key, int)
        if given is None:
            given = (load(out.state, StateTable.CONTROL_NUMBERS, "last", int) or 0) + 1
            save(out.state, StateTable.CONTROL_NUMBERS, "last", given)
            save(out.state, StateTable.CONTROL_NUMBERS, event.idempotency_key, given)
        out.send("numbers", f"number:{given}", str(given).encode(), content_type="text/plain")


NUMBERED = """
[[channels]]
name = "adt"
mapping = "hl7v2-clinical"
flows = ["admission-numbers"]
source = {{ type = "mllp", port = 0 }}
{steps}
[[channels.destinations]]
name = "numbers"
payload = "none"
connector = {{ type = "null" }}
"""

DROP_FIRST = """
def drop_first_patient(step):
    return step.message.get("PID-3.1") != "mr-1"
"""


async def snapshot(store: BaseStore) -> tuple[object, ...]:
    """What a store holds: counts, messages, effects and every business-state row."""
    return (
        await store.counts(),
        await store.list_messages(MessageQuery(limit=1000)),
        await store.list_effects(limit=1000),
        {table: await store.state_rows(table) for table in StateTable},
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Stores of each backend in turn (PostgreSQL: a fresh schema, dropped afterwards)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    factory = StoreFactory(request.param, tmp_path, url)
    try:
        yield factory
    finally:
        await factory.cleanup()


async def test_each_message_sees_the_what_if_state_the_messages_before_it_left(
    stores: StoreFactory, tmp_path: Path
) -> None:
    registries = builtin_registries()
    registries.flows.register("admission-numbers", lambda _services: AdmissionNumbers())

    def settings(steps: str) -> Settings:
        return parse_settings(NUMBERED.format(steps=steps), flows=registries.flows.names())

    store = await stores.open()
    engine = build_engine(settings(""), store, registries=registries, middleware=[])
    for n in (1, 2, 3):
        await engine.receive_hl7("adt", adt(n, f"mr-{n}"))
    assert sorted(e.idempotency_key for e in await store.list_effects()) == [
        "number:1",
        "number:2",
        "number:3",
    ]
    before = await snapshot(store)

    clock = ReplayClock()
    same = what_if_channels(settings(""), settings_dir=tmp_path, clock=clock, registries=registries)
    # The state is rebuilt from the history, not read back: the settings that filled the store
    # change nothing, whole or from the second message on.
    assert (await diff_stored(store, same, clock=clock)).messages == []
    since = (await store.list_messages(MessageQuery(limit=10)))[1].received_at  # the 2nd of 3
    window = await diff_stored(store, same, clock=clock, since=since)
    assert window.compared == 2 and window.messages == [] and not window.approximate

    (tmp_path / "rules.py").write_text(DROP_FIRST)
    step = 'steps = [{ kind = "filter", call = "rules:drop_first_patient" }]'
    channels = what_if_channels(
        settings(step), settings_dir=tmp_path, clock=clock, registries=registries
    )
    report = await diff_stored(store, channels, clock=clock)
    # Without the first admission, the second and third are numbered 1 and 2: each message sees
    # the what-if state the messages before it left under the new settings.
    assert [[(e.change, e.idempotency_key) for e in m.effects] for m in report.messages] == [
        [("removed", "number:1")],
        [("added", "number:1"), ("removed", "number:2")],
        [("added", "number:2"), ("removed", "number:3")],
    ]
    assert report.messages[0].state is MessageState.FILTERED
    assert await snapshot(store) == before
