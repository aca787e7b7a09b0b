-- Background jobs, their attempts, the worker registry, the application cache and settings.
-- Timestamps are UTC milliseconds since the Unix epoch (BIGINT), NULL where not yet known.

CREATE TABLE background_jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    job_type         TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
    priority         INTEGER NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    payload          TEXT    NOT NULL DEFAULT '{}',
    result           TEXT,
    error_message    TEXT,
    retry_count      INTEGER NOT NULL DEFAULT 0,
    max_retries      INTEGER NOT NULL DEFAULT 3 CHECK (max_retries BETWEEN 0 AND 25),
    attempts         INTEGER NOT NULL DEFAULT 0,
    run_at           BIGINT  NOT NULL,
    created_at       BIGINT  NOT NULL,
    started_at       BIGINT,
    completed_at     BIGINT,
    updated_at       BIGINT  NOT NULL,
    created_by       TEXT    NOT NULL,
    worker_id        TEXT,
    lease_expires_at BIGINT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress         REAL
);

-- The claim: due queued jobs by priority, then run_at, then id.
CREATE INDEX idx_jobs_queue ON background_jobs (priority DESC, run_at, id) WHERE status = 'queued';
-- The reaper and heartbeats: running jobs by lease and by owner.
CREATE INDEX idx_jobs_lease ON background_jobs (lease_expires_at) WHERE status = 'processing';
CREATE INDEX idx_jobs_worker ON background_jobs (worker_id) WHERE status = 'processing';
-- Filters and sorts offered by lists: status, type, and the time columns.
CREATE INDEX idx_jobs_status ON background_jobs (status, id);
CREATE INDEX idx_jobs_type ON background_jobs (job_type, id);
CREATE INDEX idx_jobs_priority ON background_jobs (priority, id);
CREATE INDEX idx_jobs_created ON background_jobs (created_at, id);
CREATE INDEX idx_jobs_started ON background_jobs (started_at, id);
CREATE INDEX idx_jobs_completed ON background_jobs (completed_at, id);

CREATE TABLE job_attempts (
    job_id      INTEGER NOT NULL REFERENCES background_jobs (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    worker_id   TEXT    NOT NULL,
    started_at  BIGINT  NOT NULL,
    finished_at BIGINT  NOT NULL,
    outcome     TEXT    NOT NULL
                CHECK (outcome IN ('completed', 'failed', 'cancelled', 'timed_out', 'lost', 'interrupted')),
    error       TEXT,
    PRIMARY KEY (job_id, attempt)
) WITHOUT ROWID;
CREATE INDEX idx_attempts_finished ON job_attempts (finished_at);

CREATE TABLE workers (
    id           TEXT    PRIMARY KEY,
    host         TEXT    NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   BIGINT  NOT NULL,
    heartbeat_at BIGINT  NOT NULL,
    concurrency  INTEGER NOT NULL,
    running      INTEGER NOT NULL DEFAULT 0,
    version      TEXT    NOT NULL,
    stopped_at   BIGINT
);

CREATE TABLE cache_entries (
    cache_key  TEXT   PRIMARY KEY,
    value      BLOB,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX idx_cache_expires ON cache_entries (expires_at);

CREATE TABLE app_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO app_settings (key, value) VALUES ('retention_days', '30');
