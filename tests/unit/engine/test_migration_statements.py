"""Splitting a migration into statements keeps function and trigger bodies whole."""

from __future__ import annotations

import sqlite3

import pytest

from careweave.engine.store.migrations import load_migrations, split_statements


def test_plain_ddl_splits_on_semicolons_and_drops_comments() -> None:
    sql = "-- a table\nCREATE TABLE a (x INT);\nCREATE INDEX a_x ON a (x);\n"
    assert split_statements(sql) == ["CREATE TABLE a (x INT)", "CREATE INDEX a_x ON a (x)"]


def test_a_dollar_quoted_function_body_stays_whole() -> None:
    sql = (
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n    RAISE EXCEPTION 'no; never';\nEND\n$$;\n"
        "CREATE TRIGGER t BEFORE DELETE ON a FOR EACH ROW EXECUTE FUNCTION f();\n"
    )
    function, trigger = split_statements(sql)
    assert function.endswith("RAISE EXCEPTION 'no; never';\nEND\n$$")
    assert trigger == "CREATE TRIGGER t BEFORE DELETE ON a FOR EACH ROW EXECUTE FUNCTION f()"


def test_a_sqlite_trigger_body_stays_whole_and_runs() -> None:
    statements = [s for m in load_migrations("sqlite") for s in split_statements(m.sql)]
    triggers = [s for s in statements if s.startswith("CREATE TRIGGER")]
    assert triggers and all(s.endswith("END") for s in triggers)
    conn = sqlite3.connect(":memory:")
    for statement in statements:
        conn.execute(statement)
    conn.execute("INSERT INTO audit_log VALUES (1, 'at', 'ana', 'phi.read', 'm:1', '{}', 'p', 'h')")
    for change in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(change)
