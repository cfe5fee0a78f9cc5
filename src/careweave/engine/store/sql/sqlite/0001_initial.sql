-- careweave schema, SQLite. Times are UTC epoch seconds (REAL).
CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    channel       TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    sender        TEXT    NOT NULL DEFAULT '',
    received_at   REAL    NOT NULL,
    trace_id      TEXT    NOT NULL,
    dedup_key     TEXT,
    state         TEXT    NOT NULL,
    error         TEXT,
    ordering_key  TEXT,
    raw           BLOB,
    duplicates    INTEGER NOT NULL DEFAULT 0,
    pruned_at     REAL
);
CREATE UNIQUE INDEX messages_dedup ON messages (channel, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX messages_received ON messages (channel, received_at);
CREATE INDEX messages_state ON messages (state);

CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    message_id       INTEGER NOT NULL REFERENCES messages (id),
    event_type       TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    payload          BLOB,
    created_at       REAL    NOT NULL
);
CREATE INDEX events_message ON events (message_id);

CREATE TABLE effects (
    id               INTEGER PRIMARY KEY,
    message_id       INTEGER NOT NULL REFERENCES messages (id),
    destination      TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    ordering_key     TEXT,
    content_type     TEXT    NOT NULL,
    payload          BLOB,
    state            TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at       REAL    NOT NULL,
    next_attempt_at  REAL    NOT NULL,
    last_error       TEXT,
    locked_by        TEXT,
    locked_until     REAL,
    trace_id         TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX effects_open ON effects (destination, id) WHERE state IN ('pending', 'in_flight');
CREATE INDEX effects_key ON effects (destination, ordering_key, id) WHERE state IN ('pending', 'in_flight');
CREATE INDEX effects_message ON effects (message_id);
CREATE INDEX effects_state ON effects (destination, state);

CREATE TABLE attempts (
    id           INTEGER PRIMARY KEY,
    effect_id    INTEGER NOT NULL REFERENCES effects (id),
    attempt      INTEGER NOT NULL,
    worker       TEXT    NOT NULL,
    started_at   REAL    NOT NULL,
    finished_at  REAL    NOT NULL,
    outcome      TEXT    NOT NULL,
    status       INTEGER,
    response     TEXT,
    error        TEXT
);
CREATE INDEX attempts_effect ON attempts (effect_id);

CREATE TABLE replays (
    id            INTEGER PRIMARY KEY,
    message_id    INTEGER NOT NULL REFERENCES messages (id),
    effect_id     INTEGER,
    stage         TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    requested_at  REAL    NOT NULL
);
CREATE INDEX replays_message ON replays (message_id);
