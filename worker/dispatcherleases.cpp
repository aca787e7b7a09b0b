// Dispatcher: keeping the claimed jobs' leases (heartbeats, recorded starts, the reaper), riding out a
// lost database, and the graceful stop that gives unfinished jobs back to the queue.

#include "dispatcher.h"

#include "common/logcategories.h"
#include "db/database.h"

#include <QCoreApplication>
#include <QSet>
#include <QTimer>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::WorkerPool)
};

} // namespace

void Dispatcher::heartbeat()
{
    if (m_dbDown) {
        stopJobsOfLostLease();
        return;
    }
    auto cancelled = m_store.queue().heartbeat(m_options.workerId, m_options.leaseMs,
                                               m_handoff->running.load(), m_lastError);
    if (!cancelled) {
        if (!databaseLost(cancelled.error().message))
            reportError(cancelled.error().message);
        stopJobsOfLostLease();
        return;
    }
    m_lastHeartbeat.start();
    cancelJobs(cancelled.value());
    // Jobs another worker took over (our lease had expired, say after a suspend) stop here too.
    if (auto owned = m_store.queue().ownedJobs(m_options.workerId)) {
        const QSet<qint64> mine(owned->cbegin(), owned->cend());
        for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
            if (!mine.contains(it.key()) && !it.value()->isRequested()) {
                it.value()->request(StopReason::LeaseLost);
                qCWarning(lcWorker) << "lost" << Job::publicId(it.key()) << "to another worker; stopping it";
            }
        }
    }
    QList<QPair<qint64, double>> progress;
    for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
        const double p = it.value()->progress();
        if (p >= 0 && m_savedProgress.value(it.key(), -1) != p) {
            progress.append({it.key(), p});
            m_savedProgress.insert(it.key(), p);
        }
    }
    if (auto st = m_store.queue().saveProgress(m_options.workerId, progress); !st)
        reportError(st.error().message);
    else if (!progress.isEmpty()) {
        QList<qint64> ids;
        for (const auto &p : std::as_const(progress))
            ids.append(p.first);
        emit jobsChanged(ids);
    }
}

void Dispatcher::recordStarts()
{
    if (m_dbDown)
        return;
    // Runs whose handler began since the last time, and whether records of finished runs are left over
    // (they are swept in the same transaction).
    QList<QPair<qint64, int>> fresh;
    for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
        if (!it.value()->isRunning())
            continue; // not begun, or done (its result is about to be written)
        const int attempt = m_attemptOf.value(it.key());
        if (m_recordedStarts.value(it.key(), -1) != attempt)
            fresh.append({it.key(), attempt});
    }
    bool sweep = false;
    for (auto it = m_recordedStarts.cbegin(); it != m_recordedStarts.cend() && !sweep; ++it)
        sweep = m_attemptOf.value(it.key(), -1) != it.value();
    if (fresh.isEmpty() && !sweep)
        return;
    if (auto st = m_store.queue().markStarted(m_options.workerId, fresh, sweep); !st) {
        if (!databaseLost(st.error().message))
            reportError(st.error().message);
        return;
    }
    if (sweep)
        m_recordedStarts.removeIf(
            [this](const auto &it) { return m_attemptOf.value(it.key(), -1) != it.value(); });
    for (const auto &[id, attempt] : std::as_const(fresh))
        m_recordedStarts.insert(id, attempt);
}

void Dispatcher::reap()
{
    if (m_dbDown)
        return;
    // Our own leases first: after a stall (a suspend, a long lock) this reaper must not take back the
    // jobs this very worker is still running.
    if (!m_live.isEmpty())
        heartbeat();
    if (m_dbDown)
        return;
    auto reaped = m_store.queue().reapExpired();
    if (!reaped) {
        if (!databaseLost(reaped.error().message))
            reportError(reaped.error().message);
        return;
    }
    if (reaped->isEmpty())
        return;
    QList<qint64> ids;
    for (const auto &t : reaped.value())
        ids.append(t.id);
    if (m_options.onTransitions)
        m_options.onTransitions(reaped.value());
    emit jobsChanged(ids);
    fill();
}

