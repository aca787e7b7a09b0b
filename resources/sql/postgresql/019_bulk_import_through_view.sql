-- Finished rows inserted through the view background_jobs (an import of history: INSERT ... SELECT, or
-- `hcmctl jobs import`) reach job_archive in one INSERT per statement instead of one per row.
--
-- Before, every finished row ran, inside the view's row trigger, an INSERT into job_queue whose row
-- trigger (014) ran an INSERT into job_archive, and that nested INSERT fired job_archive's statement
-- triggers of 017 (a job_counts delta and a job_minute_counts delta per row) and job_queue's, empty:
-- five trigger calls and six statements per row, 17 s of the server's CPU for 100,000 rows. A view has
-- no statement-level INSTEAD OF trigger, so the row trigger stays, but for a finished row it only
-- keeps the row in the session's temporary table job_import_rows; the view's AFTER INSERT statement
-- trigger then checks the ids and moves them all with one INSERT ... SELECT into job_archive, whose
-- statement triggers count them once (measured in docs/benchmarks.md, "Importing history").
--
-- What stays: ids are kept; an id either table holds, or one the statement gives twice, is refused
-- with "job N exists already" and the statement changes nothing; queued rows go to job_queue row by
-- row as before; RETURNING returns every row. A finished row is in job_archive from the end of its statement (no one can read it sooner: the
-- statement's own snapshot does not see its writes). UPDATE and DELETE through the view are unchanged.
--
-- The temporary table lives as long as the session (created by the first INSERT through the view); its
-- rows are gone after every statement and at commit (ON COMMIT DELETE ROWS). Inserting through the
-- view therefore takes the TEMPORARY right on the database, which every role has unless it was revoked.

CREATE FUNCTION background_jobs_insert_begin() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    -- Made again when its columns are not job_archive's any more (a session open across a migration).
    IF to_regclass('pg_temp.job_import_rows') IS NOT NULL
       AND (SELECT count(*) FILTER (WHERE attrelid = 'job_archive'::regclass)
                   <> count(*) FILTER (WHERE attrelid <> 'job_archive'::regclass)
            FROM pg_attribute
            WHERE attrelid IN ('job_archive'::regclass, to_regclass('pg_temp.job_import_rows'))
              AND attnum > 0 AND NOT attisdropped) THEN
        DROP TABLE pg_temp.job_import_rows;
    END IF;
    IF to_regclass('pg_temp.job_import_rows') IS NULL THEN
        BEGIN
            CREATE TEMPORARY TABLE job_import_rows (LIKE job_archive) ON COMMIT DELETE ROWS;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE insufficient_privilege USING
                MESSAGE = format('inserting into background_jobs needs the TEMPORARY right on database %s',
                                 current_database()),
                HINT = 'Finished rows are collected in a temporary table and moved to job_archive at the '
                       'end of the statement; GRANT TEMPORARY ON DATABASE to the role.';
        END;
    END IF;
    RETURN NULL;
END
$$;

-- As in 009, but a new finished row is only kept for the statement trigger below.
CREATE OR REPLACE FUNCTION background_jobs_write() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    queued boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IN ('completed', 'failed', 'cancelled') THEN
            INSERT INTO pg_temp.job_import_rows SELECT NEW.*;
            RETURN NEW;
        END IF;
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

-- The statement's finished rows into job_archive, in one INSERT. An id job_queue holds (also a queued
-- row of the same statement) is looked for first; one in job_archive, or given twice, shows as
-- job_archive's primary key violation, and is then looked up to name it.
CREATE FUNCTION background_jobs_insert_end() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    dup bigint;
BEGIN
    IF to_regclass('pg_temp.job_import_rows') IS NULL OR NOT EXISTS (SELECT 1 FROM pg_temp.job_import_rows) THEN
        RETURN NULL;
    END IF;
    SELECT q.id INTO dup FROM job_queue AS q WHERE q.id IN (SELECT id FROM pg_temp.job_import_rows) LIMIT 1;
    IF FOUND THEN
        RAISE unique_violation USING MESSAGE = format('job %s exists already', dup);
    END IF;
    BEGIN
        INSERT INTO job_archive SELECT * FROM pg_temp.job_import_rows;
    EXCEPTION WHEN unique_violation THEN
        SELECT s.id INTO dup FROM pg_temp.job_import_rows AS s JOIN job_archive AS a ON a.id = s.id
        ORDER BY s.id LIMIT 1;
        IF FOUND THEN
            RAISE unique_violation USING MESSAGE = format('job %s exists already', dup);
        END IF;
        SELECT id INTO dup FROM pg_temp.job_import_rows GROUP BY id HAVING count(*) > 1 ORDER BY id LIMIT 1;
        IF FOUND THEN
            RAISE unique_violation USING MESSAGE = format('job %s exists already: the statement inserts it twice', dup);
        END IF;
        RAISE;
    END;
    -- Emptied for the next statement. TRUNCATE makes a new file (0.4 ms: a script of single-row INSERTs
    -- would pay it per row); DELETE leaves the rows dead until the transaction ends (ON COMMIT DELETE
    -- ROWS empties the file), for the next statements to step over: up to 512 kB of them.
    IF pg_relation_size('pg_temp.job_import_rows') > 512 * 1024 THEN
        TRUNCATE pg_temp.job_import_rows;
    ELSE
        DELETE FROM pg_temp.job_import_rows;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER background_jobs_insert_begin BEFORE INSERT ON background_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION background_jobs_insert_begin();
CREATE TRIGGER background_jobs_insert_end AFTER INSERT ON background_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION background_jobs_insert_end();
