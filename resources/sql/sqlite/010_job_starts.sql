-- Crash rescue tells the jobs a worker started from the ones it had only claimed (prefetched). While a
-- handler runs, its worker writes (job, attempt) here, in a batch every quarter second, never on the
-- claim or completion path (a job killed within a quarter second of its start counts as not started).
-- When the lease expires, a job without a row for its current attempt goes back to the queue without
-- spending a retry, its attempt recorded as 'not_started' (after three such rescues of one job they
-- spend retries again, so a job that kills its worker at once cannot loop forever). Rows leave with the
-- run: the worker deletes its own, the rescuer those it rescues.
CREATE TABLE job_starts (
    job_id    INTEGER NOT NULL,
    attempt   INTEGER NOT NULL,
    worker_id TEXT    NOT NULL,
    PRIMARY KEY (job_id, attempt)
) WITHOUT ROWID;
CREATE INDEX idx_job_starts_worker ON job_starts (worker_id);

-- The new attempt outcome. SQLite cannot alter a CHECK in place: the attempts are rebuilt as in 007.
CREATE TABLE job_attempts_rebuilt (
    job_id      INTEGER NOT NULL REFERENCES background_jobs (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    worker_id   TEXT    NOT NULL,
    started_at  BIGINT  NOT NULL,
    finished_at BIGINT  NOT NULL,
    outcome     TEXT    NOT NULL
                CHECK (outcome = 'completed' OR outcome = 'failed' OR outcome = 'cancelled' OR
                       outcome = 'timed_out' OR outcome = 'lost' OR outcome = 'interrupted' OR
                       outcome = 'not_started'),
    error       TEXT,
    PRIMARY KEY (job_id, attempt)
) WITHOUT ROWID;
INSERT INTO job_attempts_rebuilt (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
SELECT job_id, attempt, worker_id, started_at, finished_at, outcome, error FROM job_attempts;
DROP TABLE job_attempts;
ALTER TABLE job_attempts_rebuilt RENAME TO job_attempts;
CREATE INDEX idx_attempts_finished ON job_attempts (finished_at);
CREATE INDEX idx_attempts_worker_unfinished ON job_attempts (worker_id, finished_at, job_id, attempt)
    WHERE outcome <> 'completed';

-- A worker's lasting error (the database refuses its claims), written with its heartbeat and cleared
-- when the error is gone: hcmctl db info and the Workers page show it.
ALTER TABLE workers ADD COLUMN last_error TEXT;
ALTER TABLE workers ADD COLUMN last_error_at BIGINT;
