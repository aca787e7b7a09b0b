#pragma once

#include "db/dbthread.h"
#include "jobs/job.h"
#include "schedules/schedule.h"
#include "schedules/schedulestore.h"

#include <QFuture>
#include <QList>
#include <QObject>

namespace hcm {

// The GUI's access to the schedules: every read and change runs on a thread of its own with its own
// connection (ScheduleService there) and answers through the QFuture it returns. The GUI thread never
// waits on the database.
class AsyncScheduleService final : public QObject {
    Q_OBJECT
public:
    explicit AsyncScheduleService(DbConfig config, QObject *parent = nullptr);
    Q_DISABLE_COPY_MOVE(AsyncScheduleService)

    const DbConfig &config() const { return m_config; }

    QFuture<Result<QList<Schedule>>> fetchAll();
    QFuture<Result<qint64>> add(const Schedule &schedule, const Actor &actor); // the new schedule's id
    QFuture<Status> edit(const Schedule &schedule, const Actor &actor);
    QFuture<Status> setEnabled(qint64 id, bool enabled, const Actor &actor);
    QFuture<Status> remove(qint64 id, const Actor &actor);
    QFuture<Result<qint64>> runNow(qint64 id, const Actor &actor); // the job's id
    QFuture<Result<QList<ScheduleRun>>> fetchJobs(qint64 id);

private:
    DbConfig m_config;
    DbThread m_db;
};

} // namespace hcm
