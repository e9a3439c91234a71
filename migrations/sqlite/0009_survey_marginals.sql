-- The dashboard's unfiltered figures per day: all answers, and per service, agent, channel,
-- call-quality grade and "again" (kind, key), kept up to date in the transaction that stores each
-- answer. A view over a year reads ≈ 46 rows a day instead of every answer (docs/benchmarks.md).
CREATE TABLE survey_marginals (
    day    TEXT NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('all', 'service', 'agent', 'channel', 'grade', 'again')),
    key    TEXT NOT NULL,
    n      INTEGER NOT NULL,
    total  INTEGER NOT NULL,
    PRIMARY KEY (day, kind, key)
);
