-- Notification settings (one organisation-wide row, optimistic concurrency through `version`), the log of
-- every delivery attempt, and rate-limit events shared by every process (test sends: 5 per minute).
-- Secrets (*_enc) hold libsodium secretbox ciphertext ("v1:<key id>:<base64>"), never plaintext.
-- Lists (recipients) are JSON arrays of strings. Timestamps are UTC milliseconds since the epoch.

CREATE TABLE notification_settings (
    id                     INTEGER PRIMARY KEY CHECK (id = 1),
    version                INTEGER NOT NULL DEFAULT 1,
    email_enabled          INTEGER NOT NULL DEFAULT 0,
    smtp_host              TEXT    NOT NULL DEFAULT '',
    smtp_port              INTEGER NOT NULL DEFAULT 587,
    smtp_security          TEXT    NOT NULL DEFAULT 'starttls' CHECK (smtp_security IN ('none', 'starttls', 'tls')),
    smtp_username          TEXT    NOT NULL DEFAULT '',
    smtp_password_enc      TEXT,
    email_from_address     TEXT    NOT NULL DEFAULT '',
    email_from_name        TEXT    NOT NULL DEFAULT '',
    email_reply_to         TEXT    NOT NULL DEFAULT '',
    email_recipients       TEXT    NOT NULL DEFAULT '[]',
    sms_enabled            INTEGER NOT NULL DEFAULT 0,
    sms_provider           TEXT    NOT NULL DEFAULT 'twilio',
    twilio_account_sid     TEXT    NOT NULL DEFAULT '',
    twilio_auth_token_enc  TEXT,
    sms_from_number        TEXT    NOT NULL DEFAULT '',
    sms_recipients         TEXT    NOT NULL DEFAULT '[]',
    twilio_base_url        TEXT    NOT NULL DEFAULT 'https://api.twilio.com',
    slack_enabled          INTEGER NOT NULL DEFAULT 0,
    slack_webhook_url_enc  TEXT,
    slack_channel          TEXT    NOT NULL DEFAULT '',
    notify_job_failed      INTEGER NOT NULL DEFAULT 1,
    notify_job_succeeded   INTEGER NOT NULL DEFAULT 0,
    notify_job_retried     INTEGER NOT NULL DEFAULT 0,
    notify_worker_lost     INTEGER NOT NULL DEFAULT 1,
    quiet_hours_enabled    INTEGER NOT NULL DEFAULT 0,
    quiet_hours_start      TEXT    NOT NULL DEFAULT '22:00',
    quiet_hours_end        TEXT    NOT NULL DEFAULT '07:00',
    quiet_hours_timezone   TEXT    NOT NULL DEFAULT 'UTC',
    digest_frequency       TEXT    NOT NULL DEFAULT 'immediate'
                           CHECK (digest_frequency IN ('immediate', 'hourly', 'daily')),
    tls_ca_file            TEXT    NOT NULL DEFAULT '',
    updated_by             TEXT    NOT NULL DEFAULT '',
    updated_at             BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO notification_settings (id) VALUES (1);

CREATE TABLE notification_deliveries (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id            INTEGER,
    source_job_id     INTEGER,
    channel           TEXT    NOT NULL CHECK (channel IN ('email', 'sms', 'slack')),
    recipient         TEXT    NOT NULL,
    event             TEXT    NOT NULL,
    outcome           TEXT    NOT NULL CHECK (outcome IN ('delivered', 'failed')),
    provider_response TEXT,
    error             TEXT,
    latency_ms        BIGINT  NOT NULL DEFAULT 0,
    created_at        BIGINT  NOT NULL,
    created_by        TEXT    NOT NULL
);
CREATE INDEX idx_deliveries_job ON notification_deliveries (job_id, id);
CREATE INDEX idx_deliveries_source ON notification_deliveries (source_job_id, id);
CREATE INDEX idx_deliveries_created ON notification_deliveries (created_at);

CREATE TABLE rate_limit_events (
    bucket TEXT   NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX idx_rate_limit ON rate_limit_events (bucket, at);
