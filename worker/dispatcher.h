#pragma once

// The dispatcher thread of WorkerPool and what it shares with the handler threads. Internal to the
// worker library (workerpool.h is the interface): dispatcher.cpp claims jobs and writes their outcomes,
// dispatcherleases.cpp keeps the claimed jobs' leases and gives them back on a stop or a lost database,
// workerpool.cpp runs the handlers (Runner) and is the pool's public face.

#include "db/notificationlistener.h"
#include "jobs/joberror.h"
#include "jobs/jobstore.h"
#include "jobs/pausedtypestore.h"
#include "worker/workerpool.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QObject>

#include <atomic>
#include <deque>
#include <memory>
#include <optional>

class QRunnable;
class QThreadPool;
class QTimer;

namespace hcm {

struct Task {
    ClaimedJob job;
    std::shared_ptr<CancellationToken> token;
    int timeoutSeconds = 600;
};

// What the dispatcher and the pool threads share. Owned jointly, so a handler that outlives its
// dispatcher (it ignored a stop request) still finds valid memory when it returns.
struct Handoff {
    Handoff(HandlerRegistry r, HandlerEnvironment e)
        : registry(std::move(r))
        , env(std::move(e))
    {}
    const HandlerRegistry registry;
    const HandlerEnvironment env;
    std::atomic<int> running{0};
    std::atomic<bool> stopping{false};

    QMutex mutex;                    // guards everything below
    std::deque<Task> pending;        // claimed, not started
    std::deque<JobOutcome> outcomes; // finished, not written
    int activeRunners = 0;
    bool flushPosted = false;
    QObject *dispatcher = nullptr; // null once the dispatcher is gone

    // Called from pool threads: a job finished.
    void pushOutcome(JobOutcome outcome)
    {
        QMutexLocker lock(&mutex);
        outcomes.push_back(std::move(outcome));
        if (!flushPosted && dispatcher) {
            flushPosted = true;
            QMetaObject::invokeMethod(dispatcher, "flushOutcomes", Qt::QueuedConnection);
        }
    }

    // Called from pool threads: the next task, or nothing when the runner should end.
    std::optional<Task> nextTask()
    {
        QMutexLocker lock(&mutex);
        if (pending.empty()) {
            --activeRunners;
            return std::nullopt;
        }
        Task t = std::move(pending.front());
        pending.pop_front();
        return t;
    }
};

// Lives in the pool's own thread: every SQL statement of the pool runs here, on this thread's connection.
class Dispatcher final : public QObject {
    Q_OBJECT
public:
    Dispatcher(WorkerPool::Options options, std::shared_ptr<Handoff> handoff);
    ~Dispatcher() override;

public slots:
    // Registers the worker, then claims. Emits started() either way; after started(false), stopped().
    void start();
    void flushOutcomes();
    // After a batch the database refused: saves the outcomes one by one, so one it refuses for good (a
    // constraint, a missing right) does not hold back the others. Returns what it could not save.
    QList<JobOutcome> finishOneByOne(const QList<JobOutcome> &batch, FinishReport &report, QString &error);
    void wake() { fill(); }
    void stop(int graceMs);
    void hurry(int graceMs);
    void cancelJobs(const QList<qint64> &ids);
    // A job type was paused or resumed: read the paused types again, then claim what a resume released.
    void pausedTypesChanged()
    {
        refreshPaused();
        fill();
    }

signals:
    void jobsChanged(const QList<qint64> &ids);
    void runningChanged(int running, int capacity);
    void drained();
    void stopped();
    void errorOccurred(const QString &message);
    void gaveUp(const QString &message);
    void started(bool ok, const QString &error);
    void pausedTypesApplied(const QStringList &paused);

private:
    void failStart(const QString &message);
    void fill();
    void releaseUnstarted();
    void stopJobsOfLostLease();
    int adaptivePrefetch() const;
    void heartbeat();
    void recordStarts();
    // A claim the database refused: retried with backoff; with `once`, given up after a few tries.
    void claimFailed(const QString &message);
    void giveUp(const QString &message);
    void reap();
    void checkForChanges();
    void spawnRunners();
    void finishStopIfIdle();
    void reportError(const QString &message);
    void maybeDrained();
    // After a failed statement: true when the database is unreachable, in which case the dispatcher
    // stops touching it and reconnects with backoff; handlers keep running and their outcomes wait.
    bool databaseLost(const QString &message);
    void tryReconnect();
    void announceChanged(const QList<qint64> &ids);
    void flushAnnouncements();
    // Reads the paused job types and sets the types the claims ask for (m_claimTypes). A worker with
    // nothing paused claims with its plain type list: a pause costs the claim statement nothing.
    void refreshPaused();

    WorkerPool::Options m_options;
    std::shared_ptr<Handoff> m_handoff;
    JobStore m_store;
    QStringList m_types;
    PausedTypeStore m_pausedStore;
    QStringList m_claimTypes; // m_types without the paused ones (empty while every type is paused)
    QStringList m_paused;     // the paused types as last read, for the log

    QThreadPool *m_pool = nullptr;
    QTimer *m_pollTimer = nullptr;
    QTimer *m_heartbeatTimer = nullptr;
    QTimer *m_reapTimer = nullptr;
    QTimer *m_changeTimer = nullptr;
    QTimer *m_retryTimer = nullptr;
    QTimer *m_graceTimer = nullptr;
    QTimer *m_reconnectTimer = nullptr;
    QTimer *m_announceTimer = nullptr;
    QTimer *m_startTimer = nullptr;
    QTimer *m_claimRetryTimer = nullptr;
    std::shared_ptr<NotificationListener> m_listener; // PostgreSQL: LISTEN for other processes' events
    QList<qint64> m_announce;                         // state changes not yet announced to other processes
    bool m_dbDown = false;
    int m_reconnectAttempts = 0;
    QElapsedTimer m_downTimer;

    QHash<qint64, std::shared_ptr<CancellationToken>> m_live; // claimed and not yet written back
    QHash<qint64, int> m_attemptOf;                           // attempt number of each live job
    QHash<qint64, double> m_savedProgress;
    QHash<qint64, int> m_recordedStarts; // jobs whose start is in the database: id -> attempt
    QElapsedTimer m_lastHeartbeat;       // since the last heartbeat the database confirmed
    QList<qint64> m_unreleased;          // unstarted jobs whose release failed during a stop
    double m_avgRunMs = -1;              // moving average of handler run time: decides the prefetch
    qint64 m_dataVersion = -1;
    int m_writeFailures = 0;
    int m_claimFailures = 0; // claims refused in a row
    QString m_lastError;     // reported with the heartbeat until a claim succeeds again
    bool m_gaveUp = false;
    bool m_lastClaimEmpty = false;
    bool m_idle = false; // nothing ran and the last claim found nothing: waiting for a wake-up or the poll
    bool m_stopping = false;
    bool m_stopDone = false;
    bool m_shutdownRequested = false;
};

// The outcome's error: the English text and, for a message the programs made, its code and arguments.
inline void setError(JobOutcome &out, const JobError &error)
{
    out.error = error.text;
    out.errorCode = error.code;
    out.errorArgs = error.args;
}

// A handler thread's loop (workerpool.cpp): runs pending tasks until none is left. Deletes itself.
QRunnable *newRunner(std::shared_ptr<Handoff> handoff);

} // namespace hcm
