-- Job types whose queued jobs wait: a worker claims no job of a type listed here, and the row '*'
-- pauses every type (the whole deployment). Jobs of a paused type are still accepted and queued (in
-- job_queue, see 009); running ones finish. Deleting the row resumes the type. paused_by names who
-- paused it (an Actor name), paused_at when (UTC milliseconds since the epoch, the server's clock).
--
-- Workers read this table when they wake (a NOTIFY 'paused|…' on hcm_jobs, sent in the transaction
-- that pauses or resumes, an enqueue) and at their poll, and leave the paused types out of the types
-- they claim: the claim statement itself does not read it, so a deployment with nothing paused pays
-- nothing for it. Workers only read it (hcm_worker has SELECT on every table, see docs/postgresql.md).
CREATE TABLE paused_job_types (
    job_type  TEXT   PRIMARY KEY,
    paused_by TEXT   NOT NULL,
    paused_at BIGINT NOT NULL
);
-- Whoever may read the job queue may read the paused types (a worker's role must, to claim). Pausing
-- and resuming stay with the owner until roles exist. PUBLIC is a keyword, not a role name.
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT DISTINCT r.grantee FROM information_schema.role_table_grants AS r
             WHERE r.table_schema = current_schema() AND r.table_name = 'job_queue'
               AND r.grantee <> current_user AND r.privilege_type = 'SELECT'
    LOOP
        EXECUTE format('GRANT SELECT ON paused_job_types TO %s',
                       CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END);
    END LOOP;
END
$$;
