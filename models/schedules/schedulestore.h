#pragma once

#include "auth/auditstore.h"
#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"
#include "schedules/schedule.h"

#include <QList>
#include <QSqlDatabase>

#include <functional>
#include <memory>
#include <optional>

namespace hcm {

// All SQL of the schedules (migration 011), on the calling thread's connection. The claim of due slots
// is here: one transaction reads the due rows (locked, SKIP LOCKED on PostgreSQL; BEGIN IMMEDIATE on
// SQLite), inserts one job per slot and moves next_run_at on with a compare-and-set, so every due slot
// makes exactly one job across processes.
class ScheduleStore final {
public:
    // A slot found later than this was missed (no scheduler ran at its time): the missed-run policy
    // decides whether it makes a job.
    static constexpr qint64 kMissedGraceMs = 60'000;

    explicit ScheduleStore(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    const DbConfig &config() const { return m_config; }
    // "Now" for schedules: the injected clock, or on PostgreSQL with the system clock the server's
    // (the machines of a fleet agree on due times whatever their own clocks say).
    Result<qint64> now() const;

    Result<QList<Schedule>> list() const;
    Result<Schedule> get(qint64 id) const;
    Result<std::optional<Schedule>> findByName(const QString &name) const;

    // Writes every field the caller sets (not id, last run, audit times); sends the change NOTIFY.
    // `audit` writes the change's audit row in its transaction.
    Result<qint64> insert(const Schedule &schedule, const QString &actor,
                          const AuditWriterWithId &audit = {});
    Status update(const Schedule &schedule, const QString &actor, const AuditWriter &audit = {});
    Status remove(qint64 id, const AuditWriter &audit = {});
    // The newest `limit` jobs the schedule made, newest first.
    Result<QList<ScheduleRun>> recentJobs(qint64 id, int limit = 50) const;
    // A job of the schedule now, outside its slots (it carries the schedule's id).
    Result<qint64> runNow(qint64 id, const QString &actor, const AuditWriterWithId &audit = {});

    // The earliest due slot of the enabled schedules.
    Result<std::optional<qint64>> earliestDue() const;
    // Computes next_run_at where an enabled schedule has none (the migrated maintenance schedules).
    Result<int> fillMissingNextRuns();

    struct ClaimReport {
        int due = 0;            // slots claimed
        int made = 0;           // jobs made
        int skippedOverlap = 0; // the previous job was still queued or running
        int skippedMissed = 0;  // late, and the missed-run policy is skip
        int statements = 0;     // SQL statements run (for hcm-bench)
        QList<qint64> jobIds;
    };
    // Claims up to `limit` due slots in one transaction.
    Result<ClaimReport> claimDue(int limit = 200);

private:
    Result<QSqlDatabase> db() const;
    Status notifyChanged(QSqlDatabase &d) const;
    enum TimeOfChange { WithoutTime, WithTime };
    // On this thread's connection: reads the time of the change first (WithTime, see now()), then runs
    // `work` in one transaction and commits it; an error from `work` rolls everything back.
    Status transact(TimeOfChange time,
                    const std::function<Status(QSqlDatabase &d, qint64 nowMs)> &work) const;

    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
    bool m_databaseTime = false;
    QString m_jobTable; // where a new job goes: background_jobs (SQLite) or job_queue (PostgreSQL)
    QString m_lock;     // the row lock of the claim
    QString m_advanceSql;
};

} // namespace hcm
