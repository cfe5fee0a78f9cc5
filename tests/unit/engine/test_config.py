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
    from careweave.app import build_connector, builtin_registries
    from careweave.connectors.erp import ErpDestination

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
    registries = builtin_registries()
    with pytest.raises(ConfigError, match="destination erp: set CAREWEAVE_ERP_SECRET"):
        build_connector(dest, registries, {})
    connector = build_connector(dest, registries, {"CAREWEAVE_ERP_SECRET": "s3cret"})
    assert isinstance(connector, ErpDestination)
    assert connector.connector.config.api_version == "v1"


def test_a_flow_only_destination_gets_no_route() -> None:
    from careweave.app import build_channel, builtin_registries
    from careweave.flows.services import FlowServices

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
    channel = build_channel(parse_settings(text).channels[0], builtin_registries(), FlowServices())
    assert [r.destination for r in channel.routes] == ["archive"]


def _with(**parts: str) -> str:
    """BASE with its source, connector, worker or destination line replaced, or lines added."""
    text = BASE
    if "source" in parts:
        text = text.replace('source = { type = "mllp", port = 2575 }', parts["source"])
    if "connector" in parts:
        text = text.replace(
            'connector = { type = "http", url = "http://rcm.example/charges" }', parts["connector"]
        )
    if "worker" in parts:
        text = text.replace(
            "worker = { concurrency = 4, retry = { max_attempts = 3 } }", parts["worker"]
        )
    if "channel" in parts:
        text = text.replace('name = "adt"\n', f'name = "adt"\n{parts["channel"]}\n')
    if "destination" in parts:
        text += parts["destination"] + "\n"
    if "engine" in parts:
        text = f"[engine]\n{parts['engine']}\n{text}"
    return text


ERP = 'connector = { type = "erp", base_url = "https://erp.example", client_id = "cw" }'

