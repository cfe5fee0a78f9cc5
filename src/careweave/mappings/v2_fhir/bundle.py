"""The bundle under construction: resources in order, their ids, and the conversion's notes.

Ids are derived from the message's bytes and the resource's position (UUID v5), so converting
the same message twice gives the same Bundle. Entries are addressed by ``urn:uuid:`` full URLs
and referenced by them, which resolves inside a Bundle whatever its base.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from careweave.mappings.v2_fhir.authorities import AuthorityTable

Json = dict[str, Any]
"""A FHIR resource or element as JSON."""

_NAMESPACE = uuid.UUID("4f6c1b8e-5f0e-4c55-9a63-6b3d2f1e7a10")


class BundleWriter:
    """Collects the resources of one message and what could not be carried over."""

    __slots__ = ("_keys", "_seed", "authorities", "entries", "timezone", "warnings")

    def __init__(self, seed: str, authorities: AuthorityTable, timezone: dt.tzinfo | None) -> None:
        self._seed = seed
        self.authorities = authorities
        """Assigning authority -> Identifier.system."""
        self.timezone = timezone
        """The zone assumed for times sent without an offset (None: keep only their date)."""
        self.entries: list[Json] = []
        """Resources in the order they were added (MessageHeader first)."""
        self.warnings: list[str] = []
        """One line per value or segment the conversion could not carry over."""
        self._keys: dict[str, str] = {}

    def warn(self, where: str, what: str) -> None:
        """Note that ``where`` (``PID-7``) could not be carried over, and why."""
        self.warnings.append(f"{where}: {what}")

    def add(self, resource: Json, *, key: str | None = None) -> str:
        """Add ``resource`` (its ``id`` is assigned) and return the reference to it.

        With ``key``, a resource already added under that key is reused and ``resource`` dropped:
        one Practitioner per clinician, one Location per place.
        """
        if key is not None and key in self._keys:
            return self._keys[key]
        rid = str(uuid.uuid5(_NAMESPACE, f"{self._seed}|{len(self.entries)}"))
        # In place (handlers keep the dict to fill later), with the id right after the type.
        kind = resource["resourceType"]
        rest = [(k, v) for k, v in resource.items() if k not in ("resourceType", "id")]
        resource.clear()
        resource.update({"resourceType": kind, "id": rid})
        resource.update(rest)
        self.entries.append(resource)
        ref = f"urn:uuid:{rid}"
        if key is not None:
            self._keys[key] = ref
        return ref

    def bundle(self, *, bundle_type: str, identifier: Json | None, timestamp: str | None) -> Json:
        """The Bundle holding every resource added."""
        out: Json = {"resourceType": "Bundle", "id": str(uuid.uuid5(_NAMESPACE, self._seed))}
        if identifier:
            out["identifier"] = identifier
        out["type"] = bundle_type
        if timestamp:
            out["timestamp"] = timestamp
        out["entry"] = [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            for resource in self.entries
        ]
        return out


def compact(element: Json) -> Json:
    """``element`` without its empty members (None, '', [], {}), so absent v2 values stay absent."""
    return {k: v for k, v in element.items() if v not in (None, "", [], {})}
