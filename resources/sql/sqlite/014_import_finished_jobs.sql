-- PostgreSQL only (see its 014): on SQLite background_jobs is one table and a finished row is
-- inserted as any other. This file keeps the schema versions of both dialects in step.
SELECT 1;