void Dispatcher::stopJobsOfLostLease()
{
    // Without a confirmed heartbeat for a whole lease, other workers may already run our jobs.
    if (!m_lastHeartbeat.isValid() || m_lastHeartbeat.elapsed() < m_options.leaseMs)
        return;
    for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
        if (!it.value()->isRequested()) {
            it.value()->request(StopReason::LeaseLost);
            qCWarning(lcWorker) << "no heartbeat for" << m_lastHeartbeat.elapsed() << "ms: stopping"
                                << Job::publicId(it.key());
        }
    }
}

bool Dispatcher::databaseLost(const QString &message)
{
    if (m_dbDown)
        return true;
    if (Database::ping(m_options.env.db).ok())
        return false; // the database answers: an ordinary error
    m_dbDown = true;
    m_reconnectAttempts = 0;
    m_downTimer.start();
    const int running = int(m_live.size());
    qCWarning(lcWorker).noquote() << "database" << m_options.env.db.displayName() << "unreachable:" << message
                                  << "- reconnecting with backoff;" << running
                                  << "claimed jobs keep running and their results wait in memory";
    emit errorOccurred(Tr::tr("The database is unreachable; reconnecting: %1").arg(message));
    m_reconnectTimer->start(100);
    return true;
}

void Dispatcher::tryReconnect()
{
    if (!m_dbDown)
        return;
    ++m_reconnectAttempts;
    if (auto st = Database::ping(m_options.env.db); !st) {
        if (m_options.once && m_reconnectAttempts >= m_options.onceClaimAttempts) {
            giveUp(Tr::tr("The database stayed unreachable after %1 tries; giving up: %2")
                       .arg(m_reconnectAttempts)
                       .arg(st.error().message));
            return;
        }
        const int delay = qMin(2000, 100 * (1 << qMin(m_reconnectAttempts, 5)));
        if (m_reconnectAttempts % 5 == 0)
            qCWarning(lcWorker).noquote() << "database still unreachable after" << m_downTimer.elapsed()
                                          << "ms; next try in" << delay << "ms:" << st.error().message;
        m_reconnectTimer->start(delay);
        return;
    }
    m_dbDown = false;
    qCInfo(lcWorker).noquote() << "database" << m_options.env.db.displayName() << "reachable again after"
                               << m_downTimer.elapsed() << "ms: saving results and resuming";
    // Leases first, so no reaper takes our running jobs; then the waiting results; then new work.
    heartbeat();
    if (m_dbDown)
        return;
    m_writeFailures = 0;
    if (m_retryTimer->isActive())
        m_retryTimer->stop();
    flushOutcomes();
    if (m_dbDown)
        return;
    if (m_stopping) {
        finishStopIfIdle();
        return;
    }
    fill();
}

