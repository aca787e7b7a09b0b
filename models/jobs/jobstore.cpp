#include "jobstore.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "db/dialect.h"
#include "db/notificationlistener.h"
#include "db/sqlitestatement.h"
#include "jobs/jobrules.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QSet>
#include <QSqlDriver>
#include <QSqlField>
#include <QSqlQuery>
#include <QSqlRecord>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobStore)
};

const QString kJobColumns = QStringLiteral(
    "id, job_type, status, priority, payload, result, error_message, retry_count, max_retries, attempts, "
    "run_at, created_at, started_at, completed_at, updated_at, created_by, worker_id, lease_expires_at, "
    "cancel_requested, progress, schedule_id");
// What reads of whole jobs select: the columns above and the code of the error (migration 018).
const QString kJobReadColumns = kJobColumns + QStringLiteral(", error_code, error_args");

QJsonObject parseObject(const QVariant &v)
{
    if (v.isNull())
        return {};
    return QJsonDocument::fromJson(v.toString().toUtf8()).object();
}

QString compactJson(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

qint64 msOrZero(const QVariant &v)
{
    return v.isNull() ? 0 : v.toLongLong();
}

JobError errorOf(const JobOutcome &o)
{
    return JobError{o.errorCode, o.errorArgs, o.error};
}

// error_message, error_code, error_args of an outcome.
void bindError(QSqlQuery &q, const JobOutcome &o)
{
    const JobError e = errorOf(o);
    q.addBindValue(e.text);
    q.addBindValue(e.codeValue());
    q.addBindValue(e.argsValue());
}

JobStatus statusOf(const QVariant &v)
{
    return jobStatusFromString(v.toString()).value_or(JobStatus::Queued);
}

Job jobFromQuery(const QSqlQuery &q)
{
    Job j;
    j.id = q.value(0).toLongLong();
    j.type = q.value(1).toString();
    j.status = statusOf(q.value(2));
    j.priority = static_cast<JobPriority>(qBound(0, q.value(3).toInt(), 3));
    j.payload = parseObject(q.value(4));
    if (!q.value(5).isNull())
        j.result = parseObject(q.value(5));
    j.errorMessage = q.value(6).toString();
    j.retryCount = q.value(7).toInt();
    j.maxRetries = q.value(8).toInt();
    j.attempts = q.value(9).toInt();
    j.runAt = msOrZero(q.value(10));
    j.createdAt = msOrZero(q.value(11));
    j.startedAt = msOrZero(q.value(12));
    j.completedAt = msOrZero(q.value(13));
    j.updatedAt = msOrZero(q.value(14));
    j.createdBy = q.value(15).toString();
    j.workerId = q.value(16).toString();
    j.leaseExpiresAt = msOrZero(q.value(17));
    j.cancelRequested = q.value(18).toInt() != 0;
    j.progress = q.value(19).isNull() ? -1.0 : q.value(19).toDouble();
    j.scheduleId = msOrZero(q.value(20));
    const JobError e = JobError::fromColumns(j.errorMessage, q.value(21), q.value(22)); // kJobReadColumns
    j.errorCode = e.code;
    j.errorArgs = e.args;
    return j;
}

QString sortExpression(JobSortColumn column)
{
    switch (column) {
    case JobSortColumn::Id:
        return QStringLiteral("id");
    case JobSortColumn::Type:
        return QStringLiteral("job_type");
    case JobSortColumn::Status:
        return QStringLiteral("status");
    case JobSortColumn::Priority:
        return QStringLiteral("priority");
    case JobSortColumn::Attempts:
        return QStringLiteral("attempts");
    case JobSortColumn::CreatedAt:
        return QStringLiteral("created_at");
    case JobSortColumn::StartedAt:
        return QStringLiteral("started_at");
    case JobSortColumn::CompletedAt:
        return QStringLiteral("completed_at");
    case JobSortColumn::RunAt:
        return QStringLiteral("run_at");
    case JobSortColumn::Worker:
        return QStringLiteral("worker_id");
    }
    return QStringLiteral("id");
}

// WHERE clause and bound values for a filter. Values are always bound, never spliced into SQL.
struct Where {
    QString sql;
    QVariantList values;
};

QString likePattern(const QString &text)
{
    QString escaped = text;
    escaped.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    escaped.replace(QLatin1Char('%'), QLatin1String("\\%"));
    escaped.replace(QLatin1Char('_'), QLatin1String("\\_"));
    return QLatin1Char('%') + escaped + QLatin1Char('%');
}

Where whereFor(const JobFilter &f, bool withStatuses)
{
    QStringList parts;
    Where w;
    if (withStatuses && !f.statuses.isEmpty()) {
        QStringList marks;
        for (JobStatus s : f.statuses) {
            marks << QStringLiteral("?");
            w.values << toString(s);
        }
        parts << QStringLiteral("status IN (%1)").arg(marks.join(QLatin1Char(',')));
    }
    if (!f.type.isEmpty()) {
        parts << QStringLiteral("job_type = ?");
        w.values << f.type;
    }
    // Served by migration 011's partial indexes on (schedule_id, id): they hold only the jobs a schedule
    // made, so the hot tables pay for them on scheduled jobs alone.
    if (f.scheduleId > 0) {
        parts << QStringLiteral("schedule_id = ?");
        w.values << f.scheduleId;
    }
    const QString search = f.search.trimmed();
    if (!search.isEmpty()) {
        QString clause = QStringLiteral("(job_type LIKE ? ESCAPE '\\' OR error_message LIKE ? ESCAPE '\\'");
        w.values << likePattern(search) << likePattern(search);
        if (const auto id = Job::parseId(search)) {
            clause += QStringLiteral(" OR id = ?");
            w.values << *id;
        }
        clause += QLatin1Char(')');
        parts << clause;
    }
    if (!parts.isEmpty())
        w.sql = QStringLiteral(" WHERE ") + parts.join(QLatin1String(" AND "));
    return w;
}

void bindAll(QSqlQuery &q, const QVariantList &values)
{
    for (const QVariant &v : values)
        q.addBindValue(v);
}

const char *outcomeName(JobOutcome::Kind kind)
{
    switch (kind) {
    case JobOutcome::Kind::Completed:
        return "completed";
    case JobOutcome::Kind::Failed:
        return "failed";
    case JobOutcome::Kind::Cancelled:
        return "cancelled";
    case JobOutcome::Kind::TimedOut:
        return "timed_out";
    case JobOutcome::Kind::Interrupted:
        return "interrupted";
    }
    return "failed";
}

// A value as an SQL literal, escaped by the driver (PostgreSQL statements sent without PREPARE).
QString literal(const QSqlDatabase &db, const QVariant &value)
{
    QSqlField field(QString(), value.metaType());
    field.setValue(value);
    return db.driver()->formatValue(field);
}

QVariant nullInt64()
{
    return QVariant(QMetaType::fromType<qint64>());
}

// A worker's error, kept with the time it was first reported while it stays the same (bindLastError).
const QString kSetLastError =
    QStringLiteral("last_error_at = CASE WHEN CAST(? AS TEXT) IS NULL THEN NULL "
                   "WHEN last_error = CAST(? AS TEXT) THEN last_error_at ELSE {now} END, last_error = ?");

void bindLastError(QSqlQuery &q, const QString &error)
{
    const QVariant value = error.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(error);
    for (int i = 0; i < 3; ++i)
        q.addBindValue(value);
}

// Sends a job event on the PostgreSQL channel inside the caller's transaction: delivered at commit,
// dropped on rollback.
Status notifyInTransaction(QSqlDatabase &d, const JobEvent &event)
{
    QSqlQuery q(d);
    q.prepare(QStringLiteral("SELECT pg_notify('%1', ?)").arg(QLatin1String(kJobChannel)));
    q.addBindValue(event.encode());
    return Sql::exec(q, QCoreApplication::translate("hcm::JobStore", "announcing a change"));
}

} // namespace

JobStore::JobStore(DbConfig config, std::shared_ptr<Clock> clock, RetryPolicy retry)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
    , m_retry(retry)
{
    // On PostgreSQL the production clock is the server's: workers on several machines agree on "now"
    // whatever their own clocks say. An injected clock (tests) is used as given, on both backends.
    m_databaseTime = m_config.isPostgres() && dynamic_cast<const SystemClock *>(m_clock.get()) != nullptr;
}

JobStore::Now JobStore::now() const
{
    const qint64 ms = m_clock->nowMs();
    return Now{m_databaseTime ? Dialect::of(m_config).nowMs() : QString::number(ms), ms,
               m_config.isPostgres() ? QLatin1String("job_queue") : QLatin1String("background_jobs")};
}

QString JobStore::withNow(QString sql, const Now &now)
{
    return sql.replace(QLatin1String("{now}"), QLatin1Char('(') + now.sql + QLatin1Char(')'))
        .replace(QLatin1String("{queue}"), now.queue);
}

Status JobStore::notifyChanged(const QList<qint64> &ids)
{
    if (!m_config.isPostgres())
        return {};
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    JobEvent event;
    event.kind = JobEvent::Kind::Changed;
    event.ids = ids;
    return notifyInTransaction(d, event);
}

Result<QSqlDatabase> JobStore::db() const
{
    return Database::connection(m_config);
}

