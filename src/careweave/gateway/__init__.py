"""careweave's HTTP face: the FHIR endpoint and rest-hook a channel serves (Litestar on uvicorn)."""

from careweave.gateway.app import ChannelHttpSource, build_channel_app
from careweave.gateway.fhir_endpoint import FhirPushEndpoint
from careweave.gateway.fhir_push import (
    FhirAnswer,
    Inspection,
    Interaction,
    Problem,
    PushRequest,
    answer_push,
    dedup_key,
    inspect_push,
)
from careweave.gateway.outcome import OperationOutcome, OutcomeIssue, outcome
from careweave.gateway.receiver import Receiver
from careweave.gateway.subscription_payload import Notification, parse_notification
from careweave.gateway.subscriptions import NOTIFICATIONS_PATH, SubscriptionHook

__all__ = [
    "NOTIFICATIONS_PATH",
    "ChannelHttpSource",
    "FhirAnswer",
    "FhirPushEndpoint",
    "Inspection",
    "Interaction",
    "Notification",
    "OperationOutcome",
    "OutcomeIssue",
    "Problem",
    "PushRequest",
    "Receiver",
    "SubscriptionHook",
    "answer_push",
    "build_channel_app",
    "dedup_key",
    "inspect_push",
    "outcome",
    "parse_notification",
]
