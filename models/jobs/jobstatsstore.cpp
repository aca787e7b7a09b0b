#include "jobstatsstore.h"

#include "db/database.h"
#include "jobs/asyncjobservice.h"

#include <QCoreApplication>
#include <QSqlQuery>

#include <algorithm>

namespace hcm {

JobStatsStore::JobStatsStore(DbConfig config, std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
{}

Result<Throughput> JobStatsStore::throughput(int minutes, const QString &type) const
{
    auto db = Database::connection(m_config);
    if (!db)
        return db.error();
    minutes = qBound(1, minutes, 24 * 60);
    const qint64 now = m_clock->nowMs();
    const qint64 firstMinute = (now / 60'000 - (minutes - 1)) * 60'000;
    QSqlQuery q(db.value());
    q.setForwardOnly(true);
    // PostgreSQL without a type: the maintained completions per minute (017), a few rows per minute.
    // With a type, and on SQLite: the recent minutes through the completed_at index (on PostgreSQL the
    // job_minute_counts have no type). On SQLite the unary + keeps the status index
    // out: without ANALYZE statistics (a database nobody optimised) the planner walked every completed
    // job through it, 300 ms at a million jobs, and the jobs page waited behind it.
    const QString typeCondition = type.isEmpty() ? QString() : QStringLiteral(" AND job_type = ?");
    const bool maintainedMinutes = m_config.isPostgres() && type.isEmpty();
    if (maintainedMinutes) {
        q.prepare(QStringLiteral("SELECT minute, status, SUM(n) FROM job_minute_counts WHERE minute >= ? "
                                 "GROUP BY minute, status"));
        q.addBindValue(firstMinute / 60'000);
    } else {
        q.prepare(QStringLiteral("SELECT completed_at / 60000, status, COUNT(*) FROM background_jobs "
                                 "WHERE completed_at >= ? AND %1 IN ('completed', 'failed')%2 "
                                 "GROUP BY completed_at / 60000, status")
                      .arg(m_config.isPostgres() ? QStringLiteral("status") : QStringLiteral("+status"),
                           typeCondition));
        q.addBindValue(firstMinute);
        if (!type.isEmpty())
            q.addBindValue(type);
    }
    if (!q.exec())
        return Database::error(q.lastError(),
                               QCoreApplication::translate("hcm::JobStatsStore", "reading throughput"));
    Throughput t;
    t.firstMinuteMs = firstMinute;
    t.completed = QList<int>(minutes, 0);
    t.failed = QList<int>(minutes, 0);
    const qint64 firstIndex = firstMinute / 60'000;
    while (q.next()) {
        const qint64 bucket = q.value(0).toLongLong() - firstIndex;
        if (bucket < 0 || bucket >= minutes)
            continue;
        const int n = q.value(2).toInt();
        if (q.value(1).toString() == QLatin1String("completed"))
            t.completed[bucket] += n;
        else
            t.failed[bucket] += n;
    }
    // "Jobs per minute": completed in the 60 seconds up to now, not the last whole minute's bucket. Where
    // the minutes are maintained the exact count stops after kExactRateLimit rows: past it (a burn-down
    // of thousands of jobs a minute, when every open window asks once a second) reading the rows would
    // cost the server more than the figure is worth, and the two newest buckets give it instead.
    QSqlQuery last(db.value());
    last.setForwardOnly(true);
    const QString exact =
        QStringLiteral("SELECT 1 FROM background_jobs WHERE completed_at >= ? AND %1 = 'completed'%2")
            .arg(m_config.isPostgres() ? QStringLiteral("status") : QStringLiteral("+status"), typeCondition);
    last.prepare(maintainedMinutes ? QStringLiteral("SELECT COUNT(*) FROM (%1 LIMIT %2) AS bounded")
                                         .arg(exact)
                                         .arg(kExactRateLimit + 1)
                                   : QStringLiteral("SELECT COUNT(*) FROM (%1) AS recent").arg(exact));
    last.addBindValue(now - 60'000);
    if (!type.isEmpty())
        last.addBindValue(type);
    if (!last.exec() || !last.next())
        return Database::error(last.lastError(),
                               QCoreApplication::translate("hcm::JobStatsStore", "reading throughput"));
    t.completedLastMinute = last.value(0).toLongLong();
    if (maintainedMinutes && t.completedLastMinute > kExactRateLimit) {
        const qint64 current = t.completed.constLast();
        const qint64 previous = minutes > 1 ? t.completed.at(minutes - 2) : 0;
        t.completedLastMinute =
            qMax(t.completedLastMinute, estimateLastMinute(current, previous, now % 60'000));
    }
    t.type = type;
    return t;
}

qint64 JobStatsStore::estimateLastMinute(qint64 currentMinute, qint64 previousMinute, qint64 msIntoMinute)
{
    // The previous minute's completions spread evenly over it: the part of it that lies in the last 60 s.
    const qint64 into = std::clamp<qint64>(msIntoMinute, 0, 60'000);
    return currentMinute + (previousMinute * (60'000 - into) + 30'000) / 60'000;
}

Result<std::optional<std::array<qint64, kJobStatusCount>>>
JobStatsStore::maintainedCounts(const QString &type) const
{
    using Counts = std::optional<std::array<qint64, kJobStatusCount>>;
    if (m_config.isSqlite() && !type.isEmpty())
        return Counts{};
    auto db = Database::connection(m_config);
    if (!db)
        return db.error();
    QSqlQuery q(db.value());
    q.setForwardOnly(true);
    // PostgreSQL: the sum of the deltas (017), a few dozen rows between two folds of the reaper.
    if (m_config.isPostgres())
        q.prepare(
            type.isEmpty()
                ? QStringLiteral("SELECT status, SUM(n) FROM job_counts GROUP BY status")
                : QStringLiteral("SELECT status, SUM(n) FROM job_counts WHERE job_type = ? GROUP BY status"));
    else
        q.prepare(QStringLiteral("SELECT status, n FROM job_counts"));
    if (!type.isEmpty())
        q.addBindValue(type);
    if (!q.exec())
        return Counts{}; // an older schema without the table: count instead
    std::array<qint64, kJobStatusCount> counts{};
    while (q.next()) {
        if (const auto s = jobStatusFromString(q.value(0).toString()))
            counts[size_t(*s)] = q.value(1).toLongLong();
    }
    return Counts{counts};
}

Status JobStatsStore::foldCounts() const
{
    if (!m_config.isPostgres())
        return {};
    auto db = Database::connection(m_config);
    if (!db)
        return db.error();
    return Sql::exec(db.value(), QStringLiteral("SELECT job_counts_fold()"),
                     QCoreApplication::translate("hcm::JobStatsStore", "folding the job counts"));
}

bool JobStatsStore::maintainedAnswers(const JobFilter &filter) const
{
    return filter.search.trimmed().isEmpty() && filter.scheduleId == 0 &&
           (filter.type.isEmpty() || m_config.isPostgres());
}

Result<std::array<qint64, kJobStatusCount>> JobStatsStore::countByStatus(const JobFilter &filter,
                                                                         qint64 limit) const
{
    if (maintainedAnswers(filter)) {
        auto maintained = maintainedCounts(filter.type);
        if (!maintained)
            return maintained.error();
        if (maintained->has_value())
            return maintained->value();
    }
    return JobStore(m_config, m_clock).countByStatus(filter, limit);
}

Result<qint64> JobStatsStore::count(const JobFilter &filter, qint64 limit) const
{
    if (maintainedAnswers(filter)) {
        auto maintained = maintainedCounts(filter.type);
        if (!maintained)
            return maintained.error();
        if (maintained->has_value()) {
            qint64 n = 0;
            for (int s = 0; s < kJobStatusCount; ++s)
                if (filter.statuses.isEmpty() || filter.statuses.contains(JobStatus(s)))
                    n += maintained->value()[size_t(s)];
            return n;
        }
    }
    return JobStore(m_config, m_clock).count(filter, limit);
}

} // namespace hcm
