#include "schedules/asyncscheduleservice.h"

#include "schedules/scheduleservice.h"

namespace hcm {

namespace {
ScheduleService serviceOf(const DbConfig &config)
{
    return ScheduleService{ScheduleStore(config)};
}
} // namespace

AsyncScheduleService::AsyncScheduleService(DbConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_db(QStringLiteral("schedules"))
{
    qRegisterMetaType<hcm::Schedule>();
    qRegisterMetaType<QList<hcm::Schedule>>();
    qRegisterMetaType<QList<hcm::ScheduleRun>>();
}

QFuture<Result<QList<Schedule>>> AsyncScheduleService::fetchAll()
{
    return m_db.run([config = m_config] { return serviceOf(config).list(); });
}

QFuture<Result<qint64>> AsyncScheduleService::add(const Schedule &schedule, const Actor &actor)
{
    return m_db.run([config = m_config, schedule, actor] { return serviceOf(config).add(schedule, actor); });
}

QFuture<Status> AsyncScheduleService::edit(const Schedule &schedule, const Actor &actor)
{
    return m_db.run([config = m_config, schedule, actor] { return serviceOf(config).edit(schedule, actor); });
}

QFuture<Status> AsyncScheduleService::setEnabled(qint64 id, bool enabled, const Actor &actor)
{
    return m_db.run(
        [config = m_config, id, enabled, actor] { return serviceOf(config).setEnabled(id, enabled, actor); });
}

QFuture<Status> AsyncScheduleService::remove(qint64 id, const Actor &actor)
{
    return m_db.run([config = m_config, id, actor] { return serviceOf(config).remove(id, actor); });
}

QFuture<Result<qint64>> AsyncScheduleService::runNow(qint64 id, const Actor &actor)
{
    return m_db.run([config = m_config, id, actor] { return serviceOf(config).runNow(id, actor); });
}

QFuture<Result<QList<ScheduleRun>>> AsyncScheduleService::fetchJobs(qint64 id)
{
    return m_db.run([config = m_config, id] { return serviceOf(config).store().recentJobs(id); });
}

} // namespace hcm
