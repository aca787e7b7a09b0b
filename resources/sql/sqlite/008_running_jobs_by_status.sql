-- Running jobs are found through the status index: heartbeats, the reaper and the Workers page look
-- for status = 'processing' (a few hundred rows per worker at most) and then at the worker. The partial
-- worker index repeated that and cost an insert at every claim and a delete at every completion
-- (5 k instructions per job, measured). PostgreSQL keeps it: there many workers share the table.
DROP INDEX IF EXISTS idx_jobs_worker;
