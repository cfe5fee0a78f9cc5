"""Control numbers for outbound envelopes (ISA13, GS06, ST02), unique per sender.

A ``ControlNumberSource`` hands out the next number of a named counter. The in-memory one suits
tests and one-shot tools; the SQLite one persists counters so numbers never repeat across runs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol

_MAX = {"interchange": 999_999_999, "group": 999_999_999, "transaction": 999_999_999}


class ControlNumberSource(Protocol):
    """Where envelope control numbers come from."""

    def next(self, counter: str) -> int:
        """The next number of *counter* (``interchange``, ``group``, ``transaction``)."""
        ...


class InMemoryControlNumbers:
    """Counters kept in a dict, starting after *start*."""

    def __init__(self, start: int = 0) -> None:
        self._counters: dict[str, int] = {}
        self._start = start

    def next(self, counter: str) -> int:
        """The next number of *counter*; wraps to 1 after the 9-digit maximum."""
        value = self._counters.get(counter, self._start) + 1
        if value > _MAX.get(counter, 999_999_999):
            value = 1
        self._counters[counter] = value
        return value


class SqliteControlNumbers:
    """Counters persisted in a SQLite table, one row per counter, advanced in a transaction."""

    def __init__(self, path: str | Path) -> None:
        self._connection = sqlite3.connect(str(path), isolation_level=None)
        self._connection.execute(
            "CREATE TABLE IF NOT EXISTS x12_control_number "
            "(counter TEXT PRIMARY KEY, value INTEGER NOT NULL)"
        )

    def next(self, counter: str) -> int:
        """The next number of *counter*, committed before it is returned."""
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT value FROM x12_control_number WHERE counter = ?", (counter,)
            ).fetchone()
            value = (row[0] if row else 0) + 1
            if value > _MAX.get(counter, 999_999_999):
                value = 1
            connection.execute(
                "INSERT INTO x12_control_number (counter, value) VALUES (?, ?) "
                "ON CONFLICT(counter) DO UPDATE SET value = excluded.value",
                (counter, value),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return value

    def close(self) -> None:
        """Close the database connection."""
        self._connection.close()
