-- Who may do what, and what they did (models/auth). On SQLite the file's permissions are the real
-- boundary (docs/security.md): whoever may write the file may change anything in it. The roles keep
-- honest people to what their role allows, and the audit trail records what they did.
--
-- users: the people of this file and their role (viewer, operator, systemadmin). The OS user who
-- creates the file (or upgrades it to this version) becomes its system administrator: the program
-- puts its name in place of {os_user}. Nothing is ever deleted: a person who leaves is disabled.
CREATE TABLE users (
    name         TEXT    PRIMARY KEY,
    display_name TEXT    NOT NULL DEFAULT '',
    role         TEXT    NOT NULL CHECK (role = 'viewer' OR role = 'operator' OR role = 'systemadmin'),
    disabled     INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    created_by   TEXT    NOT NULL,
    updated_at   BIGINT  NOT NULL,
    updated_by   TEXT    NOT NULL
);
INSERT INTO users (name, role, created_at, created_by, updated_at, updated_by)
VALUES ({os_user}, 'systemadmin', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), 'system:migration',
        CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER), 'system:migration');

-- The audit trail: one row per change a person (or the program's own maintenance) made, and one per
-- refusal, written in the transaction of the change. `diff` is a JSON object (field → {"old", "new"};
-- secrets as "changed" only); `target_ids` a JSON array for display, one row per id in audit_targets
-- for "the history of job 12". Newest first is the primary key backwards: keyset pages, no COUNT(*).
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             BIGINT  NOT NULL,
    actor          TEXT    NOT NULL,
    actor_role     TEXT    NOT NULL,
    interface      TEXT    NOT NULL CHECK (interface = 'gui' OR interface = 'cli' OR interface = 'api'
                                           OR interface = 'worker' OR interface = 'system'),
    action         TEXT    NOT NULL,
    target_type    TEXT    NOT NULL DEFAULT '',
    target_ids     TEXT    NOT NULL DEFAULT '[]',
    diff           TEXT    NOT NULL DEFAULT '{}',
    outcome        TEXT    NOT NULL CHECK (outcome = 'done' OR outcome = 'refused'),
    client_address TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX idx_audit_actor ON audit_log (actor, id);
CREATE INDEX idx_audit_action ON audit_log (action, id);
CREATE INDEX idx_audit_target_type ON audit_log (target_type, id);
CREATE INDEX idx_audit_at ON audit_log (at);

CREATE TABLE audit_targets (
    target_type TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    audit_id    INTEGER NOT NULL REFERENCES audit_log (id) ON DELETE CASCADE,
    PRIMARY KEY (target_type, target_id, audit_id)
) WITHOUT ROWID;
CREATE INDEX idx_audit_targets_audit ON audit_targets (audit_id);

-- How long audit rows are kept (days, never less than 30); the cleanup job removes older ones.
INSERT OR IGNORE INTO app_settings (key, value) VALUES ('audit_retention_days', '400');

-- Append-only: no UPDATE, and a DELETE only of rows older than the retention period.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE of audit_log is refused');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.at >= CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) - 86400000 * MAX(30, COALESCE(
    (SELECT CAST(value AS INTEGER) FROM app_settings WHERE key = 'audit_retention_days'
     AND value GLOB '[0-9]*' AND NOT value GLOB '*[^0-9]*'), 400))
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE of audit_log is refused');
END;
CREATE TRIGGER audit_targets_no_update BEFORE UPDATE ON audit_targets
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE of audit_targets is refused');
END;
CREATE TRIGGER audit_targets_no_delete BEFORE DELETE ON audit_targets
WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = OLD.audit_id)
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE of audit_targets is refused');
END;
