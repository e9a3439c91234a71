-- Video calls and their participants. Each participant has a personal capability link; only the
-- SHA-256 of its token is stored.
CREATE TABLE calls (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    created_by  INTEGER REFERENCES staff (id),
    created_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    CHECK (ends_at > starts_at)
);

CREATE TABLE call_participants (
    id           INTEGER PRIMARY KEY,
    call_id      INTEGER NOT NULL REFERENCES calls (id),
    name         TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('agent', 'citizen', 'guest')),
    email        TEXT,
    token_hash   TEXT    NOT NULL UNIQUE,
    valid_from   INTEGER NOT NULL,
    valid_until  INTEGER NOT NULL,
    revoked_at   INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX call_participants_call ON call_participants (call_id);
