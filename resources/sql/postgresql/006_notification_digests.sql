-- PostgreSQL dialect of sqlite/006_notification_digests.sql: same tables and column names.
-- Alert digests (digest_frequency hourly or daily). An alert waits in notification_digest_items until
-- the digest that carries it is delivered. notification_digests holds one row per delivery time: its
-- primary key due_at is what makes every process that collects an alert for that time find the same
-- digest, so exactly one notify job (job_id) delivers it, however many workers raced to schedule it.
--
-- state: scheduled (collecting, not started) -> sending (a worker delivers it) -> delivered, or failed
-- (the last attempt failed; the job retries with backoff, and a later digest takes over its items).
-- Timestamps are UTC milliseconds since the epoch.

CREATE TABLE notification_digests (
    due_at     BIGINT  PRIMARY KEY,
    job_id     BIGINT  NOT NULL,
    frequency  TEXT    NOT NULL CHECK (frequency IN ('hourly', 'daily', 'immediate')),
    state      TEXT    NOT NULL DEFAULT 'scheduled'
               CHECK (state IN ('scheduled', 'sending', 'failed', 'delivered')),
    item_count INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
CREATE INDEX idx_digests_job ON notification_digests (job_id);
CREATE INDEX idx_digests_open ON notification_digests (state) WHERE state <> 'delivered';

CREATE TABLE notification_digest_items (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    digest_due_at BIGINT  NOT NULL,
    event         TEXT    NOT NULL,
    source_job_id BIGINT  NOT NULL,
    job_type      TEXT    NOT NULL,
    error         TEXT,
    retry_count   INTEGER NOT NULL DEFAULT 0,
    max_retries   INTEGER NOT NULL DEFAULT 0,
    next_run_at   BIGINT,
    created_at    BIGINT  NOT NULL,
    delivered_at  BIGINT
);
CREATE INDEX idx_digest_items_pending ON notification_digest_items (digest_due_at) WHERE delivered_at IS NULL;
CREATE INDEX idx_digest_items_source ON notification_digest_items (source_job_id);
CREATE INDEX idx_digest_items_delivered ON notification_digest_items (delivered_at) WHERE delivered_at IS NOT NULL;
