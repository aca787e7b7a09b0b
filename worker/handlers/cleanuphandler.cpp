#include "cleanuphandler.h"

#include "auth/auditstore.h"
#include "common/clock.h"
#include "common/logcategories.h"
#include "db/database.h"

#include <QJsonValue>

namespace hcm {

namespace {

constexpr qint64 DayMs = 86'400'000;
constexpr qint64 DefaultRetentionDays = 30;
// Jobs deleted per write transaction: keeps the write lock short so workers can claim and finish jobs
// while a large backlog is cleaned up, and gives the stop request a chance between batches.
constexpr int JobBatch = 2000;

const QString FinishedJobs = QStringLiteral("status IN ('completed', 'failed', 'cancelled')");

// The retention period from the settings table ('retention_days'), or 30 days when unset or unusable.
qint64 retentionDays(QSqlDatabase db)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT value FROM app_settings WHERE key = 'retention_days'")) || !q.next())
        return DefaultRetentionDays;
    bool ok = false;
    const qint64 days = q.value(0).toString().trimmed().toLongLong(&ok);
    if (!ok || days < 0) {
        qCWarning(lcHandlers) << "cleanup: ignoring the invalid setting retention_days ="
                              << q.value(0).toString();
        return DefaultRetentionDays;
    }
    return days;
}

// One statement in its own write transaction; returns the rows it deleted.
Result<qint64> deleteInTransaction(QSqlDatabase db, const QString &statement, const QVariantMap &binds,
                                   const QString &doing)
{
    Transaction tx(db);
    if (Status st = tx.begin(); !st)
        return st.error();
    QSqlQuery q(db);
    if (Status st = Sql::prepare(q, statement); !st)
        return st.error();
    for (auto it = binds.begin(); it != binds.end(); ++it)
        q.bindValue(it.key(), it.value());
    if (Status st = Sql::exec(q, doing); !st)
        return st.error();
    const qint64 n = q.numRowsAffected();
    q.finish();
    if (Status st = tx.commit(); !st)
        return st.error();
    return n;
}

struct JobBatchResult {
    qint64 jobs = 0;
    qint64 attempts = 0;
};

// Deletes up to JobBatch finished jobs completed before `cutoff`, with their attempts. The attempts are
// deleted explicitly (not only by ON DELETE CASCADE) so their count is exact.
Result<JobBatchResult> deleteJobBatch(QSqlDatabase db, qint64 cutoff)
{
    Transaction tx(db);
    if (Status st = tx.begin(); !st)
        return st.error();

    QList<qint64> ids;
    {
        QSqlQuery q(db);
        if (Status st =
                Sql::prepare(q, QStringLiteral("SELECT id FROM background_jobs WHERE ") + FinishedJobs +
                                    QStringLiteral(" AND completed_at IS NOT NULL AND completed_at < "
                                                   ":cutoff ORDER BY id LIMIT %1")
                                        .arg(JobBatch));
            !st)
            return st.error();
        q.bindValue(QStringLiteral(":cutoff"), cutoff);
        if (Status st = Sql::exec(q, CleanupHandler::tr("finding old jobs")); !st)
            return st.error();
        while (q.next())
            ids.append(q.value(0).toLongLong());
    }
    JobBatchResult out;
    if (ids.isEmpty())
        return out; // the transaction rolls back: nothing was written

    const QString idList = Sql::idList(ids);
    QSqlQuery attempts(db);
    if (!attempts.exec(QStringLiteral("DELETE FROM job_attempts WHERE job_id IN (%1)").arg(idList)))
        return Database::error(attempts.lastError(), CleanupHandler::tr("deleting the attempts of old jobs"));
    out.attempts = attempts.numRowsAffected();
    // PostgreSQL keeps finished jobs in job_archive (background_jobs is a view over it and job_queue).
    const QString table = db.driverName() == QLatin1String("QPSQL") ? QStringLiteral("job_archive")
                                                                    : QStringLiteral("background_jobs");
    QSqlQuery jobs(db);
    if (!jobs.exec(QStringLiteral("DELETE FROM %1 WHERE id IN (%2) AND ").arg(table, idList) + FinishedJobs))
        return Database::error(jobs.lastError(), CleanupHandler::tr("deleting old jobs"));
    out.jobs = jobs.numRowsAffected();

    if (Status st = tx.commit(); !st)
        return st.error();
    return out;
}

} // namespace

