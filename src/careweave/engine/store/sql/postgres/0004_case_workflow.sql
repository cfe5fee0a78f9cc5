-- Exception workflow: severity and assignee on cases, and the notifications sent about them.
ALTER TABLE exception_cases ADD COLUMN severity TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE exception_cases ADD COLUMN assignee TEXT;
CREATE INDEX exception_cases_sla ON exception_cases (state, sla_due_at);

-- One row per case, channel (webhook | email) and kind (opened | escalated | resolved): the
-- primary key makes each notification claimed once, by one process, before it is sent.
CREATE TABLE case_notifications (
    case_id          BIGINT      NOT NULL REFERENCES exception_cases (id),
    channel          TEXT        NOT NULL,
    kind             TEXT        NOT NULL,
    state            TEXT        NOT NULL,
    attempts         INTEGER     NOT NULL DEFAULT 0,
    target           TEXT        NOT NULL DEFAULT '',
    claimed_by       TEXT,
    claimed_until    TIMESTAMPTZ,
    next_attempt_at  TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    PRIMARY KEY (case_id, channel, kind)
);
CREATE INDEX case_notifications_due ON case_notifications (state, next_attempt_at);
