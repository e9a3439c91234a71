-- The comment as the dashboard's text search compares it: lowercased by balie (all of Unicode,
-- Rust's to_lowercase) when the answer is stored, and the search text likewise, so "école"
-- finds "École" on SQLite too, whose LOWER folds ASCII only. Answers stored before this
-- migration get the database's LOWER.
ALTER TABLE survey_answers ADD COLUMN comment_folded TEXT;
UPDATE survey_answers SET comment_folded = LOWER(comment) WHERE comment IS NOT NULL;
