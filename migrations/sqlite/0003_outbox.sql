-- The transactional outbox: an e-mail is a row written in the same transaction as the change it
-- reports (an appointment booked, moved, cancelled), so a committed change always has its mail and
-- a rolled-back one never does. A background sender delivers due rows, retrying transient
-- failures with backoff. A sender claims a row for a while (claimed_until) before sending, so two
-- senders never send it at once and a crashed sender's claim lapses.
CREATE TABLE outbox (
    -- AUTOINCREMENT: an id is never reused, so a late settle of a deleted row cannot hit a new one.
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    recipient        TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    -- The rendered message (JSON). It holds the recipient's personal link, so it is erased once
    -- the message is delivered.
    body             TEXT,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    claimed_until    INTEGER,
    last_error       TEXT,
    appointment_id   INTEGER,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_appointment ON outbox (appointment_id);
