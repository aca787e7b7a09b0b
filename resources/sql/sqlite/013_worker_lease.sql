-- Each worker's lease, so the time after which a silent worker is shown as lost follows its own
-- heartbeat interval (lease / 3): a worker started with a 300 s lease heartbeats every 100 s and was
-- shown lost after 90 s while it was alive. NULL for workers registered by older programs, which are
-- judged by the old fixed cut-off.
ALTER TABLE workers ADD COLUMN lease_ms BIGINT;
