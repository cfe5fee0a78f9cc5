-- The audit log: one row per audited action, each carrying the hash of the row before it
-- (careweave.model.audit). seq is assigned by the appender (head + 1) inside the writer's
-- transaction, so the chain has no gaps and the primary key refuses a fork.
-- `at` is kept as the exact text the hash covers (UTC, microseconds): a REAL would round it.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '{}',
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, seq);

-- Append-only as far as SQLite allows: a statement updating or deleting a row fails. Whoever
-- edits the file by other means breaks the chain, and `careweave audit verify` names the row.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
