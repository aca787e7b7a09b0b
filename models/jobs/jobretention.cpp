#include "jobretention.h"

#include "db/database.h"
#include "db/dialect.h"

#include <QCoreApplication>
#include <QSqlQuery>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobRetention)
};

const QString FinishedJobs = QStringLiteral("status IN ('completed', 'failed', 'cancelled')");

} // namespace

JobRetention::JobRetention(DbConfig config)
    : m_config(std::move(config))
{}

std::optional<QString> JobRetention::retentionDaysSetting() const
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return std::nullopt;
    QSqlQuery q(conn.value());
    if (!q.exec(QStringLiteral("SELECT value FROM app_settings WHERE key = 'retention_days'")) || !q.next())
        return std::nullopt;
    return q.value(0).toString();
}

Result<qint64> JobRetention::countFinishedBefore(qint64 cutoffMs) const
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (Status st = Sql::prepare(q, QStringLiteral("SELECT COUNT(*) FROM background_jobs WHERE ") +
                                        FinishedJobs + QStringLiteral(" AND completed_at < :cutoff"));
        !st)
        return st.error();
    q.bindValue(QStringLiteral(":cutoff"), cutoffMs);
    if (Status st = Sql::exec(q, Tr::tr("counting old jobs")); !st)
        return st.error();
    return q.next() ? q.value(0).toLongLong() : qint64(0);
}

Result<JobRetention::Deleted> JobRetention::deleteFinishedBatch(qint64 cutoffMs, int limit) const
{
    if (limit < 1)
        return Error{Error::Code::Invalid,
                     Tr::tr("A batch of old jobs to delete must hold at least one job, not %1.").arg(limit)};
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
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
                                        .arg(limit));
            !st)
            return st.error();
        q.bindValue(QStringLiteral(":cutoff"), cutoffMs);
        if (Status st = Sql::exec(q, Tr::tr("finding old jobs")); !st)
            return st.error();
        while (q.next())
            ids.append(q.value(0).toLongLong());
    }
    Deleted out;
    if (ids.isEmpty())
        return out; // the transaction rolls back: nothing was written

    const QString idList = Sql::idList(ids);
    QSqlQuery attempts(db);
    if (!attempts.exec(QStringLiteral("DELETE FROM job_attempts WHERE job_id IN (%1)").arg(idList)))
        return Database::error(attempts.lastError(), Tr::tr("deleting the attempts of old jobs"));
    out.attempts = attempts.numRowsAffected();
    // PostgreSQL keeps finished jobs in job_archive (background_jobs is a view over it and job_queue).
    const QString table = Dialect::of(m_config).isPostgres() ? QStringLiteral("job_archive")
                                                             : QStringLiteral("background_jobs");
    QSqlQuery jobs(db);
    if (!jobs.exec(QStringLiteral("DELETE FROM %1 WHERE id IN (%2) AND ").arg(table, idList) + FinishedJobs))
        return Database::error(jobs.lastError(), Tr::tr("deleting old jobs"));
    out.jobs = jobs.numRowsAffected();

    if (Status st = tx.commit(); !st)
        return st.error();
    return out;
}

Result<qint64> JobRetention::deleteAttemptsBefore(qint64 cutoffMs) const
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    return Sql::execInTransaction(
        conn.value(),
        QStringLiteral("DELETE FROM job_attempts WHERE finished_at < :cutoff AND (job_id IN (SELECT id FROM "
                       "background_jobs WHERE ") +
            FinishedJobs +
            QStringLiteral(") OR NOT EXISTS (SELECT 1 FROM background_jobs AS j WHERE j.id = "
                           "job_attempts.job_id))"),
        {{QStringLiteral(":cutoff"), cutoffMs}}, Tr::tr("deleting old job attempts"));
}

} // namespace hcm
