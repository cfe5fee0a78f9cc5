"""Validating a FHIR file as a whole: one JSON resource (a Bundle included) or an NDJSON export.

:func:`check_document` decodes the bytes, validates every resource with
:func:`careweave.codecs.fhir.validator.validate` and counts what it found by type, which is what
``careweave fhir validate`` prints. In an NDJSON export each problem's path starts with its line
(``line 3: Patient.gender``).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

import msgspec

from careweave.codecs.fhir.rules import Rules, load_rules
from careweave.codecs.fhir.validator import Issue, validate


@dataclass(slots=True)
class DocumentReport:
    """What a file holds and what is wrong with it."""

    issues: list[Issue] = field(default_factory=list)
    found: collections.Counter[str] = field(default_factory=collections.Counter)
    """Resources by type; a Bundle counts as ``Bundle (its type)``."""
    label: str | None = None
    """``Type/id`` of a single top-level resource, to name it in messages."""

    @property
    def valid(self) -> bool:
        """True when no problem was found."""
        return not self.issues


def _count(resource: object, found: collections.Counter[str]) -> None:
    if not isinstance(resource, dict):
        return
    kind = resource.get("resourceType")
    if kind == "Bundle":
        found[f"Bundle ({resource.get('type')})"] += 1
        entries = resource.get("entry")
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and "resource" in entry:
                _count(entry["resource"], found)
        return
    found[str(kind) if isinstance(kind, str) else "?"] += 1


def _label(resource: object) -> str | None:
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return None
    kind = resource["resourceType"]
    return f"{kind}/{resource['id']}" if isinstance(resource.get("id"), str) else kind


def check_document(
    data: bytes, *, ndjson: bool = False, rules: Rules | None = None
) -> DocumentReport:
    """Validate one FHIR JSON document (or, with ``ndjson``, one resource per non-blank line)."""
    rules = rules or load_rules()
    report = DocumentReport()
    lines = [(n, line) for n, line in enumerate(data.splitlines(), start=1) if line.strip()]
    for number, chunk in lines if ndjson else [(0, data)]:
        prefix = f"line {number}: " if ndjson else ""
        try:
            resource = msgspec.json.decode(chunk)
        except msgspec.DecodeError as exc:
            report.issues.append(Issue(f"{prefix}$", f"not JSON: {exc}"))
            continue
        except RecursionError:
            report.issues.append(Issue(f"{prefix}$", "the JSON is nested too deeply to read"))
            continue
        _count(resource, report.found)
        if not ndjson:
            report.label = _label(resource)
        report.issues.extend(Issue(prefix + i.path, i.message) for i in validate(resource, rules))
    return report
