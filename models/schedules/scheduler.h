#pragma once

#include "common/clock.h"
#include "db/dbconfig.h"

#include <QObject>
#include <QThread>

#include <memory>

namespace hcm {

class SchedulerCore;

// Makes the jobs of due schedules, in a thread of its own with its own connection. It sleeps until the
// earliest next_run_at of the enabled schedules (a single-shot timer, re-armed after every pass and on
// every change), then claims the due slots through ScheduleStore::claimDue, which makes exactly one job
// per slot however many schedulers run. Changes wake it at once: ScheduleNotifier in this process, NOTIFY
// hcm_schedules from other processes (PostgreSQL), PRAGMA data_version once a second (SQLite).
// hcm-worker and the in-process worker of hcm-admin each run one.
class Scheduler final : public QObject {
    Q_OBJECT
public:
    struct Options {
        DbConfig db;
        std::shared_ptr<Clock> clock = Clock::system();
        int batch = 200;           // due slots per transaction
        int safetyPollMs = 60'000; // the longest sleep, whatever the schedules say
        int sqliteChangePollMs = 1000;
    };

    explicit Scheduler(Options options, QObject *parent = nullptr);
    ~Scheduler() override; // stops
    Q_DISABLE_COPY_MOVE(Scheduler)

    // Returns at once; the thread connects and runs its first pass.
    void start();
    // Waits for a pass in progress to end.
    void stop();
    bool isRunning() const { return m_thread.isRunning(); }
    // Runs a pass now (tests with a manual clock; a change does the same by itself).
    void wake();
    // Runs a pass and waits for it to end (tests). Not from the scheduler's own thread.
    void passAndWait();

signals:
    // After every pass that claimed slots: how many, how many jobs it made, SQL statements it ran.
    void passFinished(int due, int made, int statements);
    void errorOccurred(const QString &message);

private:
    QThread m_thread;
    SchedulerCore *m_core = nullptr;
};

} // namespace hcm
