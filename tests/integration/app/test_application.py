"""The composition root with a real SQLite store: settings -> a running application, or a named mistake."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from careweave.app import Application, build_application, check_application, default_registries
from careweave.config import parse_settings
from careweave.connectors.null import NullDestination
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.exceptions import CareweaveError, ConfigError
from careweave.flows.supply_to_replenish import SupplyToReplenishFlow
from careweave.model.records import EffectState
from tests.integration.engine.helpers import wait_for
from tests.unit.app.echo_plugin import EchoDestination
from tests.unit.app.test_registries import ENTRY_POINTS_TXT, install_distribution
from tests.unit.masterdata.sample_files import write_masterdata

ERP = """
[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["supply-to-replenish"]
source = { type = "mllp", port = 0 }
[[channels.destinations]]
name = "erp"
payload = "none"
connector = { type = "erp", base_url = "https://erp.example.org", client_id = "careweave" }
"""


def store_in(folder: Path) -> SqliteStore:
    return SqliteStore(SqliteConfig(path=folder / "cw.db"))


async def test_a_plugin_distribution_runs_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(tmp_path / "site", ENTRY_POINTS_TXT)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    registries = default_registries()
    settings = parse_settings(
        """
[[channels]]
name = "words"
format = "echo-lines"
mapping = "echo-words"
flows = ["echo-back"]
source = { type = "mllp", port = 0 }
[[channels.destinations]]
name = "echo"
payload = "none"
connector = { type = "echo", prefix = "> ", token_env = "ECHO_TOKEN" }
""",
        formats=registries.formats.names(),
        flows=registries.flows.names(),
        mappings=registries.mappings.names(),
        connectors=registries.connectors,
    )
    application = build_application(
        settings,
        settings_dir=tmp_path,
        env={"ECHO_TOKEN": "t0k"},
        registries=registries,
        store=store_in(tmp_path),
    )
    echo = application.engine.workers["echo"].connector
    assert isinstance(echo, EchoDestination) and echo.token == "t0k"
    async with application:
        await application.start(listen=False)
        result, processing = await application.engine.receive(
            "words", b"alpha beta", content_type="text/plain"
        )
        assert not result.duplicate
        assert [e.destination for e in processing.effects] == ["echo", "echo"]
        await wait_for(lambda: len(echo.delivered) == 2, 10, "the echo deliveries")
    assert sorted(echo.delivered) == ["> alpha", "> beta"]


async def test_master_data_named_in_the_settings_reaches_the_flows(tmp_path: Path) -> None:
    settings = parse_settings(write_masterdata(tmp_path) + ERP)
    application = build_application(
        settings,
        settings_dir=tmp_path,
        env={"CAREWEAVE_ERP_SECRET": "s3cret"},
        store=store_in(tmp_path),
    )
    assert application.masterdata is not None and application.warnings == ()
    assert application.services.crosswalk is application.masterdata.crosswalk
    assert application.services.opening_stock == {("RBMC-7481", "STENT-1"): 7}
    (flow,) = application.engine.channels["ehr"].flows
    assert isinstance(flow, SupplyToReplenishFlow)


async def test_check_and_run_refuse_a_flow_without_its_master_data(tmp_path: Path) -> None:
    settings = parse_settings(write_masterdata(tmp_path, skip=("items", "crosswalk")) + ERP)
    expected = "channel ehr: flow 'supply-to-replenish' needs master data 'items'"
    with pytest.raises(ConfigError, match=expected):
        await check_application(settings, settings_dir=tmp_path, env={})
    with pytest.raises(ConfigError, match=expected):
        build_application(settings, settings_dir=tmp_path, env={"CAREWEAVE_ERP_SECRET": "s"})


async def test_a_missing_secret_warns_in_check_and_stops_run(tmp_path: Path) -> None:
    engine = f'[engine]\ndata_dir = "{tmp_path / "var"}"\n'
    settings = parse_settings(engine + write_masterdata(tmp_path) + ERP)
    warnings = await check_application(settings, settings_dir=tmp_path, env={})
    assert warnings == [
        "destination erp: CAREWEAVE_ERP_SECRET is not set in the environment; "
        "`careweave run` refuses to start without it"
    ]
    assert (
        await check_application(settings, settings_dir=tmp_path, env={"CAREWEAVE_ERP_SECRET": "s"})
        == []
    )
    with pytest.raises(ConfigError, match="destination erp: set CAREWEAVE_ERP_SECRET"):
        build_application(settings, settings_dir=tmp_path, env={})
    assert not (tmp_path / "var").exists()  # neither check nor a refused build touched a database


async def test_check_warns_about_rows_that_did_not_load(tmp_path: Path) -> None:
    section = write_masterdata(tmp_path)
    (tmp_path / "md" / "payees.csv").write_text("payee,entity\n1679576722,RBH01\n,RBH01\n")
    settings = parse_settings(section + ERP)
    warnings = await check_application(
        settings, settings_dir=tmp_path, env={"CAREWEAVE_ERP_SECRET": "s"}
    )
    assert warnings == ["md/payees.csv line 3: payee is required"]


async def test_overrides_replace_configured_connectors_and_must_name_a_destination(
    tmp_path: Path,
) -> None:
    settings = parse_settings(write_masterdata(tmp_path) + ERP)
    null = NullDestination()
    application = build_application(
        settings,
        settings_dir=tmp_path,
        env={},  # the ERP's secret is not needed: its connector is replaced
        connector_overrides={"erp": null},
        store=store_in(tmp_path),
    )
    assert application.engine.workers["erp"].connector is null
    with pytest.raises(ConfigError, match=r"destinations not configured: \['rcm'\]"):
        build_application(
            settings, settings_dir=tmp_path, env={}, connector_overrides={"rcm": null}
        )


async def test_prebuilt_services_are_used_as_given(tmp_path: Path) -> None:
    settings = parse_settings(ERP)  # no [masterdata]: the caller brings its own
    section = write_masterdata(tmp_path)
    prebuilt = build_application(
        parse_settings(section + ERP), settings_dir=tmp_path, env={"CAREWEAVE_ERP_SECRET": "s"}
    ).services
    application = build_application(
        settings,
        settings_dir=tmp_path / "elsewhere",
        env={"CAREWEAVE_ERP_SECRET": "s"},
        services=prebuilt,
    )
    assert application.services is prebuilt and application.masterdata is None


async def test_the_lifecycle_opens_and_closes_store_and_connectors(tmp_path: Path) -> None:
    settings = parse_settings(
        """
[[channels]]
name = "adt"
source = { type = "mllp", port = 0 }
[[channels.destinations]]
name = "archive"
connector = { type = "null" }
"""
    )
    closed: list[str] = []

    class Recording(NullDestination):
        async def close(self) -> None:
            closed.append("archive")

    application: Application = build_application(
        settings,
        settings_dir=tmp_path,
        env={},
        store=store_in(tmp_path),
        connector_overrides={"archive": Recording()},
    )
    async with application:
        await application.start()
        assert application.engine.listeners["adt"].port > 0
        counts = await application.store.counts()
        assert counts.get(f"effects.{EffectState.DEAD.value}", 0) == 0
    assert closed == ["archive"]
    assert not application.engine.listeners
    # never started: closing still closes the connector
    closed.clear()
    unstarted = build_application(
        settings,
        settings_dir=tmp_path,
        env={},
        store=store_in(tmp_path),
        connector_overrides={"archive": Recording()},
    )
    async with unstarted:
        pass
    assert closed == ["archive"]


async def test_a_start_that_fails_stops_what_it_started(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = parse_settings(
            f"""
[[channels]]
name = "adt"
source = {{ type = "mllp", port = {port} }}
[[channels.destinations]]
name = "archive"
connector = {{ type = "null" }}
"""
        )
        application = build_application(
            settings, settings_dir=tmp_path, env={}, store=store_in(tmp_path)
        )
        with pytest.raises(CareweaveError):
            async with application:
                await application.start()  # workers start, then the listener cannot bind
    assert not application.engine.workers["archive"].running
