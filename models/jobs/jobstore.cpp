#include "jobstore.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "jobs/jobrules.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QSqlRecord>

namespace hcm {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("hcm::JobStore", text);
}

const QString kJobColumns = QStringLiteral(
    "id, job_type, status, priority, payload, result, error_message, retry_count, max_retries, attempts, "
    "run_at, created_at, started_at, completed_at, updated_at, created_by, worker_id, lease_expires_at, "
    "cancel_requested, progress");

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

} // namespace

JobStore::JobStore(DbConfig config, std::shared_ptr<Clock> clock, RetryPolicy retry)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
    , m_retry(retry)
{
}

Result<QSqlDatabase> JobStore::db() const
{
    return Database::connection(m_config);
}

Result<QList<qint64>> JobStore::insert(const QList<NewJob> &jobs, const QString &actor)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    QSqlQuery q(d);
    if (auto st = Sql::prepare(q, QStringLiteral(
                                      "INSERT INTO background_jobs (job_type, status, priority, payload, max_retries, "
                                      "run_at, created_at, updated_at, created_by) "
                                      "VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?)"));
        !st)
        return st.error();
    const qint64 now = m_clock->nowMs();
    QList<qint64> ids;
    ids.reserve(jobs.size());
    for (const NewJob &job : jobs) {
        q.addBindValue(job.type);
        q.addBindValue(static_cast<int>(job.priority));
        q.addBindValue(compactJson(job.payload));
        q.addBindValue(job.maxRetries);
        q.addBindValue(job.runAt.value_or(now));
        q.addBindValue(now);
        q.addBindValue(now);
        q.addBindValue(actor);
        if (auto st = Sql::exec(q, tr("adding a job")); !st)
            return st.error();
        ids.append(q.lastInsertId().toLongLong());
    }
    if (auto st = tx.commit(); !st)
        return st.error();
    return ids;
}

