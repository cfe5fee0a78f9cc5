"""Settings: TOML, environment overrides, and errors that name the problem."""

from __future__ import annotations

import pytest

from careweave.config import parse_settings
from careweave.connectors.http import HttpDestinationConfig
from careweave.exceptions import ConfigError

BASE = """
[[channels]]
name = "adt"
source = { type = "mllp", port = 2575 }
[[channels.destinations]]
name = "rcm"
connector = { type = "http", url = "http://rcm.example/charges" }
worker = { concurrency = 4, retry = { max_attempts = 3 } }
"""


def test_defaults_and_nested_policies() -> None:
    settings = parse_settings(BASE)
    assert settings.engine.synchronous == "FULL" and settings.engine.database_url == ""
    dest = settings.channels[0].destinations[0]
    assert isinstance(dest.connector, HttpDestinationConfig)
    assert dest.worker.concurrency == 4 and dest.worker.retry.max_attempts == 3
    assert dest.worker.retry.initial_backoff == 0.5  # untouched defaults stay


def test_environment_overrides_the_engine_section() -> None:
    env = {"CAREWEAVE_DATABASE_URL": "postgresql://db/cw", "CAREWEAVE_DATABASE_SCHEMA": "cw"}
    settings = parse_settings(BASE, env)
    assert settings.engine.database_url == "postgresql://db/cw"
    assert settings.engine.database_schema == "cw"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[engine]\nsynchronous = "SOMETIMES"', "$.engine.synchronous"),
        (BASE.replace("concurrency = 4", "concurency = 4"), "concurency"),
        (BASE + BASE, "channel names must be unique"),
        (BASE.replace('"http"', '"ftp"'), "$.channels[0].destinations[0].connector"),
        ('[engine]\ndatabase_url = "mysql://x"', "postgresql://"),
        ("[[channels]\nname = 1", "not valid TOML"),
    ],
)
def test_errors_name_where_the_problem_is(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(text)
    assert expected in str(err.value)


def test_erp_destination_takes_its_secret_from_the_environment_only() -> None:
    from careweave.connectors.erp import ErpDestination
    from careweave.engine.runtime import build_connector

    text = """
[[channels]]
name = "ehr"
source = { type = "mllp", port = 0 }
[[channels.destinations]]
name = "erp"
payload = "none"
connector = { type = "erp", base_url = "http://erp.example", client_id = "cw", api_version = "v1" }
"""
    dest = parse_settings(text).channels[0].destinations[0]
    with pytest.raises(ConfigError, match="CAREWEAVE_ERP_SECRET"):
        build_connector(dest, {})
    connector = build_connector(dest, {"CAREWEAVE_ERP_SECRET": "s3cret"})
    assert isinstance(connector, ErpDestination)
    assert connector.connector.config.api_version == "v1"


def test_a_flow_only_destination_gets_no_route() -> None:
    from careweave.engine.runtime import build_channel

    text = """
[[channels]]
name = "ehr"
source = { type = "mllp", port = 0 }
[[channels.destinations]]
name = "erp"
payload = "none"
connector = { type = "null" }
[[channels.destinations]]
name = "archive"
connector = { type = "null" }
"""
    channel = build_channel(parse_settings(text).channels[0])
    assert [r.destination for r in channel.routes] == ["archive"]
