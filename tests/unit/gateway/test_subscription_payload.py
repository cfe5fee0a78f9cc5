"""Rest-hook notifications in their R4 backport, R4B and classic R4 shapes."""

from __future__ import annotations

import msgspec
import pytest

from careweave.exceptions import FhirError
from careweave.gateway.subscription_payload import parse_notification, relative_reference
from careweave.sandbox.ehr_fhir import EhrFhirSimulator, cardiology_case


def _simulator() -> EhrFhirSimulator:
    simulator = EhrFhirSimulator()
    for resource in cardiology_case(1):
        simulator.resources.add(resource)
    return simulator


def test_backport_id_only_names_each_focus_once():
    body = _simulator().notification(
        subscription="Subscription/s1",
        references=["Patient/p1", "Encounter/e1"],
        base_url="http://ehr/fhir",
    )
    n = parse_notification(msgspec.json.encode(body))
    assert (n.kind, n.subscription, n.event_numbers) == (
        "event-notification",
        "Subscription/s1",
        ("1", "2"),
    )
    assert [r.reference for r in n.resources] == [
        "http://ehr/fhir/Patient/p1",
        "http://ehr/fhir/Encounter/e1",
    ]
    assert n.needs_fetch


def test_backport_full_resource_carries_the_json():
    body = _simulator().notification(
        subscription="Subscription/s1", references=["Encounter/e1"], content="full-resource"
    )
    n = parse_notification(msgspec.json.encode(body))
    assert not n.needs_fetch
    (item,) = n.resources
    assert item.method == "PUT"
    assert msgspec.json.decode(item.raw or b"{}")["id"] == "e1"


def test_r4b_subscription_status_with_focus_only():
    body = {
        "resourceType": "Bundle",
        "type": "history",
        "entry": [
            {
                "resource": {
                    "resourceType": "SubscriptionStatus",
                    "type": "event-notification",
                    "subscription": {"reference": "Subscription/s2"},
                    "notificationEvent": [
                        {"eventNumber": 12, "focus": {"reference": "Procedure/pr1"}}
                    ],
                }
            }
        ],
    }
    n = parse_notification(msgspec.json.encode(body))
    assert n.subscription == "Subscription/s2"
    assert n.event_numbers == ("12",)
    assert [r.reference for r in n.resources] == ["Procedure/pr1"]


def test_handshake_ping_and_classic_payloads():
    handshake = _simulator().notification(
        subscription="Subscription/s1", references=[], kind="handshake"
    )
    assert parse_notification(msgspec.json.encode(handshake)).kind == "handshake"
    assert parse_notification(b"  ").kind == "ping"
    classic = parse_notification(msgspec.json.encode(cardiology_case(1)[0]))
    assert classic.resources[0].raw is not None and not classic.needs_fetch


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"resourceType":"Patient","gender":"bogus"}', b"[1, 2]"],
)
def test_a_notification_that_is_not_fhir_is_a_fhir_error(body):
    with pytest.raises(FhirError):
        parse_notification(body)


def test_relative_reference():
    assert relative_reference("http://ehr:8080/fhir/Patient/p1") == "Patient/p1"
    assert relative_reference("https://ehr/fhir/Encounter/e1/_history/3") == "Encounter/e1"
    assert relative_reference("Procedure/pr1") == "Procedure/pr1"
