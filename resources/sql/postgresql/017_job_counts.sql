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

-- Completed and failed jobs per minute of completed_at for the last day, for the chart and the status
-- bar's rate: deltas as in job_counts, from statement triggers on job_archive (every finished job lands
-- there: a batch of completions, the move of failures and cancels, an import, SQL through the view).
-- The chart reads a few hundred rows instead of every job that finished in the last hour (at 15,000
-- jobs per second, 200,000 rows and 227 ms per read). Rows of minutes older than a day are dropped by
-- job_counts_fold(); a job older than a day changes nothing here.
CREATE TABLE job_minute_counts (
    minute BIGINT NOT NULL, -- completed_at / 60000
    status TEXT   NOT NULL,
    n      BIGINT NOT NULL
);
CREATE INDEX idx_job_minute_counts ON job_minute_counts (minute);

CREATE FUNCTION job_minutes_add() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path FROM CURRENT AS $$
DECLARE
    since BIGINT := (extract(epoch FROM statement_timestamp()) * 1000)::bigint - 86400000;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO job_minute_counts (minute, status, n)
        SELECT completed_at / 60000, status, COUNT(*) FROM new_rows
        WHERE status IN ('completed', 'failed') AND completed_at >= since GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO job_minute_counts (minute, status, n)
        SELECT completed_at / 60000, status, -COUNT(*) FROM old_rows
        WHERE status IN ('completed', 'failed') AND completed_at >= since GROUP BY 1, 2;
    ELSE
        INSERT INTO job_minute_counts (minute, status, n)
        SELECT minute, status, SUM(d) FROM (
            SELECT completed_at / 60000 AS minute, status, 1 AS d FROM new_rows
            WHERE status IN ('completed', 'failed') AND completed_at >= since
            UNION ALL
            SELECT completed_at / 60000, status, -1 FROM old_rows
            WHERE status IN ('completed', 'failed') AND completed_at >= since) AS changes
        GROUP BY 1, 2 HAVING SUM(d) <> 0;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER job_minutes_insert AFTER INSERT ON job_archive REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_minutes_add();
CREATE TRIGGER job_minutes_delete AFTER DELETE ON job_archive REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_minutes_add();
CREATE TRIGGER job_minutes_update AFTER UPDATE ON job_archive REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_minutes_add();

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

-- Replaces the rows it sees by one sum per (status, type), leaving out sums of zero (and those of
-- job_minute_counts by one per minute and status, leaving out minutes older than a day). Rows that
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
    WITH gone AS (DELETE FROM job_minute_counts RETURNING minute, status, n)
    INSERT INTO job_minute_counts (minute, status, n)
    SELECT minute, status, SUM(n) FROM gone
    WHERE minute >= ((extract(epoch FROM statement_timestamp()) * 1000)::bigint - 86400000) / 60000
    GROUP BY minute, status HAVING SUM(n) <> 0;
END
$$;

-- The triggers above hold the tables against writes from here to the end of this transaction (CREATE
-- TRIGGER locks them), so the first count sees every job and no change is missed or counted twice.
INSERT INTO job_counts (status, job_type, n)
SELECT status, job_type, COUNT(*) FROM background_jobs GROUP BY status, job_type;
INSERT INTO job_minute_counts (minute, status, n)
SELECT completed_at / 60000, status, COUNT(*) FROM job_archive
WHERE status IN ('completed', 'failed')
  AND completed_at >= (extract(epoch FROM statement_timestamp()) * 1000)::bigint - 86400000
GROUP BY 1, 2;

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
        EXECUTE format('GRANT SELECT ON job_counts, job_minute_counts TO %s',
                       CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END);
    END LOOP;
END
$$;