Result<QList<ClaimedJob>> JobStore::claim(const QString &workerId, int max, qint64 leaseMs, const QStringList &types)
{
    if (max <= 0 || types.isEmpty())
        return QList<ClaimedJob>{};
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();

    QStringList marks;
    for (qsizetype i = 0; i < types.size(); ++i)
        marks << QStringLiteral("?");
    // The literal status = 'queued' lets SQLite use the partial queue index.
    QSqlQuery q(d);
    const QString sql = QStringLiteral(
                            "UPDATE background_jobs SET status = 'processing', worker_id = ?, started_at = ?, "
                            "updated_at = ?, lease_expires_at = ?, attempts = attempts + 1, progress = NULL, "
                            "completed_at = NULL "
                            "WHERE id IN (SELECT id FROM background_jobs WHERE status = 'queued' AND run_at <= ? "
                            "AND job_type IN (%1) ORDER BY priority DESC, run_at, id LIMIT ?) "
                            "RETURNING id, job_type, payload, attempts, retry_count, max_retries")
                            .arg(marks.join(QLatin1Char(',')));
    if (auto st = Sql::prepare(q, sql); !st)
        return st.error();
    const qint64 now = m_clock->nowMs();
    q.addBindValue(workerId);
    q.addBindValue(now);
    q.addBindValue(now);
    q.addBindValue(now + leaseMs);
    q.addBindValue(now);
    for (const QString &t : types)
        q.addBindValue(t);
    q.addBindValue(max);
    if (auto st = Sql::exec(q, tr("claiming jobs")); !st)
        return st.error();
    QList<ClaimedJob> out;
    while (q.next()) {
        ClaimedJob c;
        c.id = q.value(0).toLongLong();
        c.type = q.value(1).toString();
        c.payload = parseObject(q.value(2));
        c.attempt = q.value(3).toInt();
        c.retryCount = q.value(4).toInt();
        c.maxRetries = q.value(5).toInt();
        c.claimedAt = now;
        out.append(std::move(c));
    }
    q.finish();
    if (auto st = tx.commit(); !st)
        return st.error();
    // RETURNING order is unspecified: restore the claim order for the dispatcher.
    std::sort(out.begin(), out.end(), [](const ClaimedJob &a, const ClaimedJob &b) { return a.id < b.id; });
    return out;
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
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();

    QSqlQuery complete(d);
    QSqlQuery fail(d);
    QSqlQuery stop(d);
    QSqlQuery requeue(d);
    QSqlQuery attempt(d);
    if (auto st = Sql::prepare(complete, QStringLiteral(
                                             "UPDATE background_jobs SET status = 'completed', result = ?, "
                                             "error_message = NULL, started_at = COALESCE(?, started_at), completed_at = ?, "
                                             "updated_at = ?, lease_expires_at = NULL, progress = 1 "
                                             "WHERE id = ? AND worker_id = ? AND status = 'processing' "
                                             "RETURNING job_type, retry_count, max_retries, run_at, started_at"));
        !st)
        return st.error();
    // Failures: retry with backoff while retries remain (and the error is retryable), else fail for good.
    // SET expressions see the old row, so every CASE tests the same retry_count.
    if (auto st = Sql::prepare(
            fail, QStringLiteral(
                      "UPDATE background_jobs SET "
                      "status = CASE WHEN ? AND retry_count < max_retries THEN 'queued' ELSE 'failed' END, "
                      "run_at = CASE WHEN ? AND retry_count < max_retries "
                      "  THEN ? + ? * (1 << (retry_count + 1)) ELSE run_at END, "
                      "completed_at = CASE WHEN ? AND retry_count < max_retries THEN NULL ELSE ? END, "
                      "retry_count = CASE WHEN ? AND retry_count < max_retries THEN retry_count + 1 "
                      "  ELSE retry_count END, "
                      "error_message = ?, started_at = COALESCE(?, started_at), updated_at = ?, lease_expires_at = NULL "
                      "WHERE id = ? AND worker_id = ? AND status = 'processing' "
                      "RETURNING job_type, status, retry_count, max_retries, run_at, started_at"));
        !st)
        return st.error();
    if (auto st = Sql::prepare(stop, QStringLiteral(
                                         "UPDATE background_jobs SET status = 'cancelled', error_message = ?, "
                                         "started_at = COALESCE(?, started_at), completed_at = ?, updated_at = ?, "
                                         "lease_expires_at = NULL "
                                         "WHERE id = ? AND worker_id = ? AND status = 'processing' "
                                         "RETURNING job_type, retry_count, max_retries, run_at, started_at"));
        !st)
        return st.error();
    // Interrupted by a shutdown: back to the queue without spending a retry.
    if (auto st = Sql::prepare(requeue, QStringLiteral(
                                            "UPDATE background_jobs SET status = CASE WHEN cancel_requested = 1 "
                                            "THEN 'cancelled' ELSE 'queued' END, "
                                            "completed_at = CASE WHEN cancel_requested = 1 THEN ? ELSE NULL END, "
                                            "run_at = ?, error_message = ?, updated_at = ?, lease_expires_at = NULL "
                                            "WHERE id = ? AND worker_id = ? AND status = 'processing' "
                                            "RETURNING job_type, retry_count, max_retries, run_at, started_at, status"));
        !st)
        return st.error();
    if (auto st = Sql::prepare(attempt, QStringLiteral(
                                            "INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, "
                                            "finished_at, outcome, error) VALUES (?, ?, ?, ?, ?, ?, ?) "
                                            "ON CONFLICT (job_id, attempt) DO NOTHING"));
        !st)
        return st.error();

    const qint64 now = m_clock->nowMs();
    for (const JobOutcome &o : outcomes) {
        // Without a start time from the worker, the claim time on the row stands.
        const QVariant started = o.startedAt > 0 ? QVariant(o.startedAt) : QVariant(QMetaType::fromType<qint64>());
        const qint64 finished = o.finishedAt > 0 ? o.finishedAt : now;
        JobTransition t;
        t.id = o.id;
        t.error = o.error;
        QSqlQuery *q = nullptr;
        switch (o.kind) {
        case JobOutcome::Kind::Completed:
            q = &complete;
            q->addBindValue(compactJson(o.result));
            q->addBindValue(started);
            q->addBindValue(now);
            q->addBindValue(now);
            t.status = JobStatus::Completed;
            break;
        case JobOutcome::Kind::Failed:
        case JobOutcome::Kind::TimedOut: {
            q = &fail;
            const bool retry = o.retryable;
            q->addBindValue(retry);
            q->addBindValue(retry);
            q->addBindValue(now);
            q->addBindValue(m_retry.baseMs);
            q->addBindValue(retry);
            q->addBindValue(now);
            q->addBindValue(retry);
            q->addBindValue(o.error);
            q->addBindValue(started);
            q->addBindValue(now);
            break;
        }
        case JobOutcome::Kind::Cancelled:
            q = &stop;
            q->addBindValue(o.error);
            q->addBindValue(started);
            q->addBindValue(now);
            q->addBindValue(now);
            t.status = JobStatus::Cancelled;
            break;
        case JobOutcome::Kind::Interrupted:
            q = &requeue;
            q->addBindValue(now);
            q->addBindValue(now);
            q->addBindValue(o.error);
            q->addBindValue(now);
            t.status = JobStatus::Queued;
            break;
        }
        q->addBindValue(o.id);
        q->addBindValue(workerId);
        if (auto st = Sql::exec(*q, tr("saving the outcome of %1").arg(Job::publicId(o.id))); !st)
            return st.error();
        if (!q->next()) {
            // Another worker took the job over after our lease expired, or it was deleted.
            report.rejected.append(o.id);
            continue;
        }
        t.type = q->value(0).toString();
        qint64 startedAt = now;
        if (o.kind == JobOutcome::Kind::Failed || o.kind == JobOutcome::Kind::TimedOut) {
            t.status = statusOf(q->value(1));
            t.retryCount = q->value(2).toInt();
            t.maxRetries = q->value(3).toInt();
            t.runAt = q->value(4).toLongLong();
            startedAt = msOrZero(q->value(5));
        } else {
            t.retryCount = q->value(1).toInt();
            t.maxRetries = q->value(2).toInt();
            t.runAt = q->value(3).toLongLong();
            startedAt = msOrZero(q->value(4));
            if (o.kind == JobOutcome::Kind::Interrupted)
                t.status = statusOf(q->value(5));
        }
        q->finish();

        attempt.addBindValue(o.id);
        attempt.addBindValue(o.attempt);
        attempt.addBindValue(workerId);
        attempt.addBindValue(startedAt > 0 ? startedAt : now);
        attempt.addBindValue(finished);
        attempt.addBindValue(QString::fromLatin1(outcomeName(o.kind)));
        attempt.addBindValue(o.error.isEmpty() ? QVariant() : QVariant(o.error));
        if (auto st = Sql::exec(attempt, tr("recording attempt %1 of %2").arg(o.attempt).arg(Job::publicId(o.id)));
            !st)
            return st.error();
        report.applied.append(t);
    }
    if (auto st = tx.commit(); !st)
        return st.error();
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
    q.prepare(QStringLiteral("UPDATE background_jobs SET status = CASE WHEN cancel_requested = 1 THEN 'cancelled' "
                             "ELSE 'queued' END, attempts = attempts - 1, lease_expires_at = NULL, "
                             "started_at = NULL, updated_at = ? "
                             "WHERE worker_id = ? AND status = 'processing' AND id IN (%1)")
                  .arg(Sql::idList(ids)));
    q.addBindValue(m_clock->nowMs());
    q.addBindValue(workerId);
    if (auto st = Sql::exec(q, tr("returning unstarted jobs to the queue")); !st)
        return st.error();
    return q.numRowsAffected();
}

