"""Events of the patient index: what it decided, and the decisions people send it.

The ``patient-index`` flow emits the derived events (they go to the event stream and to any route
that asks for them, which is how the revenue-cycle platform and the ERP hear of a merge); a
reviewer's decision arrives as a ``mpi-decision`` message (``careweave mpi decide``).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from careweave.model.base import BusinessEvent

MPI_DECISION_CONTENT_TYPE = "application/vnd.careweave.mpi-decision+json"


class PatientIndexed(BusinessEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A registration reached the index: its record and the enterprise person it belongs to."""

    record_id: str
    person_id: str
    how: Literal["known", "linked", "new"]
    score: float | None = None
    linked_to: str | None = None


class PatientMatchReview(BusinessEvent, frozen=True, kw_only=True, omit_defaults=True):
    """Two records may be one patient: a person decides (``careweave mpi reviews``)."""

    a: str
    b: str
    score: float
    reason: str


class PersonsMerged(BusinessEvent, frozen=True, kw_only=True, omit_defaults=True):
    """Two enterprise persons became one (an A40, or a reviewer's link)."""

    survivor: str
    merged: str
    source: str


class PersonsUnmerged(BusinessEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A merge was undone: ``person`` stands apart from ``survivor`` again."""

    survivor: str
    person: str
    source: str


class MatchDecision(msgspec.Struct, frozen=True, kw_only=True):
    """The body of a ``mpi-decision`` message."""

    action: Literal["link", "distinct", "unmerge"]
    a: str
    """A record id (``authority|value``); for ``unmerge`` the person id to split off."""
    b: str = ""
    actor: str = ""
    reason: str = ""


class MatchDecisionRequested(BusinessEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A reviewer's decision, decoded from a ``mpi-decision`` message."""

    decision: MatchDecision
