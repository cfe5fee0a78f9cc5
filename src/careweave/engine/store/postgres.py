"""The scale-out store: PostgreSQL through psycopg 3, shared by any number of careweave processes.

Ingests are group-committed by an asyncio batcher (one transaction, one multi-row INSERT per
batch); workers claim with one ``UPDATE ... FOR UPDATE SKIP LOCKED`` statement and complete in one
round trip per batch. Nothing is reset at start-up: other processes may be holding leases, and an
expired lease is simply claimable again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from careweave.engine.store import (
    audit_sql,
    phi_fields,
    postgres_audit,
    postgres_cases,
    postgres_casework,
    postgres_state,
    rows,
    state_sql,
)
from careweave.engine.store import postgres_sql as q
from careweave.engine.store.base import BaseStore, Processor
from careweave.engine.store.codec import PayloadCodec, PlainCodec
from careweave.engine.store.migrations import load_migrations, split_statements
from careweave.engine.store.postgres_batch import GroupCommitBatcher
from careweave.engine.store.postgres_ingest import SealedIngest, describe, seal, write_batch
from careweave.engine.store.postgres_state import StatefulIngest
from careweave.exceptions import MigrationError, NotFoundError, StoreError, ValidationError
from careweave.model.audit import AuditAction, AuditEntry, StoredAuditEntry
from careweave.model.casework import (
    DueNotification,
    NotificationChannel,
    NotificationOutcome,
    PayloadCorrection,
)
from careweave.model.records import (
    CaseState,
    DeliveryAttempt,
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
from careweave.model.state import StateTable

Connection = psycopg.AsyncConnection[Any]

# First half of the two-part advisory lock key used while migrating (the second is the schema).
_MIGRATION_LOCK_NAMESPACE = 0x0CA4E


@dataclass
class PostgresConfig:
    """Settings of the PostgreSQL store."""

    url: str
    """libpq connection string or ``postgresql://`` URL."""
    schema: str = "public"
    """Schema holding careweave's tables; created if missing (tests use one per run)."""
    min_pool: int = 1
    """Connections the pool keeps open."""
    max_pool: int = 8
    """Most connections the pool opens."""
    max_batch: int = 256
    """Most ingests written in one transaction (group commit)."""
    write_concurrency: int = 1
    """Ingest batches in flight at once; above 1, concurrent ingests may commit in any order."""
    pool_timeout: float = 30.0
    """Seconds to wait for a free connection before failing with StoreError."""
    codec: PayloadCodec = field(default_factory=PlainCodec)
    """The payload codec (encryption at rest plugs in here)."""