Result<QList<qint64>> JobStore::heartbeat(const QString &workerId, qint64 leaseMs, int running)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    const qint64 now = m_clock->nowMs();
    QSqlQuery q(d);
    q.prepare(QStringLiteral("UPDATE background_jobs SET lease_expires_at = ? "
                             "WHERE worker_id = ? AND status = 'processing'"));
    q.addBindValue(now + leaseMs);
    q.addBindValue(workerId);
    if (auto st = Sql::exec(q, tr("extending job leases")); !st)
        return st.error();
    q.prepare(QStringLiteral("UPDATE workers SET heartbeat_at = ?, running = ? WHERE id = ?"));
    q.addBindValue(now);
    q.addBindValue(running);
    q.addBindValue(workerId);
    if (auto st = Sql::exec(q, tr("recording the worker heartbeat")); !st)
        return st.error();
    q.prepare(QStringLiteral("SELECT id FROM background_jobs WHERE worker_id = ? AND status = 'processing' "
                             "AND cancel_requested = 1"));
    q.addBindValue(workerId);
    if (auto st = Sql::exec(q, tr("reading cancellation requests")); !st)
        return st.error();
    QList<qint64> cancelled;
    while (q.next())
        cancelled.append(q.value(0).toLongLong());
    q.finish();
    if (auto st = tx.commit(); !st)
        return st.error();
    return cancelled;
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
    q.prepare(QStringLiteral("UPDATE background_jobs SET progress = ?, updated_at = ? "
                             "WHERE id = ? AND worker_id = ? AND status = 'processing'"));
    const qint64 now = m_clock->nowMs();
    for (const auto &[id, value] : progress) {
        q.addBindValue(value);
        q.addBindValue(now);
        q.addBindValue(id);
        q.addBindValue(workerId);
        if (auto st = Sql::exec(q, tr("saving job progress")); !st)
            return st;
    }
    return tx.commit();
}

