// burndown --raw-split: would the job table split PostgreSQL has (migration 009: job_queue for queued and
// running jobs with the claim and owner indexes only, job_archive for finished jobs with the list
// indexes, background_jobs a view over both) make the raw loop faster on SQLite? The raw loop of
// `burndown --raw` runs beside the same loop on that layout, rebuilt here on a migrated SQLite file, in
// alternating rounds; then a plain insert of the same jobs into both layouts (the split defers the list
// index entries of a job from its enqueue to its completion), and the jobs page's first page on both.
// A measurement only: the product's schema and stores are unchanged.

#include "benchcommon.h"

#include "db/database.h"
#include "jobs/jobsql.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QRegularExpression>
#include <QSqlQuery>

namespace hcm::bench {

namespace {

constexpr qint64 kReadFinished = 200000;
constexpr qint64 kReadQueued = 1000;
constexpr qint64 kReadBacklog = 200000; // queued jobs of the second read measurement (a backlog)
constexpr int kReadLimit = 300;
constexpr int kReadRuns = 50;
constexpr int kInsertBatch = 1000;

Status fail(const QString &message)
{
    return Error{Error::Code::Database, QStringLiteral("burndown --raw-split: ") + message};
}

Result<QVariant> scalar(QSqlDatabase d, const QString &sql)
{
    QSqlQuery q(d);
    if (!q.exec(sql))
        return Database::error(q.lastError(), sql);
    return q.next() ? q.value(0) : QVariant();
}

Result<QStringList> strings(QSqlDatabase d, const QString &sql)
{
    QSqlQuery q(d);
    q.setForwardOnly(true);
    if (!q.exec(sql))
        return Database::error(q.lastError(), sql);
    QStringList out;
    while (q.next())
        out << q.value(0).toString();
    return out;
}

Status execAll(QSqlDatabase d, const QStringList &statements)
{
    for (const QString &s : statements) {
        if (auto st = Sql::exec(d, s, s.left(80)); !st)
            return st;
    }
    return {};
}

QString countTriggers(const QString &table)
{
    return QStringLiteral("CREATE TRIGGER %1_counts_insert AFTER INSERT ON %1 BEGIN "
                          "UPDATE job_counts SET n = n + 1 WHERE status = NEW.status; END;\n"
                          "CREATE TRIGGER %1_counts_delete AFTER DELETE ON %1 BEGIN "
                          "UPDATE job_counts SET n = n - 1 WHERE status = OLD.status; END;\n"
                          "CREATE TRIGGER %1_counts_update AFTER UPDATE OF status ON %1 "
                          "WHEN OLD.status IS NOT NEW.status BEGIN "
                          "UPDATE job_counts SET n = n - 1 WHERE status = OLD.status; "
                          "UPDATE job_counts SET n = n + 1 WHERE status = NEW.status; END")
        .arg(table);
}

// Rebuilds the migrated background_jobs of `d` as the split of PostgreSQL's 009, in one transaction:
// job_queue and job_archive with the columns and CHECKs of background_jobs as it is now; job_queue with
// the claim index (due queued jobs) and the owner index (running jobs), job_archive with every other
// index background_jobs has (the list indexes; the partial schedule index on both, as PostgreSQL's 011
// does); the job_counts triggers on both tables (a move is a delete from one and an insert into the
// other: two count updates, as a status change is today); background_jobs a UNION ALL view. The
// attempts lose their foreign key (a job's row moves between tables), as on PostgreSQL.
Status splitJobTable(QSqlDatabase d)
{
    auto tableSql = scalar(d, QStringLiteral("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                                             "name = 'background_jobs'"));
    if (!tableSql)
        return tableSql.error();
    const QRegularExpression header(QStringLiteral(R"re(^CREATE TABLE\s+("?)background_jobs\1\s*\()re"));
    const QString jobsSql = tableSql->toString();
    if (!header.match(jobsSql).hasMatch())
        return fail(QStringLiteral("background_jobs is not a table of the expected shape: %1").arg(jobsSql));
    QString queueSql = jobsSql;
    queueSql.replace(header, QStringLiteral("CREATE TABLE job_queue ("));
    QString archiveSql = jobsSql;
    archiveSql.replace(header, QStringLiteral("CREATE TABLE job_archive ("));
    archiveSql.replace(QStringLiteral(" AUTOINCREMENT"), QString()); // ids come from job_queue

    auto attemptsSql = scalar(d, QStringLiteral("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                                                "name = 'job_attempts'"));
    if (!attemptsSql)
        return attemptsSql.error();
    QString newAttempts = attemptsSql->toString();
    const QRegularExpression attemptsHeader(QStringLiteral(R"re(^CREATE TABLE\s+("?)job_attempts\1\s*\()re"));
    const QRegularExpression foreignKey(
        QStringLiteral(R"re(\s+REFERENCES\s+"?background_jobs"?\s*\(id\)\s+)re"
                       R"re(ON DELETE CASCADE)re"));
    if (!attemptsHeader.match(newAttempts).hasMatch() || !foreignKey.match(newAttempts).hasMatch())
        return fail(QStringLiteral("job_attempts is not a table of the expected shape: %1").arg(newAttempts));
    newAttempts.replace(attemptsHeader, QStringLiteral("CREATE TABLE job_attempts_split ("));
    newAttempts.replace(foreignKey, QString());
    auto attemptIndexes = strings(d, QStringLiteral("SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                                                    "tbl_name = 'job_attempts' AND sql IS NOT NULL"));
    if (!attemptIndexes)
        return attemptIndexes.error();

    auto jobIndexes = strings(d, QStringLiteral("SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                                                "tbl_name = 'background_jobs' AND sql IS NOT NULL"));
    if (!jobIndexes)
        return jobIndexes.error();
    QStringList indexes{
        // The claim: due queued jobs by priority, then run_at, then id (PostgreSQL's idx_queue_due).
        QStringLiteral("CREATE INDEX idx_queue_due ON job_queue (priority DESC, run_at, id) "
                       "WHERE status = 'queued'"),
        // Heartbeats and the reaper: running jobs by owner (PostgreSQL's idx_queue_worker). Today's
        // SQLite schema finds them through the status index, which job_queue does not have.
        QStringLiteral("CREATE INDEX idx_queue_worker ON job_queue (worker_id) WHERE status = 'processing'"),
    };
    const QRegularExpression on(QStringLiteral(R"re(\bON\s+"?background_jobs"?\s*\()re"));
    const QRegularExpression name(QStringLiteral(R"re(^CREATE INDEX\s+"?idx_jobs_(\w+)"?)re"));
    for (const QString &sql : jobIndexes.value()) {
        if (sql.contains(QLatin1String("WHERE status")))
            continue; // the claim's index: job_queue has its own
        if (!on.match(sql).hasMatch() || !name.match(sql).hasMatch())
            return fail(QStringLiteral("an index of background_jobs of an unexpected shape: %1").arg(sql));
        QString archive = sql;
        archive.replace(on, QStringLiteral("ON job_archive ("))
            .replace(name, QStringLiteral("CREATE INDEX idx_archive_\\1"));
        indexes << archive;
        if (sql.contains(QLatin1String("WHERE schedule_id"))) {
            QString queue = sql;
            queue.replace(on, QStringLiteral("ON job_queue ("))
                .replace(name, QStringLiteral("CREATE INDEX idx_queue_\\1"));
            indexes << queue;
        }
    }

    QStringList statements{QStringLiteral("BEGIN IMMEDIATE"), queueSql, archiveSql,
                           QStringLiteral("INSERT INTO job_queue SELECT * FROM background_jobs "
                                          "WHERE status = 'queued' OR status = 'processing' ORDER BY id"),
                           QStringLiteral("INSERT INTO job_archive SELECT * FROM background_jobs "
                                          "WHERE status <> 'queued' AND status <> 'processing' ORDER BY id"),
                           // job_queue's ids continue where background_jobs' stopped.
                           QStringLiteral("DELETE FROM sqlite_sequence WHERE name = 'job_queue'"),
                           QStringLiteral("INSERT INTO sqlite_sequence (name, seq) SELECT 'job_queue', "
                                          "COALESCE(MAX(seq), 0) FROM sqlite_sequence "
                                          "WHERE name = 'background_jobs'"),
                           newAttempts,
                           QStringLiteral("INSERT INTO job_attempts_split SELECT * FROM job_attempts"),
                           QStringLiteral("DROP TABLE job_attempts"),
                           QStringLiteral("ALTER TABLE job_attempts_split RENAME TO job_attempts"),
                           QStringLiteral("DROP TABLE background_jobs")};
    statements << attemptIndexes.value() << indexes;
    statements << countTriggers(QStringLiteral("job_queue")).split(QLatin1Char('\n'))
               << countTriggers(QStringLiteral("job_archive")).split(QLatin1Char('\n'));
    statements << QStringLiteral("CREATE VIEW background_jobs AS SELECT * FROM job_queue UNION ALL "
                                 "SELECT * FROM job_archive")
               << QStringLiteral("UPDATE job_counts SET n = (SELECT COUNT(*) FROM background_jobs AS j "
                                 "WHERE j.status = job_counts.status)")
               << QStringLiteral("COMMIT");
    if (auto st = execAll(d, statements); !st) {
        (void)Sql::exec(d, QStringLiteral("ROLLBACK"));
        return st;
    }
    return {};
}

// The names of the indexes of `table`, for the record.
QJsonArray indexNames(QSqlDatabase d, const QString &table)
{
    QJsonArray out;
    if (auto names = strings(d, QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                               "tbl_name = '%1' ORDER BY name")
                                    .arg(table)))
        for (const QString &n : names.value())
            out.append(n);
    return out;
}

// The timed part of splitRun, not inlined, so that a profile shows it apart from the setup: the raw loop
// on the split. The claim is the same UPDATE … RETURNING on job_queue; the completion moves the batch into
// job_archive (INSERT … SELECT with the finished values, then DELETE from job_queue) and writes the
// attempts, in one transaction.
[[gnu::noinline]] Result<RawLoopRun> rawSplitLoop(const BenchOptions &options, QSqlDatabase d, qint64 jobs)
{
    auto columns = strings(d, QStringLiteral("SELECT name FROM pragma_table_info('job_queue') ORDER BY cid"));
    if (!columns)
        return columns.error();
    const QHash<QString, QString> finished{{QStringLiteral("status"), QStringLiteral("'completed'")},
                                           {QStringLiteral("result"), QStringLiteral("'{}'")},
                                           {QStringLiteral("completed_at"), QStringLiteral("{now}")},
                                           {QStringLiteral("updated_at"), QStringLiteral("{now}")},
                                           {QStringLiteral("lease_expires_at"), QStringLiteral("NULL")},
                                           {QStringLiteral("progress"), QStringLiteral("1")}};
    QStringList values;
    for (const QString &c : columns.value())
        values << finished.value(c, c);
    const QString moveSql = QStringLiteral("INSERT INTO job_archive (%1) SELECT %2 FROM job_queue "
                                           "WHERE id IN ({ids}) AND status = 'processing'")
                                .arg(columns->join(QStringLiteral(", ")), values.join(QStringLiteral(", ")));

    const QString workerId = QStringLiteral("hcm-bench:raw");
    QSqlQuery claim(d);
    claim.setForwardOnly(true);
    const QString claimIndex =
        options.rawPlannerPlan ? QString() : QStringLiteral("INDEXED BY idx_queue_due");
    if (auto st = Sql::prepare(
            claim, QStringLiteral("UPDATE job_queue SET status = 'processing', worker_id = ?, "
                                  "started_at = ?, updated_at = ?, lease_expires_at = ?, "
                                  "attempts = attempts + 1 "
                                  "WHERE id IN (SELECT id FROM job_queue %1 WHERE status = 'queued' "
                                  "AND run_at <= ? AND job_type IN ('test.noop') "
                                  "ORDER BY priority DESC, run_at, id LIMIT ?) "
                                  "RETURNING id, attempts")
                       .arg(claimIndex));
        !st)
        return st.error();
    return rawLoop(d, claim, workerId, jobs, [&](const QString &idList, qint64 done) -> Status {
        if (auto st = Sql::exec(d, QString(moveSql)
                                       .replace(QLatin1String("{now}"), QString::number(done))
                                       .replace(QLatin1String("{ids}"), idList));
            !st)
            return st;
        return Sql::exec(
            d,
            QStringLiteral("DELETE FROM job_queue WHERE id IN (%1) AND status = 'processing'").arg(idList));
    });
}

// The raw loop of `burndown --raw` (rawLoopRun) on a fresh split database, checked afterwards.
Result<RawLoopRun> splitRun(const BenchOptions &options, qint64 jobs, int run, QJsonObject *schema)
{
    auto db = prepareBurndown(options, QStringLiteral("burndown-split-%1").arg(run), jobs);
    if (!db)
        return db.error();
    const DbConfig &config = (*db)->config();
    auto conn = Database::connection(config);
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    if (auto st = splitJobTable(d); !st)
        return st.error();
    if (options.analyze) {
        if (auto st = Sql::exec(d, QStringLiteral("ANALYZE"), QStringLiteral("analyzing")); !st)
            return st.error();
    }
    if (auto st = (*db)->checkpoint(); !st)
        return st.error();
    if (schema && schema->isEmpty()) {
        schema->insert(QStringLiteral("job_queue_indexes"), indexNames(d, QStringLiteral("job_queue")));
        schema->insert(QStringLiteral("job_archive_indexes"), indexNames(d, QStringLiteral("job_archive")));
    }

    auto r = rawSplitLoop(options, d, jobs);
    if (!r)
        return r.error();

    // Every job archived as completed, with its attempt, none left behind, and counted by the triggers.
    auto check = scalar(
        d, QStringLiteral("SELECT (SELECT COUNT(*) FROM job_archive WHERE status = 'completed') || ' ' || "
                          "(SELECT COUNT(*) FROM job_queue) || ' ' || "
                          "(SELECT COUNT(*) FROM job_attempts WHERE outcome = 'completed') || ' ' || "
                          "(SELECT n FROM job_counts WHERE status = 'completed') || ' ' || "
                          "(SELECT SUM(n) FROM job_counts WHERE status <> 'completed')"));
    if (!check)
        return check.error();
    const QString expected = QStringLiteral("%1 0 %1 %1 0").arg(jobs);
    if (check->toString() != expected)
        return fail(QStringLiteral("after the run: archived, queued, attempts, counted completed, counted "
                                   "others = %1, expected %2.")
                        .arg(check->toString(), expected))
            .error();
    return r;
}

// `jobs` queued test.noop jobs inserted with one plain prepared INSERT, kInsertBatch per transaction,
// into background_jobs (today's table) or job_queue (the split): jobs per second. What the split moves
// from the enqueue to the completion (the list index entries) shows up here.
Result<double> insertRun(const BenchOptions &options, bool split, qint64 jobs, int run)
{
    auto db = RunDatabase::create(
        options,
        QStringLiteral("insert-%1-%2").arg(split ? QLatin1String("split") : QLatin1String("table")).arg(run));
    if (!db)
        return db.error();
    auto conn = Database::connection((*db)->config());
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    if (split) {
        if (auto st = splitJobTable(d); !st)
            return st.error();
    }
    if (auto st = (*db)->checkpoint(); !st)
        return st.error();
    QSqlQuery insert(d);
    if (auto st = Sql::prepare(
            insert, QStringLiteral("INSERT INTO %1 (job_type, payload, run_at, created_at, "
                                   "updated_at, created_by) VALUES ('test.noop', '{}', ?, "
                                   "?, ?, 'system:hcm-bench')")
                        .arg(split ? QStringLiteral("job_queue") : QStringLiteral("background_jobs")));
        !st)
        return st.error();
    QElapsedTimer timer;
    timer.start();
    for (qint64 done = 0; done < jobs;) {
        if (auto st = Sql::exec(d, QStringLiteral("BEGIN IMMEDIATE")); !st)
            return st.error();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (qint64 end = qMin(jobs, done + kInsertBatch); done < end; ++done) {
            insert.addBindValue(now);
            insert.addBindValue(now);
            insert.addBindValue(now);
            if (auto st = Sql::exec(insert); !st)
                return st.error();
        }
        if (auto st = Sql::exec(d, QStringLiteral("COMMIT")); !st)
            return st.error();
    }
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    auto queued = scalar(d, QStringLiteral("SELECT n FROM job_counts WHERE status = 'queued'"));
    if (!queued)
        return queued.error();
    if (queued->toLongLong() != jobs)
        return fail(QStringLiteral("%1 jobs counted as queued after inserting %2.")
                        .arg(queued->toLongLong())
                        .arg(jobs))
            .error();
    return double(jobs) / seconds;
}

// `finishedJobs` finished jobs (completed, 2 % failed, 1 % cancelled; five types) and then `queuedJobs`
// queued ones, written in one statement into today's background_jobs.
Status insertReadJobs(QSqlDatabase d, qint64 finishedJobs, qint64 queuedJobs)
{
    const qint64 total = finishedJobs + queuedJobs;
    return execAll(
        d, {QStringLiteral("BEGIN IMMEDIATE"),
            QStringLiteral(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %1) "
                "INSERT INTO background_jobs (job_type, status, priority, payload, result, error_message, "
                "attempts, run_at, created_at, started_at, completed_at, updated_at, created_by, progress) "
                "SELECT CASE i % 5 WHEN 0 THEN 'cache_flush' WHEN 1 THEN 'db_optimize' WHEN 2 THEN "
                "'log_rotate' WHEN 3 THEN 'email_send' ELSE 'cleanup' END, "
                "CASE WHEN i > %2 THEN 'queued' WHEN i % 50 = 0 THEN 'failed' WHEN i % 97 = 0 THEN "
                "'cancelled' ELSE 'completed' END, i % 4, '{\"n\": ' || i || '}', "
                "CASE WHEN i > %2 THEN NULL ELSE '{\"ok\": true}' END, "
                "CASE WHEN i <= %2 AND i % 50 = 0 THEN 'failed on purpose' END, "
                "CASE WHEN i > %2 THEN 0 ELSE 1 END, "
                "1700000000000 + i * 1000, 1700000000000 + i * 1000, "
                "CASE WHEN i > %2 THEN NULL ELSE 1700000000000 + i * 1000 + 10 END, "
                "CASE WHEN i > %2 THEN NULL ELSE 1700000000000 + i * 1000 + 20 END, "
                "1700000000000 + i * 1000 + 20, 'system:hcm-bench', CASE WHEN i > %2 THEN NULL ELSE 1 END "
                "FROM n")
                .arg(total)
                .arg(finishedJobs),
            QStringLiteral("COMMIT")});
}

// The jobs page's first page (JobReads::list: newest first, 300 rows, every column read) on one layout.
struct TimedRead {
    QSqlQuery query;
    std::vector<double> ms;
    int rows = 0;
};

Status readOnce(TimedRead &r, bool record)
{
    static const int columns = int(jobsql::jobReadColumns().count(QLatin1Char(','))) + 1;
    QElapsedTimer timer;
    timer.start();
    if (auto st = Sql::exec(r.query); !st)
        return st;
    r.rows = 0;
    while (r.query.next()) {
        for (int c = 0; c < columns; ++c)
            (void)r.query.value(c); // as jobFromRow does
        ++r.rows;
    }
    r.query.finish();
    if (record)
        r.ms.push_back(double(timer.nsecsElapsed()) / 1e6);
    return {};
}

QString queryPlan(QSqlDatabase d, const QString &sql)
{
    QStringList plan;
    QSqlQuery explain(d);
    if (explain.exec(QStringLiteral("EXPLAIN QUERY PLAN ") + sql)) {
        while (explain.next())
            plan << explain.value(3).toString();
    }
    return plan.join(QStringLiteral("; "));
}

// The same jobs in today's table and in the split (two files), then each filter's first page read
// kReadRuns times on each after a warm-up, the two layouts alternately: median milliseconds and plans.
Result<QJsonObject> compareReads(const BenchOptions &options, qint64 finishedJobs, qint64 queuedJobs)
{
    const QList<std::pair<QString, QString>> filters{
        {QStringLiteral("all"), QString()},
        {QStringLiteral("status = completed"), QStringLiteral(" WHERE status = 'completed'")},
        {QStringLiteral("status = failed"), QStringLiteral(" WHERE status = 'failed'")},
        {QStringLiteral("status = cancelled"), QStringLiteral(" WHERE status = 'cancelled'")},
        {QStringLiteral("status = queued"), QStringLiteral(" WHERE status = 'queued'")},
        {QStringLiteral("status = processing (none)"), QStringLiteral(" WHERE status = 'processing'")},
        {QStringLiteral("type = email_send"), QStringLiteral(" WHERE job_type = 'email_send'")},
        {QStringLiteral("status = failed, page after id 100000"),
         QStringLiteral(" WHERE status = 'failed' AND id < 100000")},
    };
    // 0: today's table; 1: the split as the burn-down runs it; 2: the split with four partial indexes
    // on job_queue that hold the rows of one status each, by id: running jobs (in place of the owner
    // index, at the same cost per claim and completion) and the three finished statuses (always
    // empty on SQLite, where a job finishes in the transaction that moves it). Without them a filter
    // that job_queue has no index for scans all of it.
    constexpr int kLayouts = 3;
    const QString layoutNames[kLayouts]{QStringLiteral("table"), QStringLiteral("split"),
                                        QStringLiteral("split_indexed")};
    std::unique_ptr<RunDatabase> dbs[kLayouts];
    QSqlDatabase conns[kLayouts];
    for (int layout = 0; layout < kLayouts; ++layout) {
        auto db = RunDatabase::create(options,
                                      QStringLiteral("reads-%1-%2").arg(layoutNames[layout]).arg(queuedJobs));
        if (!db)
            return db.error();
        dbs[layout] = std::move(db.value());
        auto conn = Database::connection(dbs[layout]->config());
        if (!conn)
            return conn.error();
        conns[layout] = conn.value();
        if (auto st = insertReadJobs(conns[layout], finishedJobs, queuedJobs); !st)
            return st.error();
        if (layout > 0) {
            if (auto st = splitJobTable(conns[layout]); !st)
                return st.error();
        }
        if (layout == 2) {
            QStringList statements{QStringLiteral("DROP INDEX idx_queue_worker")};
            for (const char *status : {"processing", "completed", "failed", "cancelled"})
                statements << QStringLiteral(
                                  "CREATE INDEX idx_queue_%1 ON job_queue (id) WHERE status = '%1'")
                                  .arg(QLatin1String(status));
            if (auto st = execAll(conns[layout], statements); !st)
                return st.error();
        }
        if (auto st = dbs[layout]->checkpoint(); !st)
            return st.error();
    }
    QJsonArray out;
    for (const auto &[label, where] : filters) {
        const QString sql =
            QStringLiteral("SELECT %1 FROM background_jobs%2 ORDER BY id DESC LIMIT %3 OFFSET 0")
                .arg(jobsql::jobReadColumns(), where)
                .arg(kReadLimit);
        TimedRead reads[kLayouts];
        for (int layout = 0; layout < kLayouts; ++layout) {
            reads[layout].query = QSqlQuery(conns[layout]);
            reads[layout].query.setForwardOnly(true);
            if (auto st = Sql::prepare(reads[layout].query, sql); !st)
                return st.error();
            if (auto st = readOnce(reads[layout], false); !st)
                return st.error();
        }
        for (int run = 0; run < kReadRuns; ++run) {
            for (int k = 0; k < kLayouts; ++k) {
                if (auto st = readOnce(reads[(k + run) % kLayouts], true); !st)
                    return st.error();
            }
        }
        QJsonObject entry{{QStringLiteral("filter"), label}, {QStringLiteral("rows"), reads[0].rows}};
        const double t = median(reads[0].ms);
        for (int layout = 0; layout < kLayouts; ++layout) {
            if (reads[layout].rows != reads[0].rows)
                return fail(QStringLiteral("the filter %1 gives %2 rows on the table and %3 on the %4.")
                                .arg(label)
                                .arg(reads[0].rows)
                                .arg(reads[layout].rows)
                                .arg(layoutNames[layout]))
                    .error();
            const double ms = median(reads[layout].ms);
            entry.insert(layoutNames[layout] + QStringLiteral("_ms"), rounded(ms, 3));
            if (layout > 0)
                entry.insert(layoutNames[layout] + QStringLiteral("_to_table"),
                             t > 0 ? rounded(ms / t, 2) : 0.0);
            entry.insert(layoutNames[layout] + QStringLiteral("_plan"), queryPlan(conns[layout], sql));
        }
        out.append(entry);
    }
    return QJsonObject{{QStringLiteral("finished_jobs"), finishedJobs},
                       {QStringLiteral("queued_jobs"), queuedJobs},
                       {QStringLiteral("limit"), kReadLimit},
                       {QStringLiteral("runs_per_query"), kReadRuns},
                       {QStringLiteral("queries"), out}};
}

QJsonObject loopJson(const std::vector<RawLoopRun> &runs)
{
    std::vector<double> rates, claimUs, completeUs, cpuUs;
    for (const RawLoopRun &r : runs) {
        rates.push_back(r.jobsPerS);
        claimUs.push_back(r.claimUsPerJob);
        completeUs.push_back(r.completeUsPerJob);
        cpuUs.push_back(r.cpuUsPerJob);
    }
    return QJsonObject{{QStringLiteral("jobs_per_s"), rounded(median(rates), 0)},
                       {QStringLiteral("runs_jobs_per_s"), toJsonArray(rates, 0)},
                       {QStringLiteral("claim_us_per_job"), rounded(median(claimUs), 2)},
                       {QStringLiteral("complete_us_per_job"), rounded(median(completeUs), 2)},
                       {QStringLiteral("cpu_us_per_job"), rounded(median(cpuUs), 2)},
                       {QStringLiteral("runs_claim_us_per_job"), toJsonArray(claimUs, 2)},
                       {QStringLiteral("runs_complete_us_per_job"), toJsonArray(completeUs, 2)},
                       {QStringLiteral("runs_cpu_us_per_job"), toJsonArray(cpuUs, 2)}};
}

} // namespace

Result<QJsonObject> runRawSplit(const BenchOptions &options)
{
    const qint64 jobs = options.jobs > 0 ? options.jobs : kDefaultBurndownJobs;
    std::vector<RawLoopRun> loops[2];
    std::vector<double> inserts[2], ratios, cpuRatios, insertRatios;
    QJsonObject schema;
    for (int round = 1; round <= options.repeat; ++round) {
        // Alternate which layout goes first, so that a drift of the machine's load favours neither.
        for (int k = 0; k < 2; ++k) {
            const bool split = (k == 1) != (round % 2 == 0);
            auto r = split ? splitRun(options, jobs, round, &schema) : rawLoopRun(options, jobs, round);
            if (!r)
                return r.error();
            loops[split].push_back(r.value());
            note(options, QStringLiteral("round %1/%2, raw loop on the %3: %4 jobs/s (claim %5 us/job, "
                                         "complete %6 us/job, CPU %7 us/job; load %8)")
                              .arg(round)
                              .arg(options.repeat)
                              .arg(split ? QStringLiteral("split") : QStringLiteral("table"))
                              .arg(r->jobsPerS, 0, 'f', 0)
                              .arg(r->claimUsPerJob, 0, 'f', 2)
                              .arg(r->completeUsPerJob, 0, 'f', 2)
                              .arg(r->cpuUsPerJob, 0, 'f', 2)
                              .arg(loadAverage().at(0).toDouble()));
        }
        ratios.push_back(loops[1].back().jobsPerS / loops[0].back().jobsPerS);
        cpuRatios.push_back(loops[1].back().cpuUsPerJob / loops[0].back().cpuUsPerJob);
        for (int k = 0; k < 2; ++k) {
            const bool split = (k == 1) != (round % 2 == 0);
            auto r = insertRun(options, split, jobs, round);
            if (!r)
                return r.error();
            inserts[split].push_back(*r);
            note(options, QStringLiteral("round %1/%2, plain insert into the %3: %4 jobs/s")
                              .arg(round)
                              .arg(options.repeat)
                              .arg(split ? QStringLiteral("split") : QStringLiteral("table"))
                              .arg(*r, 0, 'f', 0));
        }
        insertRatios.push_back(inserts[1].back() / inserts[0].back());
    }
    auto reads = compareReads(options, kReadFinished, kReadQueued);
    if (!reads)
        return reads.error();
    auto backlogReads = compareReads(options, kReadFinished, kReadBacklog);
    if (!backlogReads)
        return backlogReads.error();
    note(options, QStringLiteral("list reads measured"));

    std::vector<double> rates[2];
    for (int k = 0; k < 2; ++k) {
        for (const RawLoopRun &r : loops[k])
            rates[k].push_back(r.jobsPerS);
    }
    const double table = median(rates[0]);
    const double split = median(rates[1]);
    // Enqueue and burn-down of one job, in microseconds: what a job costs over its life on each layout.
    const auto lifeUs = [&](int s) { return 1e6 / median(inserts[s]) + 1e6 / median(rates[s]); };
    return QJsonObject{
        {QStringLiteral("mode"), QStringLiteral("burndown-raw-split")},
        {QStringLiteral("jobs"), jobs},
        {QStringLiteral("rounds"), options.repeat},
        {QStringLiteral("claim_batch"), kRawBatch},
        {QStringLiteral("claim_plan"), options.rawPlannerPlan
                                           ? QStringLiteral("planner's choice")
                                           : QStringLiteral("INDEXED BY idx_jobs_queue / idx_queue_due")},
        {QStringLiteral("analyze"), options.analyze},
        {QStringLiteral("split_schema"), schema},
        {QStringLiteral("raw_table"), loopJson(loops[0])},
        {QStringLiteral("raw_split"), loopJson(loops[1])},
        {QStringLiteral("split_to_table"), rounded(split / table, 3)},
        {QStringLiteral("runs_split_to_table"), toJsonArray(ratios, 3)},
        // CPU time per job, split ÷ table, per round: above 1 the split costs more.
        {QStringLiteral("runs_cpu_split_to_table"), toJsonArray(cpuRatios, 3)},
        {QStringLiteral("insert_batch"), kInsertBatch},
        {QStringLiteral("insert_table_jobs_per_s"), rounded(median(inserts[0]), 0)},
        {QStringLiteral("insert_split_jobs_per_s"), rounded(median(inserts[1]), 0)},
        {QStringLiteral("runs_insert_table_jobs_per_s"), toJsonArray(inserts[0], 0)},
        {QStringLiteral("runs_insert_split_jobs_per_s"), toJsonArray(inserts[1], 0)},
        {QStringLiteral("insert_split_to_table"), rounded(median(inserts[1]) / median(inserts[0]), 3)},
        {QStringLiteral("runs_insert_split_to_table"), toJsonArray(insertRatios, 3)},
        {QStringLiteral("insert_and_burndown_us_per_job"),
         QJsonObject{{QStringLiteral("table"), rounded(lifeUs(0), 2)},
                     {QStringLiteral("split"), rounded(lifeUs(1), 2)}}},
        {QStringLiteral("list_reads"), reads.value()},
        {QStringLiteral("list_reads_backlog"), backlogReads.value()},
        {QStringLiteral("load_average"), loadAverage()}};
}

} // namespace hcm::bench
