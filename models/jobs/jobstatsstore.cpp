#include "jobstatsstore.h"

#include "db/database.h"
#include "jobs/asyncjobservice.h"

#include <QCoreApplication>
#include <QSqlQuery>

namespace hcm {

JobStatsStore::JobStatsStore(DbConfig config, std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
{
}

Result<Throughput> JobStatsStore::throughput(int minutes) const
{
    auto db = Database::connection(m_config);
    if (!db)
        return db.error();
    minutes = qBound(1, minutes, 24 * 60);
    const qint64 now = m_clock->nowMs();
    const qint64 firstMinute = (now / 60'000 - (minutes - 1)) * 60'000;
    QSqlQuery q(db.value());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT completed_at / 60000, status, COUNT(*) FROM background_jobs "
                             "WHERE completed_at >= ? AND status IN ('completed', 'failed') "
                             "GROUP BY completed_at / 60000, status"));
    q.addBindValue(firstMinute);
    if (!q.exec())
        return Database::error(q.lastError(), QCoreApplication::translate("hcm::JobStatsStore", "reading throughput"));
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
    return t;
}

} // namespace hcm
