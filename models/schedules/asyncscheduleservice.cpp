#include "schedules/asyncscheduleservice.h"

#include "db/database.h"
#include "schedules/scheduleservice.h"

#include <QMetaObject>
#include <QSqlDatabase>

namespace hcm {

AsyncScheduleService::AsyncScheduleService(DbConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{
    qRegisterMetaType<hcm::Schedule>();
    qRegisterMetaType<QList<hcm::Schedule>>();
    qRegisterMetaType<QList<hcm::ScheduleRun>>();
    QSqlDatabase::drivers(); // QTBUG-112961: before another thread opens a connection
    m_thread.setObjectName(QStringLiteral("schedules"));
    m_context = new QObject;
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread.start();
}

AsyncScheduleService::~AsyncScheduleService()
{
    QMetaObject::invokeMethod(
        m_context, [] { Database::closeThreadConnections(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void AsyncScheduleService::post(std::function<void(ScheduleService &)> work)
{
    const DbConfig config = m_config;
    QMetaObject::invokeMethod(
        m_context,
        [config, work = std::move(work)] {
            ScheduleService service{ScheduleStore(config)};
            work(service);
        },
        Qt::QueuedConnection);
}

void AsyncScheduleService::fetchAll()
{
    post([this](ScheduleService &s) {
        auto all = s.list();
        if (all)
            emit listReady(all.value());
        else
            emit actionFinished(false, all.error().message, 0);
    });
}

void AsyncScheduleService::add(const Schedule &schedule, const Actor &actor)
{
    post([this, schedule, actor](ScheduleService &s) {
        auto id = s.add(schedule, actor);
        emit actionFinished(id.ok(), id.ok() ? QString() : id.error().message, id.ok() ? *id : 0);
    });
}

void AsyncScheduleService::edit(const Schedule &schedule, const Actor &actor)
{
    post([this, schedule, actor](ScheduleService &s) {
        auto st = s.edit(schedule, actor);
        emit actionFinished(st.ok(), st.ok() ? QString() : st.error().message, schedule.id);
    });
}

void AsyncScheduleService::setEnabled(qint64 id, bool enabled, const Actor &actor)
{
    post([this, id, enabled, actor](ScheduleService &s) {
        auto st = s.setEnabled(id, enabled, actor);
        emit actionFinished(st.ok(), st.ok() ? QString() : st.error().message, id);
    });
}

void AsyncScheduleService::remove(qint64 id, const Actor &actor)
{
    post([this, id, actor](ScheduleService &s) {
        auto st = s.remove(id, actor);
        emit actionFinished(st.ok(), st.ok() ? QString() : st.error().message, id);
    });
}

void AsyncScheduleService::runNow(qint64 id, const Actor &actor)
{
    post([this, id, actor](ScheduleService &s) {
        auto job = s.runNow(id, actor);
        emit actionFinished(job.ok(), job.ok() ? QString() : job.error().message, job.ok() ? *job : 0);
    });
}

void AsyncScheduleService::fetchJobs(qint64 id)
{
    post([this, id](ScheduleService &s) {
        auto jobs = s.store().recentJobs(id);
        if (jobs)
            emit jobsReady(id, jobs.value());
        else
            emit actionFinished(false, jobs.error().message, id);
    });
}

} // namespace hcm
