-- Invoice numbers run per calendar year without gaps (Belgian VAT rules ask for one unbroken
-- series): the year's counter is raised in the transaction that issues the invoice, so a rolled
-- back issue gives its number back, and concurrent issues queue on the year's row. Before this
-- table the number came from the invoice id (global, and with gaps on PostgreSQL).
CREATE TABLE invoice_sequences (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL CHECK (last >= 1)
);
INSERT INTO invoice_sequences (year, last)
    SELECT number / 1000000, MAX(number % 1000000) FROM invoices WHERE number > 0 GROUP BY number / 1000000;
