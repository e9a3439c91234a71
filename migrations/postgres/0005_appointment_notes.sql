-- Agents' follow-up notes on an appointment: staff-only, so in a table of their own and never in
-- the appointment record a citizen's manage link shows. One current text per appointment; who
-- wrote it last and when, for the colleague who picks up the follow-up.
CREATE TABLE appointment_notes (
    appointment_id  BIGINT PRIMARY KEY REFERENCES appointments (id),
    text            TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    updated_by      BIGINT NOT NULL REFERENCES staff (id)
);
