-- SQLite only: its CHECK constraints are rewritten without IN lists (see the SQLite migration).
-- PostgreSQL evaluates an IN list in a CHECK without extra cost.
SELECT 1;
