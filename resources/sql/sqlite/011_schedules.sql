-- Recurring schedules: a cron expression in an IANA time zone that makes one job per due time.
-- next_run_at is the due slot a scheduler claims: in the claim's BEGIN IMMEDIATE transaction the row is
-- read again and updated only where next_run_at still holds the slot it read (compare-and-set), so two
-- processes on one file make exactly one job per slot. A NULL next_run_at is computed by the next
-- scheduler that looks (the maintenance schedules below, a schedule switched on).
CREATE TABLE schedules (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT    NOT NULL UNIQUE,
    job_type       TEXT    NOT NULL,
    payload        TEXT    NOT NULL DEFAULT '{}',
    priority       INTEGER NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    max_retries    INTEGER NOT NULL DEFAULT 3 CHECK (max_retries BETWEEN 0 AND 25),
    cron           TEXT    NOT NULL,
    time_zone      TEXT    NOT NULL,
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled = 0 OR enabled = 1),
    overlap_policy TEXT    NOT NULL DEFAULT 'skip' CHECK (overlap_policy = 'skip' OR overlap_policy = 'allow'),
    missed_policy  TEXT    NOT NULL DEFAULT 'run_once' CHECK (missed_policy = 'run_once' OR missed_policy = 'skip'),
    next_run_at    BIGINT,
    last_run_at    BIGINT,
    last_job_id    BIGINT,
    created_at     BIGINT  NOT NULL,
    created_by     TEXT    NOT NULL,
    updated_at     BIGINT  NOT NULL,
    updated_by     TEXT    NOT NULL
);
-- The scheduler's only question: the earliest due slot of the enabled schedules.
CREATE INDEX idx_schedules_due ON schedules (next_run_at) WHERE enabled = 1;

-- The jobs a schedule made carry its id (the jobs page filters by it). No foreign key: deleting a
-- schedule keeps the history of its jobs.
ALTER TABLE background_jobs ADD COLUMN schedule_id BIGINT;
CREATE INDEX idx_jobs_schedule ON background_jobs (schedule_id, id) WHERE schedule_id IS NOT NULL;

-- The product's own maintenance, in the zone of the machine that creates (or upgrades) the database;
-- the program puts its zone in place of {system_time_zone}.
INSERT INTO schedules (name, job_type, payload, cron, time_zone, created_at, created_by, updated_at,
                                 updated_by)
VALUES ('log_rotate', 'log_rotate', '{}', '0 3 * * *', {system_time_zone},
        CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), 'system:migration',
        CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), 'system:migration'),
       ('cleanup', 'cleanup', '{}', '30 3 * * *', {system_time_zone},
        CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), 'system:migration',
        CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), 'system:migration')
ON CONFLICT (name) DO NOTHING;