Result<QList<JobTransition>> JobStore::reapExpired()
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    const qint64 now = m_clock->nowMs();
    const QString lostText = tr("The worker running this job stopped responding (its lease expired).");
    QSqlQuery q(d);
    // A lost execution spends a retry, so a job that kills its worker cannot loop forever. It is due
    // again at once: the delay of a backoff protects a failing service, not a crashed process.
    q.prepare(QStringLiteral(
        "UPDATE background_jobs SET "
        "status = CASE WHEN cancel_requested = 1 THEN 'cancelled' "
        "  WHEN retry_count < max_retries THEN 'queued' ELSE 'failed' END, "
        "retry_count = CASE WHEN cancel_requested = 0 AND retry_count < max_retries THEN retry_count + 1 "
        "  ELSE retry_count END, "
        "completed_at = CASE WHEN cancel_requested = 0 AND retry_count < max_retries THEN NULL ELSE ? END, "
        "run_at = ?, error_message = ?, updated_at = ?, lease_expires_at = NULL "
        "WHERE status = 'processing' AND lease_expires_at < ? "
        "RETURNING id, job_type, status, retry_count, max_retries, run_at, worker_id, attempts, started_at"));
    q.addBindValue(now);
    q.addBindValue(now);
    q.addBindValue(lostText);
    q.addBindValue(now);
    q.addBindValue(now);
    if (auto st = Sql::exec(q, tr("rescuing jobs of lost workers")); !st)
        return st.error();
    QList<JobTransition> out;
    struct Lost {
        qint64 id;
        int attempt;
        QString worker;
        qint64 started;
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
        t.error = lostText;
        out.append(t);
        lost.append(Lost{t.id, q.value(7).toInt(), q.value(6).toString(), msOrZero(q.value(8))});
    }
    q.finish();
    QSqlQuery attempt(d);
    attempt.prepare(QStringLiteral("INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, finished_at, "
                                   "outcome, error) VALUES (?, ?, ?, ?, ?, 'lost', ?) "
                                   "ON CONFLICT (job_id, attempt) DO NOTHING"));
    for (const Lost &l : std::as_const(lost)) {
        attempt.addBindValue(l.id);
        attempt.addBindValue(l.attempt);
        attempt.addBindValue(l.worker);
        attempt.addBindValue(l.started > 0 ? l.started : now);
        attempt.addBindValue(now);
        attempt.addBindValue(lostText);
        if (auto st = Sql::exec(attempt, tr("recording a lost attempt")); !st)
            return st.error();
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
    q.prepare(QStringLiteral(
        "INSERT INTO workers (id, host, pid, started_at, heartbeat_at, concurrency, running, version, stopped_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL) ON CONFLICT (id) DO UPDATE SET host = excluded.host, "
        "pid = excluded.pid, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, "
        "concurrency = excluded.concurrency, running = 0, version = excluded.version, stopped_at = NULL"));
    const qint64 now = m_clock->nowMs();
    q.addBindValue(info.id);
    q.addBindValue(info.host);
    q.addBindValue(info.pid);
    q.addBindValue(info.startedAt > 0 ? info.startedAt : now);
    q.addBindValue(now);
    q.addBindValue(info.concurrency);
    q.addBindValue(info.version);
    return Sql::exec(q, tr("registering the worker"));
}

Status JobStore::unregisterWorker(const QString &workerId)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("UPDATE workers SET stopped_at = ?, running = 0 WHERE id = ?"));
    q.addBindValue(m_clock->nowMs());
    q.addBindValue(workerId);
    return Sql::exec(q, tr("marking the worker stopped"));
}

