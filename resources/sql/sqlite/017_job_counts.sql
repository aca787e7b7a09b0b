-- PostgreSQL's 017 maintains job_counts per status and type with statement triggers that insert
-- deltas. SQLite keeps its job_counts of 003 (one writer at a time: no hot row to avoid). This file
-- keeps the schema versions of both dialects in step.
SELECT 1;
