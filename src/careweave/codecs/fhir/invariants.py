"""The FHIRPath invariants careweave checks, written by hand for the common cases.

The specification states hundreds of invariants as FHIRPath; a FHIRPath engine is a project of its
own, so careweave implements the ones real data breaks most, each as a small function named after its
key. ``ele-1`` (every element has a value or children) and ``ref-1`` (a local reference names a
contained resource) need the walk itself and live in :mod:`careweave.codecs.fhir.validator`; the rest
are here:

- ``per-1`` Period: start <= end.
- ``qty-3`` Quantity (and Age, Count, Distance, Duration): a unit code needs a system.
- ``ext-1`` Extension: either extensions or a value[x], not both.
- ``dom-2``, ``dom-4``, ``dom-5`` contained resources: no nested contained, no meta.versionId or
  meta.lastUpdated, no security labels.
- ``pat-1`` Patient.contact: a name, telecom, address or organization.
- ``obs-6`` Observation: dataAbsentReason only without a value[x];
  ``obs-7`` no value[x] when a component has the Observation's own code.
- ``bdl-1``..``bdl-5``, ``bdl-7``..``bdl-12`` Bundle: total, search, request and response only where
  the Bundle's type allows (and present where it requires), unique fullUrls, none version-specific,
  documents with an identifier, a timestamp and a Composition first, messages with a MessageHeader
  first.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

Report = Callable[[str, str], None]
"""Records one problem: ``report(path, message)``."""

Invariant = Callable[[dict[str, Any], str, Report], None]

_DATE_PREFIX = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _has_value(obj: dict[str, Any]) -> bool:
    return any(key.startswith("value") for key in obj)


def _instant(value: str) -> datetime.datetime | None:
    if "T" not in value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:  # a leap second, which datetime cannot hold: leave the comparison out
        return None
    # Without a zone the value is invalid (reported as such) and cannot be compared with one.
    return moment if moment.tzinfo is not None else None


def per_1(period: dict[str, Any], path: str, report: Report) -> None:
    """Period: start <= end, compared at the precision both share."""
    start, end = period.get("start"), period.get("end")
    if not isinstance(start, str) or not isinstance(end, str):
        return
    first, last = _instant(start), _instant(end)
    if first is not None and last is not None:
        if first > last:
            report(path, f"start {start} is after end {end} (per-1)")
        return
    # A date without a time: compare the calendar parts both values have.
    a, b = _DATE_PREFIX.match(start), _DATE_PREFIX.match(end)
    if a is None or b is None:
        return
    width = min(len(a.group()), len(b.group()))
    if start[:width] > end[:width]:
        report(path, f"start {start} is after end {end} (per-1)")


def qty_3(quantity: dict[str, Any], path: str, report: Report) -> None:
    """Quantity: a unit code needs the system it comes from."""
    if "code" in quantity and "system" not in quantity:
        report(path, "a unit code needs a system (qty-3)")


def ext_1(extension: dict[str, Any], path: str, report: Report) -> None:
    """Extension: either nested extensions or a value[x], not both and not neither."""
    if ("extension" in extension) == _has_value(extension):
        report(path, "an extension has either extensions or a value[x], not both (ext-1)")


def contained_rules(contained: dict[str, Any], path: str, report: Report) -> None:
    """dom-2, dom-4, dom-5: what a contained resource may not carry."""
    if "contained" in contained:
        report(path, "a contained resource cannot contain resources (dom-2)")
    meta = contained.get("meta")
    if isinstance(meta, dict):
        if "versionId" in meta or "lastUpdated" in meta:
            report(path, "a contained resource has no meta.versionId or meta.lastUpdated (dom-4)")
        if "security" in meta:
            report(path, "a contained resource has no security labels (dom-5)")


def pat_1(contact: dict[str, Any], path: str, report: Report) -> None:
    """Patient.contact: SHALL at least contain contact details or a reference to an organization."""
    if not any(key in contact for key in ("name", "telecom", "address", "organization")):
        report(path, "a contact needs a name, telecom, address or organization (pat-1)")


def _codings(concept: object) -> set[tuple[str, str]]:
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return set()
    return {
        (str(c.get("system")), c["code"])
        for c in concept["coding"]
        if isinstance(c, dict) and isinstance(c.get("code"), str)
    }


def observation_rules(observation: dict[str, Any], path: str, report: Report) -> None:
    """obs-6 and obs-7."""
    valued = _has_value(observation)
    if valued and "dataAbsentReason" in observation:
        report(path, "dataAbsentReason only when there is no value[x] (obs-6)")
    own = _codings(observation.get("code"))
    components = observation.get("component")
    if not valued or not own or not isinstance(components, list):
        return
    for component in components:
        if isinstance(component, dict) and own & _codings(component.get("code")):
            report(path, "no value[x] when a component has the Observation's own code (obs-7)")
            return


def _entry_rules(
    bundle_type: object, i: int, entry: dict[str, Any], path: str, report: Report
) -> None:
    here = f"{path}.entry[{i}]"
    if "search" in entry and bundle_type != "searchset":
        report(here, "entry.search only in a searchset Bundle (bdl-2)")
    wants_request = bundle_type in {"batch", "transaction", "history"}
    if ("request" in entry) != wants_request:
        report(
            here,
            f"entry.request is {'required' if wants_request else 'not allowed'} "
            f"in a {bundle_type} Bundle (bdl-3)",
        )
    wants_response = bundle_type in {"batch-response", "transaction-response", "history"}
    if ("response" in entry) != wants_response:
        report(
            here,
            f"entry.response is {'required' if wants_response else 'not allowed'} "
            f"in a {bundle_type} Bundle (bdl-4)",
        )
    if not any(key in entry for key in ("resource", "request", "response")):
        report(here, "an entry needs a resource, a request or a response (bdl-5)")
    full_url = entry.get("fullUrl")
    if isinstance(full_url, str) and "/_history/" in full_url:
        report(f"{here}.fullUrl", "fullUrl cannot be a version-specific reference (bdl-8)")


def _first_resource_type(entries: list[Any]) -> object:
    first = entries[0] if entries else None
    resource = first.get("resource") if isinstance(first, dict) else None
    return resource.get("resourceType") if isinstance(resource, dict) else None


def bundle_rules(bundle: dict[str, Any], path: str, report: Report) -> None:
    """The Bundle invariants bdl-1 to bdl-5 and bdl-7 to bdl-12."""
    kind = bundle.get("type")
    if "total" in bundle and kind not in {"searchset", "history"}:
        report(f"{path}.total", "total only in a searchset or history Bundle (bdl-1)")
    entries = bundle.get("entry")
    entries = entries if isinstance(entries, list) else []
    seen: set[tuple[str, object]] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        _entry_rules(kind, i, entry, path, report)
        full_url = entry.get("fullUrl")
        resource = entry.get("resource")
        meta = resource.get("meta") if isinstance(resource, dict) else None
        version = meta.get("versionId") if isinstance(meta, dict) else None
        if isinstance(full_url, str) and kind != "history":
            if (full_url, version) in seen:
                report(f"{path}.entry[{i}].fullUrl", f"fullUrl {full_url} appears twice (bdl-7)")
            seen.add((full_url, version))
    if kind == "document":
        identifier = bundle.get("identifier")
        if not (isinstance(identifier, dict) and "system" in identifier and "value" in identifier):
            report(
                f"{path}.identifier", "a document needs an identifier with system and value (bdl-9)"
            )
        if "timestamp" not in bundle:
            report(f"{path}.timestamp", "a document needs a timestamp (bdl-10)")
        if _first_resource_type(entries) != "Composition":
            report(f"{path}.entry[0]", "a document's first resource is a Composition (bdl-11)")
    if kind == "message" and _first_resource_type(entries) != "MessageHeader":
        report(f"{path}.entry[0]", "a message's first resource is a MessageHeader (bdl-12)")


_QUANTITIES = ("Quantity", "Age", "Count", "Distance", "Duration")

INVARIANTS: dict[tuple[str, str], tuple[Invariant, ...]] = {
    ("Period", "Period"): (per_1,),
    ("Extension", "Extension"): (ext_1,),
    ("Patient", "Patient.contact"): (pat_1,),
    ("Observation", "Observation"): (observation_rules,),
    ("Bundle", "Bundle"): (bundle_rules,),
    **{(name, name): (qty_3,) for name in _QUANTITIES},
}
"""The invariants each node checks, by (type, node path)."""
