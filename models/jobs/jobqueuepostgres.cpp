// PostgreSQL's side of the job queue (JobQueueBackend): statements sent without PREPARE (one round
// trip each) on job_queue and job_archive (migration 009), locks skipped rather than waited for.
#include "jobs/jobqueuebackend.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "db/dialect.h"
#include "db/notificationlistener.h"

#include <QCoreApplication>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>

#include <optional>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobStore)
};

using Now = JobSqlContext::Now;

class PostgresQueue final : public JobQueueBackend {
public:
    Result<QList<qint64>> insert(const JobSqlContext &ctx, QSqlDatabase &d, const QList<NewJob> &jobs,
                                 const QString &actor, const JobInsertAudit &audit) const override;
    Result<QList<ClaimedJob>> claim(const JobSqlContext &ctx, QSqlDatabase &d, const QString &workerId,
                                    int max, qint64 leaseMs, const QStringList &types,
                                    const Now &now) const override;
    Result<FinishReport> finishCompleted(const JobSqlContext &ctx, QSqlDatabase &d, const QString &workerId,
                                         const QList<JobOutcome> &completed, const Now &now) const override;
    bool completionsAreAtomic() const override { return true; }
    // The reaper also folds the deltas of the job counts into one row per status and type (migration
    // 017), so the table the jobs page reads stays short.
    void afterReap(QSqlDatabase &d) const override
    {
        QSqlQuery q(d);
        if (!q.exec(QStringLiteral("SELECT job_counts_fold()")))
            qCWarning(lcJobs) << "folding the job counts failed:" << q.lastError().text();
    }
};

} // namespace

// PostgreSQL: each chunk is one statement (one round trip) that inserts the jobs and sends the NOTIFY
// that wakes idle workers; a single chunk needs no explicit transaction.
Result<QList<qint64>> PostgresQueue::insert(const JobSqlContext &ctx, QSqlDatabase &d,
                                            const QList<NewJob> &jobs, const QString &actor,
                                            const JobInsertAudit &audit) const
{
    constexpr qsizetype kChunk = 500;
    std::optional<Transaction> tx;
    if (jobs.size() > kChunk || audit) {
        tx.emplace(d);
        if (auto st = tx->begin(); !st)
            return st.error();
    }
    const Now now = ctx.now();
    const QString by = jobsql::literal(d, actor);
    const QString nowSql = JobSqlContext::withNow(QStringLiteral("{now}"), now);
    const QString notifyPrefix =
        jobsql::literal(d, QStringLiteral("enqueued|%1|").arg(JobEvent::processOrigin()));
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
                          .arg(jobsql::literal(d, job.type), QString::number(static_cast<int>(job.priority)),
                               jobsql::literal(d, jobsql::compactJson(job.payload)),
                               QString::number(job.maxRetries),
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

Result<QList<ClaimedJob>> PostgresQueue::claim(const JobSqlContext &, QSqlDatabase &d,
                                               const QString &workerId, int max, qint64 leaseMs,
                                               const QStringList &types, const Now &now) const
{
    // One statement, its own transaction: the subquery locks the due rows it picks and skips rows that
    // another worker is claiming at this moment, so claims never wait for each other. Sent without
    // PREPARE (one round trip); every value is escaped by the driver.
    QStringList typeList;
    for (const QString &t : types)
        typeList << jobsql::literal(d, t);
    const QString sql =
        JobSqlContext::withNow(
            QStringLiteral("WITH picked AS MATERIALIZED (SELECT id FROM job_queue "
                           "WHERE status = 'queued' AND run_at <= {now} AND job_type IN (%1) "
                           "ORDER BY priority DESC, run_at, id LIMIT %2 FOR UPDATE SKIP LOCKED) "
                           "UPDATE job_queue AS j SET status = 'processing', worker_id = %3, "
                           "started_at = {now}, updated_at = {now}, lease_expires_at = {now} + %4, "
                           "attempts = j.attempts + 1, progress = NULL, completed_at = NULL "
                           "FROM picked WHERE j.id = picked.id RETURNING j.id, j.job_type, j.payload, "
                           "j.attempts, j.retry_count, j.max_retries, j.started_at"),
            now)
            .arg(typeList.join(QLatin1Char(',')), QString::number(max), jobsql::literal(d, workerId),
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
        c.payload = jobsql::parseObject(q.value(2));
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

// PostgreSQL: every completion of the batch in one statement (one round trip), in data-modifying CTEs:
// the fenced DELETE from job_queue, the finished rows into job_archive, the attempt rows. Moving a job
// costs less than rewriting it in place would: the queue's row leaves its indexes without a new entry,
// and the archive's list indexes get the one entry a finished job needs.
Result<FinishReport> PostgresQueue::finishCompleted(const JobSqlContext &, QSqlDatabase &d,
                                                    const QString &workerId,
                                                    const QList<JobOutcome> &completed, const Now &now) const
{
    FinishReport report;
    // One array literal per column, unnested on the server: parsing and planning cost the same for 5
    // jobs and for 500 (a VALUES list of literals costs per row).
    QString ids, attempts, results, startedAges, finishedAges;
    for (const JobOutcome &o : completed) {
        const QLatin1Char sep(ids.isEmpty() ? '{' : ',');
        ids += sep + QString::number(o.id);
        attempts += sep + QString::number(o.attempt);
        QString json = jobsql::compactJson(o.result);
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
            .arg(jobsql::literal(d, ids), jobsql::literal(d, attempts), jobsql::literal(d, results),
                 jobsql::literal(d, startedAges), jobsql::literal(d, finishedAges));
    const QString worker = jobsql::literal(d, workerId);
    const QString sql =
        JobSqlContext::withNow(
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
            .arg(values, worker, jobsql::jobColumns()); // after withNow: a result's text is not a placeholder
    QSqlQuery q(d);
    q.setForwardOnly(true);
    if (!q.exec(sql))
        return Database::error(q.lastError(), Tr::tr("saving %1 job results").arg(completed.size()));
    QSet<qint64> applied;
    std::optional<jobsql::TransitionColumns> columns;
    while (q.next()) {
        if (!columns)
            columns.emplace(q);
        const JobTransition t = columns->read(q, JobStatus::Completed);
        applied.insert(t.id);
        report.applied.append(t);
    }
    for (const JobOutcome &o : completed) {
        if (!applied.contains(o.id))
            report.rejected.append(o.id); // another worker owns it now, or it was deleted
    }
    return report;
}

std::shared_ptr<const JobQueueBackend> postgresQueueBackend()
{
    static const auto backend = std::make_shared<const PostgresQueue>();
    return backend;
}

std::shared_ptr<const JobQueueBackend> JobQueueBackend::of(const DbConfig &config)
{
    return config.isPostgres() ? postgresQueueBackend() : sqliteQueueBackend();
}

} // namespace hcm
