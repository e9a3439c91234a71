-- Cancelling an invoiced reservation credits its invoice: all of it, or what the refund policy
-- gives back (docs/panel.md). One credit note per invoice, numbered in an unbroken series per
-- calendar year of its own (as invoice_sequences does for invoices).
CREATE TABLE credit_notes (
    id            INTEGER PRIMARY KEY,
    invoice_id    INTEGER NOT NULL UNIQUE REFERENCES invoices (id),
    number        INTEGER NOT NULL UNIQUE,
    amount_cents  INTEGER NOT NULL CHECK (amount_cents > 0),
    issued_at     INTEGER NOT NULL
);
CREATE TABLE credit_note_sequences (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL CHECK (last >= 1)
);
