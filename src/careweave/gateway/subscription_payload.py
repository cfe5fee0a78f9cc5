"""Reading FHIR R4 rest-hook Subscription notifications.

Two shapes are understood:

* the R4 Subscriptions Backport (and R4B): a ``history`` Bundle whose first entry is the status
  (a ``Parameters`` resource in R4, a ``SubscriptionStatus`` in R4B) naming the subscription,
  the notification type (``handshake``, ``heartbeat``, ``event-notification``) and each event's
  number and focus; the other entries carry the resources (``full-resource``) or only their
  ``fullUrl`` (``id-only``);
* a classic R4 rest-hook: an empty body (a ping) or the resource itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from careweave.codecs.fhir.decode import decode_resource
from careweave.exceptions import FhirError

STATUS_TYPES = frozenset({"Parameters", "SubscriptionStatus"})


@dataclass(frozen=True)
class NotifiedResource:
    """A resource a notification is about: its JSON (full-resource) or only its reference."""

    reference: str | None
    raw: bytes | None = None
    method: str | None = None
    """The entry's request method, when the notifier gave one (POST: created)."""


@dataclass(frozen=True)
class Notification:
    """What a rest-hook notification says."""

    kind: str
    """``event-notification``, ``handshake``, ``heartbeat``, ``query-status`` or ``ping``."""
    subscription: str | None = None
    event_numbers: tuple[str, ...] = ()
    resources: tuple[NotifiedResource, ...] = ()

    @property
    def needs_fetch(self) -> bool:
        """True when some resource is named by reference only (id-only)."""
        return any(r.raw is None for r in self.resources)


class _Ref(msgspec.Struct):
    reference: str | None = None


class _Param(msgspec.Struct, rename="camel"):
    name: str = ""
    value_reference: _Ref | None = None
    value_code: str | None = None
    value_string: str | None = None
    value_integer: int | None = None
    value_unsigned_int: int | None = None
    part: list[_Param] = msgspec.field(default_factory=list)

    def text(self) -> str | None:
        for v in (self.value_code, self.value_string, self.value_integer, self.value_unsigned_int):
            if v is not None:
                return str(v)
        return self.value_reference.reference if self.value_reference else None


class _StatusEvent(msgspec.Struct, rename="camel"):
    event_number: str | int | None = None
    focus: _Ref | None = None


class _Status(msgspec.Struct, rename="camel"):
    resource_type: str = ""
    type: str | None = None
    subscription: _Ref | None = None
    notification_event: list[_StatusEvent] = msgspec.field(default_factory=list)
    parameter: list[_Param] = msgspec.field(default_factory=list)


class _Request(msgspec.Struct):
    method: str = ""


class _Entry(msgspec.Struct, rename="camel"):
    full_url: str | None = None
    resource: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    request: _Request | None = None


class _Envelope(msgspec.Struct, rename="camel"):
    resource_type: str = ""
    id: str | None = None
    type: str | None = None
    entry: list[_Entry] = msgspec.field(default_factory=list)


def _status(raw: bytes) -> tuple[str, str | None, list[str], list[str]]:
    """Kind, subscription, event numbers and focus references of a status resource."""
    status = msgspec.json.decode(raw, type=_Status)
    if status.resource_type == "SubscriptionStatus":
        events = status.notification_event
        return (
            status.type or "event-notification",
            status.subscription.reference if status.subscription else None,
            [str(e.event_number) for e in events if e.event_number],
            [e.focus.reference for e in events if e.focus and e.focus.reference],
        )
    values = {p.name: p for p in status.parameter}
    kind = values["type"].text() if "type" in values else None
    sub = values["subscription"].text() if "subscription" in values else None
    numbers: list[str] = []
    focus: list[str] = []
    for p in status.parameter:
        if p.name != "notification-event":
            continue
        parts = {q.name: q for q in p.part}
        if (n := parts.get("event-number")) is not None and (text := n.text()):
            numbers.append(text)
        if (f := parts.get("focus")) is not None and (ref := f.text()):
            focus.append(ref)
    return kind or "event-notification", sub, numbers, focus


def relative_reference(reference: str) -> str:
    """``Type/id`` of a reference, absolute or versioned (``http://x/fhir/Patient/1/_history/2``).

    id-only notifications are read from careweave's own configured EHR base, whatever host name
    the notifier used in its ``fullUrl``: the token never goes anywhere else.
    """
    parts = [p for p in reference.split("?", maxsplit=1)[0].split("/") if p]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    return "/".join(parts[-2:])


def _same(a: str, b: str) -> bool:
    """Whether two references name one resource (``Patient/1`` and ``http://x/fhir/Patient/1``)."""
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def parse_notification(raw: bytes) -> Notification:
    """Read a notification; a body that is no FHIR at all raises :class:`FhirError`."""
    if not raw.strip():
        return Notification(kind="ping")
    try:
        envelope = msgspec.json.decode(raw, type=_Envelope)
    except msgspec.DecodeError as exc:
        raise FhirError(f"notification is not a FHIR JSON resource: {exc}") from exc
    if envelope.resource_type != "Bundle":
        decode_resource(raw)  # a classic full-resource rest-hook: the resource must be valid
        return Notification(kind="event-notification", resources=(NotifiedResource(None, raw),))
    entries = list(envelope.entry)
    kind, subscription = "event-notification", None
    numbers: list[str] = []
    focus: list[str] = []
    if entries and entries[0].resource:
        head = msgspec.json.decode(bytes(entries[0].resource), type=_Envelope).resource_type
        if head in STATUS_TYPES:
            try:
                kind, subscription, numbers, focus = _status(bytes(entries.pop(0).resource))
            except msgspec.DecodeError as exc:
                raise FhirError(f"notification status (entry[0]) is invalid: {exc}") from exc
    resources: list[NotifiedResource] = []
    for entry in entries:
        method = entry.request.method.upper() if entry.request else None
        if entry.resource:
            resources.append(NotifiedResource(entry.full_url, bytes(entry.resource), method))
        elif entry.full_url:
            resources.append(NotifiedResource(entry.full_url, None, method))
    for ref in focus:  # id-only payloads may name the focus in the status alone
        if not any(r.reference and _same(r.reference, ref) for r in resources):
            resources.append(NotifiedResource(ref))
    return Notification(kind, subscription, tuple(numbers), tuple(resources))
