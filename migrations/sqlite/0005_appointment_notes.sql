-- Agents' follow-up notes on an appointment: staff-only, so in a table of their own and never in
-- the appointment record a citizen's manage link shows. One current text per appointment; who
-- wrote it last and when, for the colleague who picks up the follow-up.
CREATE TABLE appointment_notes (
    appointment_id  INTEGER PRIMARY KEY REFERENCES appointments (id),
    text            TEXT NOT NULL,
    updated_at      INTEGER NOT NULL,
    updated_by      INTEGER NOT NULL REFERENCES staff (id)
);
