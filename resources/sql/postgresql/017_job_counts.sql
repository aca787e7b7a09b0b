-- Rows per status and job type, maintained, so that the jobs page, the status bar and `hcmctl jobs
-- counts` read a few dozen rows at any table size instead of counting millions (389 ms for a GROUP BY
-- over 1,000,000 jobs, every second, for every open window).
--
-- No hot row: job_counts only ever gets new rows (deltas: "+3 completed cache_flush", "-3 processing
-- cache_flush"), so two workers that claim or finish at the same time never wait for each other, and a
-- transaction that writes many deltas (an import through the view, one statement per row) does not
-- walk a growing chain of versions of one row. A reader sums the rows per status (and type).
-- job_counts_fold(), called by the workers' reaper and after an import, replaces the rows it sees by
-- one sum per (status, type), so the table stays short.
--
-- Moved per statement, not per row: statement triggers with transition tables on job_queue and
-- job_archive add up what one statement changed (a claim of a batch, a batch of completions, a cancel,
-- a cleanup's DELETE, an operator's UPDATE through the view) and insert one row per (status, type) it
-- touched. Every path that changes a job row goes through them, so the counts stay exact whoever writes.
-- The archive move of finished rows (009) changes nothing in the counts and is not counted twice: it
-- sets hcm.moving_jobs while it runs, and the counting triggers' WHEN skips its two statements.
CREATE TABLE job_counts (
    status   TEXT   NOT NULL,
    job_type TEXT   NOT NULL,
    n        BIGINT NOT NULL
);

CREATE FUNCTION job_counts_add_inserted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO job_counts (status, job_type, n)
    SELECT status, job_type, COUNT(*) FROM new_rows GROUP BY status, job_type;
    RETURN NULL;
END
$$;

CREATE FUNCTION job_counts_add_deleted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO job_counts (status, job_type, n)
    SELECT status, job_type, -COUNT(*) FROM old_rows GROUP BY status, job_type;
    RETURN NULL;
END
$$;

-- An UPDATE that changes neither status nor type (progress, cancel_requested, a heartbeat's lease)
-- sums to zero per group and writes nothing.
CREATE FUNCTION job_counts_add_updated() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO job_counts (status, job_type, n)
    SELECT status, job_type, SUM(d) FROM (
        SELECT status, job_type, 1 AS d FROM new_rows
        UNION ALL
        SELECT status, job_type, -1 AS d FROM old_rows) AS changes
    GROUP BY status, job_type HAVING SUM(d) <> 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER job_counts_insert AFTER INSERT ON job_queue REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (current_setting('hcm.moving_jobs', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION job_counts_add_inserted();
CREATE TRIGGER job_counts_delete AFTER DELETE ON job_queue REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (current_setting('hcm.moving_jobs', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION job_counts_add_deleted();
CREATE TRIGGER job_counts_update AFTER UPDATE ON job_queue REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_counts_add_updated();
CREATE TRIGGER job_counts_insert AFTER INSERT ON job_archive REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (current_setting('hcm.moving_jobs', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION job_counts_add_inserted();
CREATE TRIGGER job_counts_delete AFTER DELETE ON job_archive REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (current_setting('hcm.moving_jobs', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION job_counts_add_deleted();
CREATE TRIGGER job_counts_update AFTER UPDATE ON job_archive REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_counts_add_updated();

-- The move of finished rows into the archive (009) leaves the counts as they are: its DELETE and INSERT
-- are not counted (the UPDATE that finished the rows was).
CREATE OR REPLACE FUNCTION job_queue_archive_finished() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM set_config('hcm.moving_jobs', 'on', true);
    WITH moved AS (DELETE FROM job_queue WHERE status IN ('completed', 'failed', 'cancelled') RETURNING *)
    INSERT INTO job_archive SELECT * FROM moved;
    PERFORM set_config('hcm.moving_jobs', 'off', true);
    RETURN NULL;
END
$$;

-- Replaces the rows it sees by one sum per (status, type), leaving out sums of zero. Rows that
-- transactions still open are adding stay as they are (they are not visible yet) and are folded next
-- time; readers see the rows before or after, both the same sums. One caller at a time (the others
-- return at once).
CREATE FUNCTION job_counts_fold() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('hcm.job_counts_fold')) THEN
        RETURN;
    END IF;
    WITH gone AS (DELETE FROM job_counts RETURNING status, job_type, n)
    INSERT INTO job_counts (status, job_type, n)
    SELECT status, job_type, SUM(n) FROM gone GROUP BY status, job_type HAVING SUM(n) <> 0;
END
$$;

-- The triggers above hold the tables against writes from here to the end of this transaction (CREATE
-- TRIGGER locks them), so the first count sees every job and no change is missed or counted twice.
INSERT INTO job_counts (status, job_type, n)
SELECT status, job_type, COUNT(*) FROM background_jobs GROUP BY status, job_type;

-- Whoever may read the jobs may read their counts; writes happen only through the functions above
-- (SECURITY DEFINER: a worker's role needs no rights on job_counts). PUBLIC is a keyword, not a role.
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT DISTINCT r.grantee FROM information_schema.role_table_grants AS r
             WHERE r.table_schema = current_schema() AND r.table_name = 'job_queue'
               AND r.grantee <> current_user AND r.privilege_type = 'SELECT'
    LOOP
        EXECUTE format('GRANT SELECT ON job_counts TO %s',
                       CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END);
    END LOOP;
END
$$;
