-- Job types whose queued jobs wait: a worker claims no job of a type listed here, and the row '*'
-- pauses every type (the whole deployment). Jobs of a paused type are still accepted and queued;
-- running ones finish. Deleting the row resumes the type. paused_by names who paused it (an Actor
-- name), paused_at when (UTC milliseconds since the epoch).
--
-- Workers read this table when they wake (a resume, an enqueue, a commit by another process) and at
-- their poll, and leave the paused types out of the types they claim: the claim statement itself does
-- not read it, so a deployment with nothing paused pays nothing for it.
CREATE TABLE paused_job_types (
    job_type  TEXT   PRIMARY KEY,
    paused_by TEXT   NOT NULL,
    paused_at BIGINT NOT NULL
);
