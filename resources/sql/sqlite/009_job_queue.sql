-- PostgreSQL only (see its 009): on SQLite one writer at a time runs the queue, and its job table keeps
-- every job. This file keeps the schema versions of both dialects in step.
SELECT 1;