Result<QList<WorkerInfo>> JobStore::workers()
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (!q.exec(QStringLiteral("SELECT id, host, pid, started_at, heartbeat_at, concurrency, running, version, "
                               "stopped_at FROM workers ORDER BY heartbeat_at DESC")))
        return Database::error(q.lastError(), tr("listing workers"));
    QList<WorkerInfo> out;
    while (q.next()) {
        out.append(WorkerInfo{q.value(0).toString(), q.value(1).toString(), q.value(2).toLongLong(),
                              q.value(3).toLongLong(), q.value(4).toLongLong(), q.value(5).toInt(),
                              q.value(6).toInt(), q.value(7).toString(), msOrZero(q.value(8))});
    }
    return out;
}

QList<JobActionResult> JobStore::perJob(const QList<qint64> &ids,
                                        const std::function<Result<JobActionResult>(QSqlDatabase &, qint64)> &action)
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
        return Database::error(q.lastError(), tr("reading %1").arg(Job::publicId(id)));
    if (!q.next())
        return std::optional<QPair<JobStatus, bool>>{};
    return std::optional<QPair<JobStatus, bool>>{qMakePair(statusOf(q.value(0)), q.value(1).toInt() != 0)};
}

JobActionResult notFound(qint64 id)
{
    return JobActionResult{id, false, tr("%1 does not exist").arg(Job::publicId(id)), JobStatus::Queued};
}

} // namespace

QList<JobActionResult> JobStore::cancel(const QList<qint64> &ids, const QString &actor)
{
    const qint64 now = m_clock->nowMs();
    return perJob(ids, [&](QSqlDatabase &d, qint64 id) -> Result<JobActionResult> {
        QSqlQuery q(d);
        q.prepare(QStringLiteral("UPDATE background_jobs SET status = 'cancelled', completed_at = ?, updated_at = ?, "
                                 "error_message = ? WHERE id = ? AND status = 'queued'"));
        q.addBindValue(now);
        q.addBindValue(now);
        q.addBindValue(tr("Cancelled by %1 before it ran.").arg(actor));
        q.addBindValue(id);
        if (!q.exec())
            return Database::error(q.lastError(), tr("cancelling %1").arg(Job::publicId(id)));
        if (q.numRowsAffected() == 1)
            return JobActionResult{id, true, {}, JobStatus::Cancelled};
        q.prepare(QStringLiteral("UPDATE background_jobs SET cancel_requested = 1, updated_at = ? "
                                 "WHERE id = ? AND status = 'processing' AND cancel_requested = 0"));
        q.addBindValue(now);
        q.addBindValue(id);
        if (!q.exec())
            return Database::error(q.lastError(), tr("cancelling %1").arg(Job::publicId(id)));
        if (q.numRowsAffected() == 1)
            return JobActionResult{id, true, {}, JobStatus::Processing};
        auto state = currentState(d, id);
        if (!state)
            return state.error();
        if (!state->has_value())
            return notFound(id);
        const auto [status, requested] = state->value();
        return JobActionResult{id, false,
                               Job::publicId(id) + QLatin1String(": ")
                                   + JobRules::whyNot(JobAction::Cancel, status, requested),
                               status};
    });
}

QList<JobActionResult> JobStore::retryNow(const QList<qint64> &ids, const QString &actor)
{
    Q_UNUSED(actor)
    const qint64 now = m_clock->nowMs();
    return perJob(ids, [&](QSqlDatabase &d, qint64 id) -> Result<JobActionResult> {
        // A failed or cancelled job starts over with its full retry budget; a queued job waiting for
        // its next attempt becomes due now.
        QSqlQuery q(d);
        q.prepare(QStringLiteral(
            "UPDATE background_jobs SET retry_count = CASE WHEN status = 'queued' THEN retry_count ELSE 0 END, "
            "status = 'queued', run_at = ?, completed_at = NULL, cancel_requested = 0, updated_at = ?, error_message = NULL, "
            "lease_expires_at = NULL WHERE id = ? AND status IN ('failed', 'cancelled', 'queued')"));
        q.addBindValue(now);
        q.addBindValue(now);
        q.addBindValue(id);
        if (!q.exec())
            return Database::error(q.lastError(), tr("retrying %1").arg(Job::publicId(id)));
        if (q.numRowsAffected() == 1)
            return JobActionResult{id, true, {}, JobStatus::Queued};
        auto state = currentState(d, id);
        if (!state)
            return state.error();
        if (!state->has_value())
            return notFound(id);
        const auto [status, requested] = state->value();
        return JobActionResult{id, false,
                               Job::publicId(id) + QLatin1String(": ")
                                   + JobRules::whyNot(JobAction::RetryNow, status, requested),
                               status};
    });
}

