"""Draft exception cases: work a person must do, before the engine persists it.

Domain rules produce drafts; the engine stores them in the exception work queue with an SLA clock,
notifies the owning team, and replays the parked payload once someone fixes the cause.
"""

from __future__ import annotations

import msgspec


class ExceptionCaseDraft(msgspec.Struct, frozen=True, kw_only=True):
    """An exception case as a domain rule describes it; the engine adds identity, SLA and audit."""

    case_key: str
    """Stable identity of the case (re-validating the same payload yields the same key)."""
    reason_code: str
    owning_team: str
    summary: str
    suggested_fix: str
    payload_reference: str
    """Where the parked payload lives, for example ``charge:<line id>`` or an inbound message id."""
    details: tuple[str, ...] = ()
    """One line per problem found, naming the field and the value."""
