-- Satisfaction surveys after a call, and the log of what was purged when.
-- Kept in step with ../postgres/0007_surveys.sql.

-- A personal, single-use survey link for one participant of one call. It is the only row that
-- knows who was asked (the e-mail address, for the one invitation by e-mail): the address is
-- erased when the invitation is answered or mailed; the row stays until the retention purge so
-- that a used link answers 410 rather than 404.
CREATE TABLE survey_invitations (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT    NOT NULL UNIQUE,
    call_id      INTEGER NOT NULL REFERENCES calls (id),
    email        TEXT,
    language     TEXT    NOT NULL,
    service      TEXT    NOT NULL,
    agent_id     INTEGER,
    channel      TEXT    NOT NULL CHECK (channel IN ('video', 'hybrid')),
    day          TEXT    NOT NULL,
    rtt_ms       INTEGER,
    loss_permille INTEGER,
    mail_after   INTEGER,
    mailed_at    INTEGER,
    answered_at  INTEGER,
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX survey_invitations_mail ON survey_invitations (mail_after) WHERE mailed_at IS NULL;
CREATE INDEX survey_invitations_expiry ON survey_invitations (expires_at);

-- Answers, without the person: what the dashboard needs and nothing more.
CREATE TABLE survey_answers (
    id             INTEGER PRIMARY KEY,
    service        TEXT    NOT NULL,
    agent_id       INTEGER,
    channel        TEXT    NOT NULL,
    day            TEXT    NOT NULL,
    overall        INTEGER NOT NULL CHECK (overall BETWEEN 1 AND 5),
    ease           INTEGER CHECK (ease BETWEEN 1 AND 5),
    quality        INTEGER CHECK (quality BETWEEN 1 AND 5),
    again          TEXT    CHECK (again IN ('yes', 'maybe', 'no')),
    comment        TEXT,
    language       TEXT    NOT NULL,
    rtt_ms         INTEGER,
    loss_permille  INTEGER,
    created_at     INTEGER NOT NULL
);
CREATE INDEX survey_answers_day ON survey_answers (day);
CREATE INDEX survey_answers_service_day ON survey_answers (service, day);
CREATE INDEX survey_answers_agent_day ON survey_answers (agent_id, day);

-- How many were asked, per day, service, agent and channel: the response rate's denominator,
-- kept when the invitations themselves are deleted.
CREATE TABLE survey_invited (
    day       TEXT    NOT NULL,
    service   TEXT    NOT NULL,
    agent_id  INTEGER NOT NULL DEFAULT 0,
    channel   TEXT    NOT NULL,
    invited   INTEGER NOT NULL,
    PRIMARY KEY (day, service, agent_id, channel)
);

-- What was purged, when, and why (an audit trail without the purged data).
CREATE TABLE purge_log (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    subject  TEXT    NOT NULL,
    detail   TEXT    NOT NULL
);

-- The e-mail inviting to a survey waits in the outbox; answering first withdraws it.
ALTER TABLE outbox ADD COLUMN survey_invitation_id INTEGER;

-- Doors count refusals within a window (see booking::access::DoorLock), not since the last opening.
ALTER TABLE doors ADD COLUMN failures_since INTEGER;

-- At most one refund per payment: two cancellations at once cannot both pay back.
CREATE UNIQUE INDEX refunds_one_per_payment ON refunds (payment_id);
