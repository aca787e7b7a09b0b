#pragma once

#include "common/error.h"
#include "jobs/jobstore.h"
#include "jobs/retrypolicy.h"
#include "worker/jobcontext.h"
#include "worker/jobhandler.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace hcm {

class Dispatcher;
struct Handoff;

// Runs jobs from the queue. A dispatcher thread with its own database connection claims due jobs in
// batches, hands them to a QThreadPool of `concurrency` threads, and writes their outcomes in batches;
// it extends leases with heartbeats, rescues jobs of dead workers, and stops gracefully. The owning
// thread (GUI or main) only sees queued signals.
class WorkerPool final : public QObject {
    Q_OBJECT
public:
    struct Options {
        HandlerEnvironment env;    // database, folders, clock
        QString workerId;          // empty: host:pid:random
        int concurrency = 4;       // handler threads
        int prefetch = -1;         // claimed jobs waiting beyond the running ones; -1: concurrency
        int maxClaimBatch = 1024;  // most jobs claimed in one statement
        int pollIntervalMs = 5000; // safety-net poll for due jobs
        int changeCheckMs = 200;   // SQLite: cheap check for commits by other processes
        int leaseMs = 30000;       // a job's lease; heartbeats every leaseMs / 3
        // How often the start of handlers is recorded (batched), so that a rescue after a crash returns
        // jobs that were only claimed without spending a retry; -1: min(250 ms, leaseMs / 3).
        int startRecordMs = -1;
        int reapIntervalMs = -1; // -1: leaseMs / 2
        int graceMs = 30000;     // how long stop() waits for running jobs
        RetryPolicy retry;
        QHash<QString, int> timeoutSeconds; // per-type time limits overriding the catalog's
        bool once = false;                  // emit drained() when nothing is due and nothing runs
        // Claims the database keeps refusing (a damaged file, a missing index) are retried with a growing
        // delay (claimRetryMs, doubled up to claimRetryMaxMs). With `once`, the pool gives up after
        // onceClaimAttempts failed claims in a row, or as many failed reconnects: gaveUp(message).
        int claimRetryMs = 500;
        int claimRetryMaxMs = 60000;
        int onceClaimAttempts = 5;
        // Called on the dispatcher thread after every batch of outcomes or rescues has been written,
        // with the jobs' new states (for alerts on final failures). May use the database.
        std::function<void(const QList<JobTransition> &)> onTransitions;
    };
    enum class State { Stopped, Starting, Running, Stopping };
    Q_ENUM(State)

    WorkerPool(Options options, HandlerRegistry registry, QObject *parent = nullptr);
    // shutdown(0): running jobs are asked to stop and unfinished ones go back to the queue.
    ~WorkerPool() override;
    Q_DISABLE_COPY_MOVE(WorkerPool)

    // Registers the worker and starts claiming, in the dispatcher thread: returns at once, without
    // waiting for the database (which may take seconds to answer, or never). The outcome arrives as
    // queued signals, in this order:
    // - registered: stateChanged(Running) and runningChanged(0, concurrency); then jobsChanged() for
    //   the first claim and everything after it;
    // - failed (database unreachable, registration refused): errorOccurred(message) while state() is
    //   still Starting, then stateChanged(Stopped) and stopped(). An errorOccurred() in any other state
    //   is an error the running pool reports and survives.
    // Does nothing unless the pool is Stopped.
    void start();
    // Graceful: stops claiming, returns unstarted jobs, waits up to graceMs for running ones, then asks
    // them to stop and requeues what is left. Emits stopped() when done. While Starting, the stop takes
    // effect once the start has settled: a pool that registers stops right away, one that fails just
    // reports the failure and stops.
    void stop();
    // stop() with at most `graceMs` for the running jobs; while already stopping, shortens the grace
    // that is left (a window's "Stop now"). Returns at once; stopped() follows.
    void stopWithin(int graceMs);
    // Blocks until stopped (for command-line tools and tests): joins the dispatcher thread, then
    // delivers what it had queued for this pool and stopped(). Runs no event loop.
    void stopAndWait(int graceMs = -1);
    // For destructors: stops with at most `graceMs` for the running jobs and joins the dispatcher
    // thread, which needs nothing from this thread (no event loop runs, no queued call is delivered).
    // The pool emits nothing afterwards, and it cannot be started again.
    void shutdown(int graceMs);
    // Looks for due jobs now (an in-process enqueue calls this through JobNotifier).
    void wake();

    State state() const { return m_state; }
    bool isRunning() const { return m_state == State::Running; }
    QString workerId() const { return m_options.workerId; }
    int concurrency() const { return m_options.concurrency; }
    int runningJobs() const;
    const Options &options() const { return m_options; }

    static QString defaultWorkerId();

signals:
    void jobsChanged(const QList<qint64> &ids);
    void stateChanged(hcm::WorkerPool::State state);
    void runningChanged(int running, int capacity);
    void drained();
    void stopped();
    void errorOccurred(const QString &message);
    // The dispatcher read a new set of paused job types (kAllJobTypes: every type): from now on it
    // claims no job of these types.
    void pausedTypesApplied(const QStringList &paused);
    // Only with Options::once: the database kept refusing claims (or stayed unreachable) for the bounded
    // number of tries. The pool keeps running until stop(); a command-line tool stops and fails.
    void gaveUp(const QString &message);

private:
    void onDispatcherStarted(bool ok, const QString &error);
    void onDispatcherStopped();
    void stopDispatcher(int graceMs);
    void joinDispatcher(int graceMs, bool shorten);
    void finishStop();

    Options m_options;
    HandlerRegistry m_registry;
    QThread m_thread;
    QPointer<Dispatcher> m_dispatcher;
    State m_state = State::Stopped;
    std::optional<int> m_stopWhenStarted; // grace of a stop requested while Starting
    bool m_joining = false;               // stopAndWait() or shutdown() joins the dispatcher thread
    std::shared_ptr<Handoff> m_handoff;
    friend class Dispatcher;
};

} // namespace hcm