Result<QList<qint64>> JobStore::insert(const QList<NewJob> &jobs, const QString &actor,
                                       const JobInsertAudit &audit)
{
    if (jobs.isEmpty())
        return QList<qint64>{};
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    if (m_config.isPostgres())
        return insertPostgres(d, jobs, actor, audit);
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    const Now now = this->now();
    // Multi-row INSERTs: one statement (and one round trip on PostgreSQL) per chunk of jobs. Ids come
    // in VALUES order, so the sorted RETURNING list maps back to the jobs.
    constexpr qsizetype kChunk = 200;
    QList<qint64> ids;
    ids.reserve(jobs.size());
    QSqlQuery q(d);
    QString preparedFor;
    for (qsizetype start = 0; start < jobs.size(); start += kChunk) {
        const qsizetype n = qMin(kChunk, jobs.size() - start);
        QString sql =
            QStringLiteral("INSERT INTO background_jobs (job_type, status, priority, payload, max_retries, "
                           "run_at, created_at, updated_at, created_by) VALUES ");
        for (qsizetype i = 0; i < n; ++i) {
            if (i)
                sql += QLatin1Char(',');
            sql += QStringLiteral("(?, 'queued', ?, ?, ?, COALESCE(?, {now}), {now}, {now}, ?)");
        }
        sql += QStringLiteral(" RETURNING id");
        sql = withNow(sql, now);
        if (sql != preparedFor) {
            if (auto st = Sql::prepare(q, sql); !st)
                return st.error();
            preparedFor = sql;
        }
        for (qsizetype i = start; i < start + n; ++i) {
            const NewJob &job = jobs.at(i);
            q.addBindValue(job.type);
            q.addBindValue(static_cast<int>(job.priority));
            q.addBindValue(compactJson(job.payload));
            q.addBindValue(job.maxRetries);
            q.addBindValue(job.runAt ? QVariant(*job.runAt) : nullInt64());
            q.addBindValue(actor);
        }
        if (auto st = Sql::exec(q, Tr::tr("adding a job")); !st)
            return st.error();
        QList<qint64> chunk;
        chunk.reserve(n);
        while (q.next())
            chunk.append(q.value(0).toLongLong());
        std::sort(chunk.begin(), chunk.end());
        ids += chunk;
    }
    q.finish();
    if (audit) {
        if (auto st = audit(d, ids); !st)
            return st.error();
    }
    if (auto st = tx.commit(); !st)
        return st.error();
    return ids;
}

// PostgreSQL: each chunk is one statement (one round trip) that inserts the jobs and sends the NOTIFY
// that wakes idle workers; a single chunk needs no explicit transaction.
Result<QList<qint64>> JobStore::insertPostgres(QSqlDatabase &d, const QList<NewJob> &jobs,
                                               const QString &actor, const JobInsertAudit &audit)
{
    constexpr qsizetype kChunk = 500;
    std::optional<Transaction> tx;
    if (jobs.size() > kChunk || audit) {
        tx.emplace(d);
        if (auto st = tx->begin(); !st)
            return st.error();
    }
    const Now now = this->now();
    const QString by = literal(d, actor);
    const QString nowSql = withNow(QStringLiteral("{now}"), now);
    const QString notifyPrefix = literal(d, QStringLiteral("enqueued|%1|").arg(JobEvent::processOrigin()));
    QList<qint64> ids;
    ids.reserve(jobs.size());
    QSqlQuery q(d);
    q.setForwardOnly(true);
    for (qsizetype start = 0; start < jobs.size(); start += kChunk) {
        const qsizetype n = qMin(kChunk, jobs.size() - start);
        QString values;
        for (qsizetype i = start; i < start + n; ++i) {
            const NewJob &job = jobs.at(i);
            if (i > start)
                values += QLatin1Char(',');
            // One pass of arg() over the template: text inside a payload ("%2", "{now}") stays as written.
            values += QStringLiteral("(%1, 'queued', %2, %3, %4, %5, %6, %6, %7)")
                          .arg(literal(d, job.type), QString::number(static_cast<int>(job.priority)),
                               literal(d, compactJson(job.payload)), QString::number(job.maxRetries),
                               job.runAt ? QString::number(*job.runAt) : nowSql, nowSql, by);
        }
        const QString sql =
            QStringLiteral(
                "WITH ins AS (INSERT INTO job_queue (job_type, status, priority, payload, "
                "max_retries, run_at, created_at, updated_at, created_by) VALUES %1 RETURNING id), "
                "n AS (SELECT pg_notify('%2', %3 || count(*) || '|' || CASE WHEN count(*) <= 500 "
                "THEN string_agg(id::text, ',' ORDER BY id) ELSE '' END) FROM ins) "
                "SELECT ins.id FROM ins CROSS JOIN n")
                .arg(values, QLatin1String(kJobChannel), notifyPrefix);
        if (!q.exec(sql))
            return Database::error(q.lastError(), Tr::tr("adding a job"));
        QList<qint64> chunk;
        chunk.reserve(n);
        while (q.next())
            chunk.append(q.value(0).toLongLong());
        std::sort(chunk.begin(), chunk.end());
        ids += chunk;
    }
    q.finish();
    if (audit) {
        if (auto st = audit(d, ids); !st)
            return st.error();
    }
    if (tx) {
        if (auto st = tx->commit(); !st)
            return st.error();
    }
    return ids;
}

Result<QList<ClaimedJob>> JobStore::claim(const QString &workerId, int max, qint64 leaseMs,
                                          const QStringList &types)
{
    if (max <= 0 || types.isEmpty())
        return QList<ClaimedJob>{};
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    const Now now = this->now();
    if (!m_config.isPostgres())
        return claimSqlite(d, workerId, max, leaseMs, types, now);
    // One statement, its own transaction: the subquery locks the due rows it picks and skips rows that
    // another worker is claiming at this moment, so claims never wait for each other. Sent without
    // PREPARE (one round trip); every value is escaped by the driver.
    QStringList typeList;
    for (const QString &t : types)
        typeList << literal(d, t);
    const QString sql =
        withNow(QStringLiteral("WITH picked AS MATERIALIZED (SELECT id FROM job_queue "
                               "WHERE status = 'queued' AND run_at <= {now} AND job_type IN (%1) "
                               "ORDER BY priority DESC, run_at, id LIMIT %2 FOR UPDATE SKIP LOCKED) "
                               "UPDATE job_queue AS j SET status = 'processing', worker_id = %3, "
                               "started_at = {now}, updated_at = {now}, lease_expires_at = {now} + %4, "
                               "attempts = j.attempts + 1, progress = NULL, completed_at = NULL "
                               "FROM picked WHERE j.id = picked.id RETURNING j.id, j.job_type, j.payload, "
                               "j.attempts, j.retry_count, j.max_retries, j.started_at"),
                now)
            .arg(typeList.join(QLatin1Char(',')), QString::number(max), literal(d, workerId),
                 QString::number(leaseMs));
    QSqlQuery q(d);
    q.setForwardOnly(true);
    if (!q.exec(sql))
        return Database::error(q.lastError(), Tr::tr("claiming jobs"));
    QList<ClaimedJob> out;
    while (q.next()) {
        ClaimedJob c;
        c.id = q.value(0).toLongLong();
        c.type = q.value(1).toString();
        c.payload = parseObject(q.value(2));
        c.attempt = q.value(3).toInt();
        c.retryCount = q.value(4).toInt();
        c.maxRetries = q.value(5).toInt();
        c.claimedAt = q.value(6).toLongLong();
        out.append(std::move(c));
    }
    q.finish();
    // RETURNING order is unspecified: restore the claim order for the dispatcher.
    std::sort(out.begin(), out.end(), [](const ClaimedJob &a, const ClaimedJob &b) { return a.id < b.id; });
    return out;
}

// SQLite: inside one write transaction, read the due jobs through the queue index, then mark them
// running by id. Two statements instead of UPDATE … RETURNING, which SQLite runs by collecting the
// returned rows in a temporary table (measured: 5 k instructions per job more). The job_counts
// triggers are off for the UPDATE: one UPDATE of the counts per batch replaces two per job.
Result<QList<ClaimedJob>> JobStore::claimSqlite(QSqlDatabase &d, const QString &workerId, int max,
                                                qint64 leaseMs, const QStringList &types, const Now &now)
{
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    QStringList marks;
    for (qsizetype i = 0; i < types.size(); ++i)
        marks << QStringLiteral("?");
    const QString doing = Tr::tr("claiming jobs");
    // The partial queue index, named: without statistics the planner picks the type index and sorts
    // every row of the type, completed ones included (measured: 14 k instead of 90 k claims/s on
    // 200,000 jobs). The literal status = 'queued' is what makes the partial index usable.
    SqliteStatement select(
        d, withNow(QStringLiteral("SELECT id, job_type, payload, attempts, retry_count, max_retries "
                                  "FROM background_jobs INDEXED BY idx_jobs_queue "
                                  "WHERE status = 'queued' AND run_at <= {now} AND job_type IN (%1) "
                                  "ORDER BY priority DESC, run_at, id LIMIT ?")
                       .arg(marks.join(QLatin1Char(','))),
                   now)
               .toUtf8());
    int index = 1;
    for (const QString &t : types)
        select.bind(index++, t.toUtf8());
    select.bind(index, max);
    QList<ClaimedJob> out;
    QByteArray ids = "[";
    while (select.next()) {
        ClaimedJob c;
        c.id = select.int64(0);
        c.type = select.text(1);
        c.payload = QJsonDocument::fromJson(select.utf8(2)).object();
        c.attempt = int(select.int64(3)) + 1;
        c.retryCount = int(select.int64(4));
        c.maxRetries = int(select.int64(5));
        c.claimedAt = now.ms;
        if (ids.size() > 1)
            ids += ',';
        ids += QByteArray::number(c.id);
        out.append(std::move(c));
    }
    if (auto st = select.status(doing); !st)
        return st.error();
    if (out.isEmpty()) {
        tx.rollback();
        return out;
    }
    ids += ']';
    // Not completed_at = NULL: every way back to the queue clears it already, and naming the column
    // would move each row in the completed_at index for nothing (6 k instructions per job, measured).
    SqliteTriggersOff triggersOff(d);
    SqliteStatement update(
        d, withNow(QStringLiteral("UPDATE background_jobs SET status = 'processing', worker_id = ?, "
                                  "started_at = {now}, updated_at = {now}, lease_expires_at = {now} + ?, "
                                  "attempts = attempts + 1, progress = NULL "
                                  "WHERE id IN (SELECT value FROM json_each(?)) AND status = 'queued'"),
                   now)
               .toUtf8());
    update.bind(1, workerId.toUtf8());
    update.bind(2, leaseMs);
    update.bind(3, ids);
    if (auto st = update.run(doing); !st)
        return st.error();
    // The write transaction holds the database since the SELECT: nobody changed these rows meanwhile.
    if (update.changes() != out.size())
        return Error{Error::Code::Database,
                     Tr::tr("Claiming jobs changed %1 rows instead of %2; nothing was claimed.")
                         .arg(update.changes())
                         .arg(out.size())};
    if (triggersOff.active()) {
        if (auto st = moveCounts(d, JobStatus::Queued, JobStatus::Processing, out.size()); !st)
            return st.error();
    }
    if (auto st = tx.commit(); !st)
        return st.error();
    return out;
}

