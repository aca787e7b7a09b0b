-- One partial index over running jobs instead of two: heartbeats look up a worker's jobs, the reaper
-- scans the running jobs (a few hundred at most) for expired leases. Every claim and every completion
-- updated both; now one.
DROP INDEX IF EXISTS idx_jobs_lease;
