"""The PostgreSQL store's named statements (psycopg ``%(name)s`` placeholders, values always bound).

Batches travel as parallel arrays expanded by ``unnest``: one statement, one round trip, whatever
the batch size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from careweave.engine.store import rows
from careweave.model.records import EffectOutcome

OPEN = "('pending', 'in_flight')"

MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(%(namespace)s, hashtext(%(schema)s))"
"""Serialises concurrent migrations of one schema (two processes starting at once)."""

CREATE_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)

MESSAGE_IDS = (
    "SELECT nextval(pg_get_serial_sequence('messages', 'id')) FROM generate_series(1, %(n)s)"
)

# Messages, events and effects of a whole batch in one statement. Events and effects are kept
# only for the messages actually inserted (not the duplicates), and effects keep their order within
# the batch (ORDER BY ordinality), because their ids are what orders delivery within a key.
INGEST = """
WITH m AS (
    INSERT INTO messages (id, channel, content_type, sender, received_at, trace_id, dedup_key,
                          state, error, ordering_key, raw, duplicates)
    SELECT * FROM unnest(%(id)s::bigint[], %(channel)s::text[], %(content_type)s::text[],
                         %(sender)s::text[], %(received_at)s::timestamptz[], %(trace_id)s::text[],
                         %(dedup_key)s::text[], %(state)s::text[], %(error)s::text[],
                         %(ordering_key)s::text[], %(raw)s::bytea[], %(duplicates)s::int[])
    ON CONFLICT (channel, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
    RETURNING id
), ev AS (
    INSERT INTO events (message_id, event_type, idempotency_key, payload, created_at)
    SELECT v.message_id, v.event_type, v.idempotency_key, v.payload, v.created_at
    FROM unnest(%(ev_message)s::bigint[], %(ev_type)s::text[], %(ev_key)s::text[],
                %(ev_payload)s::bytea[], %(ev_created)s::timestamptz[])
         WITH ORDINALITY AS v(message_id, event_type, idempotency_key, payload, created_at, n)
    WHERE v.message_id IN (SELECT id FROM m)
    ORDER BY v.n
), ef AS (
    INSERT INTO effects (message_id, destination, idempotency_key, ordering_key, content_type,
                         payload, state, attempts, created_at, next_attempt_at, trace_id)
    SELECT f.message_id, f.destination, f.idempotency_key, f.ordering_key, f.content_type,
           f.payload, 'pending', 0, f.created_at, f.created_at, f.trace_id
    FROM unnest(%(ef_message)s::bigint[], %(ef_destination)s::text[], %(ef_key)s::text[],
                %(ef_ordering)s::text[], %(ef_content_type)s::text[], %(ef_payload)s::bytea[],
                %(ef_created)s::timestamptz[], %(ef_trace)s::text[])
         WITH ORDINALITY AS f(message_id, destination, idempotency_key, ordering_key,
                              content_type, payload, created_at, trace_id, n)
    WHERE f.message_id IN (SELECT id FROM m)
    ORDER BY f.n
)
SELECT id FROM m
"""

COUNT_DUPLICATES = """
UPDATE messages m SET duplicates = m.duplicates + d.n
FROM unnest(%(channel)s::text[], %(dedup_key)s::text[], %(n)s::int[]) AS d(channel, dedup_key, n)
WHERE m.channel = d.channel AND m.dedup_key = d.dedup_key
RETURNING m.id, m.channel, m.dedup_key, m.state
"""

_EFFECT_COLUMNS = rows.EFFECT_SELECT.removeprefix("SELECT ").removesuffix(" FROM effects")

# Why per-key order holds with any number of claimers (READ COMMITTED, one statement for the heads):
# 1. The whole statement reads one snapshot. An effect is a candidate only if no older effect of
#    its key is open (pending or in flight) in that snapshot, so every older effect of the key had
#    been committed delivered or dead before the statement began; being claimed does not close an
#    effect, so a head leased by another worker keeps blocking its successors.
# 2. Two claimers may pick the same head. FOR UPDATE SKIP LOCKED gives it to one: the other skips
#    it while it is locked, and once that claim or its completion has committed, the row lock
#    re-checks the WHERE clause on the newest row version (state in flight with a live lease, or
#    delivered) and drops it. Either way a key yields at most its head, to at most one worker.
# 3. Leases that expired are candidates again; a worker that lost its lease cannot complete (the
#    locked_by check in COMPLETE), so the reclaimer's delivery is the one recorded.
# 4. Chains (CLAIM_FOLLOWERS, same transaction, right after the heads): while the head is locked
#    and open, no other claimer can take any later effect of its key as a head (point 1), so the
#    followers are this claimer's alone. They are the next open effects of the key after the head,
#    locked FOR UPDATE in id order and read at their newest version (waiting, not skipping: a
#    skipped follower would leave a gap), and the chain is their prefix up to the first that is
#    not claimable (not due, or in flight under a live lease). So a chain is a contiguous run of
#    the key's open effects from its head. The worker sends them in id order, each once the one
#    before succeeded; after a failure it releases the rest (RELEASE: pending again, attempt not
#    counted), which then wait behind the failed head as if never claimed. All of a chain's leases
#    end together, so after a crash the reclaimer gets the run again from its head, in order.
# Limits, by design: a requeued dead letter re-opens behind successors that may already be
# delivered (the dead letter broke the order; the operator's replay accepts that). Ids order the
# effects of one message and of messages acknowledged one after the other; two ingests in flight
# at once (neither acknowledged yet) may commit in either order and are delivered in commit order.
CLAIM = f"""
UPDATE effects
SET state = 'in_flight', locked_by = %(worker)s, locked_until = %(until)s,
    attempts = attempts + 1
WHERE id IN (
    SELECT e.id FROM effects e
    WHERE e.destination = %(destination)s AND e.state IN {OPEN}
      AND ((e.state = 'pending' AND e.next_attempt_at <= %(now)s)
           OR (e.state = 'in_flight' AND e.locked_until < %(now)s))
      AND (e.ordering_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM effects p
          WHERE p.destination = e.destination AND p.ordering_key = e.ordering_key
            AND p.state IN {OPEN} AND p.id < e.id))
    ORDER BY e.id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING {_EFFECT_COLUMNS}
"""

_CHAINED_COLUMNS = ", ".join(f"e.{c}" for c in _EFFECT_COLUMNS.split(", "))

# The followers of the heads just claimed (point 4 above): per head, its key's next open effects,
# locked in id order; a running count of the ones that may not be claimed cuts each chain at the
# first of them.
CLAIM_FOLLOWERS = f"""
WITH locked AS (
    SELECT f.* FROM unnest(%(head)s::bigint[], %(key)s::text[]) AS h(id, ordering_key)
    CROSS JOIN LATERAL (
        SELECT e.id, e.ordering_key, e.state, e.next_attempt_at, e.locked_until
        FROM effects e
        WHERE e.destination = %(destination)s AND e.ordering_key = h.ordering_key
          AND e.state IN {OPEN} AND e.id > h.id
        ORDER BY e.id
        LIMIT %(count)s
        FOR UPDATE
    ) f
), chained AS (
    SELECT id, count(*) FILTER (
        WHERE NOT ((state = 'pending' AND next_attempt_at <= %(now)s)
                   OR (state = 'in_flight' AND locked_until < %(now)s))
    ) OVER (PARTITION BY ordering_key ORDER BY id) AS blocked
    FROM locked
)
UPDATE effects e
SET state = 'in_flight', locked_by = %(worker)s, locked_until = %(until)s,
    attempts = e.attempts + 1
FROM chained c
WHERE e.id = c.id AND c.blocked = 0
RETURNING {_CHAINED_COLUMNS}
"""

# Gives back the rest of a chain after a failure: pending again as if never claimed.
RELEASE = """
UPDATE effects
SET state = 'pending', attempts = attempts - 1, locked_by = NULL, locked_until = NULL
WHERE id = ANY(%(ids)s::bigint[]) AND locked_by = %(worker)s AND state = 'in_flight'
"""

# The lease check and the attempt rows in one statement: attempts are recorded only for the
# outcomes whose worker still held the lease.
COMPLETE = """
WITH o AS (
    SELECT * FROM unnest(%(effect_id)s::bigint[], %(worker)s::text[], %(state)s::text[],
                         %(next_at)s::timestamptz[], %(attempt)s::int[],
                         %(started_at)s::timestamptz[], %(finished_at)s::timestamptz[],
                         %(outcome)s::text[], %(status)s::int[], %(response)s::text[],
                         %(error)s::text[])
        AS o(effect_id, worker, state, next_at, attempt, started_at, finished_at, outcome,
             status, response, error)
), done AS (
    UPDATE effects e
    SET state = o.state, next_attempt_at = COALESCE(o.next_at, e.next_attempt_at),
        last_error = o.error, locked_by = NULL, locked_until = NULL
    FROM o
    WHERE e.id = o.effect_id AND e.locked_by = o.worker AND e.state = 'in_flight'
    RETURNING e.id
), recorded AS (
    INSERT INTO attempts (effect_id, attempt, worker, started_at, finished_at, outcome, status,
                          response, error)
    SELECT o.effect_id, o.attempt, o.worker, o.started_at, o.finished_at, o.outcome, o.status,
           o.response, o.error
    FROM o WHERE o.effect_id IN (SELECT id FROM done)
)
SELECT count(*) FROM done
"""

REQUEUE = """
WITH requeued AS (
    UPDATE effects
    SET state = 'pending', attempts = 0, next_attempt_at = %(now)s, locked_by = NULL,
        locked_until = NULL
    WHERE id = ANY(%(ids)s::bigint[]) AND state IN ('dead', 'delivered')
    RETURNING id, message_id
)
INSERT INTO replays (message_id, effect_id, stage, reason, requested_at)
SELECT message_id, id, %(stage)s, %(reason)s, %(now)s FROM requeued
"""

INSERT_REPLAY = (
    "INSERT INTO replays (message_id, effect_id, stage, reason, requested_at) "
    "VALUES (%(message_id)s, NULL, %(stage)s, %(reason)s, %(now)s)"
)

INSERT_EVENTS = (
    "INSERT INTO events (message_id, event_type, idempotency_key, payload, created_at) "
    "VALUES (%s, %s, %s, %s, %s)"
)

INSERT_EFFECTS = (
    "INSERT INTO effects (message_id, destination, idempotency_key, ordering_key, content_type, "
    "payload, state, attempts, created_at, next_attempt_at, trace_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, 'pending', 0, %s, %s, %s)"
)

PRUNE = f"""
WITH pruned AS (
    UPDATE messages m SET raw = NULL, pruned_at = now()
    WHERE m.channel = %(channel)s AND m.received_at < %(cutoff)s AND m.raw IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM effects e WHERE e.message_id = m.id AND e.state IN {OPEN})
    RETURNING m.id
), events_pruned AS (
    UPDATE events SET payload = NULL WHERE message_id IN (SELECT id FROM pruned)
), effects_pruned AS (
    UPDATE effects SET payload = NULL WHERE message_id IN (SELECT id FROM pruned)
)
SELECT count(*) FROM pruned
"""

QUEUE_DEPTHS = """
SELECT destination, count(*) FROM effects WHERE state IN ('pending', 'in_flight') GROUP BY destination
"""

COUNTS = """
SELECT 'messages.' || state, count(*) FROM messages GROUP BY state
UNION ALL
SELECT 'effects.' || state, count(*) FROM effects GROUP BY state
UNION ALL
SELECT 'messages.duplicates', COALESCE(sum(duplicates), 0) FROM messages
"""


def complete_params(outcomes: Sequence[EffectOutcome]) -> dict[str, list[Any]] | None:
    """The arrays of ``COMPLETE`` for ``outcomes``; None when there is nothing to complete."""
    # One verdict per effect, the first, as if they were applied in turn: the first releases
    # the lease, so the next would find nothing to apply to.
    first: dict[int, EffectOutcome] = {}
    for outcome in outcomes:
        first.setdefault(outcome.attempt.effect_id, outcome)
    if not first:
        return None
    cols: dict[str, list[Any]] = {
        name: []
        for name in [
            "effect_id",
            "worker",
            "state",
            "next_at",
            "attempt",
            "started_at",
            "finished_at",
            "outcome",
            "status",
            "response",
            "error",
        ]
    }
    for outcome in first.values():
        a = outcome.attempt
        state, next_at = rows.next_state(outcome)
        for name, value in (
            ("effect_id", a.effect_id),
            ("worker", outcome.worker),
            ("state", state.value),
            ("next_at", next_at),
            ("attempt", a.attempt),
            ("started_at", a.started_at),
            ("finished_at", a.finished_at),
            ("outcome", a.outcome.value),
            ("status", a.status),
            ("response", a.response),
            ("error", a.error),
        ):
            cols[name].append(value)
    return cols