// PostgreSQL: every completion of the batch in one statement (one round trip), in data-modifying CTEs:
// the fenced DELETE from job_queue, the finished rows into job_archive, the attempt rows. Moving a job
// costs less than rewriting it in place would: the queue's row leaves its indexes without a new entry,
// and the archive's list indexes get the one entry a finished job needs.
Result<FinishReport> JobStore::finishCompletedBatch(QSqlDatabase &d, const QString &workerId,
                                                    const QList<JobOutcome> &completed, const Now &now)
{
    FinishReport report;
    // One array literal per column, unnested on the server: parsing and planning cost the same for 5
    // jobs and for 500 (a VALUES list of literals costs per row).
    QString ids, attempts, results, startedAges, finishedAges;
    for (const JobOutcome &o : completed) {
        const QLatin1Char sep(ids.isEmpty() ? '{' : ',');
        ids += sep + QString::number(o.id);
        attempts += sep + QString::number(o.attempt);
        QString json = compactJson(o.result);
        json.replace(QLatin1Char('\\'), QLatin1String("\\\\"))
            .replace(QLatin1Char('"'), QLatin1String("\\\""));
        results += sep + QLatin1Char('"') + json + QLatin1Char('"');
        startedAges +=
            sep + (o.startedAt > 0 ? QString::number(now.ms - o.startedAt) : QStringLiteral("NULL"));
        finishedAges += sep + QString::number(o.finishedAt > 0 ? now.ms - o.finishedAt : 0);
    }
    for (QString *a : {&ids, &attempts, &results, &startedAges, &finishedAges})
        *a += QLatin1Char('}');
    const QString values =
        QStringLiteral("SELECT * FROM unnest(%1::bigint[], %2::int[], %3::text[], %4::bigint[], "
                       "%5::bigint[])")
            .arg(literal(d, ids), literal(d, attempts), literal(d, results), literal(d, startedAges),
                 literal(d, finishedAges));
    const QString worker = literal(d, workerId);
    const QString sql =
        withNow(
            QStringLiteral(
                "WITH v (id, attempt, result, started_age, finished_age) AS (%1), "
                "done AS (DELETE FROM job_queue AS j USING v WHERE j.id = v.id AND j.worker_id = %2 "
                "AND j.status = 'processing' AND j.attempts = v.attempt RETURNING j.*, v.result AS "
                "new_result, "
                "COALESCE({now} - v.started_age, j.started_at) AS new_started_at, v.attempt AS attempt, "
                "v.finished_age), "
                "archived AS (INSERT INTO job_archive (%3) "
                "SELECT id, job_type, 'completed', priority, payload, new_result, NULL, retry_count, "
                "max_retries, "
                "attempts, run_at, created_at, new_started_at, {now}, {now}, created_by, worker_id, NULL, "
                "cancel_requested, 1, schedule_id FROM done), "
                "att AS (INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, finished_at, "
                "outcome, "
                "error) SELECT id, attempt, %2, COALESCE(new_started_at, {now}), {now} - finished_age, "
                "'completed', NULL FROM done ON CONFLICT (job_id, attempt) DO NOTHING) "
                "SELECT id, job_type, retry_count, max_retries, run_at FROM done"),
            now)
            .arg(values, worker, kJobColumns); // after withNow: a result's text is not a placeholder
    QSqlQuery q(d);
    q.setForwardOnly(true);
    if (!q.exec(sql))
        return Database::error(q.lastError(), Tr::tr("saving %1 job results").arg(completed.size()));
    QSet<qint64> applied;
    while (q.next()) {
        JobTransition t;
        t.id = q.value(0).toLongLong();
        t.type = q.value(1).toString();
        t.status = JobStatus::Completed;
        t.retryCount = q.value(2).toInt();
        t.maxRetries = q.value(3).toInt();
        t.runAt = q.value(4).toLongLong();
        applied.insert(t.id);
        report.applied.append(t);
    }
    for (const JobOutcome &o : completed) {
        if (!applied.contains(o.id))
            report.rejected.append(o.id); // another worker owns it now, or it was deleted
    }
    return report;
}

