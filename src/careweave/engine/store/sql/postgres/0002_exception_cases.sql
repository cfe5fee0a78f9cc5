-- Exception work queue: cases a person must resolve, the messages parked on them, and an audit trail.
CREATE TABLE exception_cases (
    id             BIGSERIAL   PRIMARY KEY,
    case_key       TEXT        NOT NULL,
    reason_code    TEXT        NOT NULL,
    owning_team    TEXT        NOT NULL,
    summary        TEXT        NOT NULL,
    suggested_fix  TEXT        NOT NULL,
    details        TEXT        NOT NULL DEFAULT '[]',
    state          TEXT        NOT NULL,
    opened_at      TIMESTAMPTZ NOT NULL,
    sla_due_at     TIMESTAMPTZ NOT NULL,
    resolved_at    TIMESTAMPTZ,
    resolution     TEXT
);
CREATE UNIQUE INDEX exception_cases_open_key ON exception_cases (case_key) WHERE state = 'open';
CREATE INDEX exception_cases_team ON exception_cases (owning_team, state);

CREATE TABLE case_messages (
    case_id            BIGINT NOT NULL REFERENCES exception_cases (id),
    message_id         BIGINT NOT NULL REFERENCES messages (id),
    payload_reference  TEXT   NOT NULL,
    PRIMARY KEY (case_id, message_id, payload_reference)
);
CREATE INDEX case_messages_message ON case_messages (message_id);

CREATE TABLE case_events (
    id       BIGSERIAL   PRIMARY KEY,
    case_id  BIGINT      NOT NULL REFERENCES exception_cases (id),
    at       TIMESTAMPTZ NOT NULL,
    action   TEXT        NOT NULL,
    actor    TEXT        NOT NULL,
    detail   TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events (case_id);
