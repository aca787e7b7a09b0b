#include "cleanuphandler.h"

#include "auth/auditstore.h"
#include "common/clock.h"
#include "common/logcategories.h"
#include "db/database.h"
#include "jobs/jobretention.h"

#include <QJsonValue>

namespace hcm {

namespace {

constexpr qint64 DayMs = 86'400'000;
constexpr qint64 DefaultRetentionDays = 30;
// Jobs deleted per write transaction: keeps the write lock short so workers can claim and finish jobs
// while a large backlog is cleaned up, and gives the stop request a chance between batches.
constexpr int JobBatch = 2000;

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

} // namespace

HandlerResult CleanupHandler::run(JobContext &ctx)
{
    const QString type = ctx.payload().value(QStringLiteral("type")).toString(QStringLiteral("all"));
    if (type != QLatin1String("all") && type != QLatin1String("jobs") && type != QLatin1String("attempts") &&
        type != QLatin1String("cache") && type != QLatin1String("audit"))
        return HandlerResult::failure(
            JobError::make("cleanup.unknown_type", {{QStringLiteral("type"), type}}), false);
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
            return HandlerResult::failure(JobError::make("cleanup.bad_older_than_days"), false);
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
            JobError::make("cleanup.stopped",
                           {{QStringLiteral("rows"), qint64(jobsDeleted + attemptsDeleted + cacheDeleted)}}));
    };
    const int phases = int(doJobs) + int(doAttempts) + int(doCache) + int(doAudit);
    int phase = 0;

    const JobRetention retention(ctx.env().db);
    if (doJobs) {
        // Progress within the phase needs the total; counting is cheap next to deleting.
        const Result<qint64> finished = retention.countFinishedBefore(cutoff);
        if (!finished)
            return HandlerResult::failure(finished.error().message);
        for (;;) {
            if (ctx.isStopRequested())
                return stopped();
            const Result<JobRetention::Deleted> batch = retention.deleteFinishedBatch(cutoff, JobBatch);
            if (!batch)
                return HandlerResult::failure(batch.error().message);
            if (batch->jobs == 0)
                break;
            jobsDeleted += batch->jobs;
            attemptsDeleted += batch->attempts;
            const double within = *finished > 0 ? qMin(1.0, double(jobsDeleted) / double(*finished)) : 1.0;
            ctx.setProgress((phase + within) / phases);
        }
        ctx.setProgress(double(++phase) / phases);
    }

    if (doAttempts) {
        if (ctx.isStopRequested())
            return stopped();
        const Result<qint64> n = retention.deleteAttemptsBefore(cutoff);
        if (!n)
            return HandlerResult::failure(n.error().message);
        attemptsDeleted += *n;
        ctx.setProgress(double(++phase) / phases);
    }

    if (doCache) {
        if (ctx.isStopRequested())
            return stopped();
        const Result<qint64> n = Sql::execInTransaction(
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