// SQLite: the completions of a batch in a few statements, whatever its size. Jobs with the same result
// and attempt (every no-op, most jobs of one type) share one fenced UPDATE over their ids; a batch with many
// different results takes one UPDATE … FROM over the batch as a JSON array instead. Then the attempt
// rows, and the counts. No RETURNING (SQLite collects returned rows in a temporary table: 11 k
// instructions per job, measured): the UPDATE's change count tells whether every job was still this
// worker's; when one was not (its lease was lost), the batch is redone after a look at which ones.
// The unary + keeps the planner from driving the UPDATE through the status or worker index instead
// of looking each job up by primary key.
Result<FinishReport> JobStore::finishCompletedBatchSqlite(QSqlDatabase &d, const QString &workerId,
                                                          const QList<JobOutcome> &completed, const Now &now)
{
    constexpr qsizetype kMaxGroups = 8;
    // The batch's ids by (result text, attempt): a flat JSON array of ids per group, whose elements
    // SQLite reads without parsing them again (an [id, attempt] pair costs 3 k instructions per ->>).
    struct Group {
        QByteArray result;
        int attempt = 0;
        QByteArray ids;
    };
    QList<Group> groups;
    QHash<std::pair<QByteArray, int>, qsizetype> groupOf;
    QByteArray all = "[";
    for (const JobOutcome &o : completed) {
        const QByteArray result = o.result.isEmpty() ? QByteArrayLiteral("{}")
                                                     : QJsonDocument(o.result).toJson(QJsonDocument::Compact);
        if (all.size() > 1)
            all += ',';
        all += '[' + QByteArray::number(o.id) + ',' + QByteArray::number(o.attempt) + ',' + result + ']';
        if (groups.size() <= kMaxGroups) {
            auto it = groupOf.constFind({result, o.attempt});
            if (it == groupOf.cend()) {
                it = groupOf.insert({result, o.attempt}, groups.size());
                groups.append({result, o.attempt, QByteArrayLiteral("[")});
            }
            QByteArray &ids = groups[it.value()].ids;
            if (ids.size() > 1)
                ids += ',';
            ids += QByteArray::number(o.id);
        }
    }
    all += ']';
    const bool grouped = groups.size() <= kMaxGroups;
    const QString doing = Tr::tr("saving %1 job results").arg(completed.size());

    QSqlQuery q(d);
    q.setForwardOnly(true);
    SqliteTriggersOff triggersOff(d);
    if (auto st = Sql::exec(d, QStringLiteral("SAVEPOINT finish_batch"), doing); !st)
        return st.error();
    qsizetype changed = 0;
    if (grouped) {
        SqliteStatement update(
            d, withNow(QStringLiteral("UPDATE background_jobs SET status = 'completed', result = ?, "
                                      "error_message = NULL, completed_at = {now}, updated_at = {now}, "
                                      "lease_expires_at = NULL, progress = 1 WHERE id IN "
                                      "(SELECT value FROM json_each(?)) AND +attempts = ? "
                                      "AND +worker_id = ? AND +status = 'processing'"),
                       now)
                   .toUtf8());
        update.bind(4, workerId.toUtf8());
        for (const Group &g : std::as_const(groups)) {
            update.reset();
            update.bind(1, g.result);
            update.bind(2, g.ids + ']');
            update.bind(3, g.attempt);
            if (auto st = update.run(doing); !st)
                return st.error();
            changed += update.changes();
        }
    } else {
        SqliteStatement update(
            d,
            withNow(QStringLiteral("UPDATE background_jobs AS j SET status = 'completed', result = v.result, "
                                   "error_message = NULL, completed_at = {now}, updated_at = {now}, "
                                   "lease_expires_at = NULL, progress = 1 FROM (SELECT value ->> 0 AS id, "
                                   "value ->> 1 AS attempt, value -> 2 AS result FROM json_each(?)) AS v "
                                   "WHERE j.id = v.id AND j.attempts = v.attempt AND +j.worker_id = ? "
                                   "AND +j.status = 'processing'"),
                    now)
                .toUtf8());
        update.bind(1, all);
        update.bind(2, workerId.toUtf8());
        if (auto st = update.run(doing); !st)
            return st.error();
        changed = update.changes();
    }
    if (changed != completed.size()) {
        // Some job is no longer this worker's: undo, find out which, and complete only the others.
        for (const char *sql : {"ROLLBACK TO finish_batch", "RELEASE finish_batch"}) {
            if (auto st = Sql::exec(d, QString::fromLatin1(sql), doing); !st)
                return st.error();
        }
        if (auto st =
                Sql::prepare(q, QStringLiteral("SELECT value ->> 0 FROM json_each(?) AS v WHERE EXISTS "
                                               "(SELECT 1 FROM background_jobs WHERE id = v.value ->> 0 "
                                               "AND attempts = v.value ->> 1 AND worker_id = ? "
                                               "AND status = 'processing')"));
            !st)
            return st.error();
        q.addBindValue(QString::fromUtf8(all));
        q.addBindValue(workerId);
        if (auto st = Sql::exec(q, doing); !st)
            return st.error();
        QSet<qint64> owned;
        while (q.next())
            owned.insert(q.value(0).toLongLong());
        q.finish();
        FinishReport report;
        QList<JobOutcome> applied;
        for (const JobOutcome &o : completed) {
            if (owned.contains(o.id))
                applied.append(o);
            else
                report.rejected.append(o.id); // another worker owns it now, or it was deleted
        }
        if (applied.isEmpty())
            return report;
        auto rest = finishCompletedBatchSqlite(d, workerId, applied, now);
        if (!rest)
            return rest.error();
        FinishReport done = std::move(rest).value();
        done.rejected += report.rejected;
        return done;
    }
    if (auto st = Sql::exec(d, QStringLiteral("RELEASE finish_batch"), doing); !st)
        return st.error();
    FinishReport report;

    // The transitions: from what the worker knew of each job, or from the database for callers that
    // did not say (tests, tools).
    QHash<qint64, JobTransition> looked;
    QByteArray unknown = "[";
    for (const JobOutcome &o : completed) {
        if (o.type.isEmpty()) {
            if (unknown.size() > 1)
                unknown += ',';
            unknown += QByteArray::number(o.id);
        }
    }
    if (unknown.size() > 1) {
        if (auto st = Sql::prepare(q, QStringLiteral("SELECT id, job_type, retry_count, max_retries, run_at "
                                                     "FROM background_jobs WHERE id IN "
                                                     "(SELECT value FROM json_each(?))"));
            !st)
            return st.error();
        q.addBindValue(QString::fromLatin1(unknown + ']'));
        if (auto st = Sql::exec(q, doing); !st)
            return st.error();
        while (q.next()) {
            JobTransition t;
            t.id = q.value(0).toLongLong();
            t.type = q.value(1).toString();
            t.retryCount = q.value(2).toInt();
            t.maxRetries = q.value(3).toInt();
            t.runAt = q.value(4).toLongLong();
            looked.insert(t.id, t);
        }
        q.finish();
    }
    // One row per attempt through one prepared statement: reading four numbers per job out of a JSON
    // array costs SQLite three times as much as the insert itself.
    SqliteStatement insert(
        d, withNow(QStringLiteral("INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, "
                                  "finished_at, outcome, error) VALUES (?1, ?2, ?3, COALESCE(?4, (SELECT "
                                  "started_at FROM background_jobs WHERE id = ?1), {now}), ?5, 'completed', "
                                  "NULL) ON CONFLICT (job_id, attempt) DO NOTHING"),
                   now)
               .toUtf8());
    insert.bind(3, workerId.toUtf8());
    const QString recording = Tr::tr("recording %1 attempts").arg(completed.size());
    for (const JobOutcome &o : completed) {
        JobTransition t = looked.value(o.id);
        t.id = o.id;
        t.status = JobStatus::Completed;
        if (!o.type.isEmpty()) {
            t.type = o.type;
            t.retryCount = o.retryCount;
            t.maxRetries = o.maxRetries;
        }
        report.applied.append(t);
        // The attempt keeps when the handler really started; the job row keeps when it was claimed
        // (rewriting it would move the row in the started_at index once more per job).
        insert.reset();
        insert.bind(1, o.id);
        insert.bind(2, o.attempt);
        if (o.startedAt > 0)
            insert.bind(4, o.startedAt);
        else
            insert.bindNull(4);
        insert.bind(5, o.finishedAt > 0 ? o.finishedAt : now.ms);
        if (auto st = insert.run(recording); !st)
            return st.error();
    }
    if (triggersOff.active()) {
        if (auto st = moveCounts(d, JobStatus::Processing, JobStatus::Completed, completed.size()); !st)
            return st.error();
    }
    return report;
}

// SQLite, with its job_counts triggers off: n jobs went from one status to another.
Status JobStore::moveCounts(QSqlDatabase &d, JobStatus from, JobStatus to, qsizetype n)
{
    QSqlQuery q(d);
    if (auto st = Sql::prepare(q, QStringLiteral("UPDATE job_counts SET n = n + CASE WHEN status = ? THEN ? "
                                                 "ELSE ? END WHERE status = ? OR status = ?"));
        !st)
        return st;
    q.addBindValue(toString(to));
    q.addBindValue(qint64(n));
    q.addBindValue(-qint64(n));
    q.addBindValue(toString(from));
    q.addBindValue(toString(to));
    return Sql::exec(q, Tr::tr("counting jobs"));
}

