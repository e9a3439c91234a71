-- Appointments with the municipality. The catalogue (topics → questions → services) is kept as
-- JSON of the domain types (booking::appointments), like the rest of the catalogue's specs.
CREATE TABLE appointment_topics (
    code      TEXT PRIMARY KEY,
    position  INTEGER NOT NULL,
    spec      TEXT NOT NULL
);
CREATE TABLE appointment_questions (
    code      TEXT PRIMARY KEY,
    position  INTEGER NOT NULL,
    spec      TEXT NOT NULL
);
CREATE TABLE appointment_services (
    code        TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- An agent's weekly hours. The row is also the agent's lock: every transaction that books the
-- agent first bumps lock_version (PostgreSQL row lock; SQLite takes its write lock up front), so
-- two bookings of one agent are decided one after the other and never overlap.
CREATE TABLE agent_hours (
    agent_id      INTEGER PRIMARY KEY REFERENCES staff (id),
    hours         TEXT NOT NULL,
    lock_version  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE agent_absences (
    id         INTEGER PRIMARY KEY,
    agent_id   INTEGER NOT NULL REFERENCES staff (id),
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    reason     TEXT,
    CHECK (ends_at > starts_at)
);
CREATE INDEX agent_absences_agent ON agent_absences (agent_id, starts_at);

CREATE TABLE appointments (
    id                 INTEGER PRIMARY KEY,
    service            TEXT NOT NULL REFERENCES appointment_services (code),
    mode               TEXT NOT NULL CHECK (mode IN ('video', 'physical', 'hybrid')),
    agent_id           INTEGER NOT NULL REFERENCES staff (id),
    starts_at          INTEGER NOT NULL,
    ends_at            INTEGER NOT NULL,
    status             TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
    citizen_name       TEXT NOT NULL,
    citizen_email      TEXT NOT NULL,
    citizen_phone      TEXT,
    language           TEXT NOT NULL,
    booked_by          INTEGER REFERENCES staff (id),
    call_id            INTEGER REFERENCES calls (id),
    -- Hybrid: the meeting room's device, a participant of the call of its own.
    device_participant_id INTEGER,
    -- The citizen's personal link to see, move or cancel the appointment: only its SHA-256.
    manage_token_hash  TEXT NOT NULL UNIQUE,
    -- The .ics SEQUENCE: bumped by every reschedule and by the cancellation.
    sequence           INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    cancelled_at       INTEGER,
    CHECK (ends_at > starts_at)
);
CREATE INDEX appointments_agent ON appointments (agent_id, starts_at);

CREATE TABLE appointment_third_parties (
    id              INTEGER PRIMARY KEY,
    appointment_id  INTEGER NOT NULL REFERENCES appointments (id),
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    relation        TEXT NOT NULL,
    participant_id  INTEGER REFERENCES call_participants (id),
    removed_at      INTEGER
);
CREATE INDEX appointment_third_parties_appointment ON appointment_third_parties (appointment_id);
