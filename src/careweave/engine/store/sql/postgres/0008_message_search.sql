-- The console's message browser finds a patient's messages by MRN: messages.ordering_key (PID-3.1
-- by default, sealed when PHI is sealed) compared whole, newest first.
CREATE INDEX IF NOT EXISTS messages_ordering_key ON messages (ordering_key, id);