HandlerResult CleanupHandler::run(JobContext &ctx)
{
    const QString type = ctx.payload().value(QStringLiteral("type")).toString(QStringLiteral("all"));
    if (type != QLatin1String("all") && type != QLatin1String("jobs") && type != QLatin1String("attempts") &&
        type != QLatin1String("cache") && type != QLatin1String("audit"))
        return HandlerResult::failure(
            tr("Unknown cleanup type \"%1\" (expected all, jobs, attempts, cache or audit).").arg(type),
            false);
    const bool doJobs = type == QLatin1String("all") || type == QLatin1String("jobs");
    const bool doAttempts = type == QLatin1String("all") || type == QLatin1String("attempts");
    const bool doCache = type == QLatin1String("all") || type == QLatin1String("cache");
    const bool doAudit = type == QLatin1String("all") || type == QLatin1String("audit");

    auto conn = Database::connection(ctx.env().db);
    if (!conn)
        return HandlerResult::failure(conn.error().message);
    QSqlDatabase db = conn.value();

    qint64 days = 0;
    if (ctx.payload().contains(QStringLiteral("older_than_days"))) {
        days = ctx.payload().value(QStringLiteral("older_than_days")).toInteger(-1);
        if (days < 0)
            return HandlerResult::failure(tr("older_than_days must be a whole number of days, 0 or more."),
                                          false);
    } else {
        days = retentionDays(db);
    }
    const qint64 now = ctx.env().clock->nowMs();
    const qint64 cutoff = now - days * DayMs;

    qint64 jobsDeleted = 0;
    qint64 attemptsDeleted = 0;
    qint64 cacheDeleted = 0;
    const auto stopped = [&] {
        return HandlerResult::failure(
            tr("Stopped after deleting %1 rows.").arg(jobsDeleted + attemptsDeleted + cacheDeleted));
    };
    const int phases = int(doJobs) + int(doAttempts) + int(doCache) + int(doAudit);
    int phase = 0;

    if (doJobs) {
        // Progress within the phase needs the total; counting is cheap next to deleting.
        qint64 total = 0;
        {
            QSqlQuery q(db);
            if (Status st = Sql::prepare(q, QStringLiteral("SELECT COUNT(*) FROM background_jobs WHERE ") +
                                                FinishedJobs + QStringLiteral(" AND completed_at < :cutoff"));
                !st)
                return HandlerResult::failure(st.error().message);
            q.bindValue(QStringLiteral(":cutoff"), cutoff);
            if (Status st = Sql::exec(q, tr("counting old jobs")); !st)
                return HandlerResult::failure(st.error().message);
            if (q.next())
                total = q.value(0).toLongLong();
        }
        for (;;) {
            if (ctx.isStopRequested())
                return stopped();
            const Result<JobBatchResult> batch = deleteJobBatch(db, cutoff);
            if (!batch)
                return HandlerResult::failure(batch.error().message);
            if (batch->jobs == 0)
                break;
            jobsDeleted += batch->jobs;
            attemptsDeleted += batch->attempts;
            const double within = total > 0 ? qMin(1.0, double(jobsDeleted) / double(total)) : 1.0;
            ctx.setProgress((phase + within) / phases);
        }
        ctx.setProgress(double(++phase) / phases);
    }

    if (doAttempts) {
        if (ctx.isStopRequested())
            return stopped();
        const Result<qint64> n = deleteInTransaction(
            db,
            // Also the attempts of jobs that are gone: on PostgreSQL no foreign key takes them along when
            // someone deletes a job straight from job_queue or job_archive.
            QStringLiteral(
                "DELETE FROM job_attempts WHERE finished_at < :cutoff AND (job_id IN (SELECT id FROM "
                "background_jobs WHERE ") +
                FinishedJobs +
                QStringLiteral(") OR NOT EXISTS (SELECT 1 FROM background_jobs AS j WHERE j.id = "
                               "job_attempts.job_id))"),
            {{QStringLiteral(":cutoff"), cutoff}}, tr("deleting old job attempts"));
        if (!n)
            return HandlerResult::failure(n.error().message);
        attemptsDeleted += *n;
        ctx.setProgress(double(++phase) / phases);
    }

    if (doCache) {
        if (ctx.isStopRequested())
            return stopped();
        const Result<qint64> n = deleteInTransaction(
            db,
            QStringLiteral("DELETE FROM cache_entries WHERE expires_at IS NOT NULL AND expires_at < :now"),
            {{QStringLiteral(":now"), now}}, tr("deleting expired cache entries"));
        if (!n)
            return HandlerResult::failure(n.error().message);
        cacheDeleted = *n;
        ctx.setProgress(double(++phase) / phases);
    }

    // The audit trail keeps its own retention ('audit_retention_days', at least 30): older_than_days
    // does not apply to it. The removal is audited itself, in a row of the program's own.
    qint64 auditDeleted = 0;
    if (doAudit) {
        if (ctx.isStopRequested())
            return stopped();
        AuditStore audit(ctx.env().db);
        const Result<qint64> n = audit.purgeExpired();
        if (!n)
            return HandlerResult::failure(n.error().message);
        auditDeleted = *n;
        const Result<int> keep = audit.retentionDays();
        if (Status st = audit.record(
                AuditEntry::of(Actor::system(QStringLiteral("cleanup"), Interface::Worker),
                               QStringLiteral("audit.purge"), QStringLiteral("audit"), {},
                               QJsonObject{{QStringLiteral("removed"), auditDeleted},
                                           {QStringLiteral("retention_days"), keep ? *keep : 0},
                                           {QStringLiteral("job_id"), QString::number(ctx.jobId())}}));
            !st)
            return HandlerResult::failure(st.error().message);
        ctx.setProgress(double(++phase) / phases);
    }

    const qint64 total = jobsDeleted + attemptsDeleted + cacheDeleted + auditDeleted;
    qCInfo(lcHandlers).noquote() << "cleanup" << type << "older than" << days << "days: deleted"
                                 << jobsDeleted << "jobs," << attemptsDeleted << "attempts," << cacheDeleted
                                 << "cache entries," << auditDeleted << "audit rows";
    return HandlerResult::success(QJsonObject{
        {QStringLiteral("type"), type},
        {QStringLiteral("older_than_days"), days},
        {QStringLiteral("cutoff"), isoUtc(cutoff)},
        {QStringLiteral("deleted"),
         QJsonObject{
             {QStringLiteral("background_jobs"), jobsDeleted},
             {QStringLiteral("job_attempts"), attemptsDeleted},
             {QStringLiteral("cache_entries"), cacheDeleted},
             {QStringLiteral("audit_log"), auditDeleted},
         }},
        {QStringLiteral("rows_deleted"), total},
    });
}

} // namespace hcm
