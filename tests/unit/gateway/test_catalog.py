"""The catalog's parts: settings metadata, flow needs read from the factories, event streams,
Markdown escaping, lifecycle overrides and their header formats."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from careweave.config import parse_settings
from careweave.exceptions import ConfigError
from careweave.flows.registry import builtin_flows
from careweave.gateway.api.groups import ApiGroup, GroupLifecycle, LifecyclePolicy, http_date
from careweave.gateway.api.groups import lifecycles as resolve
from careweave.gateway.catalog import build_catalog, render_markdown, require_governance
from careweave.gateway.catalog.flow_needs import flow_needs
from careweave.model.catalog import LifecycleOverride

SETTINGS = """
[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
accept = ["ADT^*"]
flows = ["supply-to-replenish"]
source = { type = "mllp", port = 0 }
owner = "integration-team"
sla = "ACK within 2 s | always"
systems = ["Epic"]
phi = "limited"
version = "3"

[[channels.destinations]]
name = "erp"
payload = "none"
connector = { type = "erp", base_url = "https://erp.example.org", client_id = "careweave" }
owner = "supply-chain"
sla = "within 15 min"

[[channels.destinations]]
name = "analytics"
payload = "events"
event_types = ["SupplyUsed", "ChargeCaptured"]
connector = { type = "nats", subject_prefix = "rbh.events" }
owner = "analytics"
sla = "within 1 min"
"""


def test_settings_carry_catalog_metadata_with_defaults() -> None:
    settings = parse_settings(SETTINGS)
    ehr = settings.channels[0]
    assert (ehr.owner, ehr.phi, ehr.version, ehr.systems) == ("integration-team", "limited", "3",
                                                              ["Epic"])  # fmt: skip
    erp = ehr.destinations[0]
    assert (erp.phi, erp.version, erp.systems, erp.description) == ("full", "1", [], "")
    with pytest.raises(ConfigError, match=r"channels\[0\]\.phi"):
        parse_settings(SETTINGS.replace('phi = "limited"', 'phi = "some"'))


def test_flow_needs_are_read_from_the_flow_factories() -> None:
    flows = builtin_flows()
    supply = flow_needs(flows, "supply-to-replenish")
    assert supply.master_data == ["items", "locations"]
    assert supply.sends_to == ["erp"]
    assert flow_needs(flows, "remittance-posting").sends_to == ["general-ledger"]
    claims = flow_needs(flows, "claim-submission")
    assert claims.sends_to == ["clearinghouse", "revenue-cycle"]
    assert claims.master_data == ["entities"]  # through [claims]: each entity's billing provider


def test_the_catalog_of_a_channel_its_flow_destination_and_event_stream() -> None:
    catalog = build_catalog(parse_settings(SETTINGS), flows=builtin_flows())
    (ehr,) = catalog.channels
    assert ehr.message_types == ["ADT^*"]  # accept wins over the mapping's list
    assert ehr.feeds == ["analytics", "erp"]
    assert ehr.master_data == ["items", "locations"]
    assert [d.name for d in catalog.destinations] == ["erp"]
    assert catalog.destinations[0].fed_by == ["supply-to-replenish"]
    (stream,) = catalog.event_streams
    assert stream.subjects == ["rbh.events.ChargeCaptured", "rbh.events.SupplyUsed"]
    assert stream.stream == "CAREWEAVE"
    assert catalog.apis == []  # no [api]: no API groups
    (flow,) = catalog.flows
    assert (flow.name, flow.channels, flow.sends_to) == ("supply-to-replenish", ["ehr"], ["erp"])


def test_markdown_escapes_pipes_in_cells() -> None:
    text = render_markdown(build_catalog(parse_settings(SETTINGS), flows=builtin_flows()))
    assert "ACK within 2 s \\| always" in text
    assert "## Event streams" in text
    assert "rbh.events.ChargeCaptured, rbh.events.SupplyUsed" in text


def test_governance_names_an_event_stream_without_an_sla() -> None:
    settings = parse_settings(SETTINGS.replace('sla = "within 1 min"\n', ""))
    with pytest.raises(ConfigError, match=r"destination analytics has no sla.*destinations\[1\]"):
        require_governance(settings)
    require_governance(parse_settings(SETTINGS))  # complete: no error


def test_a_lifecycle_override_needs_a_state_it_applies_to() -> None:
    with pytest.raises(msgspec.ValidationError, match="deprecated group"):
        msgspec.convert({"state": "active", "sunset": "2027-06-30"}, LifecycleOverride)
    override = msgspec.convert(
        {"state": "deprecated", "sunset": "2027-06-30", "successor": "/v2/x"}, LifecycleOverride
    )
    group = ApiGroup(name="x", title="x", layer="process", owner="o", sla="s", description="d")
    assert resolve([group], {"x": override})["x"] == GroupLifecycle(
        state="deprecated", sunset=dt.date(2027, 6, 30), successor="/v2/x"
    )


def test_header_formats_follow_rfc_9745_and_8594() -> None:
    assert http_date(dt.date(2027, 6, 30)) == "Wed, 30 Jun 2027 23:59:59 GMT"
    policy = LifecyclePolicy(
        {"x": GroupLifecycle(state="deprecated", sunset=dt.date(2027, 6, 30), successor="/v2/x")},
        today=dt.date(2026, 1, 1),
    )
    deprecation = policy.headers("x")
    assert deprecation == [
        ("Deprecation", "@1767225600"),  # 2026-01-01T00:00:00Z
        ("Sunset", "Wed, 30 Jun 2027 23:59:59 GMT"),
        ("Link", '</v2/x>; rel="successor-version"'),
    ]
    assert policy.headers("y") == []