void Dispatcher::stop(int graceMs)
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_handoff->stopping.store(true);
    if (!m_pool) {
        m_stopDone = true;
        emit stopped();
        return;
    }
    m_pollTimer->stop();
    if (m_changeTimer)
        m_changeTimer->stop();
    // Jobs that were claimed but never started go straight back to the queue.
    QList<qint64> unstarted;
    {
        QMutexLocker lock(&m_handoff->mutex);
        for (const Task &t : m_handoff->pending)
            unstarted.append(t.job.id);
        m_handoff->pending.clear();
    }
    m_unreleased = unstarted;
    releaseUnstarted();
    qCInfo(lcWorker) << "stopping: waiting up to" << graceMs << "ms for" << m_live.size() << "running jobs";
    m_graceTimer = new QTimer(this);
    m_graceTimer->setSingleShot(true);
    connect(m_graceTimer, &QTimer::timeout, this, [this] {
        if (!m_shutdownRequested) {
            // Out of patience: ask the running jobs to stop; they go back to the queue unspent.
            m_shutdownRequested = true;
            for (const auto &token : std::as_const(m_live))
                token->request(StopReason::Shutdown);
            m_graceTimer->start(5000);
            return;
        }
        // Results that arrived meanwhile are saved as they are; handlers that ignore the request cannot
        // be killed: their jobs go back to the queue and the handlers are left behind.
        flushOutcomes();
        QList<JobOutcome> left;
        {
            QMutexLocker lock(&m_handoff->mutex);
            for (const JobOutcome &o : m_handoff->outcomes)
                left.append(o);
            m_handoff->outcomes.clear();
        }
        QSet<qint64> reported;
        for (const JobOutcome &o : std::as_const(left))
            reported.insert(o.id);
        int abandoned = 0;
        for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
            if (reported.contains(it.key()))
                continue;
            JobOutcome o;
            o.id = it.key();
            o.attempt = m_attemptOf.value(it.key());
            o.kind = JobOutcome::Kind::Interrupted;
            setError(o, JobError::make("worker.stopped_while_running"));
            left.append(o);
            ++abandoned;
        }
        if (auto r = m_store.finish(m_options.workerId, left); !r)
            reportError(Tr::tr("Could not return %1 jobs to the queue; their leases will expire: %2")
                            .arg(left.size())
                            .arg(r.error().message));
        if (abandoned > 0)
            qCWarning(lcWorker) << abandoned << "jobs did not stop in time and were returned to the queue";
        m_live.clear();
        m_attemptOf.clear();
        m_unreleased.clear();
        finishStopIfIdle();
    });
    m_graceTimer->start(qMax(0, graceMs));
    flushOutcomes();
    finishStopIfIdle();
}

void Dispatcher::hurry(int graceMs)
{
    if (m_stopDone || !m_graceTimer || m_shutdownRequested)
        return;
    if (m_graceTimer->remainingTime() > graceMs)
        m_graceTimer->start(qMax(0, graceMs));
}

void Dispatcher::releaseUnstarted()
{
    if (m_unreleased.isEmpty() || m_stopDone)
        return;
    auto released = m_dbDown
                        ? Result<int>(Error{Error::Code::Database, Tr::tr("the database is unreachable")})
                        : m_store.queue().release(m_options.workerId, m_unreleased);
    if (!released) {
        // Kept (and the stop not finished) until the database takes them back: a release that is
        // lost would cost each job a retry when its lease expires.
        reportError(Tr::tr("Could not return %1 unstarted jobs to the queue; retrying: %2")
                        .arg(m_unreleased.size())
                        .arg(released.error().message));
        QTimer::singleShot(500, this, &Dispatcher::releaseUnstarted);
        return;
    }
    const QList<qint64> ids = std::exchange(m_unreleased, {});
    for (qint64 id : ids) {
        m_live.remove(id);
        m_attemptOf.remove(id);
    }
    emit jobsChanged(ids);
    finishStopIfIdle();
}

void Dispatcher::finishStopIfIdle()
{
    if (m_stopDone || !m_live.isEmpty())
        return;
    m_stopDone = true;
    if (m_graceTimer)
        m_graceTimer->stop();
    m_heartbeatTimer->stop();
    m_reapTimer->stop();
    m_startTimer->stop();
    m_claimRetryTimer->stop();
    if (auto st = m_store.unregisterWorker(m_options.workerId, m_lastError); !st)
        reportError(st.error().message);
    if (m_reconnectTimer)
        m_reconnectTimer->stop();
    if (m_announceTimer)
        m_announceTimer->stop();
    m_listener.reset();
    // Close this thread's connection now, on this thread: QThread::wait() returns before the thread's
    // thread_local destructors run, and a program that exits right after stopped() would otherwise race
    // them against the destruction of Qt's connection registry.
    Database::closeThreadConnections();
    qCInfo(lcWorker).noquote() << "worker" << m_options.workerId << "stopped";
    emit stopped();
}

} // namespace hcm
