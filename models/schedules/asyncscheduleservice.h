#pragma once

#include "jobs/job.h"
#include "schedules/schedule.h"
#include "schedules/schedulestore.h"

#include <QList>
#include <QObject>
#include <QThread>

#include <functional>

namespace hcm {

class ScheduleService;

// The GUI's access to the schedules: every read and change runs on a thread of its own with its own
// connection (ScheduleService there), results come back as queued signals. The GUI thread never waits
// on the database.
class AsyncScheduleService final : public QObject {
    Q_OBJECT
public:
    explicit AsyncScheduleService(DbConfig config, QObject *parent = nullptr);
    ~AsyncScheduleService() override;
    Q_DISABLE_COPY_MOVE(AsyncScheduleService)

    const DbConfig &config() const { return m_config; }

    void fetchAll();
    void add(const Schedule &schedule, const Actor &actor);
    void edit(const Schedule &schedule, const Actor &actor);
    void setEnabled(qint64 id, bool enabled, const Actor &actor);
    void remove(qint64 id, const Actor &actor);
    void runNow(qint64 id, const Actor &actor);
    void fetchJobs(qint64 id);

signals:
    void listReady(const QList<hcm::Schedule> &schedules);
    void jobsReady(qint64 scheduleId, const QList<hcm::ScheduleRun> &jobs);
    // A change finished: `ok`, the message when it failed, the schedule (add) or job (run now) id.
    void actionFinished(bool ok, const QString &message, qint64 id);

private:
    void post(std::function<void(ScheduleService &)> work);

    DbConfig m_config;
    QThread m_thread;
    QObject *m_context = nullptr; // lives in m_thread
};

} // namespace hcm
