-- SQLite keeps rows per status in job_counts (triggers). PostgreSQL does not: every claim and every
-- completion of every worker would update the same few rows and wait for each other. Its status counts
-- are counted from the (status, id) index instead. This file keeps the schema versions of both
-- dialects in step.
SELECT 1;
