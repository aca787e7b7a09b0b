// latency: enqueue → handler start on an idle in-process pool, one job at a time. The pool wakes through
// JobNotifier (JobService emits jobsEnqueued), so this is the in-process pickup path.

#include "benchcommon.h"

#include "jobs/jobservice.h"
#include "worker/workerpool.h"

#include <QEventLoop>
#include <QHash>
#include <QSet>
#include <QTimer>

#include <chrono>
#include <mutex>
#include <unordered_map>

namespace hcm::bench {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kConcurrency = 4;
constexpr int kWarmupJobs = 100;
constexpr int kJobTimeoutMs = 10000;

// Handler start times by job id, written by pool threads.
struct StartTimes {
    std::mutex mutex;
    std::unordered_map<qint64, SteadyClock::time_point> byId;
};

// Runs as test.noop: notes when it started, does nothing.
class StampHandler final : public JobHandler {
public:
    explicit StampHandler(std::shared_ptr<StartTimes> times)
        : m_times(std::move(times))
    {}
    HandlerResult run(JobContext &ctx) override
    {
        const auto now = SteadyClock::now();
        std::lock_guard lock(m_times->mutex);
        m_times->byId[ctx.jobId()] = now;
        return HandlerResult::success({});
    }

private:
    std::shared_ptr<StartTimes> m_times;
};

// Follows WorkerPool::jobsChanged: an id seen a second time has its outcome written.
class CompletionWatcher {
public:
    explicit CompletionWatcher(WorkerPool &pool)
    {
        QObject::connect(&pool, &WorkerPool::jobsChanged, &m_loop, [this](const QList<qint64> &ids) {
            for (qint64 id : ids) {
                if (++m_seen[id] >= 2)
                    m_completed.insert(id);
            }
            if (m_waitingFor.has_value() && m_completed.contains(*m_waitingFor))
                m_loop.quit();
            if (m_waitingForCount > 0 && m_completed.size() >= m_waitingForCount)
                m_loop.quit();
        });
    }

    bool waitFor(qint64 id)
    {
        if (m_completed.contains(id))
            return true;
        m_waitingFor = id;
        runLoop();
        m_waitingFor.reset();
        return m_completed.contains(id);
    }

    bool waitForCount(qsizetype count)
    {
        if (m_completed.size() >= count)
            return true;
        m_waitingForCount = count;
        runLoop();
        m_waitingForCount = 0;
        return m_completed.size() >= count;
    }

private:
    void runLoop()
    {
        QTimer timeout;
        timeout.setSingleShot(true);
        QObject::connect(&timeout, &QTimer::timeout, &m_loop, &QEventLoop::quit);
        timeout.start(kJobTimeoutMs);
        m_loop.exec();
    }

