-- PostgreSQL only (see its 019): on SQLite background_jobs is one table, and an INSERT ... SELECT of
-- finished rows writes them in one statement already. This file keeps the schema versions of both
-- dialects in step.
SELECT 1;
