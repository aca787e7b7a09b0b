#pragma once

#include "common/clock.h"
#include "db/dbconfig.h"

#include <QJsonObject>
#include <QString>

#include <atomic>
#include <chrono>
#include <memory>

namespace hcm {

// Why a running job was asked to stop.
// LeaseLost: the worker can no longer prove it owns the job (no heartbeat for a whole lease, or another
// worker took it over): carrying on would only duplicate work whose result will be refused.
enum class StopReason : int { None = 0, Cancelled = 1, TimedOut = 2, Shutdown = 3, LeaseLost = 4 };

// Shared between the dispatcher (which trips it) and the handler (which checks it). C++ threads are
// not killed: handlers look at isStopRequested() between units of work and return early.
class CancellationToken final {
public:
    void request(StopReason reason)
    {
        int expected = int(StopReason::None);
        m_reason.compare_exchange_strong(expected, int(reason));
    }
    StopReason reason() const { return StopReason(m_reason.load(std::memory_order_relaxed)); }
    bool isRequested() const { return m_reason.load(std::memory_order_relaxed) != int(StopReason::None); }

    void setProgress(double value) { m_progress.store(value, std::memory_order_relaxed); }
    double progress() const { return m_progress.load(std::memory_order_relaxed); }

    // Set by the runner as the handler begins and ends: the dispatcher records running jobs in the
    // database (batched), so that a rescue after a crash tells a job that ran from one only claimed.
    void markStarted() { m_phase.store(1, std::memory_order_relaxed); }
    void markFinished() { m_phase.store(2, std::memory_order_relaxed); }
    bool isRunning() const { return m_phase.load(std::memory_order_relaxed) == 1; }

private:
    std::atomic<int> m_reason{int(StopReason::None)};
    std::atomic<double> m_progress{-1.0};
    std::atomic<int> m_phase{0}; // 0 claimed, 1 running, 2 finished
};

// Where handlers find the program's data: database, cache and log folders, settings.
struct HandlerEnvironment {
    DbConfig db;
    QString cacheDir; // the application cache folder
    QString logDir;   // the folder of the application's log files
    std::shared_ptr<Clock> clock = Clock::system();
};

// Everything a handler may use while it runs one job. Lives on the handler's thread.
class JobContext final {
public:
    JobContext(qint64 jobId, int attempt, QString type, QJsonObject payload, const HandlerEnvironment &env,
               std::shared_ptr<CancellationToken> token, std::chrono::steady_clock::time_point deadline)
        : m_jobId(jobId)
        , m_attempt(attempt)
        , m_type(std::move(type))
        , m_payload(std::move(payload))
        , m_env(env)
        , m_token(std::move(token))
        , m_deadline(deadline)
    {}

    qint64 jobId() const { return m_jobId; }
    int attempt() const { return m_attempt; }
    const QString &type() const { return m_type; }
    const QJsonObject &payload() const { return m_payload; }
    const HandlerEnvironment &env() const { return m_env; }

    // True once the job was cancelled, ran past its time limit, or the worker is shutting down.
    bool isStopRequested()
    {
        if (!m_token->isRequested() && std::chrono::steady_clock::now() >= m_deadline)
            m_token->request(StopReason::TimedOut);
        return m_token->isRequested();
    }
    StopReason stopReason() const { return m_token->reason(); }

    // 0..1; saved with the next heartbeat.
    void setProgress(double fraction) { m_token->setProgress(qBound(0.0, fraction, 1.0)); }

    // Sleeps up to `ms`, waking early on a stop request. Returns false when stopped.
    bool sleepFor(int ms);

private:
    qint64 m_jobId;
    int m_attempt;
    QString m_type;
    QJsonObject m_payload;
    const HandlerEnvironment &m_env;
    std::shared_ptr<CancellationToken> m_token;
    std::chrono::steady_clock::time_point m_deadline;
};

} // namespace hcm
