"""The patient index online: each registration linked to an enterprise person as it arrives.

The batch matcher (``careweave mpi match``) estimates m and u from a whole file. Registrations
arrive one at a time, so the index scores a new record against the records sharing one of its
blocking keys, with the comparisons' calibrated starting m and u and a prior for a blocked pair
(:class:`OnlinePolicy`), and the same guards and thresholds (:meth:`PatientMatcher.judge`):

1. a record whose identifier (``authority|value``) the index knows is that record: its demographics
   are refreshed and any new identifier joins it (deterministic, no scoring);
2. otherwise the best candidate at or above the link threshold gives the person; pairs between the
   review and link thresholds (or capped by a guard: twins, a father and his junior) are kept for a
   person to decide, and the record starts a person of its own;
3. a merge (ADT A40) moves the merged person's records under the survivor and remembers it, so
   :meth:`PatientIndex.unmerge` can put them back; an identifier change (A47) re-points the old
   identifier's record at the new one.

Everything lives in business state (``StateTable.MPI_*``): the index changes only in the commit of
the message that changed it, and a replay finds its own earlier outcome.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import msgspec

from careweave.masterdata.identity.blocking import DEFAULT_BLOCKING_RULES, BlockingRule
from careweave.masterdata.identity.comparisons import compare
from careweave.masterdata.identity.matcher import Decision, PatientMatcher
from careweave.masterdata.identity.policy import MatchPolicy
from careweave.masterdata.identity.records import PatientRecord, prepare
from careweave.masterdata.identity.scoring import MatchModel
from careweave.model.identity import PatientIdentity
from careweave.model.state import BusinessState, StateTable, load, save


@dataclass(frozen=True, slots=True)
class OnlinePolicy:
    """How the online index decides (thresholds and guards come from ``match``)."""

    match: MatchPolicy = field(default_factory=MatchPolicy)
    blocked_prior: float = 0.01
    """Probability that a new record and one sharing a blocking key with it are the same person."""
    max_block_size: int = 200
    """Records kept per blocking key; a key shared by more is a placeholder (a default birth date,
    a clinic's phone) and stops collecting candidates."""


class IndexedRecord(msgspec.Struct, kw_only=True):
    """One source record as the index keeps it (a ``MPI_RECORDS`` row)."""

    record_id: str
    person_id: str
    given: str = ""
    family: str = ""
    birth_date: str = ""
    sex: str = ""
    address: str = ""
    city: str = ""
    postcode: str = ""
    phone: str = ""
    ssn: str = ""
    identifiers: list[str] = msgspec.field(default_factory=list)
    """``authority|value`` of every identifier the record carried."""

    def to_record(self) -> PatientRecord:
        """The matcher's view of the record."""
        pairs = tuple(
            (i.split("|", 1)[0], i.split("|", 1)[1]) for i in self.identifiers if "|" in i
        )
        return PatientRecord(
            id=self.record_id,
            given=self.given,
            family=self.family,
            birth_date=self.birth_date,
            sex=self.sex,
            address=self.address,
            city=self.city,
            postcode=self.postcode,
            phone=self.phone,
            ssn=self.ssn,
            identifiers=pairs,
        )


class Person(msgspec.Struct, kw_only=True):
    """An enterprise person (a ``MPI_PERSONS`` row)."""

    person_id: str
    records: list[str] = msgspec.field(default_factory=list)
    merged_into: str | None = None
    merged: list[MergeMark] = msgspec.field(default_factory=list)
    """Persons merged into this one, with the records each brought (for an unmerge)."""


class MergeMark(msgspec.Struct, frozen=True, kw_only=True):
    """A person merged into another, and the records it brought."""

    person_id: str
    records: list[str]
    source: str
    """What merged them: ``A40 <control id>``, ``decision <actor>``."""


class Review(msgspec.Struct, kw_only=True):
    """A possible match for a person to decide (a ``MPI_REVIEWS`` row)."""

    a: str
    b: str
    score: float
    reason: str
    status: str = "open"
    """``open``, ``linked`` or ``distinct``."""
    decided_by: str = ""


@dataclass(frozen=True, slots=True)
class Indexed:
    """What registering one identity did."""

    record_id: str
    person_id: str
    how: Literal["known", "linked", "new"]
    """``known`` (an identifier the index had), ``linked`` (scored), ``new`` (a new person)."""
    score: float | None = None
    reviews: tuple[Review, ...] = ()
    linked_to: str | None = None
    """The record the new one was linked to, when scored."""


def person_id_for(record_id: str) -> str:
    """The enterprise id of the person a record starts: stable across replays and processes."""
    return "EP" + hashlib.sha256(record_id.encode()).hexdigest()[:14].upper()


def _indexed(
    record: PatientRecord, record_id: str, person_id: str, keys: list[str]
) -> IndexedRecord:
    return IndexedRecord(
        record_id=record_id,
        person_id=person_id,
        given=record.given,
        family=record.family,
        birth_date=record.birth_date,
        sex=record.sex,
        address=record.address,
        city=record.city,
        postcode=record.postcode,
        phone=record.phone,
        ssn=record.ssn,
        identifiers=keys,
    )


def _identifier_keys(identity: PatientIdentity) -> list[str]:
    return [f"{i.system}|{i.value}" for i in identity.identifiers if i.system and i.type != "SS"]


class PatientIndex:
    """The patient index over a business state (the commit of the message being processed)."""

    def __init__(
        self,
        state: BusinessState,
        policy: OnlinePolicy | None = None,
        rules: Iterable[BlockingRule] = DEFAULT_BLOCKING_RULES,
    ) -> None:
        self._state = state
        self.policy = policy or OnlinePolicy()
        self._matcher = PatientMatcher(self.policy.match)
        self._rules = tuple(rules)
        comparisons = self._matcher.comparisons
        self._model = MatchModel(
            comparisons=comparisons,
            m=tuple(c.m_start for c in comparisons),
            u=tuple(c.u_start for c in comparisons),
            prior=self.policy.blocked_prior,
            frequencies={},
        )

    # -- reads ------------------------------------------------------------------------------

    def record(self, record_id: str) -> IndexedRecord | None:
        """A source record, or None."""
        return load(self._state, StateTable.MPI_RECORDS, record_id, IndexedRecord)

    def person(self, person_id: str) -> Person | None:
        """A person as stored (possibly merged into another), or None."""
        return load(self._state, StateTable.MPI_PERSONS, person_id, Person)

    def current(self, person_id: str) -> str:
        """The person ``person_id`` stands for now (following merges)."""
        seen: set[str] = set()
        while (found := self.person(person_id)) is not None and found.merged_into:
            if person_id in seen:  # a loop would be a bug; stop rather than spin
                break
            seen.add(person_id)
            person_id = found.merged_into
        return person_id

    def record_of(self, identifier: str) -> str | None:
        """The record carrying identifier ``authority|value``, or None."""
        return load(self._state, StateTable.MPI_IDENTIFIERS, identifier, str)

    def person_of(self, identifier: str) -> str | None:
        """The current person of identifier ``authority|value``, or None."""
        record_id = self.record_of(identifier)
        record = self.record(record_id) if record_id else None
        return self.current(record.person_id) if record is not None else None

    # -- registration -----------------------------------------------------------------------

    def register(self, identity: PatientIdentity) -> Indexed | None:
        """Index a registration; None when it carries no identifier with an authority."""
        keys = _identifier_keys(identity)
        if not keys:
            return None
        return self.register_record(PatientRecord.from_identity(keys[0], identity), keys)

    def register_record(self, record: PatientRecord, keys: list[str]) -> Indexed:
        """Index one source record known by identifiers ``keys`` (``authority|value``, first
        = the record's id)."""
        known = next((r for k in keys if (r := self.record_of(k)) is not None), None)
        if known is not None and (stored := self.record(known)) is not None:
            self._refresh(stored, record, keys)
            return Indexed(record_id=known, person_id=self.current(stored.person_id), how="known")
        record_id = keys[0]
        fresh = _indexed(record, record_id, person_id_for(record_id), keys)
        best, reviews = self._score(fresh)
        if best is not None:
            fresh.person_id = self.current(best[1].person_id)
            self._put_record(fresh, keys)
            self._join(fresh.person_id, record_id)
            return Indexed(
                record_id=record_id,
                person_id=fresh.person_id,
                how="linked",
                score=best[0],
                linked_to=best[1].record_id,
            )
        self._put_record(fresh, keys)
        save(
            self._state,
            StateTable.MPI_PERSONS,
            fresh.person_id,
            Person(person_id=fresh.person_id, records=[record_id]),
        )
        for review in reviews:
            save(self._state, StateTable.MPI_REVIEWS, f"{review.a}|{review.b}", review)
        return Indexed(
            record_id=record_id, person_id=fresh.person_id, how="new", reviews=tuple(reviews)
        )

    def _refresh(self, stored: IndexedRecord, record: PatientRecord, keys: list[str]) -> None:
        updated = _indexed(record, stored.record_id, stored.person_id, keys)
        updated.identifiers = list(dict.fromkeys([*stored.identifiers, *keys]))
        if updated != stored:
            self._put_record(updated, keys)

    def _put_record(self, record: IndexedRecord, keys: list[str]) -> None:
        save(self._state, StateTable.MPI_RECORDS, record.record_id, record)
        for key in keys:
            if self.record_of(key) != record.record_id:
                save(self._state, StateTable.MPI_IDENTIFIERS, key, record.record_id)
        prepared = prepare(record.to_record(), 0)
        for rule in self._rules:
            for block in set(rule.keys(prepared)):
                key = f"{rule.name}|{block}"
                members = load(self._state, StateTable.MPI_BLOCKS, key, list[str]) or []
                if record.record_id in members or len(members) >= self.policy.max_block_size:
                    continue
                save(self._state, StateTable.MPI_BLOCKS, key, [*members, record.record_id])

    def _score(
        self, fresh: IndexedRecord
    ) -> tuple[tuple[float, IndexedRecord] | None, list[Review]]:
        a = prepare(fresh.to_record(), 0)
        candidates: dict[str, None] = {}
        for rule in self._rules:
            for block in set(rule.keys(a)):
                members = load(
                    self._state, StateTable.MPI_BLOCKS, f"{rule.name}|{block}", list[str]
                )
                if members and len(members) < self.policy.max_block_size:
                    candidates.update(dict.fromkeys(members))
        close = self.policy.match.close_name_similarity
        best: tuple[float, IndexedRecord] | None = None
        reviews: list[Review] = []
        for candidate_id in candidates:
            candidate = self.record(candidate_id)
            if candidate is None or candidate_id == fresh.record_id:
                continue
            b = prepare(candidate.to_record(), 1)
            vector = compare(a, b, self._matcher.comparisons, close)
            verdict = self._matcher.judge(a, vector, self._model)
            if verdict.decision is Decision.LINK and (best is None or verdict.score > best[0]):
                best = (verdict.score, candidate)
            elif verdict.decision is Decision.REVIEW:
                reviews.append(
                    Review(
                        a=fresh.record_id,
                        b=candidate_id,
                        score=round(verdict.score, 6),
                        reason=verdict.reason,
                    )
                )
        reviews.sort(key=lambda r: (-r.score, r.b))
        return best, reviews

    def _join(self, person_id: str, record_id: str) -> None:
        person = self.person(person_id) or Person(person_id=person_id)
        if record_id not in person.records:
            person.records.append(record_id)
            save(self._state, StateTable.MPI_PERSONS, person_id, person)

    # -- merges and decisions ----------------------------------------------------------------

    def merge(self, survivor: str, merged: str, source: str) -> bool:
        """Merge person ``merged`` into ``survivor``; False when they already are one."""
        survivor, merged = self.current(survivor), self.current(merged)
        if survivor == merged:
            return False
        into = self.person(survivor) or Person(person_id=survivor)
        gone = self.person(merged) or Person(person_id=merged)
        for record_id in gone.records:
            if (record := self.record(record_id)) is not None:
                record.person_id = survivor
                save(self._state, StateTable.MPI_RECORDS, record_id, record)
            if record_id not in into.records:
                into.records.append(record_id)
        into.merged.append(MergeMark(person_id=merged, records=list(gone.records), source=source))
        gone.merged_into = survivor
        save(self._state, StateTable.MPI_PERSONS, survivor, into)
        save(self._state, StateTable.MPI_PERSONS, merged, gone)
        return True

    def unmerge(self, person_id: str) -> str | None:
        """Undo the merge of ``person_id`` into its survivor; returns the survivor, or None."""
        gone = self.person(person_id)
        if gone is None or gone.merged_into is None:
            return None
        into = self.person(gone.merged_into)
        if into is None:
            return None
        mark = next((m for m in into.merged if m.person_id == person_id), None)
        if mark is None:
            return None
        into.merged = [m for m in into.merged if m.person_id != person_id]
        into.records = [r for r in into.records if r not in mark.records]
        for record_id in mark.records:
            if (record := self.record(record_id)) is not None:
                record.person_id = person_id
                save(self._state, StateTable.MPI_RECORDS, record_id, record)
        survivor, gone.merged_into = gone.merged_into, None
        save(self._state, StateTable.MPI_PERSONS, survivor, into)
        save(self._state, StateTable.MPI_PERSONS, person_id, gone)
        return survivor

    def change_identifier(self, prior: str, identity: PatientIdentity) -> str | None:
        """A47: the record known by identifier ``prior`` is now known by the identity's own.

        Returns the record id, or None when ``prior`` is unknown (then the identity is indexed as
        a registration). The old identifier keeps pointing at the record, so a late message that
        still carries it finds the same person.
        """
        record_id = self.record_of(prior)
        record = self.record(record_id) if record_id else None
        if record is None:
            self.register(identity)
            return None
        keys = _identifier_keys(identity)
        self._refresh(record, PatientRecord.from_identity(record.record_id, identity), keys)
        return record.record_id

    def decide(self, a: str, b: str, link: bool, actor: str) -> Review | None:
        """A person's decision on a reviewed pair: link merges the two persons, distinct closes it."""
        review = load(self._state, StateTable.MPI_REVIEWS, f"{a}|{b}", Review) or load(
            self._state, StateTable.MPI_REVIEWS, f"{b}|{a}", Review
        )
        if review is None:
            return None
        review.status, review.decided_by = ("linked" if link else "distinct"), actor
        save(self._state, StateTable.MPI_REVIEWS, f"{review.a}|{review.b}", review)
        if link:
            first, second = self.record(review.b), self.record(review.a)
            if first is not None and second is not None:
                self.merge(first.person_id, second.person_id, f"decision {actor}")
        return review


def open_reviews(rows: Iterable[tuple[str, bytes]]) -> list[Review]:
    """The open reviews among committed ``MPI_REVIEWS`` rows, most likely matches first."""
    reviews = [msgspec.json.decode(raw, type=Review) for _key, raw in rows]
    return sorted((r for r in reviews if r.status == "open"), key=lambda r: (-r.score, r.a, r.b))
