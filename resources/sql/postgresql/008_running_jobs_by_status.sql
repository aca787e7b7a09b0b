-- SQLite only (see its 008): PostgreSQL keeps the worker index, which a fleet of workers shares.
SELECT 1;
