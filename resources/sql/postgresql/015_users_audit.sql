-- Who may do what, and what they did (models/auth).
--
-- users: the people of this database and their role (viewer, operator, systemadmin). On PostgreSQL the
-- login role is the identity and its membership of the group roles below gives its role; a row here
-- adds a display name and can disable a login for the programs. Nothing is ever deleted: a person who
-- leaves is disabled.
CREATE TABLE users (
    name         TEXT    PRIMARY KEY,
    display_name TEXT    NOT NULL DEFAULT '',
    role         TEXT    NOT NULL CHECK (role = 'viewer' OR role = 'operator' OR role = 'systemadmin'),
    disabled     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT  NOT NULL,
    created_by   TEXT    NOT NULL,
    updated_at   BIGINT  NOT NULL,
    updated_by   TEXT    NOT NULL
);

-- The audit trail: one row per change a person (or the program's own maintenance) made, and one per
-- refusal, written in the transaction of the change. `at` is the server's clock (set by the insert
-- trigger below, whatever the client sends); `diff` is a JSON object (field → {"old", "new"}; secrets
-- as "changed" only); `target_ids` a JSON array of the ids for display, one row per id in
-- audit_targets for "the history of job 12". Newest first is the primary key backwards: pages are
-- keyset pages (id < the last id seen), never OFFSET, never COUNT(*).
CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             BIGINT NOT NULL DEFAULT (extract(epoch from statement_timestamp()) * 1000)::bigint,
    actor          TEXT   NOT NULL,
    actor_role     TEXT   NOT NULL,
    interface      TEXT   NOT NULL CHECK (interface = 'gui' OR interface = 'cli' OR interface = 'api'
                                          OR interface = 'worker' OR interface = 'system'),
    action         TEXT   NOT NULL,
    target_type    TEXT   NOT NULL DEFAULT '',
    target_ids     TEXT   NOT NULL DEFAULT '[]',
    diff           TEXT   NOT NULL DEFAULT '{}',
    outcome        TEXT   NOT NULL CHECK (outcome = 'done' OR outcome = 'refused'),
    client_address TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX idx_audit_actor ON audit_log (actor, id);
CREATE INDEX idx_audit_action ON audit_log (action, id);
CREATE INDEX idx_audit_target_type ON audit_log (target_type, id);
CREATE INDEX idx_audit_at ON audit_log (at);

CREATE TABLE audit_targets (
    target_type TEXT   NOT NULL,
    target_id   TEXT   NOT NULL,
    audit_id    BIGINT NOT NULL REFERENCES audit_log (id) ON DELETE CASCADE,
    PRIMARY KEY (target_type, target_id, audit_id)
);
CREATE INDEX idx_audit_targets_audit ON audit_targets (audit_id);

-- How long audit rows are kept (days); the cleanup job removes older ones through audit_log_purge().
-- Never less than 30 days, whatever the setting says.
INSERT INTO app_settings (key, value) VALUES ('audit_retention_days', '400') ON CONFLICT (key) DO NOTHING;

CREATE FUNCTION audit_retention_days() RETURNS bigint LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT GREATEST(30, COALESCE((SELECT CASE WHEN value ~ '^[0-9]{1,6}$' THEN value::bigint END
                                  FROM app_settings WHERE key = 'audit_retention_days'), 400))
$$;

-- Append-only: no UPDATE, no TRUNCATE, and a DELETE only of rows older than the retention period,
-- for every role (the owner included, as long as the trigger is enabled; only the owner could disable
-- it). The shipped group roles and the worker role have no UPDATE or DELETE on the table at all.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.at := (extract(epoch from statement_timestamp()) * 1000)::bigint;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND OLD.at < (extract(epoch from statement_timestamp()) * 1000)::bigint
                                      - 86400000 * audit_retention_days() THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % of audit_log is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE INSERT OR UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE FUNCTION audit_targets_append_only() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    -- A target row goes only with its audit row (ON DELETE CASCADE, once that row is gone).
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM audit_log WHERE id = OLD.audit_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % of audit_targets is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_targets_append_only BEFORE UPDATE OR DELETE ON audit_targets
    FOR EACH ROW EXECUTE FUNCTION audit_targets_append_only();
CREATE TRIGGER audit_targets_no_truncate BEFORE TRUNCATE ON audit_targets
    FOR EACH STATEMENT EXECUTE FUNCTION audit_targets_append_only();

