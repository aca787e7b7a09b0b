-- The messages the programs make about a job ("Cannot open the log folder …") keep their English text
-- in the error columns (the HTTP API, hcmctl and the logs show it) and, beside it, a stable code and
-- its named arguments as JSON, so the desktop app shows them in the reader's language. NULL for texts
-- the programs pass on (a provider's answer, a database error) and for rows written before: they are
-- shown as they are.
ALTER TABLE background_jobs ADD COLUMN error_code TEXT;
ALTER TABLE background_jobs ADD COLUMN error_args TEXT;
ALTER TABLE job_attempts ADD COLUMN error_code TEXT;
ALTER TABLE job_attempts ADD COLUMN error_args TEXT;
