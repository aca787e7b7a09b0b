#!/bin/sh
# Inserts N finished jobs through the view background_jobs in one INSERT ... SELECT (one transaction) and
# prints the wall-clock time and the CPU time of the server process that ran it (utime + stime of
# /proc/<pg_backend_pid()>/stat before and after, read in the same session: it does not depend on what
# else the machine runs). Needs a superuser (pg_read_file) on a server on this machine, for example in
# `pg_virtualenv -t`. See docs/benchmarks.md, "Importing history".
# Usage: bench/import-view.sh DATABASE N
set -eu
DB=$1
N=$2
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<SQL
CREATE FUNCTION pg_temp.cpu() RETURNS numeric LANGUAGE sql AS \$\$
  SELECT (s[12]::numeric + s[13]::numeric) / 100 FROM (SELECT string_to_array(split_part(
    pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' ') AS s) AS x \$\$;
SELECT pg_temp.cpu() AS c0, clock_timestamp() AS t0 \gset
INSERT INTO background_jobs (job_type, status, payload, attempts, run_at, created_at, started_at,
                             completed_at, updated_at, created_by)
  SELECT 'report.export', 'completed', '{}', 1, 1700000000000 + g, 1700000000000 + g, 1700000000000 + g,
         1700000001000 + g, 1700000001000 + g, 'import'
  FROM generate_series(1, $N) AS g;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), 2) AS wall_s,
       pg_temp.cpu() - :c0 AS cpu_s,
       round($N / nullif(pg_temp.cpu() - :c0, 0)) AS rows_per_cpu_s,
       round($N / extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)) AS rows_per_s \gx
SQL
