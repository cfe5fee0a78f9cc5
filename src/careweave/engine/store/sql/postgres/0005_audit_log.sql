-- The audit log: one row per audited action, each carrying the hash of the row before it
-- (careweave.model.audit). seq is assigned by the appender (head + 1) under an advisory
-- transaction lock, so the chain has no gaps and the primary key refuses a fork.
CREATE TABLE audit_log (
    seq        BIGINT      PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT        NOT NULL,
    action     TEXT        NOT NULL,
    subject    TEXT        NOT NULL,
    detail     JSONB       NOT NULL DEFAULT '{}',
    prev_hash  TEXT        NOT NULL,
    hash       TEXT        NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, seq);

-- Append-only by construction: UPDATE, DELETE and TRUNCATE are refused. A superuser can still
-- disable the triggers; `careweave audit verify` then names the row that was changed.
CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();
