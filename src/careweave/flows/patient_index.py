"""patient-index: every registration linked to an enterprise person, in the commit of its message.

Registrations and updates (ADT A01/A04/A05/A08/A28/A31) go through the online patient index
(:mod:`careweave.masterdata.identity.online`); a merge (A40) joins two persons and an identifier
change (A47) re-points the old identifier; a reviewer's decision (``mpi-decision`` message, sent by
``careweave mpi decide``) links, separates or unmerges. Each outcome is a derived event
(:mod:`careweave.model.patient_index`) for the event stream and for any destination that routes it,
so the revenue-cycle platform and the ERP hear of merges. Possible matches are kept in business
state for review (``careweave mpi reviews``); they never park the registration, whose other flows
(billing, supplies) go on.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec

from careweave.exceptions import MappingError
from careweave.flows.base import BaseFlow
from careweave.flows.services import FlowServices
from careweave.masterdata.identity.online import OnlinePolicy, PatientIndex
from careweave.model.base import BusinessEvent
from careweave.model.clinical import (
    ClinicalEvent,
    PatientAdmitted,
    PatientIdentifierChanged,
    PatientRegistered,
    PatientsMerged,
    PatientUpdated,
)
from careweave.model.envelope import Envelope, Step
from careweave.model.flow import FlowOutput
from careweave.model.patient_index import (
    MatchDecision,
    MatchDecisionRequested,
    PatientIndexed,
    PatientMatchReview,
    PersonsMerged,
    PersonsUnmerged,
)


class PatientIndexFlow(BaseFlow):
    """Keeps the patient index and announces what it decided."""

    name: ClassVar[str] = "patient-index"
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = (
        PatientAdmitted,
        PatientRegistered,
        PatientUpdated,
        PatientsMerged,
        PatientIdentifierChanged,
        MatchDecisionRequested,
    )

    def __init__(self, policy: OnlinePolicy | None = None) -> None:
        self.policy = policy or OnlinePolicy()

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Index one registration, merge, identifier change or decision."""
        index = PatientIndex(out.state, self.policy)
        if isinstance(event, PatientsMerged):
            self._merge(index, event, out)
        elif isinstance(event, PatientIdentifierChanged):
            prior = [f"{i.system}|{i.value}" for i in event.prior.identifiers if i.system]
            if prior:
                index.change_identifier(prior[0], event.patient)
            self._register(index, event, out)
        elif isinstance(event, MatchDecisionRequested):
            self._decide(index, event, out)
        elif isinstance(event, ClinicalEvent):
            self._register(index, event, out)

    def _register(self, index: PatientIndex, event: ClinicalEvent, out: FlowOutput) -> str | None:
        done = index.register(event.patient)
        if done is None:
            return None
        out.emit(
            PatientIndexed(
                idempotency_key=f"mpi:{event.idempotency_key}",
                occurred_at=event.occurred_at,
                source_message_id=event.source_message_id,
                record_id=done.record_id,
                person_id=done.person_id,
                how=done.how,
                score=done.score,
                linked_to=done.linked_to,
            )
        )
        for review in done.reviews:
            out.emit(
                PatientMatchReview(
                    idempotency_key=f"mpi-review:{review.a}|{review.b}",
                    occurred_at=event.occurred_at,
                    source_message_id=event.source_message_id,
                    a=review.a,
                    b=review.b,
                    score=review.score,
                    reason=review.reason,
                )
            )
        return done.person_id

    def _merge(self, index: PatientIndex, event: PatientsMerged, out: FlowOutput) -> None:
        survivor = self._register(index, event, out)
        merged_keys = [f"{i.system}|{i.value}" for i in event.merged.identifiers if i.system]
        merged = next((p for k in merged_keys if (p := index.person_of(k)) is not None), None)
        if survivor is None or merged is None:
            return  # the merged record never reached the index: nothing to join
        source = f"A40 {event.source_message_id or ''}".strip()
        if index.merge(survivor, merged, source):
            out.emit(
                PersonsMerged(
                    idempotency_key=f"mpi-merge:{event.idempotency_key}",
                    occurred_at=event.occurred_at,
                    source_message_id=event.source_message_id,
                    survivor=survivor,
                    merged=merged,
                    source=source,
                )
            )

    def _decide(self, index: PatientIndex, event: MatchDecisionRequested, out: FlowOutput) -> None:
        decision = event.decision
        source = f"decision {decision.actor}".strip()
        if decision.action == "unmerge":
            survivor = index.unmerge(decision.a)
            if survivor is not None:
                out.emit(
                    PersonsUnmerged(
                        idempotency_key=f"mpi-unmerge:{event.idempotency_key}",
                        survivor=survivor,
                        person=decision.a,
                        source=source,
                    )
                )
            return
        first, second = index.record(decision.a), index.record(decision.b)
        before = (
            (index.current(first.person_id), index.current(second.person_id))
            if first and second
            else None
        )
        if index.decide(decision.a, decision.b, decision.action == "link", decision.actor) is None:
            raise MappingError(f"no review of {decision.a} and {decision.b} to decide")
        if decision.action == "link" and before is not None and before[0] != before[1]:
            out.emit(
                PersonsMerged(
                    idempotency_key=f"mpi-merge:{event.idempotency_key}",
                    survivor=before[1],
                    merged=before[0],
                    source=source,
                )
            )


def decode_decision(envelope: Envelope) -> None:
    """Decode step of the ``mpi-decision`` format: the JSON body into a MatchDecisionRequested."""
    try:
        decision = msgspec.json.decode(envelope.message.raw, type=MatchDecision)
    except msgspec.DecodeError as exc:
        raise MappingError(f"mpi decision: {exc}") from exc
    envelope.decoded = decision
    envelope.ordering_key = "mpi-decision"
    key = f"{decision.action}:{decision.a}|{decision.b}"
    envelope.events.append(MatchDecisionRequested(idempotency_key=key, decision=decision))


def decision_step(_config: object) -> Step:
    """The decode-step factory of the ``mpi-decision`` format."""
    return decode_decision


def build_patient_index(_services: FlowServices) -> PatientIndexFlow:
    """The flow with the default policy (thresholds as ``careweave mpi match``'s defaults)."""
    return PatientIndexFlow()