Result<FinishReport> JobStore::finish(const QString &workerId, const QList<JobOutcome> &outcomes)
{
    FinishReport report;
    if (outcomes.isEmpty())
        return report;
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    const Now now = this->now();
    const Dialect dialect = Dialect::of(m_config);

    QList<JobOutcome> batched;
    QList<const JobOutcome *> single;
    for (const JobOutcome &o : outcomes) {
        if (o.kind == JobOutcome::Kind::Completed)
            batched.append(o);
        else
            single.append(&o);
    }
    // Only completions: the batch statement is atomic by itself.
    std::optional<Transaction> tx;
    if (!single.isEmpty() || !dialect.isPostgres()) {
        tx.emplace(d);
        if (auto st = tx->begin(); !st)
            return st.error();
    }
    if (!batched.isEmpty()) {
        auto r = dialect.isPostgres() ? finishCompletedBatch(d, workerId, batched, now)
                                      : finishCompletedBatchSqlite(d, workerId, batched, now);
        if (!r)
            return r.error();
        report = r.value();
    }

    // Statements are prepared when first needed: on PostgreSQL each PREPARE is a round trip.
    QSqlQuery complete(d);
    QSqlQuery fail(d);
    QSqlQuery stop(d);
    QSqlQuery requeue(d);
    QSqlQuery attempt(d);
    bool completePrepared = false, failPrepared = false, stopPrepared = false, requeuePrepared = false,
         attemptPrepared = false;
    const auto prepareOnce = [&](QSqlQuery &q, bool &prepared, const QString &sql) -> Status {
        if (prepared)
            return {};
        prepared = true;
        return Sql::prepare(q, withNow(sql, now));
    };

    for (const JobOutcome *op : std::as_const(single)) {
        const JobOutcome &o = *op;
        // Worker times travel as ages ("finished 12 ms ago" by the worker's own clock) and become
        // server time here, so the clocks of different machines never meet in one column.
        const QVariant startedAge = o.startedAt > 0 ? QVariant(now.ms - o.startedAt) : nullInt64();
        const qint64 finishedAge = o.finishedAt > 0 ? now.ms - o.finishedAt : 0;
        JobTransition t;
        t.id = o.id;
        t.error = o.error;
        QSqlQuery *q = nullptr;
        Status prepared;
        switch (o.kind) {
        case JobOutcome::Kind::Completed:
            prepared = prepareOnce(
                complete, completePrepared,
                QStringLiteral(
                    "UPDATE {queue} SET status = 'completed', result = ?, "
                    "error_message = NULL, started_at = COALESCE({now} - ?, started_at), "
                    "completed_at = {now}, updated_at = {now}, lease_expires_at = NULL, "
                    "progress = 1 WHERE id = ? AND worker_id = ? AND status = 'processing' AND attempts = ? "
                    "RETURNING job_type, retry_count, max_retries, run_at, started_at"));
            q = &complete;
            q->addBindValue(compactJson(o.result));
            q->addBindValue(startedAge);
            t.status = JobStatus::Completed;
            break;
        case JobOutcome::Kind::Failed:
        case JobOutcome::Kind::TimedOut: {
            // Failures: retry with backoff while retries remain (and the error is retryable), else fail
            // for good; a job whose cancellation was asked meanwhile ends cancelled instead of running
            // again. SET expressions see the old row, so every CASE tests the same values.
            prepared = prepareOnce(
                fail, failPrepared,
                QStringLiteral(
                    "UPDATE {queue} SET "
                    "status = CASE WHEN cancel_requested = 1 THEN 'cancelled' "
                    "  WHEN ? AND retry_count < max_retries THEN 'queued' ELSE 'failed' END, "
                    "run_at = CASE WHEN cancel_requested = 0 AND ? AND retry_count < max_retries "
                    "  THEN {now} + ? * %1 ELSE run_at END, "
                    "completed_at = CASE WHEN cancel_requested = 0 AND ? AND retry_count < max_retries "
                    "  THEN NULL ELSE {now} END, "
                    "retry_count = CASE WHEN cancel_requested = 0 AND ? AND retry_count < max_retries "
                    "  THEN retry_count + 1 ELSE retry_count END, "
                    "error_message = ?, error_code = ?, error_args = ?, "
                    "started_at = COALESCE({now} - ?, started_at), updated_at = {now}, lease_expires_at = "
                    "NULL "
                    "WHERE id = ? AND worker_id = ? AND status = 'processing' AND attempts = ? "
                    "RETURNING job_type, status, retry_count, max_retries, run_at, started_at")
                    .arg(dialect.powerOfTwo(QStringLiteral("retry_count + 1"))));
            q = &fail;
            const bool retry = o.retryable;
            q->addBindValue(retry);
            q->addBindValue(retry);
            q->addBindValue(m_retry.baseMs);
            q->addBindValue(retry);
            q->addBindValue(retry);
            bindError(*q, o);
            q->addBindValue(startedAge);
            break;
        }
        case JobOutcome::Kind::Cancelled:
            prepared = prepareOnce(
                stop, stopPrepared,
                QStringLiteral("UPDATE {queue} SET status = 'cancelled', error_message = ?, error_code = ?, "
                               "error_args = ?, "
                               "started_at = COALESCE({now} - ?, started_at), completed_at = {now}, "
                               "updated_at = {now}, lease_expires_at = NULL "
                               "WHERE id = ? AND worker_id = ? AND status = 'processing' AND attempts = ? "
                               "RETURNING job_type, retry_count, max_retries, run_at, started_at"));
            q = &stop;
            bindError(*q, o);
            q->addBindValue(startedAge);
            t.status = JobStatus::Cancelled;
            break;
        case JobOutcome::Kind::Interrupted:
            // Interrupted by a shutdown: back to the queue without spending a retry.
            prepared = prepareOnce(
                requeue, requeuePrepared,
                QStringLiteral("UPDATE {queue} SET status = CASE WHEN cancel_requested = 1 "
                               "THEN 'cancelled' ELSE 'queued' END, "
                               "completed_at = CASE WHEN cancel_requested = 1 THEN {now} ELSE NULL END, "
                               "run_at = {now}, error_message = ?, error_code = ?, error_args = ?, "
                               "updated_at = {now}, lease_expires_at = NULL "
                               "WHERE id = ? AND worker_id = ? AND status = 'processing' AND attempts = ? "
                               "RETURNING job_type, retry_count, max_retries, run_at, started_at, "
                               "status"));
            q = &requeue;
            bindError(*q, o);
            t.status = JobStatus::Queued;
            break;
        }
        if (!prepared)
            return prepared.error();
        q->addBindValue(o.id);
        q->addBindValue(workerId);
        q->addBindValue(o.attempt);
        if (!q->exec())
            return Database::error(q->lastError(),
                                   Tr::tr("saving the outcome of %1").arg(Job::publicId(o.id)));
        if (!q->next()) {
            // Another worker took the job over after our lease expired, or it was deleted.
            report.rejected.append(o.id);
            continue;
        }
        t.type = q->value(0).toString();
        QVariant startedAt;
        if (o.kind == JobOutcome::Kind::Failed || o.kind == JobOutcome::Kind::TimedOut) {
            t.status = statusOf(q->value(1));
            t.retryCount = q->value(2).toInt();
            t.maxRetries = q->value(3).toInt();
            t.runAt = q->value(4).toLongLong();
            startedAt = q->value(5);
        } else {
            t.retryCount = q->value(1).toInt();
            t.maxRetries = q->value(2).toInt();
            t.runAt = q->value(3).toLongLong();
            startedAt = q->value(4);
            if (o.kind == JobOutcome::Kind::Interrupted)
                t.status = statusOf(q->value(5));
        }
        q->finish();

        if (auto st = prepareOnce(
                attempt, attemptPrepared,
                QStringLiteral(
                    "INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, "
                    "finished_at, outcome, error, error_code, error_args) VALUES (?, ?, ?, "
                    "COALESCE(?, {now}), {now} - ?, ?, ?, ?, ?) ON CONFLICT (job_id, attempt) DO NOTHING"));
            !st)
            return st.error();
        attempt.addBindValue(o.id);
        attempt.addBindValue(o.attempt);
        attempt.addBindValue(workerId);
        attempt.addBindValue(startedAt.isNull() || startedAt.toLongLong() <= 0
                                 ? nullInt64()
                                 : QVariant(startedAt.toLongLong()));
        attempt.addBindValue(finishedAge);
        attempt.addBindValue(QString::fromLatin1(outcomeName(o.kind)));
        attempt.addBindValue(o.error.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                               : QVariant(o.error));
        attempt.addBindValue(errorOf(o).codeValue());
        attempt.addBindValue(errorOf(o).argsValue());
        if (!attempt.exec())
            return Database::error(
                attempt.lastError(),
                Tr::tr("recording attempt %1 of %2").arg(o.attempt).arg(Job::publicId(o.id)));
        report.applied.append(t);
    }
    if (tx) {
        if (auto st = tx->commit(); !st)
            return st.error();
    }
    return report;
}

Result<int> JobStore::release(const QString &workerId, const QList<qint64> &ids)
{
    if (ids.isEmpty())
        return 0;
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    QSqlQuery q(d);
    q.prepare(withNow(QStringLiteral("UPDATE {queue} SET status = CASE WHEN cancel_requested = 1 "
                                     "THEN 'cancelled' ELSE 'queued' END, attempts = attempts - 1, "
                                     "lease_expires_at = NULL, started_at = NULL, updated_at = {now} "
                                     "WHERE worker_id = ? AND status = 'processing' AND id IN (%1)")
                          .arg(Sql::idList(ids)),
                      now()));
    q.addBindValue(workerId);
    if (auto st = Sql::exec(q, Tr::tr("returning unstarted jobs to the queue")); !st)
        return st.error();
    return q.numRowsAffected();
}

Result<QList<qint64>> JobStore::heartbeat(const QString &workerId, qint64 leaseMs, int running,
                                          const QString &lastError)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    const Now now = this->now();
    QSqlQuery q(d);
    q.prepare(withNow(QStringLiteral("UPDATE {queue} SET lease_expires_at = {now} + ? "
                                     "WHERE worker_id = ? AND status = 'processing'"),
                      now));
    q.addBindValue(leaseMs);
    q.addBindValue(workerId);
    if (auto st = Sql::exec(q, Tr::tr("extending job leases")); !st)
        return st.error();
    q.prepare(withNow(QStringLiteral("UPDATE workers SET heartbeat_at = {now}, running = ?, %1 WHERE id = ?")
                          .arg(kSetLastError),
                      now));
    q.addBindValue(running);
    bindLastError(q, lastError);
    q.addBindValue(workerId);
    if (auto st = Sql::exec(q, Tr::tr("recording the worker heartbeat")); !st)
        return st.error();
    q.prepare(withNow(QStringLiteral("SELECT id FROM {queue} WHERE worker_id = ? AND status = 'processing' "
                                     "AND cancel_requested = 1"),
                      now));
    q.addBindValue(workerId);
    if (auto st = Sql::exec(q, Tr::tr("reading cancellation requests")); !st)
        return st.error();
    QList<qint64> cancelled;
    while (q.next())
        cancelled.append(q.value(0).toLongLong());
    q.finish();
    if (auto st = tx.commit(); !st)
        return st.error();
    return cancelled;
}

Status JobStore::markStarted(const QString &workerId, const QList<QPair<qint64, int>> &started, bool sweep)
{
    if (started.isEmpty() && !sweep)
        return {};
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st;
    const Now now = this->now();
    QSqlQuery q(d);
    if (sweep) {
        // Runs that are over (completed, failed, requeued, taken over) need no record any more.
        q.prepare(withNow(QStringLiteral("DELETE FROM job_starts WHERE worker_id = ? AND NOT EXISTS "
                                         "(SELECT 1 FROM {queue} AS j WHERE j.id = job_starts.job_id "
                                         "AND j.attempts = job_starts.attempt AND j.status = 'processing' "
                                         "AND j.worker_id = job_starts.worker_id)"),
                          now));
        q.addBindValue(workerId);
        if (auto st = Sql::exec(q, Tr::tr("clearing the start records of finished jobs")); !st)
            return st;
    }
    if (!started.isEmpty()) {
        // Fenced like every write after a claim: only a run this worker still owns is recorded.
        q.prepare(withNow(QStringLiteral("INSERT INTO job_starts (job_id, attempt, worker_id) "
                                         "SELECT id, attempts, worker_id FROM {queue} WHERE id = ? "
                                         "AND attempts = ? AND worker_id = ? AND status = 'processing' "
                                         "ON CONFLICT (job_id, attempt) DO NOTHING"),
                          now));
        for (const auto &[id, attempt] : started) {
            q.addBindValue(id);
            q.addBindValue(attempt);
            q.addBindValue(workerId);
            if (auto st = Sql::exec(q, Tr::tr("recording that jobs started")); !st)
                return st;
        }
    }
    return tx.commit();
}

Result<QList<qint64>> JobStore::ownedJobs(const QString &workerId)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    q.prepare(withNow(QStringLiteral("SELECT id FROM {queue} WHERE worker_id = ? AND status = 'processing'"),
                      now()));
    q.addBindValue(workerId);
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("reading the jobs of %1").arg(workerId));
    QList<qint64> ids;
    while (q.next())
        ids.append(q.value(0).toLongLong());
    return ids;
}

Status JobStore::saveProgress(const QString &workerId, const QList<QPair<qint64, double>> &progress)
{
    if (progress.isEmpty())
        return {};
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st;
    QSqlQuery q(d);
    q.prepare(withNow(QStringLiteral("UPDATE {queue} SET progress = ?, updated_at = {now} "
                                     "WHERE id = ? AND worker_id = ? AND status = 'processing'"),
                      now()));
    for (const auto &[id, value] : progress) {
        q.addBindValue(value);
        q.addBindValue(id);
        q.addBindValue(workerId);
        if (auto st = Sql::exec(q, Tr::tr("saving job progress")); !st)
            return st;
    }
    return tx.commit();
}

