"""Connectors by type tag: each tag's own settings struct, parsed with its path, built as it is."""

from __future__ import annotations

import msgspec
import pytest

from careweave.config import parse_settings
from careweave.connectors.erp import ErpConfig, ErpDestination
from careweave.connectors.http import HttpDestination, HttpDestinationConfig
from careweave.connectors.mllp_destination import MllpDestination, MllpDestinationConfig
from careweave.connectors.null import NullDestination
from careweave.connectors.rcm import RcmDestination, RcmDestinationConfig
from careweave.connectors.registry import (
    ConnectorRegistry,
    MissingSecretError,
    builtin_connectors,
)
from careweave.exceptions import ConfigError
from tests.unit.app.echo_plugin import EchoConfig, EchoDestination, register_connectors

AT = "$.channels[0].destinations[0].connector"


def settings_with(connector: str, *, payload: str = "raw") -> str:
    return f"""
[[channels]]
name = "ehr"
source = {{ type = "mllp", port = 0 }}
[[channels.destinations]]
name = "out"
payload = "{payload}"
connector = {connector}
"""


def test_each_tag_parses_into_its_connector_s_own_struct() -> None:
    registry = builtin_connectors()
    http = registry.parse({"type": "http", "url": "http://rcm/charges", "timeout": 5})
    assert http == HttpDestinationConfig(url="http://rcm/charges", timeout=5.0)
    erp = registry.parse({"type": "erp", "base_url": "https://erp", "client_id": "cw"})
    assert isinstance(erp, ErpConfig) and erp.batch_size == 50  # the connector's own defaults


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"type": "ftp"}, f"unknown connector type 'ftp'; known: ['bus', 'erp', 'file', 'http', "
                          f"'mllp', 'nats', 'null', 'rcm'] - at `{AT}.type`"),
        ({"url": "http://x"}, f"a connector needs a `type`, one of ['bus', 'erp', 'file', 'http', "
                              f"'mllp', 'nats', 'null', 'rcm'] - at `{AT}`"),
        ({"type": "erp", "base_url": "https://erp", "client_id": "cw", "rate_burst": 0},
         f"Expected `int` >= 1 - at `{AT}.rate_burst`"),
        ({"type": "mllp", "host": "lab"}, f"Object missing required field `port` - at `{AT}`"),
        ({"type": "http", "url": "http://x", "secret": "s"},
         f"Object contains unknown field `secret` - at `{AT}`"),
    ],
)  # fmt: skip
def test_a_wrong_connector_table_is_named_with_its_whole_path(
    table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        builtin_connectors().parse(table, at=AT)
    assert str(err.value) == message


def test_settings_parse_connectors_through_the_registry_they_are_given() -> None:
    text = settings_with('{ type = "echo", prefix = "> " }', payload="none")
    with pytest.raises(ConfigError, match="unknown connector type 'echo'"):
        parse_settings(text)
    registry = builtin_connectors()
    register_connectors(registry)
    settings = parse_settings(text, connectors=registry)
    assert settings.channels[0].destinations[0].connector == EchoConfig(prefix="> ")


def test_a_flow_only_connector_refuses_a_payload() -> None:
    text = settings_with('{ type = "erp", base_url = "https://erp", client_id = "cw" }')
    with pytest.raises(ConfigError, match="of type 'erp' takes only the flows' effects"):
        parse_settings(text)


def test_the_factory_takes_the_struct_as_it_is_and_the_secrets() -> None:
    registry = builtin_connectors()
    register_connectors(registry)
    erp = ErpConfig(base_url="https://erp", client_id="cw", secret_env="ERP_SECRET")
    with pytest.raises(MissingSecretError, match="set ERP_SECRET") as err:
        registry.build(erp, {})
    assert err.value.variable == "ERP_SECRET"
    built = registry.build(erp, {"ERP_SECRET": "s3cret"})
    assert isinstance(built, ErpDestination) and built.connector.config is erp
    mllp = MllpDestinationConfig(host="lab", port=2575)
    mllp_built = registry.build(mllp, {})
    assert isinstance(mllp_built, MllpDestination) and mllp_built.config is mllp
    echo = registry.build(EchoConfig(token_env="T"), {"T": "t0k"})
    assert isinstance(echo, EchoDestination) and echo.token == "t0k"
    assert isinstance(registry.build(HttpDestinationConfig(url="http://x"), {}), HttpDestination)
    rcm = registry.parse({"type": "rcm", "base_url": "http://rcm:8080", "max_batch": 50})
    assert isinstance(rcm, RcmDestinationConfig) and rcm.max_batch == 50
    rcm_built = registry.build(rcm, {})
    assert isinstance(rcm_built, RcmDestination) and rcm_built.config is rcm


def test_only_tagged_connector_structs_register_and_each_tag_once() -> None:
    registry = builtin_connectors()
    with pytest.raises(ConfigError, match="'http' is registered twice"):
        registry.register(HttpDestinationConfig, lambda c, _s: HttpDestination(c))

    class Untagged(msgspec.Struct):
        url: str

    with pytest.raises(ConfigError, match="deriving from ConnectorConfig"):
        registry.register(Untagged, lambda _c, _s: NullDestination())  # type: ignore[type-var]
    with pytest.raises(ConfigError, match="no connector is registered for EchoConfig"):
        ConnectorRegistry().build(EchoConfig(), {})
