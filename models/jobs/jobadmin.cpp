#include "jobadmin.h"

#include "common/logcategories.h"
#include "db/notificationlistener.h"
#include "jobs/jobrules.h"

#include <QCoreApplication>
#include <QSqlError>

#include <algorithm>

namespace hcm {

using namespace jobsql;

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobStore)
};

// The admin statements that differ between the backends. SQLite keeps every job in background_jobs,
// whose attempts go with it (ON DELETE CASCADE). PostgreSQL keeps queued and running jobs in job_queue
// and finished ones in job_archive (migration 009), and its attempts have no foreign key to take them
// along (the job row moves between two tables).
struct AdminSql {
    // Retry now of one job (bound: its id), tried in order: the first statement that changes one row
    // wins. A failed or cancelled job starts over with its full retry budget; a queued job waiting for
    // its next attempt becomes due now.
    QStringList retry;
    // Deletes one finished job (bound: its id) with its attempts; returns one row when it did.
    QString deleteFinished;
};

const AdminSql &adminSql(const DbConfig &config)
{
    static const AdminSql sqlite{
        {QStringLiteral("UPDATE background_jobs SET retry_count = CASE WHEN status = 'queued' THEN "
                        "retry_count ELSE 0 END, status = 'queued', run_at = {now}, completed_at = NULL, "
                        "cancel_requested = 0, updated_at = {now}, error_message = NULL, "
                        "lease_expires_at = NULL WHERE id = ? AND status IN ('failed', 'cancelled', "
                        "'queued')")},
        QStringLiteral("DELETE FROM background_jobs WHERE id = ? "
                       "AND status IN ('completed', 'failed', 'cancelled') RETURNING id")};
    // A queued job stays in job_queue; a failed or cancelled one moves from job_archive back into
    // job_queue. A deleted job's attempts are deleted in the same statement.
    static const AdminSql postgres{
        {QStringLiteral("UPDATE job_queue SET run_at = {now}, completed_at = NULL, "
                        "cancel_requested = 0, updated_at = {now}, error_message = NULL, "
                        "lease_expires_at = NULL WHERE id = ? AND status = 'queued'"),
         QStringLiteral("WITH old AS (DELETE FROM job_archive WHERE id = ? AND status IN "
                        "('failed', 'cancelled') RETURNING *) "
                        "INSERT INTO job_queue (%1) "
                        "SELECT id, job_type, 'queued', priority, payload, result, NULL, 0, "
                        "max_retries, attempts, {now}, created_at, started_at, NULL, {now}, "
                        "created_by, worker_id, NULL, 0, progress, schedule_id FROM old")
             .arg(jobColumns())},
        QStringLiteral("WITH gone AS (DELETE FROM job_archive WHERE id = ? RETURNING id), "
                       "attempts AS (DELETE FROM job_attempts WHERE job_id IN "
                       "(SELECT id FROM gone)) SELECT id FROM gone")};
    return config.isPostgres() ? postgres : sqlite;
}

QList<JobActionResult> failedAll(const QList<qint64> &ids, const QString &message)
{
    QList<JobActionResult> out;
    for (qint64 id : ids)
        out.append(JobActionResult{id, false, message, JobStatus::Queued});
    return out;
}

// The ids an action changed, as one event of `kind` (none when it changed nothing).
QList<JobEvent> eventOf(JobEvent::Kind kind, const QList<JobActionResult> &results)
{
    JobEvent event{kind, {}, 0, {}};
    for (const auto &r : results)
        if (r.ok)
            event.ids.append(r.id);
    return event.ids.isEmpty() ? QList<JobEvent>{} : QList<JobEvent>{event};
}

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
    return why.isEmpty() ? Tr::tr("the job changed state meanwhile; try again") : why;
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

JobAdmin::JobAdmin(JobSqlContext context)
    : m_ctx(std::move(context))
{}

QList<JobActionResult> JobAdmin::perJob(const QList<qint64> &ids, const Action &action, const Events &events,
                                        const JobActionAudit &audit)
{
    auto done = m_ctx.inTransaction([&](QSqlDatabase &d) -> Result<QList<JobActionResult>> {
        QList<JobActionResult> out;
        for (qint64 id : ids) {
            auto r = action(d, id);
            if (!r)
                return r.error(); // a database failure aborts the whole batch: nothing of it is written
            out.append(r.value());
        }
        if (audit && std::any_of(out.cbegin(), out.cend(), [](const JobActionResult &r) { return r.ok; })) {
            if (auto st = audit(d, out); !st)
                return st.error();
        }
        // Other processes learn about it at commit: a cancel reaches the running worker at once.
        if (events && m_ctx.hasChannel()) {
            for (const JobEvent &event : events(out)) {
                if (auto st = m_ctx.announce(d, event); !st)
                    return st.error();
            }
        }
        return out;
    });
    return done ? std::move(done).value() : failedAll(ids, done.error().message);
}

