"""careweave's rest-hook endpoint: an EHR's Subscription notifications become channel messages.

Full-resource notifications carry the resources; for id-only ones careweave reads each resource
from the EHR with its :class:`~careweave.connectors.fhir_client.FhirClient`. Either way the
resources are stored as one ``collection`` Bundle on the channel (dedup key: the subscription
and its event numbers, so a re-sent notification is not processed twice). Handshakes and
heartbeats are acknowledged and not stored. The 200 comes only after the Bundle is committed;
when the EHR cannot be read the answer is 503 and nothing is stored, so the EHR retries.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from litestar import Response, post
from litestar.handlers import HTTPRouteHandler

from careweave.connectors.fhir_client import FhirClient
from careweave.exceptions import CareweaveError, DeliveryError, FhirError
from careweave.gateway.fhir_push import FHIR_JSON
from careweave.gateway.http_common import (
    AnyRequest,
    log,
    media_type_problem,
    outcome_response,
    sender_of,
    unavailable,
)
from careweave.gateway.outcome import outcome
from careweave.gateway.receiver import Receiver
from careweave.gateway.subscription_payload import (
    Notification,
    parse_notification,
    relative_reference,
)

NOTIFICATIONS_PATH = "/notifications"
"""Below the channel's base path: where the EHR's Subscription.channel.endpoint points."""


def _notification_key(notification: Notification, bundle: bytes) -> str:
    if notification.subscription and notification.event_numbers:
        numbers = ",".join(notification.event_numbers)
        return f"{notification.subscription}/notification/{numbers}"
    return f"notification#{hashlib.sha256(bundle).hexdigest()[:32]}"


class SubscriptionHook:
    """Receives one channel's rest-hook notifications."""

    def __init__(self, channel: str, receiver: Receiver, ehr: FhirClient | None) -> None:
        self.channel = channel
        self.receiver = receiver
        self.ehr = ehr

    async def _contents(self, notification: Notification) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for item in notification.resources:
            raw = item.raw
            if raw is None:
                if self.ehr is None:
                    raise FhirError(
                        f"id-only notification for {item.reference}: the channel has no `ehr` "
                        "FHIR client to read it with"
                    )
                raw = await self.ehr.read_raw(relative_reference(str(item.reference)))
            entry: dict[str, Any] = {"resource": msgspec.Raw(raw)}
            if item.reference:
                entry["fullUrl"] = item.reference
            if item.method:
                entry["request"] = {"method": item.method, "url": item.reference or ""}
            entries.append(entry)
        return entries

    async def notify(self, request: AnyRequest, raw: bytes) -> Response[bytes]:
        """Handle one notification."""
        try:
            notification = parse_notification(raw)
        except FhirError as exc:
            return await self._store_invalid(request, raw, exc)
        if notification.kind != "event-notification" or not notification.resources:
            text = f"{notification.kind} received for {notification.subscription or 'subscription'}"
            return outcome_response(200, outcome("information", "informational", text))
        try:
            entries = await self._contents(notification)
        except FhirError as exc:
            return outcome_response(422, outcome("error", "processing", exc.message))
        except DeliveryError as exc:
            log.warning("notification content unreadable", channel=self.channel, error=exc.message)
            text = f"cannot read the notified resources from the EHR: {exc.message}"
            return outcome_response(
                503, outcome("error", "transient", text), **{"Retry-After": "5"}
            )
        digest = hashlib.sha256(raw).hexdigest()[:32]
        bundle = msgspec.json.encode(
            {
                "resourceType": "Bundle",
                "id": f"notification-{digest}",
                "type": "collection",
                "entry": entries,
            }
        )
        key = _notification_key(notification, raw)
        try:
            result, processing = await self.receiver.receive(
                self.channel,
                bundle,
                content_type=FHIR_JSON,
                sender=sender_of(request),
                dedup_key=key,
            )
        except Exception as exc:  # not stored: the EHR retries the notification
            return unavailable(exc, f"notification on channel {self.channel}")
        log.info(
            "fhir notification",
            channel=self.channel,
            message_id=result.message_id,
            resources=len(entries),
            state=str(result.state),
            duplicate=result.duplicate,
        )
        severity = "warning" if processing.error else "information"
        text = f"stored as message {result.message_id} ({result.state})"
        if processing.error:
            text += f": {processing.error}"
        return outcome_response(200, outcome(severity, "informational", text))

    async def _store_invalid(
        self, request: AnyRequest, raw: bytes, exc: CareweaveError
    ) -> Response[bytes]:
        # Stored in error like any malformed push: someone can read what the EHR sent.
        key = f"notification#{hashlib.sha256(raw).hexdigest()[:32]}"
        try:
            await self.receiver.receive(
                self.channel, raw, content_type=FHIR_JSON, sender=sender_of(request), dedup_key=key
            )
        except Exception as store_exc:
            return unavailable(store_exc, f"notification on channel {self.channel}")
        return outcome_response(400, outcome("error", "structure", exc.message))


def hook_handlers(hook: SubscriptionHook, base_path: str) -> list[HTTPRouteHandler]:
    """The Litestar route handler of a rest-hook endpoint."""

    @post(f"{base_path.rstrip('/')}{NOTIFICATIONS_PATH}", name=f"{hook.channel}-notifications")
    async def notifications(request: AnyRequest) -> Response[bytes]:
        body = await request.body()
        if body.strip() and (refused := media_type_problem(request)) is not None:
            return refused
        return await hook.notify(request, body)

    return [notifications]
