-- The Workers page lists what a worker attempted without completing (lost, failed, timed out,
-- cancelled, interrupted), newest first: the jobs a lost worker had in hand. A partial index, so that
-- completions, nearly every attempt written, do not maintain it.
CREATE INDEX idx_attempts_worker_unfinished ON job_attempts (worker_id, finished_at, job_id, attempt)
    WHERE outcome <> 'completed';