# What `careweave check` and `run` refuse: (settings, path named, words of the message).
REFUSED = {
    "unknown mapping": (
        _with(channel='mapping = "hl7v2-clinicl"'),
        "$.channels[0].mapping",
        "unknown mapping 'hl7v2-clinicl'",
    ),
    "unknown flow": (
        _with(channel='flows = ["supply-to-replenishh"]'),
        "$.channels[0].flows[0]",
        "unknown flow 'supply-to-replenishh'",
    ),
    "unknown format": (
        _with(channel='format = "hl7v3"'),
        "$.channels[0].format",
        "unknown format 'hl7v3'",
    ),
    "flow without its destination": (
        _with(channel='flows = ["supply-to-replenish"]'),
        "$.channels[0].flows[0]",
        "sends to destination 'erp', which is not configured",
    ),
    "zero concurrency": (
        _with(worker="worker = { concurrency = 0 }"),
        "$.channels[0].destinations[0].worker.concurrency",
        ">= 1",
    ),
    "negative concurrency": (
        _with(worker="worker = { concurrency = -4 }"),
        "$.channels[0].destinations[0].worker.concurrency",
        ">= 1",
    ),
    "negative rate limit": (
        _with(worker="worker = { rate_limit = -1 }"),
        "$.channels[0].destinations[0].worker.rate_limit",
        ">= 0",
    ),
    "zero batch": (
        _with(worker="worker = { batch_size = 0 }"),
        "$.channels[0].destinations[0].worker.batch_size",
        ">= 1",
    ),
    "zero chain": (
        _with(worker="worker = { chain = 0 }"),
        "$.channels[0].destinations[0].worker.chain",
        ">= 1",
    ),
    "zero lease": (
        _with(worker="worker = { lease = 0 }"),
        "$.channels[0].destinations[0].worker.lease",
        "> 0",
    ),
    "negative poll interval": (
        _with(worker="worker = { poll_interval = -0.5 }"),
        "$.channels[0].destinations[0].worker.poll_interval",
        "> 0",
    ),
    "zero attempts": (
        _with(worker="worker = { retry = { max_attempts = 0 } }"),
        "$.channels[0].destinations[0].worker.retry.max_attempts",
        ">= 1",
    ),
    "negative backoff": (
        _with(worker="worker = { retry = { initial_backoff = -1 } }"),
        "$.channels[0].destinations[0].worker.retry.initial_backoff",
        ">= 0",
    ),
    "shrinking backoff": (
        _with(worker="worker = { retry = { multiplier = 0.5 } }"),
        "$.channels[0].destinations[0].worker.retry.multiplier",
        ">= 1",
    ),
    "jitter over one": (
        _with(worker="worker = { retry = { jitter = 1.5 } }"),
        "$.channels[0].destinations[0].worker.retry.jitter",
        "<= 1",
    ),
    "zero max age": (
        _with(worker="worker = { retry = { max_age = 0 } }"),
        "$.channels[0].destinations[0].worker.retry.max_age",
        "> 0",
    ),
    "zero breaker threshold": (
        _with(worker="worker = { circuit_breaker = { failure_threshold = 0 } }"),
        "$.channels[0].destinations[0].worker.circuit_breaker.failure_threshold",
        ">= 1",
    ),
    "negative port": (
        _with(source='source = { type = "mllp", port = -1 }'),
        "$.channels[0].source.port",
        ">= 0",
    ),
    "port past 65535": (
        _with(source='source = { type = "mllp", port = 70000 }'),
        "$.channels[0].source.port",
        "<= 65535",
    ),
    "negative read timeout": (
        _with(source='source = { type = "mllp", port = 2575, read_timeout = -5 }'),
        "$.channels[0].source.read_timeout",
        "> 0",
    ),
    "zero idle timeout": (
        _with(source='source = { type = "mllp", port = 2575, idle_timeout = 0 }'),
        "$.channels[0].source.idle_timeout",
        "> 0",
    ),
    "zero frame size": (
        _with(source='source = { type = "mllp", port = 2575, max_frame_bytes = 0 }'),
        "$.channels[0].source.max_frame_bytes",
        ">= 1",
    ),
    "negative http port": (
        _with(source='source = { type = "http", port = -8080 }'),
        "$.channels[0].source.port",
        ">= 0",
    ),
    "negative body size": (
        _with(source='source = { type = "http", port = 8080, max_body_bytes = -1 }'),
        "$.channels[0].source.max_body_bytes",
        ">= 1",
    ),
    "ehr url without scheme": (
        _with(source='source = { type = "http", port = 8080, ehr = { base_url = "ehr/fhir" } }'),
        "$.channels[0].source.ehr",
        "base_url must be an http:// or https:// URL",
    ),
    "http url without scheme": (
        _with(connector='connector = { type = "http", url = "rcm.example.org/charges" }'),
        "$.channels[0].destinations[0].connector",
        "url must be an http:// or https:// URL with a host, not 'rcm.example.org/charges'",
    ),
    "http url of another scheme": (
        _with(connector='connector = { type = "http", url = "ftp://rcm.example.org/c" }'),
        "$.channels[0].destinations[0].connector",
        "url must be an http:// or https:// URL",
    ),
    "zero http timeout": (
        _with(connector='connector = { type = "http", url = "http://rcm", timeout = 0 }'),
        "$.channels[0].destinations[0].connector.timeout",
        "> 0",
    ),
    "no http connections": (
        _with(connector='connector = { type = "http", url = "http://rcm", max_connections = 0 }'),
        "$.channels[0].destinations[0].connector.max_connections",
        ">= 1",
    ),
    "mllp peer port zero": (
        _with(connector='connector = { type = "mllp", host = "lab", port = 0 }'),
        "$.channels[0].destinations[0].connector.port",
        ">= 1",
    ),
    "negative ack timeout": (
        _with(
            connector='connector = { type = "mllp", host = "lab", port = 2575, ack_timeout = -1 }'
        ),
        "$.channels[0].destinations[0].connector.ack_timeout",
        "> 0",
    ),
    "erp url without scheme": (
        _with(
            connector='connector = { type = "erp", base_url = "erp.example", client_id = "cw" }',
            worker='payload = "none"',
        ),
        "$.channels[0].destinations[0].connector",
        "base_url must be an http:// or https:// URL with a host, not 'erp.example'",
    ),
    "erp with events": (
        _with(connector=ERP, worker='payload = "events"'),
        "$.channels[0].destinations[0]",
        "payload must be \"none\", not 'events'",
    ),
    "erp with raw": (
        _with(connector=ERP, worker='payload = "raw"'),
        "$.channels[0].destinations[0]",
        "payload must be \"none\", not 'raw'",
    ),
    "erp with the default payload": (
        _with(connector=ERP, worker=""),
        "$.channels[0].destinations[0]",
        "payload must be \"none\", not 'raw'",
    ),
    "event types without events": (
        _with(worker='event_types = ["ChargeCaptured"]'),
        "$.channels[0].destinations[0]",
        'event_types needs payload = "events"',
    ),
    "erp without rate": (
        _with(connector=ERP.replace('"cw"', '"cw", rate_limit = 0'), worker='payload = "none"'),
        "$.channels[0].destinations[0].connector.rate_limit",
        "> 0",
    ),
    "empty file directory": (
        _with(connector='connector = { type = "file", directory = "" }'),
        "$.channels[0].destinations[0].connector.directory",
        "length >= 1",
    ),
    "zero retention": (
        _with(channel="retention_days = 0"),
        "$.channels[0].retention_days",
        "> 0",
    ),
    "unknown log level": (
        _with(engine='log_level = "loud"'),
        "$.engine",
        "log_level must be debug, info, warning, error or critical, not 'loud'",
    ),
}

