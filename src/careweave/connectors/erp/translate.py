"""Canonical ERP requests to and from the wire shapes of API v1 and v2.

Only two shapes differ between the versions: a journal line's account (v1: one ``-`` joined
string; v2: a segments object) and an item's unit of measure (v1: ``uom`` code; v2:
``unit_of_measure: {code, description}``). Everything else passes through unchanged.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from careweave.connectors.erp.config import ApiVersion
from careweave.exceptions import MappingError
from careweave.model.erp import ErpItem, JournalRequest


def idempotency_key(kind: str, business_key: str) -> str:
    """The Idempotency-Key of an effect: a digest of its kind and business identity.

    Hashing keeps the header ASCII and short whatever the business key contains, and the same
    business identity always yields the same key, across retries and process restarts.
    """
    digest = hashlib.sha256(f"{kind}\x1f{business_key}".encode()).hexdigest()
    return f"cw-{kind}-{digest[:40]}"


def journal_body(journal: JournalRequest, version: ApiVersion) -> dict[str, Any]:
    """The journal as the given API version expects it."""
    body: dict[str, Any] = msgspec.to_builtins(journal)
    body["external_id"] = body.pop("business_key")
    if version == "v1":
        for wire, line in zip(body["lines"], journal.lines, strict=True):
            del wire["segments"]
            wire["account"] = line.segments.to_account_string()
    return body


def item_body(item: ErpItem, version: ApiVersion) -> dict[str, Any]:
    """The item as the given API version expects it."""
    body: dict[str, Any] = msgspec.to_builtins(item)
    if version == "v2":
        body["unit_of_measure"] = {"code": body.pop("uom")}
    return body


def item_from_wire(payload: Any, version: ApiVersion) -> ErpItem:
    """An item the ERP returned, in either version's shape."""
    if not isinstance(payload, dict):
        raise MappingError(f"ERP item answer is not an object: {type(payload).__name__}")
    fields = dict(payload)
    if version == "v2":
        unit = fields.pop("unit_of_measure", None)
        if not isinstance(unit, dict) or "code" not in unit:
            raise MappingError("ERP v2 item answer lacks unit_of_measure.code")
        fields["uom"] = unit["code"]
    try:
        return msgspec.convert(fields, ErpItem, strict=False)
    except msgspec.ValidationError as exc:
        raise MappingError(f"ERP item answer is malformed: {exc}") from exc