-- The retention, applied by the cleanup job whatever role its worker has: removes only what the
-- trigger lets go (rows older than the retention period) and says how many.
CREATE FUNCTION audit_log_purge() RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
    SET search_path FROM CURRENT AS $$
DECLARE
    n bigint;
BEGIN
    DELETE FROM audit_log WHERE at < (extract(epoch from statement_timestamp()) * 1000)::bigint
                                     - 86400000 * audit_retention_days();
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- Whoever may change jobs (the worker role) writes audit rows (the cleanup's own) and reads the users
-- (nothing else of the audit trail). Before the group roles below get their rights.
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT DISTINCT r.grantee FROM information_schema.role_table_grants AS r
             WHERE r.table_schema = current_schema() AND r.table_name = 'job_queue'
               AND r.grantee <> current_user AND r.privilege_type = 'UPDATE'
    LOOP
        EXECUTE format('GRANT INSERT ON audit_log, audit_targets TO %1$s; GRANT SELECT (id) ON audit_log TO %1$s; '
                       'GRANT SELECT ON users TO %1$s',
                       CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END);
    END LOOP;
END
$$;

-- The group roles of the permission table (models/auth/permissions.cpp), enforced by the database:
--   hcm_viewer   reads jobs, workers, schedules, settings (the secrets are ciphertext; the key is not
--                in the database); writes nothing but its own refusals to the audit trail;
--   hcm_operator + creates, cancels, retries and deletes jobs, pauses job types, runs schedules now,
--                logs test deliveries;
--   hcm_admin    + everything else: settings, schedules, users, the audit trail (read; it is
--                append-only for everyone).
-- A person is a LOGIN role made a member of one of them (docs/postgresql.md). Creating the group roles
-- needs CREATEROLE: without it, this function says so and grants what it can; a superuser creates the
-- three roles and runs SELECT hcm_apply_role_grants(); as the owner (docs/postgresql.md).
CREATE FUNCTION hcm_apply_role_grants() RETURNS text LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    r text;
    t record;
    missing text := '';
    may_create boolean;
BEGIN
    SELECT rolsuper OR rolcreaterole INTO may_create FROM pg_roles WHERE rolname = current_user;
    FOREACH r IN ARRAY ARRAY['hcm_viewer', 'hcm_operator', 'hcm_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            IF may_create THEN
                BEGIN
                    EXECUTE format('CREATE ROLE %I NOLOGIN', r);
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL; -- another database of the cluster created it at the same moment
                END;
            ELSE
                missing := missing || ' ' || r;
                CONTINUE;
            END IF;
        END IF;
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), r);
        FOR t IN SELECT c.relname FROM pg_class AS c
                 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'p')
        LOOP
            IF t.relname IN ('audit_log', 'audit_targets') THEN
                EXECUTE format('GRANT INSERT ON %I TO %I', t.relname, r);
                IF t.relname = 'audit_log' THEN
                    -- the id of the row just written (INSERT … RETURNING id), for its targets
                    EXECUTE format('GRANT SELECT (id) ON %I TO %I', t.relname, r);
                END IF;
                IF r = 'hcm_admin' THEN
                    EXECUTE format('GRANT SELECT ON %I TO %I', t.relname, r);
                END IF;
            ELSIF r = 'hcm_admin' AND t.relname <> 'schema_migrations' THEN
                EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO %I', t.relname, r);
            ELSE
                EXECUTE format('GRANT SELECT ON %I TO %I', t.relname, r);
                IF r = 'hcm_operator' AND t.relname IN ('job_queue', 'job_archive', 'background_jobs',
                                                       'job_attempts', 'job_starts', 'paused_job_types',
                                                       'notification_deliveries', 'rate_limit_events') THEN
                    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON %I TO %I', t.relname, r);
                ELSIF r = 'hcm_operator' AND t.relname = 'schedules' THEN
                    -- "run now" records its run; changing a schedule stays with hcm_admin
                    EXECUTE format('GRANT UPDATE (last_run_at, last_job_id) ON %I TO %I', t.relname, r);
                END IF;
            END IF;
        END LOOP;
        IF r <> 'hcm_viewer' THEN
            EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO %I', current_schema(), r);
        END IF;
    END LOOP;
    IF missing <> '' THEN
        RAISE NOTICE 'the group roles% do not exist and % may not create them: as a superuser run CREATE ROLE … NOLOGIN for each, then SELECT hcm_apply_role_grants(); as %', missing, current_user, current_user;
        RETURN 'missing:' || missing;
    END IF;
    RETURN 'ok';
END
$$;
SELECT hcm_apply_role_grants();
