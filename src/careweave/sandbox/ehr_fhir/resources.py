"""The simulated EHR's resources: kept as JSON, searched with paging like a FHIR server does.

Search parameters understood: ``_id``, ``patient`` / ``subject`` (a reference), ``identifier``
(``system|value`` or ``value``) and ``_count``; ``_offset`` is the paging cursor the ``next``
links carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

SEARCHABLE = ("Patient", "Encounter", "Procedure", "ChargeItem")
DEFAULT_PAGE = 50


@dataclass
class ResourceStore:
    """Resources by type, in the order they were added."""

    by_type: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def add(self, resource: Mapping[str, Any] | bytes) -> dict[str, Any]:
        """Add or replace a resource (it must have a resourceType and an id)."""
        data: dict[str, Any] = (
            msgspec.json.decode(resource) if isinstance(resource, bytes) else dict(resource)
        )
        kind, rid = data.get("resourceType"), data.get("id")
        if not kind or not rid:
            raise ValueError("a simulated EHR resource needs a resourceType and an id")
        self.by_type.setdefault(str(kind), {})[str(rid)] = data
        return data

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        """One resource, or None."""
        return self.by_type.get(resource_type, {}).get(resource_id)

    def matches(self, resource_type: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """Every resource of ``resource_type`` that the search parameters select."""
        found = list(self.by_type.get(resource_type, {}).values())
        if (rid := params.get("_id")) is not None:
            found = [r for r in found if r.get("id") in rid.split(",")]
        for name in ("patient", "subject"):
            if (ref := params.get(name)) is not None:
                found = [r for r in found if _refers_to(r, ref)]
        if (ident := params.get("identifier")) is not None:
            found = [r for r in found if _has_identifier(r, ident)]
        return found

    def page(self, resource_type: str, params: Mapping[str, str], base_url: str) -> dict[str, Any]:
        """One searchset page with ``self`` and (when more remain) ``next`` links."""
        found = self.matches(resource_type, params)
        count = max(1, int(params.get("_count", DEFAULT_PAGE)))
        offset = max(0, int(params.get("_offset", 0)))
        query = {k: v for k, v in params.items() if k not in {"_offset"}}
        query["_count"] = str(count)

        def link(at: int) -> str:
            args = "&".join(f"{k}={v}" for k, v in {**query, "_offset": str(at)}.items())
            return f"{base_url}/{resource_type}?{args}"

        links = [{"relation": "self", "url": link(offset)}]
        if offset + count < len(found):
            links.append({"relation": "next", "url": link(offset + count)})
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "link": links,
            "entry": [
                {
                    "fullUrl": f"{base_url}/{resource_type}/{r['id']}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in found[offset : offset + count]
            ],
        }


def _refers_to(resource: Mapping[str, Any], reference: str) -> bool:
    wanted = reference if "/" in reference else f"Patient/{reference}"
    subject = resource.get("subject") or resource.get("patient") or {}
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    return bool(subject.get("reference") == wanted)


def _has_identifier(resource: Mapping[str, Any], token: str) -> bool:
    system, _, value = token.rpartition("|")
    for ident in resource.get("identifier", []):
        if ident.get("value") == value and (not system or ident.get("system") == system):
            return True
    return False
