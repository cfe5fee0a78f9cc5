"""Scopes, one family per API group, and the roles that grant them (least privilege).

A token carries scopes, never a role: the role only decides which scopes a client may be issued.
PHI (patient names, MRNs, birth dates, SSNs, addresses, raw message bodies) is shown only to a
token with ``phi:read``; without it the same routes answer with those fields masked
(:mod:`careweave.gateway.api.masking`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping


class Scope(enum.StrEnum):
    """What a token may do."""

    MESSAGES_READ = "messages:read"
    MESSAGES_REPLAY = "messages:replay"
    CASES_READ = "cases:read"
    CASES_WRITE = "cases:write"
    MASTERDATA_READ = "masterdata:read"
    MASTERDATA_WRITE = "masterdata:write"
    PATIENTS_READ = "patients:read"
    SYSTEM_READ = "system:read"
    AUDIT_READ = "audit:read"
    PHI_READ = "phi:read"
    INGEST = "ingest:write"
    """Push messages to a channel's HTTP source (FHIR endpoint, rest-hook)."""
    CATALOG_READ = "catalog:read"
    """Read the integration catalog (every role has it: it holds no PHI and no secret)."""


_READS = (
    Scope.MESSAGES_READ,
    Scope.CASES_READ,
    Scope.MASTERDATA_READ,
    Scope.SYSTEM_READ,
    Scope.CATALOG_READ,
)

ROLE_SCOPES: Mapping[str, frozenset[Scope]] = {
    "integration-admin": frozenset(Scope),
    "supply-chain": frozenset(
        {*_READS, Scope.CASES_WRITE, Scope.MASTERDATA_WRITE, Scope.MESSAGES_REPLAY}
    ),
    "revenue-integrity": frozenset(
        {*_READS, Scope.CASES_WRITE, Scope.MESSAGES_REPLAY, Scope.PATIENTS_READ, Scope.PHI_READ}
    ),
    # Finance reads the financial side (messages, cases, master data) with PHI masked.
    "finance": frozenset(
        {Scope.MESSAGES_READ, Scope.CASES_READ, Scope.MASTERDATA_READ, Scope.CATALOG_READ}
    ),
    "auditor": frozenset({*_READS, Scope.AUDIT_READ}),
    "read-only": frozenset(_READS),
}
"""The scopes each role may be issued."""


def scopes_of(role: str | None) -> frozenset[Scope]:
    """The scopes a role grants (none without a role)."""
    return ROLE_SCOPES.get(role, frozenset()) if role is not None else frozenset()


def parse_scopes(text: str | Iterable[str]) -> frozenset[str]:
    """Scopes from a space-separated ``scope`` value (or a list, as some providers send)."""
    words = text.split() if isinstance(text, str) else [w for s in text for w in str(s).split()]
    return frozenset(words)
