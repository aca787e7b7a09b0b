-- The messages the programs make about a job ("Cannot open the log folder …") keep their English text
-- in the error columns (the HTTP API, hcmctl and the logs show it) and, beside it, a stable code and
-- its named arguments as JSON, so the desktop app shows them in the reader's language. NULL for texts
-- the programs pass on (a provider's answer, a database error) and for rows written before: they are
-- shown as they are. The PostgreSQL twin of sqlite/018_job_error_codes.sql.
--
-- Both job tables get the columns at the same positions (the end), so the rows the archive trigger
-- moves with SELECT * still line up; the view is replaced with the columns added at its end, which
-- keeps its defaults, its INSTEAD OF trigger and its grants (as 011 did for schedule_id).
ALTER TABLE job_queue ADD COLUMN error_code TEXT, ADD COLUMN error_args TEXT;
ALTER TABLE job_archive ADD COLUMN error_code TEXT, ADD COLUMN error_args TEXT;
CREATE OR REPLACE VIEW background_jobs AS
    SELECT * FROM job_queue
    UNION ALL
    SELECT * FROM job_archive;
ALTER TABLE job_attempts ADD COLUMN error_code TEXT, ADD COLUMN error_args TEXT;
