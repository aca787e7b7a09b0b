#pragma once

#include "jobs/job.h"
#include "schedules/schedulestore.h"

namespace hcm {

// The rules of schedules in front of the store, and the single place where a schedule changes: the
// dialog, hcmctl and (later) the HTTP API all go through it (permissions and the audit trail belong
// here). Every change signals ScheduleNotifier in this process; the store NOTIFYs the others.
class ScheduleService final {
public:
    static constexpr int kMaxNameLength = 100;

    explicit ScheduleService(ScheduleStore store);

    ScheduleStore &store() { return m_store; }

    // Name present and short enough, known job type with a valid payload and retry budget (the job
    // rules of JobService), a valid cron expression, a known IANA zone. Says which field and why.
    static Status validate(const Schedule &schedule);

    Result<qint64> add(Schedule schedule, const Actor &actor);
    // Replaces the editable fields of schedule.id; the next run is computed again.
    Status edit(Schedule schedule, const Actor &actor);
    Status setEnabled(qint64 id, bool enabled, const Actor &actor);
    Status remove(qint64 id, const Actor &actor);
    // One job now, outside the schedule's slots; returns its id.
    Result<qint64> runNow(qint64 id, const Actor &actor);

    // A schedule no scheduler has seen yet (the maintenance schedules of a new database) shows the
    // next run it will get.
    Result<QList<Schedule>> list() const;
    Result<Schedule> get(qint64 id) const;
    // By id ("7") or by name.
    Result<Schedule> find(const QString &idOrName) const;

private:
    Status checkNameFree(const Schedule &schedule) const;
    Status computeNextRun(Schedule &schedule) const;
    void showNextRun(Schedule &schedule, qint64 now) const;

    ScheduleStore m_store;
};

} // namespace hcm