Result<QList<JobTransition>> JobStore::reapExpired()
{
    auto out = rescue({}, JobError::make("store.lease_expired"));
    // PostgreSQL: the reaper also folds the deltas of the job counts into one row per status and type
    // (migration 017), so the table the jobs page reads stays short.
    if (out && m_config.isPostgres()) {
        if (auto conn = db(); conn) {
            QSqlQuery q(conn.value());
            if (!q.exec(QStringLiteral("SELECT job_counts_fold()")))
                qCWarning(lcJobs) << "folding the job counts failed:" << q.lastError().text();
        }
    }
    return out;
}

Result<QList<JobTransition>> JobStore::rescueOrphans(const QString &workerId)
{
    return rescue(workerId, JobError::make("store.worker_restarted"));
}

Result<QList<JobTransition>> JobStore::rescue(const QString &workerId, const JobError &lostError)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    const Now now = this->now();
    QSqlQuery q(d);
    // A lost execution spends a retry, so a job that kills its worker cannot loop forever. It is due
    // again at once: the delay of a backoff protects a failing service, not a crashed process. A job
    // the worker had only claimed (no start record for its current attempt) goes back without spending
    // one, unless it came back that way kFreeRescues times already.
    const QString started =
        QStringLiteral("(EXISTS (SELECT 1 FROM job_starts AS s WHERE s.job_id = {queue}.id "
                       "AND s.attempt = {queue}.attempts) OR (SELECT COUNT(*) FROM job_attempts AS a "
                       "WHERE a.job_id = {queue}.id AND a.outcome = 'not_started') >= %1)")
            .arg(kFreeRescues);
    q.prepare(
        withNow(QStringLiteral(
                    "UPDATE {queue} SET "
                    "status = CASE WHEN cancel_requested = 1 THEN 'cancelled' "
                    "  WHEN NOT %1 OR retry_count < max_retries THEN 'queued' ELSE 'failed' END, "
                    "retry_count = CASE WHEN cancel_requested = 0 AND %1 AND retry_count < max_retries "
                    "  THEN retry_count + 1 ELSE retry_count END, "
                    "completed_at = CASE WHEN cancel_requested = 0 AND (NOT %1 OR retry_count < max_retries) "
                    "  THEN NULL ELSE {now} END, "
                    "run_at = {now}, error_message = CASE WHEN %1 THEN ? ELSE ? END, "
                    "error_code = CASE WHEN %1 THEN ? ELSE ? END, updated_at = {now}, error_args = NULL, "
                    "lease_expires_at = NULL "
                    "WHERE status = 'processing' AND %2 "
                    "RETURNING id, job_type, status, retry_count, max_retries, run_at, worker_id, attempts, "
                    "started_at, CASE WHEN %1 THEN 1 ELSE 0 END")
                    .arg(started, workerId.isEmpty() ? QStringLiteral("lease_expires_at < {now}")
                                                     : QStringLiteral("worker_id = ?")),
                now));
    // Both messages have no arguments.
    const JobError notStartedError =
        JobError::make(workerId.isEmpty() ? "store.claim_lease_expired" : "store.claim_worker_restarted");
    q.addBindValue(lostError.text);
    q.addBindValue(notStartedError.text);
    q.addBindValue(lostError.code);
    q.addBindValue(notStartedError.code);
    if (!workerId.isEmpty())
        q.addBindValue(workerId);
    if (auto st = Sql::exec(q, Tr::tr("rescuing jobs of lost workers")); !st)
        return st.error();
    QList<JobTransition> out;
    struct Lost {
        qint64 id;
        int attempt;
        QString worker;
        qint64 started;
        bool ran;
    };
    QList<Lost> lost;
    while (q.next()) {
        JobTransition t;
        t.id = q.value(0).toLongLong();
        t.type = q.value(1).toString();
        t.status = statusOf(q.value(2));
        t.retryCount = q.value(3).toInt();
        t.maxRetries = q.value(4).toInt();
        t.runAt = q.value(5).toLongLong();
        const bool ran = q.value(9).toInt() != 0;
        t.error = ran ? lostError.text : notStartedError.text;
        out.append(t);
        lost.append(Lost{t.id, q.value(7).toInt(), q.value(6).toString(), msOrZero(q.value(8)), ran});
    }
    q.finish();
    if (!lost.isEmpty()) {
        QSqlQuery attempt(d);
        attempt.prepare(withNow(
            QStringLiteral("INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, "
                           "finished_at, outcome, error, error_code) VALUES (?, ?, ?, "
                           "COALESCE(?, {now}), {now}, ?, ?, ?) ON CONFLICT (job_id, attempt) DO NOTHING"),
            now));
        QList<qint64> ids;
        int notStarted = 0;
        for (const Lost &l : std::as_const(lost)) {
            ids.append(l.id);
            notStarted += l.ran ? 0 : 1;
            attempt.addBindValue(l.id);
            attempt.addBindValue(l.attempt);
            attempt.addBindValue(l.worker);
            attempt.addBindValue(l.started > 0 ? QVariant(l.started) : nullInt64());
            attempt.addBindValue(l.ran ? QStringLiteral("lost") : QStringLiteral("not_started"));
            attempt.addBindValue(l.ran ? lostError.text : notStartedError.text);
            attempt.addBindValue(l.ran ? lostError.code : notStartedError.code);
            if (auto st = Sql::exec(attempt, Tr::tr("recording a lost attempt")); !st)
                return st.error();
        }
        // The rescued runs' records, and those the lost workers left of runs that ended just before
        // they died (a record is swept a quarter second after its run at the latest).
        QStringList workers;
        for (const Lost &l : std::as_const(lost)) {
            if (!workers.contains(l.worker))
                workers.append(l.worker);
        }
        QSqlQuery forget(d);
        forget.prepare(
            withNow(QStringLiteral("DELETE FROM job_starts WHERE job_id IN (%1) OR (worker_id IN (%2) "
                                   "AND NOT EXISTS (SELECT 1 FROM {queue} AS j WHERE "
                                   "j.id = job_starts.job_id AND j.attempts = job_starts.attempt "
                                   "AND j.status = 'processing' AND j.worker_id = job_starts.worker_id))")
                        .arg(Sql::idList(ids),
                             QStringList(workers.size(), QStringLiteral("?")).join(QLatin1Char(','))),
                    now));
        for (const QString &w : std::as_const(workers))
            forget.addBindValue(w);
        if (auto st = Sql::exec(forget, Tr::tr("clearing the start records of rescued jobs")); !st)
            return st.error();
        if (notStarted > 0)
            qCInfo(lcJobs) << notStarted
                           << "of the rescued jobs had not started: requeued without spending a retry";
        if (m_config.isPostgres()) {
            JobEvent event;
            event.kind = JobEvent::Kind::Enqueued; // requeued jobs are due now: idle workers may take them
            for (const JobTransition &t : std::as_const(out))
                event.ids.append(t.id);
            if (auto st = notifyInTransaction(d, event); !st)
                return st.error();
        }
    }
    if (auto st = tx.commit(); !st)
        return st.error();
    if (!out.isEmpty())
        qCWarning(lcJobs) << "rescued" << out.size() << "jobs whose worker stopped responding";
    return out;
}

Status JobStore::registerWorker(const WorkerInfo &info)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(withNow(
        QStringLiteral(
            "INSERT INTO workers (id, host, pid, started_at, heartbeat_at, concurrency, running, version, "
            "stopped_at, lease_ms) "
            "VALUES (?, ?, ?, COALESCE(?, {now}), {now}, ?, 0, ?, NULL, ?) ON CONFLICT (id) DO UPDATE SET "
            "host = excluded.host, pid = excluded.pid, started_at = excluded.started_at, "
            "heartbeat_at = excluded.heartbeat_at, concurrency = excluded.concurrency, running = 0, "
            "version = excluded.version, stopped_at = NULL, lease_ms = excluded.lease_ms, "
            "last_error = NULL, last_error_at = NULL"),
        now()));
    q.addBindValue(info.id);
    q.addBindValue(info.host);
    q.addBindValue(info.pid);
    q.addBindValue(info.startedAt > 0 ? QVariant(info.startedAt) : nullInt64());
    q.addBindValue(info.concurrency);
    q.addBindValue(info.version);
    q.addBindValue(info.leaseMs > 0 ? QVariant(info.leaseMs) : nullInt64());
    return Sql::exec(q, Tr::tr("registering the worker"));
}

Status JobStore::unregisterWorker(const QString &workerId, const QString &lastError)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    // The error it stops with stays: it may say why the worker stopped.
    q.prepare(withNow(QStringLiteral("UPDATE workers SET stopped_at = {now}, running = 0, %1 WHERE id = ?")
                          .arg(kSetLastError),
                      now()));
    bindLastError(q, lastError);
    q.addBindValue(workerId);
    if (auto st = Sql::exec(q, Tr::tr("marking the worker stopped")); !st)
        return st;
    // Every run of a stopped worker is over: its start records are of no use.
    q.prepare(QStringLiteral("DELETE FROM job_starts WHERE worker_id = ?"));
    q.addBindValue(workerId);
    return Sql::exec(q, Tr::tr("clearing the start records of a stopped worker"));
}

