-- The PostgreSQL twin of sqlite/010_job_starts.sql. Crash rescue tells the jobs a worker started from
-- the ones it had only claimed (prefetched). While a handler runs, its worker writes (job, attempt)
-- here, in a batch every quarter second, never on the claim or completion path (a job killed within a
-- quarter second of its start counts as not started). When the lease expires, a job without a row for
-- its current attempt goes back to the queue without spending a retry, its attempt recorded as
-- 'not_started' (after three such rescues of one job they spend retries again, so a job that kills its
-- worker at once cannot loop forever). Rows leave with the run: the worker deletes its own, the
-- rescuer those it rescues. A table of its own, not a job column: job_queue and job_archive stay as
-- they are (see 009).
CREATE TABLE job_starts (
    job_id    BIGINT  NOT NULL,
    attempt   INTEGER NOT NULL,
    worker_id TEXT    NOT NULL,
    PRIMARY KEY (job_id, attempt)
);
CREATE INDEX idx_job_starts_worker ON job_starts (worker_id);

ALTER TABLE job_attempts DROP CONSTRAINT IF EXISTS job_attempts_outcome_check;
ALTER TABLE job_attempts ADD CONSTRAINT job_attempts_outcome_check
    CHECK (outcome IN ('completed', 'failed', 'cancelled', 'timed_out', 'lost', 'interrupted', 'not_started'));

-- A worker's lasting error (the database refuses its claims), written with its heartbeat and cleared
-- when the error is gone: hcmctl db info and the Workers page show it.
ALTER TABLE workers ADD COLUMN last_error TEXT;
ALTER TABLE workers ADD COLUMN last_error_at BIGINT;

-- Whoever may write attempts (a worker's role) may write start markers.
DO $$
DECLARE
    g record;
    grantee text;
BEGIN
    FOR g IN SELECT DISTINCT r.grantee, r.privilege_type FROM information_schema.role_table_grants AS r
             WHERE r.table_schema = current_schema() AND r.table_name = 'job_attempts'
               AND r.grantee <> current_user AND r.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
    LOOP
        grantee := CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END;
        EXECUTE format('GRANT %s ON job_starts TO %s', g.privilege_type, grantee);
    END LOOP;
END
$$;