KNOWN_FORMATS = ["fhir", "hl7v2", "raw", "x12"]
KNOWN_FLOWS = ["supply-to-replenish", "patient-to-billing"]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_nonsense_is_refused_where_it_is(case: str) -> None:
    text, path, words = REFUSED[case]
    with pytest.raises(ConfigError) as err:
        parse_settings(text, source="cw.toml", formats=KNOWN_FORMATS, flows=KNOWN_FLOWS)
    message = str(err.value)
    assert message.startswith("cw.toml: ")
    assert message.endswith(f" - at `{path}`"), message
    assert words in message


def test_the_refused_settings_are_fine_once_corrected() -> None:
    # Each case differs from a valid file only by its mistake: the checks are not over-eager.
    settings = parse_settings(
        _with(
            channel='mapping = "hl7v2-clinical"\nflows = ["supply-to-replenish"]\n'
            "retention_days = 30",
            worker='payload = "events"\nevent_types = ["ChargeCaptured"]\n'
            "worker = { concurrency = 1, rate_limit = 0, retry = { max_attempts = 1, jitter = 1 } }",
            destination='[[channels.destinations]]\nname = "erp"\npayload = "none"\n' + ERP,
            engine='log_level = "WARNING"',
        ),
        formats=KNOWN_FORMATS,
        flows=KNOWN_FLOWS,
    )
    assert [d.name for d in settings.channels[0].destinations] == ["rcm", "erp"]


def test_a_flow_may_send_to_a_destination_of_another_channel() -> None:
    text = """
[[channels]]
name = "ehr"
flows = ["supply-to-replenish"]
source = { type = "mllp", port = 2575 }
[[channels]]
name = "finance"
source = { type = "mllp", port = 2576 }
[[channels.destinations]]
name = "erp"
payload = "none"
connector = { type = "null" }
"""
    assert parse_settings(text, flows=KNOWN_FLOWS).channels[0].flows == ["supply-to-replenish"]


def test_format_and_flow_names_are_checked_only_against_names_given() -> None:
    # The library caller (a test with its own flow registry) checks names when it builds the engine.
    text = _with(channel='format = "erp-close-request"\nflows = ["test-bed-board"]')
    assert parse_settings(text).channels[0].format == "erp-close-request"
    with pytest.raises(ConfigError, match="unknown flow 'test-bed-board'"):
        parse_settings(text, formats=["erp-close-request"], flows=KNOWN_FLOWS)


def test_claims_need_a_submitter_phone_for_the_837_contact() -> None:
    claims = """
[claims]
submitter = {{ name = "RIVERBEND HEALTH", id = "RBH837"{phone} }}
receiver = {{ name = "CLEARINGHOUSE", id = "CWCLEARING" }}
[claims.interchange]
sender_id = "RBH837"
receiver_id = "CWCLEARING"
"""
    with pytest.raises(ConfigError, match=r"contact_phone.*1000A PER04"):
        parse_settings(claims.format(phone=""))
    settings = parse_settings(claims.format(phone=', contact_phone = "9205550100"'))
    assert settings.claims is not None