Result<QList<WorkerInfo>> JobStore::workers()
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (!q.exec(
            QStringLiteral("SELECT id, host, pid, started_at, heartbeat_at, concurrency, running, version, "
                           "stopped_at, lease_ms, last_error, last_error_at "
                           "FROM workers ORDER BY heartbeat_at DESC")))
        return Database::error(q.lastError(), Tr::tr("listing workers"));
    QList<WorkerInfo> out;
    while (q.next()) {
        out.append(WorkerInfo{q.value(0).toString(), q.value(1).toString(), q.value(2).toLongLong(),
                              q.value(3).toLongLong(), q.value(4).toLongLong(), q.value(5).toInt(),
                              q.value(6).toInt(), q.value(7).toString(), msOrZero(q.value(8)),
                              msOrZero(q.value(9)), q.value(10).toString(), msOrZero(q.value(11))});
    }
    return out;
}

QList<JobActionResult> JobStore::perJob(
    const QList<qint64> &ids, const std::function<Result<JobActionResult>(QSqlDatabase &, qint64)> &action,
    const std::function<QList<JobEvent>(const QList<JobActionResult> &)> &events, const JobActionAudit &audit)
{
    QList<JobActionResult> out;
    auto conn = db();
    if (!conn) {
        for (qint64 id : ids)
            out.append(JobActionResult{id, false, conn.error().message, JobStatus::Queued});
        return out;
    }
    QSqlDatabase d = conn.value();
    Transaction tx(d);
    if (auto st = tx.begin(); !st) {
        for (qint64 id : ids)
            out.append(JobActionResult{id, false, st.error().message, JobStatus::Queued});
        return out;
    }
    for (qint64 id : ids) {
        auto r = action(d, id);
        if (!r) {
            // A database failure aborts the whole batch: nothing of it is written.
            out.clear();
            for (qint64 other : ids)
                out.append(JobActionResult{other, false, r.error().message, JobStatus::Queued});
            return out;
        }
        out.append(r.value());
    }
    if (audit && std::any_of(out.cbegin(), out.cend(), [](const JobActionResult &r) { return r.ok; })) {
        if (auto st = audit(d, out); !st) {
            out.clear();
            for (qint64 id : ids)
                out.append(JobActionResult{id, false, st.error().message, JobStatus::Queued});
            return out;
        }
    }
    if (m_config.isPostgres() && events) {
        // Other processes learn about it at commit: a cancel reaches the running worker at once.
        for (const JobEvent &event : events(out)) {
            if (auto st = notifyInTransaction(d, event); !st) {
                out.clear();
                for (qint64 id : ids)
                    out.append(JobActionResult{id, false, st.error().message, JobStatus::Queued});
                return out;
            }
        }
    }
    if (auto st = tx.commit(); !st) {
        out.clear();
        for (qint64 id : ids)
            out.append(JobActionResult{id, false, st.error().message, JobStatus::Queued});
    }
    return out;
}

namespace {

// Reads a job's status inside the caller's transaction, to explain why an action did not apply.
Result<std::optional<QPair<JobStatus, bool>>> currentState(QSqlDatabase &d, qint64 id)
{
    QSqlQuery q(d);
    q.prepare(QStringLiteral("SELECT status, cancel_requested FROM background_jobs WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("reading %1").arg(Job::publicId(id)));
    if (!q.next())
        return std::optional<QPair<JobStatus, bool>>{};
    return std::optional<QPair<JobStatus, bool>>{qMakePair(statusOf(q.value(0)), q.value(1).toInt() != 0)};
}

// Why an action did not apply; when the rules allow it now, the job changed state between our two
// statements (another worker moved it): say so rather than give an empty reason.
QString whyNotNow(JobAction action, JobStatus status, bool cancelRequested)
{
    const QString why = JobRules::whyNot(action, status, cancelRequested);
    return why.isEmpty()
               ? QCoreApplication::translate("hcm::JobStore", "the job changed state meanwhile; try again")
               : why;
}

JobActionResult notFound(qint64 id)
{
    return JobActionResult{id, false, Tr::tr("%1 does not exist").arg(Job::publicId(id)), JobStatus::Queued};
}

// Why `action` did not apply to job `id`: it does not exist, or its state forbids it (read in the
// caller's transaction).
Result<JobActionResult> refusal(QSqlDatabase &d, qint64 id, JobAction action)
{
    auto state = currentState(d, id);
    if (!state)
        return state.error();
    if (!state->has_value())
        return notFound(id);
    const auto [status, requested] = state->value();
    return JobActionResult{
        id, false, Job::publicId(id) + QLatin1String(": ") + whyNotNow(action, status, requested), status};
}

} // namespace

QList<JobActionResult> JobStore::cancel(const QList<qint64> &ids, const QString &actor,
                                        const JobActionAudit &audit)
{
    const Now now = this->now();
    const auto events = [](const QList<JobActionResult> &results) {
        JobEvent cancel{JobEvent::Kind::Cancel, {}, 0, {}};
        JobEvent changed{JobEvent::Kind::Changed, {}, 0, {}};
        for (const auto &r : results) {
            if (!r.ok)
                continue;
            changed.ids.append(r.id);
            if (r.status == JobStatus::Processing)
                cancel.ids.append(r.id);
        }
        QList<JobEvent> out;
        if (!cancel.ids.isEmpty())
            out.append(cancel); // the listener also reports these ids as changed
        else if (!changed.ids.isEmpty())
            out.append(changed);
        else
            return out;
        if (!cancel.ids.isEmpty() && changed.ids.size() != cancel.ids.size())
            out.append(changed);
        return out;
    };
    return perJob(
        ids,
        [&](QSqlDatabase &d, qint64 id) -> Result<JobActionResult> {
            QSqlQuery q(d);
            q.prepare(withNow(
                QStringLiteral("UPDATE {queue} SET status = 'cancelled', completed_at = {now}, "
                               "updated_at = {now}, error_message = ?, error_code = ?, error_args = ? "
                               "WHERE id = ? AND status = 'queued'"),
                now));
            const JobError why =
                JobError::make("store.cancelled_before_run", {{QStringLiteral("actor"), actor}});
            q.addBindValue(why.text);
            q.addBindValue(why.codeValue());
            q.addBindValue(why.argsValue());
            q.addBindValue(id);
            if (!q.exec())
                return Database::error(q.lastError(), Tr::tr("cancelling %1").arg(Job::publicId(id)));
            if (q.numRowsAffected() == 1)
                return JobActionResult{id, true, {}, JobStatus::Cancelled};
            q.prepare(
                withNow(QStringLiteral("UPDATE {queue} SET cancel_requested = 1, updated_at = {now} "
                                       "WHERE id = ? AND status = 'processing' AND cancel_requested = 0"),
                        now));
            q.addBindValue(id);
            if (!q.exec())
                return Database::error(q.lastError(), Tr::tr("cancelling %1").arg(Job::publicId(id)));
            if (q.numRowsAffected() == 1)
                return JobActionResult{id, true, {}, JobStatus::Processing};
            return refusal(d, id, JobAction::Cancel);
        },
        events, audit);
}

QList<JobActionResult> JobStore::retryNow(const QList<qint64> &ids, const QString &actor,
                                          const JobActionAudit &audit)
{
    // Who retried is recorded by `audit` (the audit trail) and in the log.
    qCDebug(lcJobs).noquote() << actor << "retries" << ids;
    const Now now = this->now();
    const auto events = [](const QList<JobActionResult> &results) {
        JobEvent event{JobEvent::Kind::Enqueued, {}, 0, {}};
        for (const auto &r : results)
            if (r.ok)
                event.ids.append(r.id);
        return event.ids.isEmpty() ? QList<JobEvent>{} : QList<JobEvent>{event};
    };
    return perJob(
        ids,
        [&](QSqlDatabase &d, qint64 id) -> Result<JobActionResult> {
            // A failed or cancelled job starts over with its full retry budget; a queued job waiting for
            // its next attempt becomes due now.
            // SQLite: one UPDATE. PostgreSQL: a queued job stays in job_queue; a failed or cancelled one
            // moves from job_archive back into job_queue. The first statement that takes the job wins.
            const QStringList statements =
                m_config.isPostgres()
                    ? QStringList{QStringLiteral(
                                      "UPDATE job_queue SET run_at = {now}, completed_at = NULL, "
                                      "cancel_requested = 0, updated_at = {now}, error_message = NULL, "
                                      "lease_expires_at = NULL WHERE id = ? AND status = 'queued'"),
                                  QStringLiteral(
                                      "WITH old AS (DELETE FROM job_archive WHERE id = ? AND status IN "
                                      "('failed', 'cancelled') RETURNING *) "
                                      "INSERT INTO job_queue (%1) "
                                      "SELECT id, job_type, 'queued', priority, payload, result, NULL, 0, "
                                      "max_retries, attempts, {now}, created_at, started_at, NULL, {now}, "
                                      "created_by, worker_id, NULL, 0, progress, schedule_id FROM old")
                                      .arg(kJobColumns)}
                    : QStringList{QStringLiteral(
                          "UPDATE background_jobs SET retry_count = CASE WHEN status = 'queued' THEN "
                          "retry_count ELSE 0 END, status = 'queued', run_at = {now}, completed_at = NULL, "
                          "cancel_requested = 0, updated_at = {now}, error_message = NULL, "
                          "lease_expires_at = NULL WHERE id = ? AND status IN ('failed', 'cancelled', "
                          "'queued')")};
            QSqlQuery q(d);
            for (const QString &sql : statements) {
                q.prepare(withNow(sql, now));
                q.addBindValue(id);
                if (!q.exec())
                    return Database::error(q.lastError(), Tr::tr("retrying %1").arg(Job::publicId(id)));
                if (q.numRowsAffected() == 1)
                    return JobActionResult{id, true, {}, JobStatus::Queued};
            }
            return refusal(d, id, JobAction::RetryNow);
        },
        events, audit);
}

QList<JobActionResult> JobStore::deleteFinished(const QList<qint64> &ids, const JobActionAudit &audit)
{
    return perJob(
        ids,
        [&](QSqlDatabase &d, qint64 id) -> Result<JobActionResult> {
            QSqlQuery q(d);
            // PostgreSQL: finished jobs live in job_archive, and their attempts have no foreign key to
            // take them along (the job row moves between two tables): deleted here, in the same
            // transaction.
            q.prepare(
                m_config.isPostgres()
                    ? QStringLiteral("WITH gone AS (DELETE FROM job_archive WHERE id = ? RETURNING id), "
                                     "attempts AS (DELETE FROM job_attempts WHERE job_id IN "
                                     "(SELECT id FROM gone)) SELECT count(*) FROM gone")
                    : QStringLiteral("DELETE FROM background_jobs WHERE id = ? "
                                     "AND status IN ('completed', 'failed', 'cancelled')"));
            q.addBindValue(id);
            if (!q.exec())
                return Database::error(q.lastError(), Tr::tr("deleting %1").arg(Job::publicId(id)));
            const bool deleted =
                m_config.isPostgres() ? q.next() && q.value(0).toInt() == 1 : q.numRowsAffected() == 1;
            q.finish();
            if (deleted)
                return JobActionResult{id, true, {}, JobStatus::Completed};
            return refusal(d, id, JobAction::Delete);
        },
        [](const QList<JobActionResult> &results) {
            JobEvent event{JobEvent::Kind::Changed, {}, 0, {}};
            for (const auto &r : results)
                if (r.ok)
                    event.ids.append(r.id);
            return event.ids.isEmpty() ? QList<JobEvent>{} : QList<JobEvent>{event};
        },
        audit);
}

Result<Job> JobStore::get(qint64 id, bool withAttempts)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("SELECT %1 FROM background_jobs WHERE id = ?").arg(kJobReadColumns));
    q.addBindValue(id);
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("reading %1").arg(Job::publicId(id)));
    if (!q.next())
        return Error{Error::Code::NotFound, Tr::tr("%1 does not exist").arg(Job::publicId(id))};
    Job job = jobFromQuery(q);
    q.finish();
    if (withAttempts) {
        auto list = attempts(id);
        if (!list)
            return list.error();
        job.attemptList = list.value();
    }
    return job;
}

