-- Room and court evaluations the day after a reservation, and defect reports with photos.
-- Kept in step with ../postgres/0008_room_evaluations.sql.

-- A personal, single-use evaluation link for one used reservation (at most one per reservation:
-- the hourly job may run any number of times). The e-mail address is kept only while the link is
-- open, for the reporter of a defect to be told what was done; it is erased when the evaluation
-- is answered or expires. A row without an address marks a reservation that was not mailed (no
-- usable address) so that the job does not look at it again.
CREATE TABLE room_evaluations (
    id              INTEGER PRIMARY KEY,
    token_hash      TEXT    NOT NULL UNIQUE,
    reservation_id  INTEGER NOT NULL UNIQUE REFERENCES reservations (id),
    resource_id     INTEGER NOT NULL REFERENCES resources (id),
    email           TEXT,
    language        TEXT    NOT NULL,
    day             TEXT    NOT NULL,
    answered_at     INTEGER,
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX room_evaluations_expiry ON room_evaluations (expires_at) WHERE email IS NOT NULL;

-- Answers, without the person or the reservation: the room, the day, the score, the comment.
CREATE TABLE room_evaluation_answers (
    id           INTEGER PRIMARY KEY,
    resource_id  INTEGER NOT NULL REFERENCES resources (id),
    day          TEXT    NOT NULL,
    score        INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment      TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX room_evaluation_answers_day ON room_evaluation_answers (day, resource_id);

-- Something broken, reported from an evaluation link. The reporter's address is kept only until
-- the e-mail saying what was done is queued (in the transaction that closes the report).
CREATE TABLE defect_reports (
    id              INTEGER PRIMARY KEY,
    resource_id     INTEGER NOT NULL REFERENCES resources (id),
    reservation_id  INTEGER REFERENCES reservations (id),
    evaluation_id   INTEGER REFERENCES room_evaluations (id),
    description     TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
    resolution      TEXT,
    reporter_email  TEXT,
    language        TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    closed_at       INTEGER,
    closed_by       INTEGER REFERENCES staff (id),
    CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX defect_reports_status ON defect_reports (status, id);
CREATE INDEX defect_reports_resource ON defect_reports (resource_id, created_at);
CREATE INDEX defect_reports_evaluation ON defect_reports (evaluation_id);

-- Photos of a defect, as re-encoded by the web layer (JPEG without metadata; PNG allowed by the
-- schema for a future lossless path).
CREATE TABLE defect_photos (
    id            INTEGER PRIMARY KEY,
    report_id     INTEGER NOT NULL REFERENCES defect_reports (id),
    content_type  TEXT    NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    bytes         BLOB    NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX defect_photos_report ON defect_photos (report_id);