QList<JobActionResult> JobAdmin::cancel(const QList<qint64> &ids, const QString &actor,
                                        const JobActionAudit &audit)
{
    const JobSqlContext::Now now = m_ctx.now();
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
            q.prepare(JobSqlContext::withNow(
                QStringLiteral("UPDATE {queue} SET status = 'cancelled', completed_at = {now}, "
                               "updated_at = {now}, error_message = ?, error_code = ?, error_args = ? "
                               "WHERE id = ? AND status = 'queued'"),
                now));
            bindError(q, JobError::make("store.cancelled_before_run", {{QStringLiteral("actor"), actor}}));
            q.addBindValue(id);
            if (!q.exec())
                return Database::error(q.lastError(), Tr::tr("cancelling %1").arg(Job::publicId(id)));
            if (q.numRowsAffected() == 1)
                return JobActionResult{id, true, {}, JobStatus::Cancelled};
            q.prepare(JobSqlContext::withNow(
                QStringLiteral("UPDATE {queue} SET cancel_requested = 1, updated_at = {now} "
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

QList<JobActionResult> JobAdmin::retryNow(const QList<qint64> &ids, const QString &actor,
                                          const JobActionAudit &audit)
{
    // Who retried is recorded by `audit` (the audit trail) and in the log.
    qCDebug(lcJobs).noquote() << actor << "retries" << ids;
    const JobSqlContext::Now now = m_ctx.now();
    const QStringList &statements = adminSql(m_ctx.config()).retry;
    return perJob(
        ids,
        [&](QSqlDatabase &d, qint64 id) -> Result<JobActionResult> {
            QSqlQuery q(d);
            for (const QString &sql : statements) {
                q.prepare(JobSqlContext::withNow(sql, now));
                q.addBindValue(id);
                if (!q.exec())
                    return Database::error(q.lastError(), Tr::tr("retrying %1").arg(Job::publicId(id)));
                if (q.numRowsAffected() == 1)
                    return JobActionResult{id, true, {}, JobStatus::Queued};
            }
            return refusal(d, id, JobAction::RetryNow);
        },
        [](const QList<JobActionResult> &results) { return eventOf(JobEvent::Kind::Enqueued, results); },
        audit);
}

QList<JobActionResult> JobAdmin::deleteFinished(const QList<qint64> &ids, const JobActionAudit &audit)
{
    const QString &sql = adminSql(m_ctx.config()).deleteFinished;
    return perJob(
        ids,
        [&](QSqlDatabase &d, qint64 id) -> Result<JobActionResult> {
            QSqlQuery q(d);
            q.prepare(sql);
            q.addBindValue(id);
            if (!q.exec())
                return Database::error(q.lastError(), Tr::tr("deleting %1").arg(Job::publicId(id)));
            const bool deleted = q.next();
            q.finish();
            if (deleted)
                return JobActionResult{id, true, {}, JobStatus::Completed};
            return refusal(d, id, JobAction::Delete);
        },
        [](const QList<JobActionResult> &results) { return eventOf(JobEvent::Kind::Changed, results); },
        audit);
}

Result<QList<qint64>> JobAdmin::matchingIds(const JobFilter &filter, qint64 afterId, qint64 upToId, int limit,
                                            qint64 finishedBefore)
{
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<QList<qint64>> {
        Where w = whereFor(filter, true);
        QString sql = QStringLiteral("SELECT id FROM background_jobs") + w.sql +
                      (w.sql.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) +
                      QStringLiteral("id > ? AND id <= ?");
        w.values << afterId << upToId;
        if (finishedBefore > 0) {
            sql += QStringLiteral(" AND completed_at > 0 AND completed_at < ?");
            w.values << finishedBefore;
        }
        QSqlQuery q(d);
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
    });
}

Result<JobMatchCount> JobAdmin::countMatching(const JobFilter &filter, qint64 finishedBefore)
{
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<JobMatchCount> {
        Where w = whereFor(filter, true);
        QString sql = QStringLiteral("SELECT COUNT(*), MAX(id) FROM background_jobs") + w.sql;
        if (finishedBefore > 0) {
            sql += (w.sql.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) +
                   QStringLiteral("completed_at > 0 AND completed_at < ?");
            w.values << finishedBefore;
        }
        QSqlQuery q(d);
        q.prepare(sql);
        bindAll(q, w.values);
        if (!q.exec() || !q.next())
            return Database::error(q.lastError(), Tr::tr("counting jobs"));
        return JobMatchCount{q.value(0).toLongLong(), q.value(1).toLongLong()};
    });
}

} // namespace hcm