Result<QList<JobAttempt>> JobStore::attempts(qint64 jobId)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("SELECT job_id, attempt, worker_id, started_at, finished_at, outcome, error, "
                             "error_code, error_args FROM job_attempts WHERE job_id = ? ORDER BY attempt"));
    q.addBindValue(jobId);
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("reading the attempts of %1").arg(Job::publicId(jobId)));
    QList<JobAttempt> out;
    while (q.next()) {
        const JobError e = JobError::fromColumns(q.value(6).toString(), q.value(7), q.value(8));
        out.append(JobAttempt{q.value(0).toLongLong(), q.value(1).toInt(), q.value(2).toString(),
                              q.value(3).toLongLong(), q.value(4).toLongLong(), q.value(5).toString(), e.text,
                              e.code, e.args});
    }
    return out;
}

Result<QList<Job>> JobStore::list(const JobFilter &filter)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    Where w = whereFor(filter, true);
    if (filter.beforeId > 0) {
        w.sql += w.sql.isEmpty() ? QStringLiteral(" WHERE id < ?") : QStringLiteral(" AND id < ?");
        w.values << filter.beforeId;
    }
    const QString dir = filter.order == Qt::AscendingOrder ? QStringLiteral("ASC") : QStringLiteral("DESC");
    QString order = sortExpression(filter.sort) + QLatin1Char(' ') + dir;
    if (filter.sort != JobSortColumn::Id)
        order += QStringLiteral(", id ") + dir;
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM background_jobs%2 ORDER BY %3 LIMIT ? OFFSET ?")
                  .arg(kJobReadColumns, w.sql, order));
    bindAll(q, w.values);
    q.addBindValue(qMax(0, filter.limit));
    q.addBindValue(qMax(0, filter.offset));
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("listing jobs"));
    QList<Job> out;
    while (q.next())
        out.append(jobFromQuery(q));
    return out;
}

Result<qint64> JobStore::count(const JobFilter &filter, qint64 limit)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    const Where w = whereFor(filter, true);
    QSqlQuery q(conn.value());
    if (limit > 0) {
        q.prepare(QStringLiteral("SELECT COUNT(*) FROM (SELECT 1 FROM background_jobs%1 LIMIT ?) AS bounded")
                      .arg(w.sql));
        bindAll(q, w.values);
        q.addBindValue(limit + 1);
    } else {
        q.prepare(QStringLiteral("SELECT COUNT(*) FROM background_jobs") + w.sql);
        bindAll(q, w.values);
    }
    if (!q.exec() || !q.next())
        return Database::error(q.lastError(), Tr::tr("counting jobs"));
    return q.value(0).toLongLong();
}

Result<QList<qint64>> JobStore::matchingIds(const JobFilter &filter, qint64 afterId, qint64 upToId, int limit,
                                            qint64 finishedBefore)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    Where w = whereFor(filter, true);
    QString sql = QStringLiteral("SELECT id FROM background_jobs") + w.sql +
                  (w.sql.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) +
                  QStringLiteral("id > ? AND id <= ?");
    w.values << afterId << upToId;
    if (finishedBefore > 0) {
        sql += QStringLiteral(" AND completed_at > 0 AND completed_at < ?");
        w.values << finishedBefore;
    }
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    q.prepare(sql + QStringLiteral(" ORDER BY id LIMIT ?"));
    bindAll(q, w.values);
    q.addBindValue(qMax(1, limit));
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("listing jobs"));
    QList<qint64> out;
    while (q.next())
        out.append(q.value(0).toLongLong());
    return out;
}

Result<JobStore::MatchCount> JobStore::countMatching(const JobFilter &filter, qint64 finishedBefore)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    Where w = whereFor(filter, true);
    QString sql = QStringLiteral("SELECT COUNT(*), MAX(id) FROM background_jobs") + w.sql;
    if (finishedBefore > 0) {
        sql += (w.sql.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) +
               QStringLiteral("completed_at > 0 AND completed_at < ?");
        w.values << finishedBefore;
    }
    QSqlQuery q(conn.value());
    q.prepare(sql);
    bindAll(q, w.values);
    if (!q.exec() || !q.next())
        return Database::error(q.lastError(), Tr::tr("counting jobs"));
    return MatchCount{q.value(0).toLongLong(), q.value(1).toLongLong()};
}

Result<std::array<qint64, kJobStatusCount>> JobStore::countByStatus(const JobFilter &filter, qint64 limit)
{
    std::array<qint64, kJobStatusCount> counts{};
    auto conn = db();
    if (!conn)
        return conn.error();
    const Where w = whereFor(filter, false);
    QSqlQuery q(conn.value());
    if (limit > 0) {
        // One read of at most limit + 1 rows: past it the counts are of the rows read.
        q.prepare(
            QStringLiteral("SELECT status, COUNT(*) FROM (SELECT status FROM background_jobs%1 LIMIT ?) "
                           "AS bounded GROUP BY status")
                .arg(w.sql));
        bindAll(q, w.values);
        q.addBindValue(limit + 1);
    } else {
        q.prepare(
            QStringLiteral("SELECT status, COUNT(*) FROM background_jobs%1 GROUP BY status").arg(w.sql));
        bindAll(q, w.values);
    }
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("counting jobs by status"));
    while (q.next()) {
        if (const auto s = jobStatusFromString(q.value(0).toString()))
            counts[static_cast<size_t>(*s)] = q.value(1).toLongLong();
    }
    return counts;
}

Result<WorkerJobs> JobStore::jobsOfWorker(const QString &workerId, int attemptLimit)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    WorkerJobs out;
    out.workerId = workerId;
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    // A worker holds at most its claim batch; the limit only guards the page against a broken row set.
    q.prepare(QStringLiteral("SELECT %1 FROM background_jobs WHERE status = 'processing' AND worker_id = ? "
                             "ORDER BY started_at, id LIMIT 1000")
                  .arg(kJobReadColumns));
    q.addBindValue(workerId);
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("listing the jobs of worker %1").arg(workerId));
    while (q.next())
        out.held.append(jobFromQuery(q));
    q.finish();
    q.prepare(
        QStringLiteral("SELECT a.job_id, a.attempt, a.worker_id, a.started_at, a.finished_at, a.outcome, "
                       "a.error, j.job_type, j.status, j.run_at, j.retry_count, a.error_code, a.error_args "
                       "FROM job_attempts a "
                       "JOIN background_jobs j ON j.id = a.job_id "
                       "WHERE a.worker_id = ? AND a.outcome <> 'completed' "
                       "ORDER BY a.finished_at DESC, a.job_id DESC, a.attempt DESC LIMIT ?"));
    q.addBindValue(workerId);
    q.addBindValue(qMax(0, attemptLimit));
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("listing the attempts of worker %1").arg(workerId));
    while (q.next()) {
        const JobError e = JobError::fromColumns(q.value(6).toString(), q.value(11), q.value(12));
        out.attempts.append(WorkerAttempt{
            JobAttempt{q.value(0).toLongLong(), q.value(1).toInt(), q.value(2).toString(),
                       q.value(3).toLongLong(), q.value(4).toLongLong(), q.value(5).toString(), e.text,
                       e.code, e.args},
            q.value(7).toString(), statusOf(q.value(8)), q.value(9).toLongLong(), q.value(10).toInt()});
    }
    return out;
}

} // namespace hcm
