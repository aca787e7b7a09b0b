#include "jobreads.h"

#include <QCoreApplication>
#include <QSqlError>

namespace hcm {

using namespace jobsql;

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::JobStore)
};

} // namespace

JobReads::JobReads(JobSqlContext context)
    : m_ctx(std::move(context))
{}

Result<Job> JobReads::get(qint64 id, bool withAttempts)
{
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<Job> {
        QSqlQuery q(d);
        q.prepare(QStringLiteral("SELECT %1 FROM background_jobs WHERE id = ?").arg(jobReadColumns()));
        q.addBindValue(id);
        if (!q.exec())
            return Database::error(q.lastError(), Tr::tr("reading %1").arg(Job::publicId(id)));
        if (!q.next())
            return Error{Error::Code::NotFound, Tr::tr("%1 does not exist").arg(Job::publicId(id))};
        Job job = jobFromRow(q);
        q.finish();
        if (withAttempts) {
            auto list = attempts(id);
            if (!list)
                return list.error();
            job.attemptList = list.value();
        }
        return job;
    });
}

Result<QList<JobAttempt>> JobReads::attempts(qint64 jobId)
{
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<QList<JobAttempt>> {
        QSqlQuery q(d);
        q.prepare(QStringLiteral("SELECT %1 FROM job_attempts WHERE job_id = ? ORDER BY attempt")
                      .arg(attemptColumns()));
        q.addBindValue(jobId);
        if (!q.exec())
            return Database::error(q.lastError(),
                                   Tr::tr("reading the attempts of %1").arg(Job::publicId(jobId)));
        QList<JobAttempt> out;
        while (q.next())
            out.append(attemptFromRow(q));
        return out;
    });
}

QString JobReads::lastOutcome(qint64 jobId)
{
    auto outcome = m_ctx.withDb([&](QSqlDatabase &d) -> Result<QString> {
        QSqlQuery q(d);
        q.prepare(QStringLiteral(
            "SELECT outcome FROM job_attempts WHERE job_id = ? ORDER BY attempt DESC LIMIT 1"));
        q.addBindValue(jobId);
        if (!q.exec() || !q.next())
            return QString();
        return q.value(0).toString();
    });
    return outcome ? outcome.value() : QString();
}

Result<QList<Job>> JobReads::list(const JobFilter &filter)
{
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<QList<Job>> {
        Where w = whereFor(filter, true);
        if (filter.beforeId > 0) {
            w.sql += w.sql.isEmpty() ? QStringLiteral(" WHERE id < ?") : QStringLiteral(" AND id < ?");
            w.values << filter.beforeId;
        }
        const QString dir =
            filter.order == Qt::AscendingOrder ? QStringLiteral("ASC") : QStringLiteral("DESC");
        QString order = sortExpression(filter.sort) + QLatin1Char(' ') + dir;
        if (filter.sort != JobSortColumn::Id)
            order += QStringLiteral(", id ") + dir;
        QSqlQuery q(d);
        q.setForwardOnly(true);
        q.prepare(QStringLiteral("SELECT %1 FROM background_jobs%2 ORDER BY %3 LIMIT ? OFFSET ?")
                      .arg(jobReadColumns(), w.sql, order));
        bindAll(q, w.values);
        q.addBindValue(qMax(0, filter.limit));
        q.addBindValue(qMax(0, filter.offset));
        if (!q.exec())
            return Database::error(q.lastError(), Tr::tr("listing jobs"));
        QList<Job> out;
        while (q.next())
            out.append(jobFromRow(q));
        return out;
    });
}

Result<qint64> JobReads::count(const JobFilter &filter, qint64 limit)
{
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<qint64> {
        const Where w = whereFor(filter, true);
        QSqlQuery q(d);
        if (limit > 0) {
            q.prepare(
                QStringLiteral("SELECT COUNT(*) FROM (SELECT 1 FROM background_jobs%1 LIMIT ?) AS bounded")
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
    });
}

Result<std::array<qint64, kJobStatusCount>> JobReads::countByStatus(const JobFilter &filter, qint64 limit)
{
    std::array<qint64, kJobStatusCount> counts{};
    return m_ctx.withDb([&](QSqlDatabase &d) -> Result<std::array<qint64, kJobStatusCount>> {
        const Where w = whereFor(filter, false);
        QSqlQuery q(d);
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
    });
}

} // namespace hcm
