<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr">
<context>
    <name></name>
    <message>
        <source>measuring the cache table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>clearing the cache table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>finding old jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deleting the attempts of old jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deleting old jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading PRAGMA %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PRAGMA %1 returned no value.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>releasing free pages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the log file %1: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot create the archive %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write the archive %1: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot finish the archive %1 (zlib error %2).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm</name>
    <message>
        <source>%1 is not an HCM Admin database, or it is damaged (%2). Choose another file with --db, or move this one away.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>opening %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>configuring %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the schema version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 does not exist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown payload field &quot;%1&quot; (allowed: %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; is required (one of: %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; must be one of: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payload field &quot;%1&quot; must be a whole number from %2 to %3</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::CacheFlushHandler</name>
    <message>
        <source>Unknown cache flush action &quot;%1&quot; (expected full or expired).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>max_age_seconds must not be negative.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refusing to flush %1: the cache folder is the root of a file system.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped after removing %1 of %2 cache files.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot delete the cache file %1: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped after removing %1 cache files.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot delete the cache folder %1: check its permissions.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::CleanupHandler</name>
    <message>
        <source>Unknown cleanup type &quot;%1&quot; (expected all, jobs, attempts or cache).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>older_than_days must be a whole number of days, 0 or more.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped after deleting %1 rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>counting old jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deleting old job attempts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deleting expired cache entries</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::Database</name>
    <message>
        <source>This build supports SQLite databases only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot create the folder %1 for the database: check that it is writable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is a folder, not a database file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>opening %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the database is busy: another program kept it locked for too long (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the database file is read-only: check its permissions (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the disk is full: free some space and try again (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database error: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database error while %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::DbConfig</name>
    <message>
        <source>PostgreSQL databases are not supported by this build yet; use a SQLite file path.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown database address &quot;%1&quot;: give a file path for SQLite.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SQLite %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::DbOptimizeHandler</name>
    <message>
        <source>Unknown optimize mode &quot;%1&quot; (expected vacuum, incremental or analyze).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database optimization is only implemented for SQLite databases.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing the tables</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped after %1 of %2 optimization steps.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>updating the planner statistics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rebuilding the database file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optimizing the database</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>writing the log back to the database file</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::Dispatcher</name>
    <message>
        <source>Could not save %1 job results; retrying in %2 ms: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The worker stopped while the job was running.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::EmailSendHandler</name>
    <message>
        <source>Email delivery is not configured: set up SMTP in the notification settings first.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::Job</name>
    <message>
        <source>Queued</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Processing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Completed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Low</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Normal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>High</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Critical</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::JobRules</name>
    <message>
        <source>cancellation was already requested; the worker is stopping the job</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the job is already %1; finished jobs cannot be cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the job is running now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the job completed; duplicate it to run it again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>only finished jobs can be deleted; this one is %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::JobService</name>
    <message>
        <source>Unknown job type &quot;%1&quot;. Known types: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The payload is %1 KiB; the limit is %2 KiB.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invalid payload for %1: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>max_retries must be from 0 to %1; %2 was given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The start time is before 1970.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The payload must be a JSON object ({…}), not a single value.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The payload is not valid JSON: %1 at line %2, column %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The payload must be a JSON object ({…}), not an array.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a date and time; use ISO 8601, for example 2026-01-07T10:15:00Z.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown priority &quot;%1&quot;: use low, normal, high or critical.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>max_retries must be a whole number from 0 to %1; &quot;%2&quot; was given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job %1 of %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::JobStore</name>
    <message>
        <source>adding a job</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>claiming jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>saving the outcome of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>recording attempt %1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>returning unstarted jobs to the queue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>extending job leases</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>recording the worker heartbeat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading cancellation requests</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>saving job progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The worker running this job stopped responding (its lease expired).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rescuing jobs of lost workers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>recording a lost attempt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>registering the worker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>marking the worker stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing workers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled by %1 before it ran.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancelling %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retrying %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deleting %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 does not exist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the attempts of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>counting jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>counting jobs by status</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::JobTypeCatalog</name>
    <message>
        <source>Clears the application cache: the cache folder and the cache table. &quot;full&quot; removes everything, &quot;expired&quot; only entries past their expiry.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Optimizes the database: refreshes planner statistics and reclaims free pages (&quot;vacuum&quot; rebuilds the file, &quot;incremental&quot; only releases free pages, &quot;analyze&quot; only updates statistics).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rotates the application&apos;s log files: compresses each current log with gzip, keeps the newest archives and deletes older ones.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sends one email through the configured SMTP server.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payload field &quot;to&quot; is required: an email address or a list of them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an email address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payload field &quot;subject&quot; is required and must be text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payload field &quot;body&quot; must be text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deletes old data: finished jobs and their attempts older than the retention period, and expired cache entries.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Does nothing and succeeds.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waits for the given milliseconds, then succeeds.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fails with the given message.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::LogRotateHandler</name>
    <message>
        <source>keep and min_size_bytes must not be negative.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped after rotating %1 of %2 log files.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot truncate the log file %1 after archiving it: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot delete the old log archive %1: %2.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::LogSink</name>
    <message>
        <source>Cannot create the log folder %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write the log file %1: %2.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::Migrator</name>
    <message>
        <source>creating the migrations table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database %1 was written by a newer version of HCM Admin (schema %2; this program knows up to schema %3). Install the newer version; this one will not touch it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>applying migration %1_%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>recording migration %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::Runner</name>
    <message>
        <source>Cancelled before it started.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The worker stopped before the job started.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This worker has no handler for job type &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The handler failed unexpectedly: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The handler failed unexpectedly.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled while running: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Timed out after %1 s, the limit for %2 jobs: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Interrupted by a worker shutdown: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::SleepHandler</name>
    <message>
        <source>Stopped after %1 ms of %2 ms.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::Sql</name>
    <message>
        <source>preparing a statement</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::Transaction</name>
    <message>
        <source>starting a transaction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>committing</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>hcm::ctl</name>
    <message>
        <source>The database: a SQLite file path (default: %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PATH</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Print results as JSON.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[options]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: hcmctl [--db PATH] [--json] &lt;command&gt; [arguments]

HCM Admin command-line client: background jobs and the database.

Commands:
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>
Global options:
  --db PATH   the database: a SQLite file path (default: %1)
  --json      print results as JSON
  --help      show help (also after a command: hcmctl jobs list --help)
  --version   show the version

Exit codes: 0 success, 1 the operation failed, 2 usage error.
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run &quot;hcmctl --help&quot; for the list of commands.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: hcmctl [--db PATH] [--json] %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is missing: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown command &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: hcmctl [--db PATH] [--json] &lt;command&gt; [arguments]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: hcmctl %1 %2 …</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; needs a command: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown command &quot;%1 %2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--%1 needs a whole number of at least %2; &quot;%3&quot; was given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run &quot;hcmctl %1 --help&quot; for details.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>total</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payload template: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>time limit: %1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>applied migration %1_%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>schema version %1 (up to date)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>backend:         %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>location:        %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>schema version:  %1 (latest %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>file size:       %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (+ %1 write-ahead log)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>jobs:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TYPE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The job type; &quot;hcmctl jobs types&quot; lists them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Creates a job and prints its id.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>low, normal (default), high or critical.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PRIORITY</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The payload, a JSON object; @FILE reads it from a file, - from standard input.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JSON</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retries after a failure, 0 to 25 (default 3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>N</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start no earlier than this ISO 8601 time.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TIME</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lists jobs, newest first, with filters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only these statuses (comma-separated).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>STATUS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only this job type.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Match the id, type or error text.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TEXT</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At most N jobs (default 50).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skip the first N jobs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>id (default), created, status, type or priority.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>COLUMN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sort ascending instead of descending.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ID</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The job id, as job_12 or 12.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shows one job with its payload, result and attempts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ID...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>One or more job ids, as job_12 or 12.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancels queued jobs; asks running ones to stop.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Queues failed or cancelled jobs again, now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deletes finished jobs and their attempts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Counts jobs per status.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lists the job types with their payload templates.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applies pending schema migrations.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shows the database location, schema version, size and job counts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancelling</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retrying in %1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a job id; write job_12 or 12.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the payload from standard input: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the payload file %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown status &quot;%1&quot;: use queued, processing, completed, failed or cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown sort column &quot;%1&quot;: use id, created, status, type or priority.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ATTEMPTS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CREATED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ERROR</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Priority</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run at</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Started</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Completed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Worker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payload:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Result:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attempt history:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(no finished attempts)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ATTEMPT</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WORKER</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>STARTED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FINISHED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OUTCOME</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancellation requested (running)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>queued for retry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deleted</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