QList<JobActionResult> JobStore::deleteFinished(const QList<qint64> &ids)
{
    return perJob(ids, [&](QSqlDatabase &d, qint64 id) -> Result<JobActionResult> {
        QSqlQuery q(d);
        q.prepare(QStringLiteral("DELETE FROM background_jobs WHERE id = ? "
                                 "AND status IN ('completed', 'failed', 'cancelled')"));
        q.addBindValue(id);
        if (!q.exec())
            return Database::error(q.lastError(), tr("deleting %1").arg(Job::publicId(id)));
        if (q.numRowsAffected() == 1)
            return JobActionResult{id, true, {}, JobStatus::Completed};
        auto state = currentState(d, id);
        if (!state)
            return state.error();
        if (!state->has_value())
            return notFound(id);
        const auto [status, requested] = state->value();
        return JobActionResult{id, false,
                               Job::publicId(id) + QLatin1String(": ")
                                   + JobRules::whyNot(JobAction::Delete, status, requested),
                               status};
    });
}

Result<Job> JobStore::get(qint64 id, bool withAttempts)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("SELECT %1 FROM background_jobs WHERE id = ?").arg(kJobColumns));
    q.addBindValue(id);
    if (!q.exec())
        return Database::error(q.lastError(), tr("reading %1").arg(Job::publicId(id)));
    if (!q.next())
        return Error{Error::Code::NotFound, tr("%1 does not exist").arg(Job::publicId(id))};
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
    q.prepare(QStringLiteral("SELECT job_id, attempt, worker_id, started_at, finished_at, outcome, error "
                             "FROM job_attempts WHERE job_id = ? ORDER BY attempt"));
    q.addBindValue(jobId);
    if (!q.exec())
        return Database::error(q.lastError(), tr("reading the attempts of %1").arg(Job::publicId(jobId)));
    QList<JobAttempt> out;
    while (q.next()) {
        out.append(JobAttempt{q.value(0).toLongLong(), q.value(1).toInt(), q.value(2).toString(),
                              q.value(3).toLongLong(), q.value(4).toLongLong(), q.value(5).toString(),
                              q.value(6).toString()});
    }
    return out;
}

Result<QList<Job>> JobStore::list(const JobFilter &filter)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    const Where w = whereFor(filter, true);
    const QString dir = filter.order == Qt::AscendingOrder ? QStringLiteral("ASC") : QStringLiteral("DESC");
    QString order = sortExpression(filter.sort) + QLatin1Char(' ') + dir;
    if (filter.sort != JobSortColumn::Id)
        order += QStringLiteral(", id ") + dir;
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM background_jobs%2 ORDER BY %3 LIMIT ? OFFSET ?")
                  .arg(kJobColumns, w.sql, order));
    bindAll(q, w.values);
    q.addBindValue(qMax(0, filter.limit));
    q.addBindValue(qMax(0, filter.offset));
    if (!q.exec())
        return Database::error(q.lastError(), tr("listing jobs"));
    QList<Job> out;
    while (q.next())
        out.append(jobFromQuery(q));
    return out;
}

Result<qint64> JobStore::count(const JobFilter &filter)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    const Where w = whereFor(filter, true);
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("SELECT COUNT(*) FROM background_jobs") + w.sql);
    bindAll(q, w.values);
    if (!q.exec() || !q.next())
        return Database::error(q.lastError(), tr("counting jobs"));
    return q.value(0).toLongLong();
}

Result<std::array<qint64, kJobStatusCount>> JobStore::countByStatus(const JobFilter &filter)
{
    auto conn = db();
    if (!conn)
        return conn.error();
    const Where w = whereFor(filter, false);
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("SELECT status, COUNT(*) FROM background_jobs%1 GROUP BY status").arg(w.sql));
    bindAll(q, w.values);
    if (!q.exec())
        return Database::error(q.lastError(), tr("counting jobs by status"));
    std::array<qint64, kJobStatusCount> counts{};
    while (q.next()) {
        if (const auto s = jobStatusFromString(q.value(0).toString()))
            counts[static_cast<size_t>(*s)] = q.value(1).toLongLong();
    }
    return counts;
}

} // namespace hcm