class PostgresStore(BaseStore):
    """careweave's store for several processes on several hosts."""

    name = "postgres"

    def __init__(self, config: PostgresConfig) -> None:
        self.config = config
        self._codec = config.codec
        self._pool: AsyncConnectionPool[Connection] | None = None
        self._batcher: GroupCommitBatcher[SealedIngest, IngestResult] | None = None
        self._stateful: GroupCommitBatcher[StatefulIngest, tuple[IngestResult, Processing]] | None
        self._stateful = None

    @property
    def ingest_batches(self) -> int:
        """How many group-commit transactions ingests have been written in (a metric)."""
        return self._batcher.batches if self._batcher is not None else 0

    # -- lifecycle ------------------------------------------------------------------------------

    async def open(self) -> None:
        """Create the schema, migrate it, open the pool, start the group-commit batcher."""
        await self.migrate()
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            self.config.url,
            min_size=self.config.min_pool,
            max_size=self.config.max_pool,
            kwargs={"autocommit": True},
            configure=self._configure,
            timeout=self.config.pool_timeout,
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=self.config.pool_timeout)
        except psycopg.Error as exc:
            await pool.close()
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        self._pool = pool
        self._batcher = GroupCommitBatcher(
            self._write_ingests,
            max_batch=self.config.max_batch,
            concurrency=self.config.write_concurrency,
        )
        self._batcher.start()
        # Business-state batches are serialised across processes by a lock: one in flight.
        self._stateful = GroupCommitBatcher(self._write_stateful, max_batch=self.config.max_batch)
        self._stateful.start()

    async def close(self) -> None:
        """Flush pending ingests and close the pool."""
        if self._stateful is not None:
            await self._stateful.stop()
            self._stateful = None
        if self._batcher is not None:
            await self._batcher.stop()
            self._batcher = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _configure(self, conn: Connection) -> None:
        # Every pooled connection sees only this store's schema, and reads times back in UTC.
        await conn.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(self.config.schema))
        )
        await conn.execute("SET TIME ZONE 'UTC'")

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        """A pooled connection; driver errors leave as StoreError."""
        if self._pool is None:
            raise StoreError("the store is not open")
        try:
            async with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL failed: {exc}") from exc

    async def migrate(self) -> list[str]:
        """Create the schema and apply pending migrations, in one transaction under a lock.

        The transaction-scoped advisory lock makes a second process starting at the same moment
        wait, then find every migration recorded and apply nothing.
        """
        schema = sql.Identifier(self.config.schema)
        try:
            conn = await psycopg.AsyncConnection.connect(self.config.url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        applied: list[str] = []
        migration = "schema setup"
        try:
            async with conn, conn.transaction():
                await conn.execute(
                    q.MIGRATION_LOCK,
                    {"namespace": _MIGRATION_LOCK_NAMESPACE, "schema": self.config.schema},
                )
                await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
                await conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(schema))
                await conn.execute(q.CREATE_MIGRATIONS)
                cur = await conn.execute("SELECT number FROM schema_migrations")
                done = {int(r[0]) for r in await cur.fetchall()}
                for step in load_migrations("postgres"):
                    if step.number in done:
                        continue
                    migration = step.name
                    for statement in split_statements(step.sql):
                        await conn.execute(statement.encode())
                    await conn.execute(
                        "INSERT INTO schema_migrations (number, name) VALUES (%s, %s)",
                        (step.number, step.name),
                    )
                    applied.append(step.name)
        except psycopg.Error as exc:
            raise MigrationError(f"migration {migration} failed: {exc}") from exc
        return applied

    # -- ingest -----------------------------------------------------------------------------------

    async def ingest(self, message: NewMessage, processing: Processing) -> IngestResult:
        """Store a message and its derived events and effects in the next group commit."""
        if self._batcher is None:
            raise StoreError("the store is not open")
        return await self._batcher.submit(seal(message, processing, self._codec))

    async def _write_ingests(
        self, items: Sequence[SealedIngest]
    ) -> list[IngestResult | BaseException]:
        if self._pool is None:
            raise StoreError("the store is not open")
        try:
            async with self._pool.connection() as conn:
                return list(await write_batch(conn, items))
        except psycopg.OperationalError as exc:
            # The server or the connection failed, not a message: every caller gets a retryable
            # error at once (retrying row by row would only wait for the pool again and again).
            return [StoreError(f"PostgreSQL failed: {exc}")] * len(items)
        except (psycopg.Error, StoreError) as exc:
            if len(items) == 1:
                return [describe(items[0].message, exc)]
        # One bad message must not fail its neighbours: retry them one transaction each.
        results: list[IngestResult | BaseException] = []
        for item in items:
            results.extend(await self._write_ingests([item]))
        return results

    async def ingest_with_state(
        self, message: NewMessage, process: Processor
    ) -> tuple[IngestResult, Processing]:
        """Process a message inside the (locked) transaction that stores it."""
        if self._stateful is None:
            raise StoreError("the store is not open")
        return await self._stateful.submit((message, process))

    async def _write_stateful(
        self, items: Sequence[StatefulIngest]
    ) -> list[tuple[IngestResult, Processing] | BaseException]:
        if self._pool is None:
            raise StoreError("the store is not open")
        try:
            async with self._pool.connection() as conn:
                return list(await self._stateful_batch(conn, items))
        except psycopg.OperationalError as exc:
            return [StoreError(f"PostgreSQL failed: {exc}")] * len(items)
        except (psycopg.Error, StoreError) as exc:
            if len(items) == 1:
                return [describe(items[0][0], exc)]
        results: list[tuple[IngestResult, Processing] | BaseException] = []
        for item in items:
            results.extend(await self._write_stateful([item]))
        return results

    async def _stateful_batch(
        self, conn: Connection, items: Sequence[StatefulIngest]
    ) -> list[tuple[IngestResult, Processing]]:
        async with conn.transaction():
            await postgres_state.lock_state(conn)
            # Duplicates are found by the dedup keys as stored; ``seal`` protects the originals.
            protected = [(phi_fields.message(self._codec, m), p) for m, p in items]
            stored = await postgres_state.existing_messages(conn, protected)
            batch = postgres_state.thread_reader(conn, asyncio.get_running_loop(), self._codec)
            processings = await asyncio.to_thread(
                postgres_state.process_batch, protected, batch, stored
            )
            await postgres_state.write_changes(conn, batch.changes(), self._codec)
            sealed = [
                seal(message, postgres_state.placeholder(p), self._codec)
                for (message, _process), p in zip(items, processings, strict=True)
            ]
            results = await write_batch(conn, sealed)
        return [
            (r, p if p is not None and not r.duplicate else postgres_state.duplicate_processing(r))
            for r, p in zip(results, processings, strict=True)
        ]

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
        """Lease the due heads of each ordering key and their followers (see ``postgres_sql.CLAIM``
        for why it is safe with many claimers)."""
        params: dict[str, Any] = {
            "worker": worker,
            "until": now + dt.timedelta(seconds=lease),
            "destination": destination,
            "now": now,
            "limit": limit,
        }
        async with self._connection() as conn:
            if chain <= 1:
                found = await (await conn.execute(q.CLAIM, params)).fetchall()
            else:
                async with conn.transaction():
                    found = await (await conn.execute(q.CLAIM, params)).fetchall()
                    keyed = [(r[0], r[4]) for r in found if r[4] is not None]
                    if keyed:
                        params["head"] = [head for head, _key in keyed]
                        params["key"] = [key for _head, key in keyed]
                        params["count"] = chain - 1
                        cur = await conn.execute(q.CLAIM_FOLLOWERS, params)
                        found += await cur.fetchall()
        return sorted((rows.effect_from_row(r, self._codec) for r in found), key=lambda e: e.id)

    async def release_effects(self, effect_ids: Sequence[int], worker: str) -> int:
        """Back to pending with the claim's attempt taken back, where ``worker`` holds the lease."""
        if not effect_ids:
            return 0
        async with self._connection() as conn:
            cur = await conn.execute(q.RELEASE, {"ids": list(effect_ids), "worker": worker})
            return cur.rowcount

    async def complete_effects(self, outcomes: Sequence[EffectOutcome]) -> int:
        """Record the attempts and move the effects on, in one statement."""
        cols = q.complete_params([phi_fields.outcome(self._codec, o) for o in outcomes])
        if cols is None:
            return 0
        async with self._connection() as conn:
            cur = await conn.execute(q.COMPLETE, cols)
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def requeue_effects(
        self, effect_ids: Sequence[int], *, reason: str, now: dt.datetime
    ) -> int:
        """Replay effects: back to pending with a fresh attempt budget, recorded in lineage."""
        params = {
            "ids": list(effect_ids),
            "now": now,
            "stage": ReplayStage.DELIVER.value,
            "reason": self._codec.seal_text(reason),
        }
        async with self._connection() as conn:
            cur = await conn.execute(q.REQUEUE, params)
            return cur.rowcount

    async def reprocess_message(
        self, message_id: int, processing: Processing, *, reason: str, now: dt.datetime
    ) -> int:
        """Store a new decoding of a message and queue the effects that are not already open."""
        async with self._connection() as conn, conn.transaction():
            return await self._reprocess(conn, message_id, processing, reason=reason, now=now)

    async def reprocess_with_state(
        self, message_id: int, process: Processor, *, reason: str, now: dt.datetime
    ) -> tuple[int, Processing]:
        """Re-run a message's processing inside the (locked) transaction storing the result."""
        async with self._connection() as conn, conn.transaction():
            await postgres_state.lock_state(conn)
            overlay = postgres_state.thread_reader(conn, asyncio.get_running_loop(), self._codec)
            processing = await asyncio.to_thread(process, overlay)
            if processing.state is not MessageState.ERROR:
                await postgres_state.write_changes(conn, overlay.changes(), self._codec)
            queued = await self._reprocess(conn, message_id, processing, reason=reason, now=now)
        return queued, processing

    async def _reprocess(
        self,
        conn: Connection,
        message_id: int,
        processing: Processing,
        *,
        reason: str,
        now: dt.datetime,
    ) -> int:
        processing = phi_fields.processing(self._codec, processing)
        sealed_events = [(e, self._codec.seal(e.payload)) for e in processing.events]
        sealed_effects = [(f, self._codec.seal(f.payload)) for f in processing.effects]
        # The row lock serialises two replays of the same message.
        cur = await conn.execute(
            "SELECT trace_id FROM messages WHERE id = %s FOR UPDATE", (message_id,)
        )
        row = await cur.fetchone()
        if row is None:
            raise NotFoundError(f"message {message_id} does not exist")
        trace_id = row[0]
        # Effects already queued or delivered are not sent again; dead ones get a new effect.
        cur = await conn.execute(
            "SELECT destination, idempotency_key FROM effects "
            "WHERE message_id = %s AND state IN ('pending', 'in_flight', 'delivered')",
            (message_id,),
        )
        open_keys = {(r[0], r[1]) for r in await cur.fetchall()}
        fresh = [
            (f, p) for f, p in sealed_effects if (f.destination, f.idempotency_key) not in open_keys
        ]
        await conn.execute(
            "UPDATE messages SET state = %s, error = %s, ordering_key = %s WHERE id = %s",
            (processing.state.value, processing.error, processing.ordering_key, message_id),
        )
        async with conn.cursor() as many:
            if sealed_events:
                await many.executemany(
                    q.INSERT_EVENTS,
                    [
                        (message_id, e.event_type, e.idempotency_key, p, now)
                        for e, p in sealed_events
                    ],
                )
            if fresh:
                await many.executemany(
                    q.INSERT_EFFECTS,
                    [
                        (
                            message_id,
                            f.destination,
                            f.idempotency_key,
                            f.ordering_key,
                            f.content_type,
                            p,
                            now,
                            now,
                            trace_id,
                        )
                        for f, p in fresh
                    ],
                )
        if processing.cases:
            await postgres_cases.park(conn, message_id, processing.cases, now)
        await conn.execute(
            q.INSERT_REPLAY,
            {
                "message_id": message_id,
                "stage": ReplayStage.DECODE.value,
                "reason": self._codec.seal_text(reason),
                "now": now,
            },
        )
        return len(fresh)

    # -- business state ---------------------------------------------------------------------------

    async def get_state(self, table: StateTable, key: str) -> bytes | None:
        """One committed business-state value."""
        async with self._connection() as conn:
            stored = await postgres_state.read_value(conn, table, key)
        return phi_fields.opened_value(self._codec, stored)

    async def state_rows(self, table: StateTable) -> list[tuple[str, bytes]]:
        """Every committed row of a business-state table, by key."""
        async with self._connection() as conn:
            cur = await conn.execute(state_sql.select_all(table))
            found = await cur.fetchall()
        return [(str(r[0]), self._codec.open(bytes(r[1]))) for r in found]

    async def record_replay(
        self, message_id: int, *, stage: ReplayStage, reason: str, now: dt.datetime
    ) -> None:
        """Record a replay in the lineage."""
        async with self._connection() as conn:
            await conn.execute(
                q.INSERT_REPLAY,
                {
                    "message_id": message_id,
                    "stage": stage.value,
                    "reason": self._codec.seal_text(reason),
                    "now": now,
                },
            )

    # -- queries ----------------------------------------------------------------------------------

    async def get_message(self, message_id: int) -> InboundMessage:
        """One message with its raw content."""
        async with self._connection() as conn:
            cur = await conn.execute(f"{rows.MESSAGE_SELECT} WHERE id = %s", (message_id,))
            row = await cur.fetchone()
        if row is None:
            raise NotFoundError(f"message {message_id} does not exist")
        return rows.message_from_row(row, self._codec)

    async def list_messages(self, query: MessageQuery) -> list[InboundMessage]:
        """Messages matching the query, newest first, without raw content."""
        where, params = rows.message_filter(query, "%s", lambda t: t, self._codec)
        async with self._connection() as conn:
            cur = await conn.execute(
                f"{rows.MESSAGE_SELECT_NO_RAW} {where} ORDER BY id DESC LIMIT %s",
                (*params, query.limit),
            )
            found = await cur.fetchall()
        return [rows.message_from_row(r, self._codec) for r in found]

    async def lineage(self, message_id: int) -> Lineage:
        """A message and everything derived from it."""
        message = await self.get_message(message_id)
        async with self._connection() as conn:
            cur = await conn.execute(
                f"{rows.EVENT_SELECT} WHERE message_id = %s ORDER BY id", (message_id,)
            )
            events = [rows.event_from_row(r, self._codec) for r in await cur.fetchall()]
            cur = await conn.execute(
                f"{rows.EFFECT_SELECT} WHERE message_id = %s ORDER BY id", (message_id,)
            )
            effects = [rows.effect_from_row(r, self._codec) for r in await cur.fetchall()]
            attempts: list[DeliveryAttempt] = []
            if effects:
                cur = await conn.execute(
                    f"{rows.ATTEMPT_SELECT} WHERE effect_id = ANY(%s) ORDER BY id",
                    ([e.id for e in effects],),
                )
                attempts = [rows.attempt_from_row(r, self._codec) for r in await cur.fetchall()]
            cur = await conn.execute(
                f"{rows.REPLAY_SELECT} WHERE message_id = %s ORDER BY id", (message_id,)
            )
            replays = [rows.replay_from_row(r, self._codec) for r in await cur.fetchall()]
            case_ids = await postgres_cases.case_ids_for_message(conn, message_id)
        return Lineage(
            message=message,
            events=events,
            effects=effects,
            attempts=attempts,
            replays=replays,
            case_ids=case_ids,
        )

    async def list_events(
        self, event_type: str, *, after_id: int = 0, limit: int = 10_000
    ) -> list[StoredEvent]:
        """Stored events of one type, oldest first."""
        async with self._connection() as conn:
            cur = await conn.execute(
                f"{rows.EVENT_SELECT} WHERE event_type = %s AND id > %s ORDER BY id LIMIT %s",
                (event_type, after_id, limit),
            )
            found = await cur.fetchall()
        return [rows.event_from_row(r, self._codec) for r in found]

    async def list_effects(
        self,
        *,
        destination: str | None = None,
        state: EffectState | None = None,
        limit: int = 100,
    ) -> list[Effect]:
        """Effects, oldest first."""
        clauses: list[str] = []
        params: list[Any] = []
        if destination is not None:
            clauses.append("destination = %s")
            params.append(destination)
        if state is not None:
            clauses.append("state = %s")
            params.append(state.value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        async with self._connection() as conn:
            cur = await conn.execute(
                f"{rows.EFFECT_SELECT} {where} ORDER BY id LIMIT %s", (*params, limit)
            )
            found = await cur.fetchall()
        return [rows.effect_from_row(r, self._codec) for r in found]

    async def counts(self) -> dict[str, int]:
        """Counts by state."""
        async with self._connection() as conn:
            cur = await conn.execute(q.COUNTS)
            found = await cur.fetchall()
        return {str(name): int(n) for name, n in found}

    async def queue_depths(self) -> dict[str, int]:
        """Open effects per destination."""
        async with self._connection() as conn:
            cur = await conn.execute(q.QUEUE_DEPTHS)
            found = await cur.fetchall()
        return {str(name): int(n) for name, n in found}

    # -- exception cases --------------------------------------------------------------------------

    async def list_cases(
        self,
        *,
        state: CaseState | None = CaseState.OPEN,
        team: str | None = None,
        case_key: str | None = None,
        limit: int = 100,
        overdue_at: dt.datetime | None = None,
    ) -> list[ExceptionCase]:
        """Exception cases, oldest first, with their parked message ids."""
        async with self._connection() as conn:
            found = await postgres_cases.list_cases(
                conn,
                state=state,
                team=team,
                case_key=case_key,
                limit=limit,
                overdue_at=overdue_at,
            )
        return [phi_fields.opened_case(self._codec, case) for case in found]

    async def get_case(self, case_id: int) -> ExceptionCase:
        """One case with its parked messages and audit trail."""
        async with self._connection() as conn:
            case = await postgres_cases.get_case(conn, case_id)
        return phi_fields.opened_case(self._codec, case)

    async def open_case(self, case: NewCase, *, now: dt.datetime) -> tuple[int, bool]:
        """Open a case no message is parked on, or find the open one of its key."""
        sealed = phi_fields.sealed_case(self._codec, case)
        async with self._connection() as conn, conn.transaction():
            return await postgres_cases.open_or_join(conn, sealed, now)

    async def resolve_case(
        self, case_id: int, *, actor: str, resolution: str, now: dt.datetime
    ) -> list[int]:
        """Close a case (audited); return the ids of the messages parked on it."""
        async with self._connection() as conn, conn.transaction():
            ids = await postgres_cases.resolve(
                conn, case_id, actor=actor, resolution=self._codec.seal_text(resolution), now=now
            )
            entry = audit_sql.case_entry(
                AuditAction.CASE_RESOLVE, case_id, actor, parked=str(len(ids))
            )
            await postgres_audit.append(conn, entry)
            return ids

    async def add_case_event(
        self, case_id: int, *, action: str, actor: str, detail: str, now: dt.datetime
    ) -> None:
        """Append to a case's audit trail (a person's comment goes to the audit log too)."""
        async with self._connection() as conn, conn.transaction():
            await postgres_cases.add_event(  # a comment can quote a patient's values
                conn,
                case_id,
                action=action,
                actor=actor,
                detail=self._codec.seal_text(detail),
                now=now,
            )
            if audited := audit_sql.CASE_EVENT_ACTIONS.get(action):
                await postgres_audit.append(conn, audit_sql.case_entry(audited, case_id, actor))

    # -- the exception workflow -------------------------------------------------------------------

    async def assign_case(
        self, case_id: int, *, assignee: str | None, actor: str, now: dt.datetime
    ) -> None:
        """Give an open case to someone, audited."""
        async with self._connection() as conn, conn.transaction():
            await postgres_casework.assign(conn, case_id, assignee=assignee, actor=actor, now=now)
            entry = audit_sql.case_entry(
                AuditAction.CASE_ASSIGN, case_id, actor, assignee=assignee or ""
            )
            await postgres_audit.append(conn, entry)

    async def discard_case(
        self, case_id: int, *, actor: str, reason: str, now: dt.datetime
    ) -> None:
        """Close an open case without a replay, with the reason."""
        async with self._connection() as conn, conn.transaction():
            sealed = self._codec.seal_text(reason)
            await postgres_casework.discard(conn, case_id, actor=actor, reason=sealed, now=now)
            entry = audit_sql.case_entry(AuditAction.CASE_DISCARD, case_id, actor)
            await postgres_audit.append(conn, entry)

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
        async with self._connection() as conn, conn.transaction():
            await postgres_state.lock_state(conn)
            await postgres_casework.require_correctable(conn, case_id, original_id)
            overlay = postgres_state.thread_reader(conn, asyncio.get_running_loop(), self._codec)
            processing = await asyncio.to_thread(process, overlay)
            if processing.state is MessageState.ERROR:
                raise ValidationError(
                    f"the corrected message fails too ({processing.error}); nothing was stored"
                )
            await postgres_state.write_changes(conn, overlay.changes(), self._codec)
            (result,) = await write_batch(conn, [seal(message, processing, self._codec)])
            closed = await postgres_casework.supersede(
                conn, case_id, original_id, result.message_id, actor=actor, now=now
            )
            correction = PayloadCorrection(
                case_id=case_id,
                original_id=original_id,
                message_id=result.message_id,
                state=processing.state.value,
                case_closed=closed,
            )
            await postgres_audit.append(conn, audit_sql.payload_edit_entry(correction, actor))
        return correction, processing

    async def due_notifications(
        self, *, channels: Sequence[NotificationChannel], now: dt.datetime, limit: int = 100
    ) -> list[DueNotification]:
        """Notifications to send now."""
        async with self._connection() as conn:
            return await postgres_casework.due(conn, channels, now=now, limit=limit)

    async def claim_notification(
        self, due: DueNotification, *, worker: str, now: dt.datetime, lease: float
    ) -> int | None:
        """Claim a notification before sending it."""
        async with self._connection() as conn, conn.transaction():
            return await postgres_casework.claim(conn, due, worker=worker, now=now, lease=lease)

    async def finish_notification(
        self, due: DueNotification, outcome: NotificationOutcome, *, worker: str, now: dt.datetime
    ) -> bool:
        """Record the outcome of a claimed notification."""
        async with self._connection() as conn, conn.transaction():
            return await postgres_casework.finish(conn, due, outcome, worker=worker, now=now)

    # -- the audit log ----------------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> int:
        """Append to the hash-chained audit log under the audit lock; returns its seq."""
        async with self._connection() as conn, conn.transaction():
            return await postgres_audit.append(conn, entry)

    async def audit_entries(
        self, *, after_seq: int = 0, limit: int = 1000
    ) -> list[StoredAuditEntry]:
        """Audit entries after ``after_seq``, in chain order."""
        async with self._connection() as conn:
            return await postgres_audit.entries(conn, after_seq=after_seq, limit=limit)

    async def prune_content(self, channel: str, *, older_than: dt.datetime) -> int:
        """Retention: drop content of finished messages, keep metadata."""
        async with self._connection() as conn:
            cur = await conn.execute(q.PRUNE, {"channel": channel, "cutoff": older_than})
            row = await cur.fetchone()
        return int(row[0]) if row else 0
