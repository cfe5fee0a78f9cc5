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
