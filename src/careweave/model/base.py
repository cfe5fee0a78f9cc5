"""The base of every canonical business event.

Wire formats are decoded at the edge into these events; flows only ever see them. Events are
msgspec Structs, tagged by class name so that a stored event decodes back to its own type.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import msgspec


class BusinessEvent(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """A canonical business event.

    Subclasses add their facts. ``idempotency_key`` names the business identity of the event
    (for example encounter + charge line + version) so that re-delivery never doubles an effect.
    """

    #: Which fields carry protected health information (logged redacted).
    phi_fields: ClassVar[frozenset[str]] = frozenset()

    idempotency_key: str
    occurred_at: dt.datetime | None = None
    source_message_id: str | None = None
    """The sender's message id (MSH-10, FHIR Bundle id) the event was decoded from."""

    def ordering_key(self) -> str | None:
        """The key under which events must reach destinations in order (patient, encounter)."""
        return None
