-- Payments, invoices and door access codes for reservations made in the call's shared panel.
-- Kept in step with ../postgres/0006_payments_access.sql.

-- One row per payment attempt. `public_id` is the unguessable id in checkout addresses; a
-- provider's own id (Mollie's tr_…) is `provider_ref`, unique per provider.
CREATE TABLE payments (
    id               INTEGER PRIMARY KEY,
    public_id        TEXT    NOT NULL UNIQUE,
    reservation_id   INTEGER NOT NULL REFERENCES reservations (id),
    call_id          INTEGER,
    provider         TEXT    NOT NULL CHECK (provider IN ('simulated', 'mollie', 'invoice')),
    provider_ref     TEXT,
    status           TEXT    NOT NULL,
    amount_cents     INTEGER NOT NULL CHECK (amount_cents >= 0),
    refunded_cents   INTEGER NOT NULL DEFAULT 0,
    description      TEXT    NOT NULL,
    checkout_url     TEXT,
    idempotency_key  TEXT    NOT NULL UNIQUE,
    expires_at       INTEGER,
    paid_at          INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (provider, provider_ref)
);
CREATE INDEX payments_reservation ON payments (reservation_id);
CREATE INDEX payments_open ON payments (expires_at) WHERE status IN ('open', 'pending');

-- Every status a provider reported, once: the unique key makes a repeated webhook a no-op in the
-- same transaction that applies the change (exactly-once processing).
CREATE TABLE payment_events (
    id           INTEGER PRIMARY KEY,
    payment_id   INTEGER NOT NULL REFERENCES payments (id),
    status       TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    UNIQUE (payment_id, status)
);

CREATE TABLE refunds (
    id            INTEGER PRIMARY KEY,
    payment_id    INTEGER NOT NULL REFERENCES payments (id),
    amount_cents  INTEGER NOT NULL CHECK (amount_cents > 0),
    provider_ref  TEXT,
    status        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id);

-- Invoices for associations and companies; `number` is also the base of the Belgian structured
-- communication.
CREATE TABLE invoices (
    id                        INTEGER PRIMARY KEY,
    reservation_id            INTEGER NOT NULL UNIQUE REFERENCES reservations (id),
    payment_id                INTEGER NOT NULL REFERENCES payments (id),
    number                    INTEGER NOT NULL UNIQUE,
    structured_communication  TEXT    NOT NULL UNIQUE,
    amount_cents              INTEGER NOT NULL,
    due_date                  TEXT    NOT NULL,
    issued_at                 INTEGER NOT NULL
);

-- The door of a room or hall, with its device's API key (hashed) and the brute-force lock.
CREATE TABLE doors (
    id               INTEGER PRIMARY KEY,
    resource_id      INTEGER NOT NULL UNIQUE REFERENCES resources (id),
    name             TEXT    NOT NULL,
    api_key_hash     TEXT    UNIQUE,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     INTEGER,
    lock_version     INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

-- A reservation's code for its door. The PIN is stored as a keyed digest (HMAC with the server's
-- secret and the door): enough to find it and to keep codes of one door unique, not to read it.
-- The QR token is 128 random bits, stored as its SHA-256.
CREATE TABLE access_codes (
    id              INTEGER PRIMARY KEY,
    reservation_id  INTEGER NOT NULL UNIQUE REFERENCES reservations (id),
    door_id         INTEGER NOT NULL REFERENCES doors (id),
    pin_digest      TEXT    NOT NULL,
    qr_digest       TEXT    NOT NULL UNIQUE,
    valid_from      INTEGER NOT NULL,
    valid_until     INTEGER NOT NULL,
    revoked_at      INTEGER,
    created_at      INTEGER NOT NULL,
    CHECK (valid_until > valid_from)
);
CREATE INDEX access_codes_door_pin ON access_codes (door_id, pin_digest);
CREATE INDEX access_codes_door_time ON access_codes (door_id, valid_from);

-- Every attempt at a door and every IN/OUT.
CREATE TABLE door_events (
    id              INTEGER PRIMARY KEY,
    door_id         INTEGER NOT NULL REFERENCES doors (id),
    at              INTEGER NOT NULL,
    direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    outcome         TEXT    NOT NULL CHECK (outcome IN ('open', 'refused', 'locked')),
    reason          TEXT,
    access_code_id  INTEGER REFERENCES access_codes (id)
);
CREATE INDEX door_events_door_time ON door_events (door_id, at);

-- Mails about a reservation (a reminder with the door code waits here until its day): cancelling
-- the reservation withdraws those not yet sent.
ALTER TABLE outbox ADD COLUMN reservation_id INTEGER;
CREATE INDEX outbox_reservation ON outbox (reservation_id);
