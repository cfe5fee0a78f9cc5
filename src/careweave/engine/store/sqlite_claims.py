"""Finding what a SQLite claim may lease: the due heads of each ordering key, oldest first.

A claimable effect is pending, due, and either has no ordering key or is the oldest open effect of
its key. The plain query walks the destination's pending effects in id order and checks each for an
older open effect of its key; behind a key that is busy (a journal in flight with thousands queued
after it on ``gl:<entity>``) it walks every blocked row before it reaches a claimable one, which made
each claim cost tens of milliseconds once a backlog formed. So the walk is bounded: when the first
``budget`` pending effects do not hold enough claimable ones, the heads are found key by key
instead (a skip scan of the open-effects index: one seek per key, however long each queue is).
Both give the same rows; the walk is the cheaper one when queues are short and keys many.

A chain's followers are read after its head is leased: the next open effects of each head's key,
a bounded seek per key (``LIMIT`` inside the correlated subquery, however long the queue). Which
of them may be leased (contiguous, due, not leased) is decided by the caller, which holds the
leases.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from careweave.engine.store.rows import EFFECT_SELECT
from careweave.engine.store.sqlite_writes import OPEN_STATES

WALK_BUDGET = 64
"""Pending effects the bounded walk looks at beyond the ones it is asked for."""

_BOUNDED_WALK = f"""
{EFFECT_SELECT} WHERE id IN (
    SELECT e.id FROM (
        SELECT id, ordering_key, next_attempt_at FROM effects
        WHERE destination = :destination AND state = 'pending' ORDER BY id LIMIT :walk
    ) e
    WHERE e.next_attempt_at <= :now
      AND (e.ordering_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM effects p
          WHERE p.destination = :destination AND p.ordering_key = e.ordering_key
            AND p.state IN {OPEN_STATES} AND p.id < e.id))
    ORDER BY e.id LIMIT :limit
) ORDER BY id
"""

# Each key's oldest open effect, one seek per key (``keys`` steps through the distinct keys of the
# partial index ``effects_key``), plus the effects without a key (read from that index too).
_HEADS_BY_KEY = f"""
WITH RECURSIVE keys(k) AS (
    SELECT (SELECT min(ordering_key) FROM effects
            WHERE destination = :destination AND state IN {OPEN_STATES}
              AND ordering_key IS NOT NULL)
    UNION ALL
    SELECT (SELECT min(ordering_key) FROM effects
            WHERE destination = :destination AND state IN {OPEN_STATES}
              AND ordering_key > keys.k)
    FROM keys WHERE keys.k IS NOT NULL
)
{EFFECT_SELECT} e
WHERE e.id IN (
    SELECT (SELECT min(id) FROM effects
            WHERE destination = :destination AND state IN {OPEN_STATES}
              AND ordering_key = keys.k)
    FROM keys WHERE keys.k IS NOT NULL
    UNION ALL
    SELECT id FROM effects INDEXED BY effects_key
    WHERE destination = :destination AND state IN {OPEN_STATES} AND ordering_key IS NULL
)
AND e.state = 'pending' AND e.next_attempt_at <= :now
ORDER BY e.id LIMIT :limit
"""


def claimable(conn: sqlite3.Connection, destination: str, now: float, limit: int) -> list[Any]:
    """Rows (``EFFECT_SELECT`` columns) of the ``limit`` oldest claimable effects."""
    args = {"destination": destination, "now": now, "limit": limit, "walk": limit + WALK_BUDGET}
    rows = conn.execute(_BOUNDED_WALK, args).fetchall()
    if len(rows) < limit:
        rows = conn.execute(_HEADS_BY_KEY, args).fetchall()
    return rows


_FOLLOWERS = f"""
WITH h(head, k) AS (
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:heads)
)
{EFFECT_SELECT.removesuffix(" FROM effects")} FROM h CROSS JOIN effects
WHERE effects.id IN (
    SELECT n.id FROM effects n
    WHERE n.destination = :destination AND n.state IN {OPEN_STATES}
      AND n.ordering_key = h.k AND n.id > h.head
    ORDER BY n.id LIMIT :count)
ORDER BY effects.id
"""


def followers(
    conn: sqlite3.Connection, destination: str, heads: Sequence[tuple[int, str]], count: int
) -> list[Any]:
    """Rows of the next ``count`` open effects after each ``(head id, stored ordering key)``."""
    if not heads or count <= 0:
        return []
    args = {"destination": destination, "heads": json.dumps(list(heads)), "count": count}
    return conn.execute(_FOLLOWERS, args).fetchall()
