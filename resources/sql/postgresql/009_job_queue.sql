-- Queued and running jobs in a table of their own: job_queue, with the claim, owner and primary key
-- indexes only. A job moves into job_archive, the old background_jobs table with the list indexes
-- (status, type, priority, created, started, completed), in the transaction that finishes it, and back
-- when it is retried. Every claim and completion rewrites a job row, and PostgreSQL writes a new entry
-- into every index of the table for each rewrite: a running job no longer touches the six list indexes.
-- Readers see one table, the view background_jobs (job_queue UNION ALL job_archive); a job is in
-- exactly one of the two at any snapshot.
--
-- Writers: the job store writes job_queue and job_archive directly. An UPDATE of job_queue that finishes
-- jobs leaves them there for the rest of its statement only: a statement trigger moves every finished row
-- into job_archive. Writes to the view (an operator's SQL, the tests) go to the table holding the row.
-- A later migration that adds a column adds it to both tables, in the same position, and recreates the
-- view (its SELECT * was expanded when it was created).

-- Job ids come from a sequence both tables share, continuing where the identity column stopped.
CREATE SEQUENCE job_ids AS BIGINT;
SELECT setval('job_ids', v) FROM (
    SELECT GREATEST(COALESCE(pg_sequence_last_value(pg_get_serial_sequence('background_jobs', 'id')::regclass), 0),
                    COALESCE((SELECT max(id) FROM background_jobs), 0)) AS v) AS s
WHERE v > 0;
ALTER TABLE background_jobs ALTER COLUMN id DROP IDENTITY;
-- The attempts outlive the foreign key (a job's row moves between two tables); whoever deletes a job
-- deletes its attempts.
ALTER TABLE job_attempts DROP CONSTRAINT IF EXISTS job_attempts_job_id_fkey;
ALTER TABLE background_jobs RENAME TO job_archive;
ALTER TABLE job_archive RENAME CONSTRAINT background_jobs_pkey TO job_archive_pkey;

CREATE TABLE job_queue (LIKE job_archive INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
-- Half-empty pages: the claim's new row version finds room in its own page (measured: 5-10 % more
-- jobs per second in a burn-down than with full pages, where every claim extended the table).
ALTER TABLE job_queue SET (fillfactor = 50);
ALTER TABLE job_queue ALTER COLUMN id SET DEFAULT nextval('job_ids');
ALTER TABLE job_queue ADD CONSTRAINT job_queue_pkey PRIMARY KEY (id);
INSERT INTO job_queue SELECT * FROM job_archive WHERE status IN ('queued', 'processing');
DELETE FROM job_archive WHERE status IN ('queued', 'processing');
ALTER TABLE job_archive ADD CONSTRAINT job_archive_finished CHECK (status IN ('completed', 'failed', 'cancelled'));

DROP INDEX idx_jobs_queue;
DROP INDEX idx_jobs_worker;
-- The claim: due queued jobs by priority, then run_at, then id.
CREATE INDEX idx_queue_due ON job_queue (priority DESC, run_at, id) WHERE status = 'queued';
-- Heartbeats, the reaper and the Workers page: running jobs by owner.
CREATE INDEX idx_queue_worker ON job_queue (worker_id) WHERE status = 'processing';
-- Finished rows between an UPDATE and its statement trigger (empty otherwise): the trigger finds them
-- here, and a query for finished jobs skips job_queue through it.
CREATE INDEX idx_queue_finished ON job_queue (id) WHERE status IN ('completed', 'failed', 'cancelled');

-- Three indexes fewer on the rows every job writes once, where they served rare reads: priority
-- orders the jobs that wait (job_queue, a sort of the unfinished jobs only), and the archive sorted by
-- priority or by start time is a top-N sort (measured in docs/benchmarks.md); attempts older than the
-- retention are found by the daily cleanup's scan.
DROP INDEX idx_jobs_priority;
DROP INDEX idx_jobs_started;
DROP INDEX idx_attempts_finished;

CREATE FUNCTION job_queue_archive_finished() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    WITH moved AS (DELETE FROM job_queue WHERE status IN ('completed', 'failed', 'cancelled') RETURNING *)
    INSERT INTO job_archive SELECT * FROM moved;
    RETURN NULL;
END
$$;
CREATE TRIGGER job_queue_archive_finished_update AFTER UPDATE OF status ON job_queue
    FOR EACH STATEMENT EXECUTE FUNCTION job_queue_archive_finished();
CREATE TRIGGER job_queue_archive_finished_insert AFTER INSERT ON job_queue
    FOR EACH STATEMENT EXECUTE FUNCTION job_queue_archive_finished();

CREATE VIEW background_jobs AS
    SELECT * FROM job_queue
    UNION ALL
    SELECT * FROM job_archive;
ALTER VIEW background_jobs ALTER COLUMN id SET DEFAULT nextval('job_ids');
ALTER VIEW background_jobs ALTER COLUMN status SET DEFAULT 'queued';
ALTER VIEW background_jobs ALTER COLUMN priority SET DEFAULT 1;
ALTER VIEW background_jobs ALTER COLUMN payload SET DEFAULT '{}';
ALTER VIEW background_jobs ALTER COLUMN retry_count SET DEFAULT 0;
ALTER VIEW background_jobs ALTER COLUMN max_retries SET DEFAULT 3;
ALTER VIEW background_jobs ALTER COLUMN attempts SET DEFAULT 0;
ALTER VIEW background_jobs ALTER COLUMN cancel_requested SET DEFAULT 0;

-- Writes through the view (an operator's SQL; the programs write the tables): a new row goes to
-- job_queue (a finished one on to job_archive), and its id must be new to both tables. A changed or
-- deleted row is first locked where it is now and compared with the row the statement read: a row that
-- changed meanwhile (a worker completed it, the reaper requeued it) is left alone, as a plain UPDATE
-- re-checks its WHERE clause and skips it. A deleted job takes its attempts with it.
CREATE FUNCTION background_jobs_write() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    queued boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM job_archive WHERE id = NEW.id) THEN
            RAISE unique_violation USING MESSAGE = format('job %s exists already', NEW.id);
        END IF;
        INSERT INTO job_queue SELECT NEW.*;
        RETURN NEW;
    END IF;
    PERFORM 1 FROM job_queue AS q WHERE q.id = OLD.id AND ROW(q.*) IS NOT DISTINCT FROM ROW(OLD.*) FOR UPDATE;
    queued := FOUND;
    IF NOT queued THEN
        PERFORM 1 FROM job_archive AS a WHERE a.id = OLD.id AND ROW(a.*) IS NOT DISTINCT FROM ROW(OLD.*)
            FOR UPDATE;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE check_violation USING MESSAGE = format('job %s: a job id does not change', OLD.id);
    END IF;
    IF queued THEN
        DELETE FROM job_queue WHERE id = OLD.id;
    ELSE
        DELETE FROM job_archive WHERE id = OLD.id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM job_attempts WHERE job_id = OLD.id;
        RETURN OLD;
    END IF;
    INSERT INTO job_queue SELECT NEW.*;
    RETURN NEW;
END
$$;
CREATE TRIGGER background_jobs_write INSTEAD OF INSERT OR UPDATE OR DELETE ON background_jobs
    FOR EACH ROW EXECUTE FUNCTION background_jobs_write();

-- Roles keep their rights: whoever could read, add or delete jobs in background_jobs (now job_archive)
-- may do the same in job_queue and the view; whoever could change jobs may now also move them between
-- the two tables (a status change is a move: DELETE from one, INSERT into the other), and may draw job
-- ids. PUBLIC is a keyword, not a role name.
DO $$
DECLARE
    g record;
    grantee text;
BEGIN
    FOR g IN SELECT DISTINCT r.grantee, r.privilege_type FROM information_schema.role_table_grants AS r
             WHERE r.table_schema = current_schema() AND r.table_name = 'job_archive'
               AND r.grantee <> current_user AND r.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
    LOOP
        grantee := CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END;
        EXECUTE format('GRANT %s ON job_queue, background_jobs TO %s', g.privilege_type, grantee);
        IF g.privilege_type = 'UPDATE' THEN
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON job_queue, job_archive, background_jobs TO %s',
                           grantee);
        END IF;
        IF g.privilege_type IN ('INSERT', 'UPDATE') THEN
            EXECUTE format('GRANT USAGE ON SEQUENCE job_ids TO %s', grantee);
        END IF;
    END LOOP;
END
$$;
