"""The embedded store: SQLite in WAL mode, group commit through one writer thread.

One process owns a database file (an exclusive lock file enforces it), which is why in-flight leases
left by a killed process are released at start-up. Reads use their own connection and thread so that
they never wait behind a commit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import msgspec

from careweave.engine.store import (
    audit_sql,
    cases_sql,
    casework_sql,
    phi_fields,
    rows,
    sqlite_claims,
    sqlite_reads,
    sqlite_writes,
    state_sql,
)
from careweave.engine.store.base import BaseStore, Processor
from careweave.engine.store.codec import PayloadCodec, PlainCodec
from careweave.engine.store.migrations import load_migrations, split_statements
from careweave.engine.store.sqlite_leases import LeaseTable
from careweave.engine.store.sqlite_writer import SqliteWriter
from careweave.engine.store.sqlite_writes import epoch
from careweave.exceptions import MigrationError, StoreError, ValidationError
from careweave.model.audit import AuditAction, AuditEntry, StoredAuditEntry
from careweave.model.casework import (
    DueNotification,
    NotificationChannel,
    NotificationOutcome,
    PayloadCorrection,
)
from careweave.model.records import (
    CaseState,
    Effect,
    EffectOutcome,
    EffectState,
    ExceptionCase,
    InboundMessage,
    IngestResult,
    Lineage,
    MessageQuery,
    MessageState,
    NewCase,
    NewMessage,
    Processing,
    ReplayStage,
    StoredEvent,
)
from careweave.model.state import StateOverlay, StateTable

T = TypeVar("T")

_Sealed = tuple[bytes, list[sqlite_writes.SealedEvent], list[sqlite_writes.SealedEffect]]


def _state_value(conn: sqlite3.Connection, table: StateTable, key: str) -> bytes | None:
    row = conn.execute(state_sql.select_value(table, "?"), (key,)).fetchone()
    return None if row is None else bytes(row[0])


@dataclass
class SqliteConfig:
    """Settings of the SQLite store."""

    path: Path
    """The database file; its folder is created if missing."""
    synchronous: str = "FULL"
    """SQLite ``synchronous`` pragma: FULL (default, survives power loss) or NORMAL."""
    max_batch: int = 256
    """Most jobs committed in one transaction (group commit)."""
    codec: PayloadCodec = field(default_factory=PlainCodec)
    """The payload codec (encryption at rest plugs in here)."""
    read_only: bool = False
    """Open for inspection only: no lock, no migration, no writes (works while an engine runs)."""
    shared: bool = False
    """Write beside a running engine (replay, case resolution, crosswalk fixes from the CLI): when
    another process holds the file, open without the process lock and touch no leases; SQLite's
    own locking serialises the two writers and the engine picks requeued work up at its next poll.
    When no engine runs, the store opens as usual."""


class SqliteStore(BaseStore):
    """careweave's embedded default store."""

    name = "sqlite"

    def __init__(self, config: SqliteConfig) -> None:
        self.config = config
        self._codec = config.codec
        self._writer: SqliteWriter | None = None
        self._reader = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="careweave-sqlite-reader"
        )
        self._reader_conn: sqlite3.Connection | None = None
        self._lock_fd: int | None = None
        self._leases = LeaseTable()
        self._epoch = 0
        self._released: dict[int, int] = {}
        self._claims_running: list[int] = []

    # -- lifecycle ------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.config.read_only:
            if not self.config.path.exists():
                raise StoreError(f"no careweave database at {self.config.path}")
            uri = f"{self.config.path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30.0)
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        conn = sqlite3.connect(
            self.config.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous()}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _synchronous(self) -> str:
        value = self.config.synchronous.upper()
        if value not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise StoreError(f"invalid SQLite synchronous setting {self.config.synchronous!r}")
        return value

    def _lock(self) -> bool:
        """Take the process lock; False when another process holds it and ``shared`` allows that."""
        lock_path = self.config.path.with_name(self.config.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot open {lock_path}: {exc.strerror}", retryable=False) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if self.config.shared:
                return False
            raise StoreError(
                f"{self.config.path} is in use by another careweave process; the SQLite backend is "
                "single-process (use PostgreSQL to run several)"
            ) from exc
        self._lock_fd = fd
        return True

    async def open(self) -> None:
        """Lock the file, start the writer, migrate, release leases of a previous run."""
        if self.config.read_only:
            return
        folder = self.config.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the data folder {folder}: {exc.strerror}", retryable=False
            ) from exc
        owner = self._lock()
        self._writer = SqliteWriter(
            self._connect, max_batch=self.config.max_batch, synchronous=self._synchronous()
        )
        self._writer.start()
        if not owner:
            # Beside a running engine: its schema is current, its leases are its own.
            await self._require_current_schema()
            return
        await self.migrate()
        await self._write(
            lambda c: c.execute(
                "UPDATE effects SET state = 'pending', locked_by = NULL, locked_until = NULL "
                "WHERE state = 'in_flight'"
            )
        )

    async def close(self) -> None:
        """Flush and close."""
        if self._writer is not None:
            await asyncio.to_thread(self._writer.stop)
            self._writer = None
        if self._reader_conn is not None:
            conn = self._reader_conn
            await asyncio.get_running_loop().run_in_executor(self._reader, conn.close)
            self._reader_conn = None
        self._reader.shutdown(wait=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    async def _write(self, job: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        if self._writer is None:
            if self.config.read_only:
                raise StoreError("the store was opened read-only")
            raise StoreError("the store is not open")
        result: T = await self._writer.run(job, durable=durable)
        return result

    async def _read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            if self._reader_conn is None:
                self._reader_conn = self._connect()
            try:
                return job(self._reader_conn)
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite read failed: {exc}") from exc

        return await asyncio.get_running_loop().run_in_executor(self._reader, run)

    async def _require_current_schema(self) -> None:
        def pending(conn: sqlite3.Connection) -> list[str]:
            try:
                done = {r[0] for r in conn.execute("SELECT number FROM schema_migrations")}
            except sqlite3.Error:
                done = set()
            return [m.name for m in load_migrations("sqlite") if m.number not in done]

        if missing := await self._write(pending):
            raise StoreError(
                f"{self.config.path} is held by a running careweave whose schema lacks "
                f"{', '.join(missing)}; stop it and start the new version first"
            )

    async def migrate(self) -> list[str]:
        """Apply pending migrations in one transaction each."""

        def job(conn: sqlite3.Connection) -> list[str]:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
            )
            done = {r[0] for r in conn.execute("SELECT number FROM schema_migrations")}
            applied: list[str] = []
            for migration in load_migrations("sqlite"):
                if migration.number in done:
                    continue
                try:
                    for statement in split_statements(migration.sql):
                        conn.execute(statement)
                except sqlite3.Error as exc:
                    raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (migration.number, migration.name, time.time()),
                )
                applied.append(migration.name)
            return applied

        return await self._write(job)

    # -- ingest -----------------------------------------------------------------------------------

    async def ingest(self, message: NewMessage, processing: Processing) -> IngestResult:
        """Store a message and its derived events and effects in the next group commit."""
        message = phi_fields.message(self._codec, message)
        processing = phi_fields.processing(self._codec, processing)
        sealed = self._seal(message, processing)
        return await self._write(lambda conn: self._insert(conn, message, processing, sealed))

    async def ingest_with_state(
        self, message: NewMessage, process: Processor
    ) -> tuple[IngestResult, Processing]:
        """Process a message inside the group commit that stores it (see the base class)."""
        stored = phi_fields.message(self._codec, message)

        def job(conn: sqlite3.Connection) -> tuple[IngestResult, Processing]:
            if stored.dedup_key is not None:
                row = conn.execute(
                    "SELECT id, state FROM messages WHERE channel = ? AND dedup_key = ?",
                    (stored.channel, stored.dedup_key),
                ).fetchone()
                if row is not None:
                    conn.execute(
                        "UPDATE messages SET duplicates = duplicates + 1 WHERE id = ?", (row[0],)
                    )
                    state = rows.message_state(row[1])
                    return IngestResult(row[0], True, state), Processing(state=state)
            processing = self._process(conn, process)
            written = phi_fields.processing(self._codec, processing)
            sealed = self._seal(stored, written)
            return self._insert(conn, stored, written, sealed), processing

        result: tuple[IngestResult, Processing] = await self._write(job)
        return result

    def _process(self, conn: sqlite3.Connection, process: Processor) -> Processing:
        """Run ``process`` over the transaction's state; write its changes unless it failed."""
        overlay = StateOverlay(
            lambda table, key: phi_fields.opened_value(self._codec, _state_value(conn, table, key))
        )
        processing = process(overlay)
        if processing.state is not MessageState.ERROR:
            changes = phi_fields.sealed_changes(self._codec, overlay.changes())
            puts, deletes = state_sql.grouped(changes)
            for table, values in puts.items():
                conn.executemany(state_sql.upsert(table, "?"), values)
            for table, keys in deletes.items():
                conn.executemany(state_sql.delete(table, "?"), keys)
        return processing

    def _seal(self, message: NewMessage, processing: Processing) -> _Sealed:
        raw = self._codec.seal(message.raw)
        events = [
            (e.event_type, e.idempotency_key, self._codec.seal(e.payload))
            for e in processing.events
        ]
        return raw, events, self._seal_effects(processing)

    def _seal_effects(self, processing: Processing) -> list[sqlite_writes.SealedEffect]:
        return [
            (
                f.destination,
                f.idempotency_key,
                f.ordering_key,
                f.content_type,
                self._codec.seal(f.payload),
            )
            for f in processing.effects
        ]

    @staticmethod
    def _insert(
        conn: sqlite3.Connection, message: NewMessage, processing: Processing, sealed: _Sealed
    ) -> IngestResult:
        raw, events, effects = sealed
        received = epoch(message.received_at)
        # The unique (channel, dedup_key) index decides; a duplicate costs a second look-up,
        # a new message none.
        cur = conn.execute(
            "INSERT INTO messages (channel, content_type, sender, received_at, trace_id, "
            "dedup_key, state, error, ordering_key, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (channel, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING",
            (
                message.channel,
                message.content_type,
                message.sender,
                received,
                message.trace_id,
                message.dedup_key,
                processing.state.value,
                processing.error,
                processing.ordering_key,
                raw,
            ),
        )
        if cur.rowcount == 0:
            row = conn.execute(
                "SELECT id, state FROM messages WHERE channel = ? AND dedup_key = ?",
                (message.channel, message.dedup_key),
            ).fetchone()
            conn.execute("UPDATE messages SET duplicates = duplicates + 1 WHERE id = ?", (row[0],))
            return IngestResult(row[0], True, rows.message_state(row[1]))
        message_id = int(cur.lastrowid or 0)
        sqlite_writes.insert_derived(conn, message_id, message.trace_id, received, events, effects)
        if processing.cases:
            cases_sql.park(
                conn, message_id, processing.cases, message.received_at, mark="?", t=epoch
            )
        return IngestResult(message_id, False, processing.state)

    # -- delivery queue ---------------------------------------------------------------------------

    async def claim_effects(
        self,
        destination: str,
        *,
        worker: str,
        limit: int,
        lease: float,
        now: dt.datetime,
        chain: int = 1,
    ) -> list[Effect]:
        """Lease the due heads of each ordering key and their followers (reads: leases live in
        memory)."""
        now_ts = epoch(now)
        leases = self._leases
        scan = limit + len(leases)  # leased rows are still pending in the file: look past them

        def heads_job(conn: sqlite3.Connection) -> list[Effect]:
            found = sqlite_claims.claimable(conn, destination, now_ts, scan)
            return [rows.effect_from_row(r, self._codec) for r in found]

        # A query that started before an outcome was committed may still see that effect pending:
        # skip effects released after this query began (see complete_effects).
        start = self._epoch
        self._claims_running.append(start)
        try:
            found = await self._read(heads_job)
            released = self._released
            heads = [
                e for e in found if not leases.held(e.id, now_ts) and released.get(e.id, 0) <= start
            ][:limit]
            following = await self._followers(destination, heads, chain - 1)
        finally:
            self._claims_running.remove(start)
        released_since = {k for k, v in self._released.items() if v > start}
        oldest = min(self._claims_running, default=self._epoch)
        self._released = {k: v for k, v in self._released.items() if v > oldest}
        claimed: list[Effect] = []
        for effect in heads:
            if leases.held(effect.id, now_ts) or effect.id in released_since:
                continue
            group = [effect]
            for follower in following.get(effect.id, []):
                # Contiguous only: the first follower that may not be leased ends the chain.
                if (
                    follower.state is not EffectState.PENDING
                    or follower.next_attempt_at > now
                    or leases.held(follower.id, now_ts)
                    or follower.id in released_since
                ):
                    break
                group.append(follower)
            for leased in group:
                attempt = leases.take(leased.id, worker, now_ts + lease, leased.attempts)
                claimed.append(
                    msgspec.structs.replace(leased, state=EffectState.IN_FLIGHT, attempts=attempt)
                )
        return sorted(claimed, key=lambda e: e.id)

    async def _followers(
        self, destination: str, heads: Sequence[Effect], count: int
    ) -> dict[int, list[Effect]]:
        """The next ``count`` open effects of each keyed head's key, by head id, in id order."""
        keyed = [(h.id, self._codec.seal_key(h.ordering_key)) for h in heads if h.ordering_key]
        if not keyed or count <= 0:
            return {}

        def job(conn: sqlite3.Connection) -> list[Effect]:
            found = sqlite_claims.followers(conn, destination, keyed, count)
            return [rows.effect_from_row(r, self._codec) for r in found]

        head_of = {h.ordering_key: h.id for h in heads if h.ordering_key}
        by_head: dict[int, list[Effect]] = {}
        for follower in await self._read(job):
            assert follower.ordering_key is not None  # found by its key
            by_head.setdefault(head_of[follower.ordering_key], []).append(follower)
        return by_head

    async def release_effects(self, effect_ids: Sequence[int], worker: str) -> int:
        """Drop ``worker``'s leases (nothing was written: the effects are still pending)."""
        released = 0
        for effect_id in effect_ids:
            if self._leases.holder(effect_id) == worker:
                self._leases.release(effect_id)
                released += 1
        return released

    async def complete_effects(self, outcomes: Sequence[EffectOutcome]) -> int:
        """Record each attempt and move its effect on; a worker that lost its lease is ignored."""
        current: list[EffectOutcome] = []
        seen: set[int] = set()
        for o in outcomes:  # one outcome per effect, and only from the worker holding it
            effect_id = o.attempt.effect_id
            if effect_id not in seen and self._leases.holder(effect_id) == o.worker:
                seen.add(effect_id)
                current.append(o)

        written = [phi_fields.outcome(self._codec, o) for o in current]

        def job(conn: sqlite3.Connection) -> int:
            for outcome in written:
                a = outcome.attempt
                state, next_at = rows.next_state(outcome)
                conn.execute(
                    "UPDATE effects SET state = ?, attempts = ?, "
                    "next_attempt_at = COALESCE(?, next_attempt_at), last_error = ? "
                    "WHERE id = ? AND state = 'pending'",
                    (
                        state.value,
                        a.attempt,
                        epoch(next_at) if next_at else None,
                        a.error,
                        a.effect_id,
                    ),
                )
            conn.executemany(
                "INSERT INTO attempts (effect_id, attempt, worker, started_at, finished_at, "
                "outcome, status, response, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        o.attempt.effect_id,
                        o.attempt.attempt,
                        o.worker,
                        epoch(o.attempt.started_at),
                        epoch(o.attempt.finished_at),
                        o.attempt.outcome.value,
                        o.attempt.status,
                        o.attempt.response,
                        o.attempt.error,
                    )
                    for o in written
                ],
            )
            return len(current)

        if not current:
            return 0
        applied = await self._write(job, durable=False)
        self._epoch += 1
        for outcome in current:  # only now: until the outcome is written the effect looks pending
            self._leases.release(outcome.attempt.effect_id)
            self._released[outcome.attempt.effect_id] = self._epoch
        return applied

    async def requeue_effects(
        self, effect_ids: Sequence[int], *, reason: str, now: dt.datetime
    ) -> int:
        """Replay effects: back to pending with a fresh attempt budget."""
        now_ts = epoch(now)
        sealed = self._codec.seal_text(reason)  # an operator's reason can name a patient

        return await self._write(
            lambda c: sqlite_writes.requeue(c, effect_ids, reason=sealed, now_ts=now_ts)
        )

    async def reprocess_message(
        self, message_id: int, processing: Processing, *, reason: str, now: dt.datetime
    ) -> int:
        """Store a new decoding of a message and queue the effects that are not already open."""
        processing = phi_fields.processing(self._codec, processing)
        _raw, events, effects = self._seal_derived(processing)

        return await self._write(
            lambda c: sqlite_writes.reprocess(
                c,
                message_id,
                processing,
                events,
                effects,
                reason=self._codec.seal_text(reason),
                now=now,
            )
        )

    async def reprocess_with_state(
        self, message_id: int, process: Processor, *, reason: str, now: dt.datetime
    ) -> tuple[int, Processing]:
        """Re-run a message's processing inside the transaction that stores the new decoding."""

        def job(conn: sqlite3.Connection) -> tuple[int, Processing]:
            processing = self._process(conn, process)
            written = phi_fields.processing(self._codec, processing)
            _raw, events, effects = self._seal_derived(written)
            queued = sqlite_writes.reprocess(
                conn,
                message_id,
                written,
                events,
                effects,
                reason=self._codec.seal_text(reason),
                now=now,
            )
            return queued, processing

        result: tuple[int, Processing] = await self._write(job)
        return result

    def _seal_derived(self, processing: Processing) -> _Sealed:
        events = [
            (e.event_type, e.idempotency_key, self._codec.seal(e.payload))
            for e in processing.events
        ]
        return b"", events, self._seal_effects(processing)

    # -- business state ---------------------------------------------------------------------------

    async def get_state(self, table: StateTable, key: str) -> bytes | None:
        """One committed business-state value."""
        return await self._read(
            lambda conn: phi_fields.opened_value(self._codec, _state_value(conn, table, key))
        )

    async def state_rows(self, table: StateTable) -> list[tuple[str, bytes]]:
        """Every committed row of a business-state table, by key."""
        return await self._read(
            lambda conn: [
                (r[0], self._codec.open(bytes(r[1])))
                for r in conn.execute(state_sql.select_all(table))
            ]
        )

    async def record_replay(
        self, message_id: int, *, stage: ReplayStage, reason: str, now: dt.datetime
    ) -> None:
        """Record a replay in the lineage."""
        await self._write(
            lambda c: c.execute(
                "INSERT INTO replays (message_id, effect_id, stage, reason, requested_at) "
                "VALUES (?, NULL, ?, ?, ?)",
                (message_id, stage.value, self._codec.seal_text(reason), epoch(now)),
            )
        )

    # -- queries ----------------------------------------------------------------------------------

    async def get_message(self, message_id: int) -> InboundMessage:
        """One message with its raw content."""
        return await self._read(lambda c: sqlite_reads.get_message(c, self._codec, message_id))

    async def list_messages(self, query: MessageQuery) -> list[InboundMessage]:
        """Messages matching the query, newest first, without raw content."""
        where, params = rows.message_filter(query, "?", epoch, self._codec)
        return await self._read(
            lambda c: sqlite_reads.list_messages(c, self._codec, query, where, params)
        )

    async def lineage(self, message_id: int) -> Lineage:
        """A message and everything derived from it."""
        message = await self.get_message(message_id)
        return await self._read(lambda c: sqlite_reads.lineage(c, self._codec, message))

    async def list_events(
        self, event_type: str, *, after_id: int = 0, limit: int = 10_000
    ) -> list[StoredEvent]:
        """Stored events of one type, oldest first."""
        return await self._read(
            lambda c: sqlite_reads.list_events(c, self._codec, event_type, after_id, limit)
        )

    async def list_effects(
        self,
        *,
        destination: str | None = None,
        state: EffectState | None = None,
        limit: int = 100,
    ) -> list[Effect]:
        """Effects, oldest first."""
        return await self._read(
            lambda c: sqlite_reads.list_effects(
                c, self._codec, destination=destination, state=state, limit=limit
            )
        )

    async def counts(self) -> dict[str, int]:
        """Counts by state."""
        return await self._read(sqlite_reads.counts)

    async def queue_depths(self) -> dict[str, int]:
        """Open effects per destination."""
        return await self._read(sqlite_reads.queue_depths)

    # -- exception cases ------------------------------------------------------------------------

    async def list_cases(
        self,
        *,
        state: CaseState | None = CaseState.OPEN,
        team: str | None = None,
        case_key: str | None = None,
        limit: int = 100,
        overdue_at: dt.datetime | None = None,
    ) -> list[ExceptionCase]:
        """Exception cases, oldest first."""
        overdue = epoch(overdue_at) if overdue_at is not None else None
        found = await self._read(
            lambda c: cases_sql.list_cases(
                c,
                state=state,
                team=team,
                limit=limit,
                mark="?",
                case_key=case_key,
                overdue_at=overdue,
            )
        )
        return [phi_fields.opened_case(self._codec, case) for case in found]

    async def get_case(self, case_id: int) -> ExceptionCase:
        """One case with its audit trail."""
        case = await self._read(lambda c: cases_sql.get_case(c, case_id, mark="?"))
        return phi_fields.opened_case(self._codec, case)

    async def open_case(self, case: NewCase, *, now: dt.datetime) -> tuple[int, bool]:
        """Open a case no message is parked on, or find the open one of its key."""
        sealed = phi_fields.sealed_case(self._codec, case)
        return await self._write(
            lambda c: cases_sql.open_or_join(c, sealed, now, mark="?", t=epoch)
        )

    async def resolve_case(
        self, case_id: int, *, actor: str, resolution: str, now: dt.datetime
    ) -> list[int]:
        """Close a case; returns its parked messages (audited in the same transaction)."""
        sealed = self._codec.seal_text(resolution)

        def job(c: sqlite3.Connection) -> list[int]:
            ids = cases_sql.resolve(
                c, case_id, actor=actor, resolution=sealed, now=now, mark="?", t=epoch
            )
            entry = audit_sql.case_entry(
                AuditAction.CASE_RESOLVE, case_id, actor, parked=str(len(ids))
            )
            audit_sql.append(c, entry)
            return ids

        return await self._write(job)

    async def add_case_event(
        self, case_id: int, *, action: str, actor: str, detail: str, now: dt.datetime
    ) -> None:
        """Append to a case's audit trail (a person's comment goes to the audit log too)."""
        sealed = self._codec.seal_text(detail)  # a comment can quote a patient's values

        def job(c: sqlite3.Connection) -> None:
            cases_sql.add_event(
                c, case_id, action=action, actor=actor, detail=sealed, now=now, mark="?", t=epoch
            )
            if audited := audit_sql.CASE_EVENT_ACTIONS.get(action):
                audit_sql.append(c, audit_sql.case_entry(audited, case_id, actor))

        await self._write(job)

    # -- the exception workflow -------------------------------------------------------------------

    async def assign_case(
        self, case_id: int, *, assignee: str | None, actor: str, now: dt.datetime
    ) -> None:
        """Give an open case to someone, audited."""

        def job(c: sqlite3.Connection) -> None:
            casework_sql.assign(
                c, case_id, assignee=assignee, actor=actor, now=now, mark="?", t=epoch
            )
            entry = audit_sql.case_entry(
                AuditAction.CASE_ASSIGN, case_id, actor, assignee=assignee or ""
            )
            audit_sql.append(c, entry)

        await self._write(job)

    async def discard_case(
        self, case_id: int, *, actor: str, reason: str, now: dt.datetime
    ) -> None:
        """Close an open case without a replay, with the reason."""
        sealed = self._codec.seal_text(reason)

        def job(c: sqlite3.Connection) -> None:
            casework_sql.discard(c, case_id, actor=actor, reason=sealed, now=now, mark="?", t=epoch)
            audit_sql.append(c, audit_sql.case_entry(AuditAction.CASE_DISCARD, case_id, actor))

        await self._write(job)

    async def correct_message(
        self,
        case_id: int,
        original_id: int,
        message: NewMessage,
        process: Processor,
        *,
        actor: str,
        now: dt.datetime,
    ) -> tuple[PayloadCorrection, Processing]:
        """Store and process a corrected copy of a parked message; supersede the original."""

        def job(conn: sqlite3.Connection) -> tuple[PayloadCorrection, Processing]:
            casework_sql.require_correctable(conn, case_id, original_id, mark="?")
            processing = self._process(conn, process)
            if processing.state is MessageState.ERROR:
                raise ValidationError(
                    f"the corrected message fails too ({processing.error}); nothing was stored"
                )
            stored = phi_fields.message(self._codec, message)
            written = phi_fields.processing(self._codec, processing)
            result = self._insert(conn, stored, written, self._seal(stored, written))
            closed = casework_sql.supersede(
                conn,
                case_id,
                original_id,
                result.message_id,
                actor=actor,
                now=now,
                mark="?",
                t=epoch,
            )
            correction = PayloadCorrection(
                case_id=case_id,
                original_id=original_id,
                message_id=result.message_id,
                state=processing.state.value,
                case_closed=closed,
            )
            audit_sql.append(conn, audit_sql.payload_edit_entry(correction, actor))
            return correction, processing

        done: tuple[PayloadCorrection, Processing] = await self._write(job)
        return done

    async def due_notifications(
        self, *, channels: Sequence[NotificationChannel], now: dt.datetime, limit: int = 100
    ) -> list[DueNotification]:
        """Notifications to send now."""
        return await self._read(
            lambda c: casework_sql.due(c, channels, now=now, limit=limit, mark="?", t=epoch)
        )

    async def claim_notification(
        self, due: DueNotification, *, worker: str, now: dt.datetime, lease: float
    ) -> int | None:
        """Claim a notification before sending it."""
        return await self._write(
            lambda c: casework_sql.claim(
                c, due, worker=worker, now=now, lease=lease, mark="?", t=epoch
            )
        )

    async def finish_notification(
        self, due: DueNotification, outcome: NotificationOutcome, *, worker: str, now: dt.datetime
    ) -> bool:
        """Record the outcome of a claimed notification."""
        return await self._write(
            lambda c: casework_sql.finish(
                c, due, outcome, worker=worker, now=now, mark="?", t=epoch
            )
        )

    # -- the audit log ----------------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> int:
        """Append to the hash-chained audit log in the next group commit; returns its seq."""
        return await self._write(lambda c: audit_sql.append(c, entry))

    async def audit_entries(
        self, *, after_seq: int = 0, limit: int = 1000
    ) -> list[StoredAuditEntry]:
        """Audit entries after ``after_seq``, in chain order."""
        return await self._read(lambda c: audit_sql.entries(c, after_seq=after_seq, limit=limit))

    async def prune_content(self, channel: str, *, older_than: dt.datetime) -> int:
        """Retention: drop content of finished messages, keep metadata."""
        cutoff = epoch(older_than)
        now_ts = time.time()

        return await self._write(
            lambda c: sqlite_writes.prune(c, channel, cutoff=cutoff, now_ts=now_ts)
        )
