-- balie booking core (SQLite). Kept in step with ../postgres/0001_booking_core.sql.
-- Instants are INTEGER seconds since the Unix epoch (UTC); money is INTEGER euro cents.
-- Descriptive catalogue fields live in a JSON `spec` column: the catalogue is small, read whole
-- and filtered in the domain; the columns SQL must see (ids, hall relation, times) are real columns.

CREATE TABLE resources (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    parent_id     INTEGER REFERENCES resources (id),
    spec          TEXT    NOT NULL,
    retired_at    INTEGER,
    -- Bumped by every transaction that books the hall this resource belongs to: the row lock
    -- that serialises reservations of one hall and its parts.
    lock_version  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX resources_parent ON resources (parent_id);

CREATE TABLE extra_services (
    code        TEXT    PRIMARY KEY,
    spec        TEXT    NOT NULL,
    retired_at  INTEGER,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE booking_windows (
    customer_type   TEXT    PRIMARY KEY,
    max_days_ahead  INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE maintenance_blocks (
    id           INTEGER PRIMARY KEY,
    resource_id  INTEGER NOT NULL REFERENCES resources (id),
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    created_by   INTEGER,
    created_at   INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_blocks_resource_time ON maintenance_blocks (resource_id, starts_at);

CREATE TABLE series (
    id            INTEGER PRIMARY KEY,
    resource_id   INTEGER NOT NULL REFERENCES resources (id),
    request       TEXT    NOT NULL,
    created_by    INTEGER,
    created_at    INTEGER NOT NULL
);

CREATE TABLE reservations (
    id               INTEGER PRIMARY KEY,
    resource_id      INTEGER NOT NULL REFERENCES resources (id),
    series_id        INTEGER REFERENCES series (id),
    starts_at        INTEGER NOT NULL,
    ends_at          INTEGER NOT NULL,
    -- starts_at/ends_at widened by the resource's set-up and clean-up buffers at booking time.
    blocked_start    INTEGER NOT NULL,
    blocked_end      INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('hold', 'confirmed', 'cancelled', 'expired')),
    hold_expires_at  INTEGER,
    customer_type    TEXT    NOT NULL,
    customer         TEXT    NOT NULL,
    attendees        INTEGER NOT NULL,
    services         TEXT    NOT NULL,
    purpose          TEXT    NOT NULL,
    quote            TEXT    NOT NULL,
    total_cents      INTEGER NOT NULL,
    created_by       INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    cancelled_at     INTEGER,
    CHECK (ends_at > starts_at),
    CHECK (blocked_start <= starts_at AND blocked_end >= ends_at),
    -- 72 h plus two 4 h buffers: the store bounds its index scans by this (MAX_BLOCKED_MINUTES).
    CHECK (blocked_end - blocked_start <= 288000)
);
CREATE INDEX reservations_resource_time ON reservations (resource_id, blocked_start);
CREATE INDEX reservations_holds ON reservations (hold_expires_at) WHERE status = 'hold';
CREATE INDEX reservations_series ON reservations (series_id);

CREATE TABLE staff (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    roles          TEXT    NOT NULL,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER,
    created_at     INTEGER NOT NULL
);

-- Signed session tokens are stateless; logout records the token id here until it would expire.
CREATE TABLE revoked_sessions (
    jti         TEXT    PRIMARY KEY,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
