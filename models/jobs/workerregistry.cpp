#include "workerregistry.h"

#include <QCoreApplication>
#include <QSqlError>

namespace hcm {

using namespace jobsql;

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobStore)
};

// A worker's error, kept with the time it was first reported while it stays the same (bindLastError).
const QString &setLastError()
{
    static const QString sql =
        QStringLiteral("last_error_at = CASE WHEN CAST(? AS TEXT) IS NULL THEN NULL "
                       "WHEN last_error = CAST(? AS TEXT) THEN last_error_at ELSE {now} END, last_error = ?");
    return sql;
}

void bindLastError(QSqlQuery &q, const QString &error)
{
    const QVariant value = error.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(error);
    for (int i = 0; i < 3; ++i)
        q.addBindValue(value);
}

} // namespace

WorkerRegistry::WorkerRegistry(JobSqlContext context)
    : m_ctx(std::move(context))
{}

Status WorkerRegistry::recordHeartbeat(QSqlDatabase &d, const JobSqlContext::Now &now,
                                       const QString &workerId, int running, const QString &lastError)
{
    QSqlQuery q(d);
    q.prepare(JobSqlContext::withNow(
        QStringLiteral("UPDATE workers SET heartbeat_at = {now}, running = ?, %1 WHERE id = ?")
            .arg(setLastError()),
        now));
    q.addBindValue(running);
    bindLastError(q, lastError);
    q.addBindValue(workerId);
    return Sql::exec(q, Tr::tr("recording the worker heartbeat"));
}

Status WorkerRegistry::registerWorker(const WorkerInfo &info)
{
    return m_ctx.withDb([&](QSqlDatabase &d) {
        QSqlQuery q(d);
        q.prepare(JobSqlContext::withNow(
            QStringLiteral(
                "INSERT INTO workers (id, host, pid, started_at, heartbeat_at, concurrency, running, "
                "version, "
                "stopped_at, lease_ms) "
                "VALUES (?, ?, ?, COALESCE(?, {now}), {now}, ?, 0, ?, NULL, ?) ON CONFLICT (id) DO UPDATE "
                "SET "
                "host = excluded.host, pid = excluded.pid, started_at = excluded.started_at, "
                "heartbeat_at = excluded.heartbeat_at, concurrency = excluded.concurrency, running = 0, "
                "version = excluded.version, stopped_at = NULL, lease_ms = excluded.lease_ms, "
                "last_error = NULL, last_error_at = NULL"),
            m_ctx.now()));
        q.addBindValue(info.id);
        q.addBindValue(info.host);
        q.addBindValue(info.pid);
        q.addBindValue(info.startedAt > 0 ? QVariant(info.startedAt) : nullInt64());
        q.addBindValue(info.concurrency);
        q.addBindValue(info.version);
        q.addBindValue(info.leaseMs > 0 ? QVariant(info.leaseMs) : nullInt64());
        return Sql::exec(q, Tr::tr("registering the worker"));
    });
}

Status WorkerRegistry::unregisterWorker(const QString &workerId, const QString &lastError)
{
    return m_ctx.withDb([&](QSqlDatabase &d) {
        QSqlQuery q(d);
        // The error it stops with stays: it may say why the worker stopped.
        q.prepare(JobSqlContext::withNow(
            QStringLiteral("UPDATE workers SET stopped_at = {now}, running = 0, %1 WHERE id = ?")
                .arg(setLastError()),
            m_ctx.now()));
        bindLastError(q, lastError);
        q.addBindValue(workerId);
        if (auto st = Sql::exec(q, Tr::tr("marking the worker stopped")); !st)
            return st;
        // Every run of a stopped worker is over: its start records are of no use.
        q.prepare(QStringLiteral("DELETE FROM job_starts WHERE worker_id = ?"));
        q.addBindValue(workerId);
        return Sql::exec(q, Tr::tr("clearing the start records of a stopped worker"));
    });
}

Result<QList<WorkerInfo>> WorkerRegistry::workers()
{
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<QList<WorkerInfo>> {
        QSqlQuery q(d);
        if (!q.exec(QStringLiteral("SELECT id, host, pid, started_at, heartbeat_at, concurrency, running, "
                                   "version, stopped_at, lease_ms, last_error, last_error_at "
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
    });
}

Result<WorkerJobs> WorkerRegistry::jobsOfWorker(const QString &workerId, int attemptLimit)
{
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<WorkerJobs> {
        WorkerJobs out;
        out.workerId = workerId;
        QSqlQuery q(d);
        q.setForwardOnly(true);
        // A worker holds at most its claim batch; the limit only guards the page against a broken row set.
        q.prepare(
            QStringLiteral("SELECT %1 FROM background_jobs WHERE status = 'processing' AND worker_id = ? "
                           "ORDER BY started_at, id LIMIT 1000")
                .arg(jobReadColumns()));
        q.addBindValue(workerId);
        if (!q.exec())
            return Database::error(q.lastError(), Tr::tr("listing the jobs of worker %1").arg(workerId));
        while (q.next())
            out.held.append(jobFromRow(q));
        q.finish();
        q.prepare(
            QStringLiteral("SELECT %1, j.job_type, j.status, j.run_at, j.retry_count FROM job_attempts a "
                           "JOIN background_jobs j ON j.id = a.job_id "
                           "WHERE a.worker_id = ? AND a.outcome <> 'completed' "
                           "ORDER BY a.finished_at DESC, a.job_id DESC, a.attempt DESC LIMIT ?")
                .arg(attemptColumns(QStringLiteral("a."))));
        q.addBindValue(workerId);
        q.addBindValue(qMax(0, attemptLimit));
        if (!q.exec())
            return Database::error(q.lastError(), Tr::tr("listing the attempts of worker %1").arg(workerId));
        while (q.next()) {
            out.attempts.append(WorkerAttempt{attemptFromRow(q), q.value(9).toString(), statusOf(q.value(10)),
                                              q.value(11).toLongLong(), q.value(12).toInt()});
        }
        return out;
    });
}

} // namespace hcm
