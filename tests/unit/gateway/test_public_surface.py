"""The public names of the FHIR gateway, client and simulator, pinned; the docs' example parses."""

from __future__ import annotations

import re
from pathlib import Path

import careweave.connectors.fhir_client as fhir_client
import careweave.connectors.http_source as http_source
import careweave.gateway as gateway
import careweave.sandbox.ehr_fhir as ehr_fhir
from careweave.config import parse_settings
from careweave.connectors.http_source import HttpSourceConfig

DOCS = Path(__file__).resolve().parents[3] / "docs" / "fhir.md"


def test_public_surface():
    assert set(gateway.__all__) == {
        "NOTIFICATIONS_PATH", "ChannelHttpSource", "FhirAnswer", "FhirPushEndpoint",
        "Inspection", "Interaction", "Notification", "OperationOutcome", "OutcomeIssue",
        "Problem", "PushRequest", "Receiver", "SubscriptionHook", "answer_push",
        "build_channel_app", "dedup_key", "inspect_push", "outcome", "parse_notification",
    }  # fmt: skip
    assert set(fhir_client.__all__) == {
        "ASSERTION_TYPE", "FhirClient", "FhirClientConfig", "SmartTokenSource",
        "client_assertion", "load_private_key",
    }  # fmt: skip
    assert set(http_source.__all__) == {
        "FHIR_CONTENT_TYPE", "HttpSource", "HttpSourceConfig", "fhir_decode",
    }  # fmt: skip
    assert set(ehr_fhir.__all__) == {
        "ClientKey", "EhrFhirServer", "EhrFhirSimulator", "ResourceStore", "TokenRefused",
        "TokenService", "cardiology_case", "generate_client_key", "seed_cardiology",
    }  # fmt: skip
    for module in (gateway, fhir_client, http_source, ehr_fhir):
        for name in module.__all__:
            assert getattr(module, name) is not None


def test_the_documented_channel_parses():
    text = DOCS.read_text()
    toml = re.search(r"```toml\n(.*?)```", text, re.S)
    assert toml is not None
    (channel,) = parse_settings(toml.group(1)).channels
    assert isinstance(channel.source, HttpSourceConfig)
    assert channel.source.ehr is not None and channel.source.ehr.algorithm == "ES384"
    assert (channel.format, channel.mapping) == ("fhir", "fhir-clinical")