    QEventLoop m_loop;
    QHash<qint64, int> m_seen;
    QSet<qint64> m_completed;
    std::optional<qint64> m_waitingFor;
    qsizetype m_waitingForCount = 0;
};

void sleepWithEvents(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

QJsonObject stats(std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    double sum = 0;
    for (double v : ms)
        sum += v;
    return QJsonObject{{QStringLiteral("p50"), rounded(percentile(ms, 50), 3)},
                       {QStringLiteral("p95"), rounded(percentile(ms, 95), 3)},
                       {QStringLiteral("p99"), rounded(percentile(ms, 99), 3)},
                       {QStringLiteral("max"), rounded(ms.empty() ? 0 : ms.back(), 3)},
                       {QStringLiteral("mean"), rounded(ms.empty() ? 0 : sum / double(ms.size()), 3)}};
}

struct LatencyRun {
    QJsonObject pickup;       // enqueue call → handler start
    QJsonObject enqueueCall;  // duration of JobService::enqueue
    QJsonObject afterEnqueue; // enqueue returned → handler start (negative: the handler was faster)
};

double msBetween(SteadyClock::time_point a, SteadyClock::time_point b)
{
    return std::chrono::duration<double, std::milli>(b - a).count();
}

Result<LatencyRun> latencyRun(const BenchOptions &options, qint64 jobs, int run)
{
    auto db = RunDatabase::create(options, QStringLiteral("latency-%1").arg(run));
    if (!db)
        return db.error();
    const DbConfig &config = (*db)->config();

    auto times = std::make_shared<StartTimes>();
    HandlerRegistry registry;
    registry.add(QStringLiteral("test.noop"), std::make_shared<StampHandler>(times));
    WorkerPool::Options poolOptions;
    poolOptions.env.db = config;
    poolOptions.workerId = QStringLiteral("hcm-bench:latency:%1").arg(run);
    poolOptions.concurrency = kConcurrency;
    poolOptions.graceMs = 0;
    WorkerPool pool(poolOptions, registry);
    CompletionWatcher watcher(pool);
    // Latencies are those of a registered pool: wait for the start to settle (Running or Stopped).
    QString startError;
    {
        QEventLoop started;
        QObject::connect(&pool, &WorkerPool::errorOccurred, &started, [&](const QString &message) {
            if (pool.state() == WorkerPool::State::Starting) // could not register: the pool stops
                startError = message;
        });
        QObject::connect(&pool, &WorkerPool::stateChanged, &started, [&](WorkerPool::State state) {
            if (state != WorkerPool::State::Starting)
                started.quit();
        });
        pool.start();
        started.exec();
    }
    if (!startError.isEmpty())
        return Error{Error::Code::Database, startError};

    JobService service{JobStore(config)};
    const Actor actor = Actor::system(QStringLiteral("hcm-bench"));
    if (auto ids = service.enqueueMany(noopJobs(kWarmupJobs, true), actor); !ids)
        return ids.error();
    if (!watcher.waitForCount(kWarmupJobs))
        return Error{Error::Code::Timeout,
                     QStringLiteral("latency: the %1 warm-up jobs did not complete within %2 s.")
                         .arg(kWarmupJobs)
                         .arg(kJobTimeoutMs / 1000)};
    sleepWithEvents(1000);

    const NewJob job = noopJobs(1, true).first();
    std::vector<std::pair<qint64, SteadyClock::time_point>> enqueued; // id, before the call
    std::vector<double> callMs;
    std::vector<SteadyClock::time_point> returned;
    enqueued.reserve(size_t(jobs));
    for (qint64 i = 0; i < jobs; ++i) {
        const auto t0 = SteadyClock::now();
        auto id = service.enqueue(job, actor);
        const auto t1 = SteadyClock::now();
        if (!id)
            return id.error();
        enqueued.emplace_back(*id, t0);
        returned.push_back(t1);
        callMs.push_back(msBetween(t0, t1));
        if (!watcher.waitFor(*id))
            return Error{Error::Code::Timeout, QStringLiteral("latency: job %1 did not complete within %2 s.")
                                                   .arg(Job::publicId(*id))
                                                   .arg(kJobTimeoutMs / 1000)};
    }
    pool.stopAndWait(0);

    std::vector<double> pickupMs;
    std::vector<double> afterMs;
    {
        std::lock_guard lock(times->mutex);
        for (size_t i = 0; i < enqueued.size(); ++i) {
            const auto it = times->byId.find(enqueued[i].first);
            if (it == times->byId.end())
                return Error{Error::Code::Invalid,
                             QStringLiteral("latency: no handler start recorded for %1.")
                                 .arg(Job::publicId(enqueued[i].first))};
            pickupMs.push_back(msBetween(enqueued[i].second, it->second));
            afterMs.push_back(msBetween(returned[i], it->second));
        }
    }
    return LatencyRun{stats(pickupMs), stats(callMs), stats(afterMs)};
}

// The median over runs of every statistic.
QJsonObject medianOf(const QList<QJsonObject> &runs)
{
    QJsonObject out;
    if (runs.isEmpty())
        return out;
    for (const QString &key : runs.first().keys()) {
        std::vector<double> values;
        for (const QJsonObject &r : runs)
            values.push_back(r.value(key).toDouble());
        out.insert(key, rounded(median(values), 3));
    }
    return out;
}

} // namespace

Result<QJsonObject> runLatency(const BenchOptions &options)
{
    const qint64 jobs = options.jobs > 0 ? options.jobs : kDefaultLatencyJobs;
    QList<QJsonObject> pickups;
    QList<QJsonObject> calls;
    QList<QJsonObject> afters;
    for (int run = 1; run <= options.repeat; ++run) {
        auto r = latencyRun(options, jobs, run);
        if (!r)
            return r.error();
        pickups.append(r->pickup);
        calls.append(r->enqueueCall);
        afters.append(r->afterEnqueue);
        note(options, QStringLiteral("latency, run %1/%2: p50 %3 ms, p99 %4 ms (load %5)")
                          .arg(run)
                          .arg(options.repeat)
                          .arg(r->pickup.value(QStringLiteral("p50")).toDouble())
                          .arg(r->pickup.value(QStringLiteral("p99")).toDouble())
                          .arg(loadAverage().at(0).toDouble()));
    }
    QJsonArray runsJson;
    for (const QJsonObject &p : std::as_const(pickups))
        runsJson.append(p);
    return QJsonObject{{QStringLiteral("mode"), QStringLiteral("latency")},
                       {QStringLiteral("jobs"), jobs},
                       {QStringLiteral("repeat"), options.repeat},
                       {QStringLiteral("concurrency"), kConcurrency},
                       {QStringLiteral("target_p50_ms"), 1.0},
                       {QStringLiteral("pickup_ms"), medianOf(pickups)},
                       {QStringLiteral("enqueue_call_ms"), medianOf(calls)},
                       {QStringLiteral("after_enqueue_ms"), medianOf(afters)},
                       {QStringLiteral("runs_pickup_ms"), runsJson}};
}

} // namespace hcm::bench
