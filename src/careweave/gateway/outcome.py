"""OperationOutcome: how a FHIR server names a problem, with the FHIRPath of the element at fault."""

from __future__ import annotations

import re

import msgspec


class OutcomeIssue(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One problem (or piece of information) about a request."""

    severity: str
    """``fatal``, ``error``, ``warning`` or ``information``."""
    code: str
    """FHIR issue type: ``structure``, ``invalid``, ``processing``, ``transient``..."""
    diagnostics: str | None = None
    expression: tuple[str, ...] = ()
    """FHIRPath of the element at fault (``Patient.gender``)."""


class OperationOutcome(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    tag_field="resourceType",
    tag="OperationOutcome",
):
    """The FHIR ``OperationOutcome`` resource, as careweave answers it."""

    issue: tuple[OutcomeIssue, ...] = ()


_PATH = re.compile(r"`(\$[^`]*)`")
_BYTE = re.compile(r"\(byte (\d+)\)")
_ENTRY = re.compile(r"Bundle entry\[(\d+)\]")
_MISSING = re.compile(r"missing required field `([^`]+)`")


def fhir_path(message: str, resource_type: str | None) -> str | None:
    """The FHIRPath a decoding error points at (``$.name[0].family`` -> ``Patient.name[0].family``).

    An error inside a Bundle entry (``Bundle entry[3]: ...``) is placed below that entry; a
    missing required element is named itself (``Encounter.status``).
    """
    found = _PATH.search(message)
    entry = _ENTRY.search(message)
    missing = _MISSING.search(message)
    prefix = resource_type or "Resource"
    if entry is not None:
        prefix = f"Bundle.entry[{entry.group(1)}].resource"
    if found is None and missing is None:
        return prefix if entry is not None else None
    path = prefix + (found.group(1)[1:] if found is not None else "")
    return f"{path}.{missing.group(1)}" if missing is not None else path


def json_position(raw: bytes, message: str) -> str | None:
    """``line L, column C`` of the byte a JSON syntax error names, if it names one."""
    found = _BYTE.search(message)
    if found is None:
        return None
    offset = min(int(found.group(1)), len(raw))
    before = raw[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return f"line {line}, column {column}"


def outcome(
    severity: str, code: str, diagnostics: str, expression: str | None = None
) -> OperationOutcome:
    """An OperationOutcome with one issue."""
    return OperationOutcome(
        issue=(
            OutcomeIssue(
                severity=severity,
                code=code,
                diagnostics=diagnostics,
                expression=(expression,) if expression else (),
            ),
        )
    )


def encode_outcome(value: OperationOutcome) -> bytes:
    """The JSON of an OperationOutcome."""
    return msgspec.json.encode(value)
