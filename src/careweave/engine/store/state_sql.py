"""SQL for the business-state tables, shared by both backends (they differ only in placeholders).

Table names come from :class:`~careweave.model.state.StateTable` only, never from input, which is
why building the statements with an f-string is safe.
"""

from __future__ import annotations

from collections.abc import Sequence

from careweave.model.state import Change, StateTable


def select_value(table: StateTable, mark: str) -> str:
    """One value by key."""
    return f"SELECT value FROM {StateTable(table).value} WHERE key = {mark}"


def select_all(table: StateTable) -> str:
    """Every row of a table, by key."""
    return f"SELECT key, value FROM {StateTable(table).value} ORDER BY key"


def upsert(table: StateTable, mark: str) -> str:
    """Insert or replace one value."""
    name = StateTable(table).value
    return (
        f"INSERT INTO {name} (key, value) VALUES ({mark}, {mark}) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


def delete(table: StateTable, mark: str) -> str:
    """Delete one key."""
    return f"DELETE FROM {StateTable(table).value} WHERE key = {mark}"


def grouped(
    changes: Sequence[Change],
) -> tuple[dict[StateTable, list[tuple[str, bytes]]], dict[StateTable, list[tuple[str]]]]:
    """Changes split into upserts and deletes per table (for ``executemany``)."""
    puts: dict[StateTable, list[tuple[str, bytes]]] = {}
    deletes: dict[StateTable, list[tuple[str]]] = {}
    for table, key, value in changes:
        if value is None:
            deletes.setdefault(table, []).append((key,))
        else:
            puts.setdefault(table, []).append((key, value))
    return puts, deletes
