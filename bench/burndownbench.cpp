// burndown: how fast a WorkerPool empties a queue of test.noop jobs, and the same work done by a plain
// batched SQL loop on one connection (--raw), the reference the pool is measured against.

#include "benchcommon.h"

#include "db/database.h"
#include "jobs/pauseservice.h"
#include "worker/handlers/diagnostichandlers.h"
#include "worker/workerpool.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSqlQuery>
#include <QTimer>

namespace hcm::bench {

namespace {

constexpr qint64 kStallCheckMs = 5000; // no signal for this long: ask the database
constexpr qint64 kStallFailMs = 60000; // no progress for this long: give up

struct PoolRun {
    double jobsPerS = 0;
    double startMs = 0; // WorkerPool::start() until Running (thread, connection, worker registration)
    int errors = 0;
    QString firstError;
    double idsPerSignal = 0; // mean size of a claim or finish batch, as jobsChanged reports them
};

Status verifyCompleted(const DbConfig &config, qint64 jobs)
{
    auto completed =
        rowCount(config, QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'"));
    if (!completed)
        return completed.error();
    auto attempts = rowCount(config, QStringLiteral("job_attempts"), QStringLiteral("outcome = 'completed'"));
    if (!attempts)
        return attempts.error();
    if (*completed != jobs || *attempts != jobs) {
        return Error{Error::Code::Database, QStringLiteral("burndown: %1 completed jobs and %2 attempt rows "
                                                           "in the database, expected %3 of each.")
                                                .arg(*completed)
                                                .arg(*attempts)
                                                .arg(jobs)};
    }
    return {};
}

} // namespace

Result<std::unique_ptr<RunDatabase>> prepareBurndown(const BenchOptions &options, const QString &label,
                                                     qint64 jobs)
{
    auto db = RunDatabase::create(options, label);
    if (!db)
        return db.error();
    if (auto st = insertNoopJobs((*db)->config(), jobs); !st)
        return st.error();
    for (const QString &type : options.paused) {
        auto paused =
            PauseService((*db)->config()).setPaused(type, true, Actor::system(QStringLiteral("hcm-bench")));
        if (!paused)
            return paused.error();
    }
    if (options.analyze) {
        auto conn = Database::connection((*db)->config());
        if (!conn)
            return conn.error();
        if (auto st = Sql::exec(conn.value(), QStringLiteral("ANALYZE"), QStringLiteral("analyzing")); !st)
            return st.error();
    }
    if (auto st = (*db)->checkpoint(); !st)
        return st.error();
    return db;
}

namespace {

Result<PoolRun> poolRun(const BenchOptions &options, qint64 jobs, int threads, int run)
{
    auto db = prepareBurndown(options, QStringLiteral("burndown-%1-%2").arg(threads).arg(run), jobs);
    if (!db)
        return db.error();
    const DbConfig &config = (*db)->config();

    WorkerPool::Options poolOptions;
    poolOptions.env.db = config;
    poolOptions.workerId = QStringLiteral("hcm-bench:%1").arg(run);
    poolOptions.concurrency = threads;
    poolOptions.prefetch = options.prefetch;
    poolOptions.maxClaimBatch = options.batch;
    poolOptions.pollIntervalMs = 3600 * 1000; // wake-ups only come from finished batches
    poolOptions.changeCheckMs = 0;
    poolOptions.graceMs = 0;
    HandlerRegistry registry;
    registerDiagnosticHandlers(registry);
    WorkerPool pool(poolOptions, registry);

    // Every job id shows up twice in jobsChanged: when claimed and when its outcome is written.
    const qint64 goal = 2 * jobs;
    qint64 seen = 0;
    qint64 signalCount = 0;
    qint64 endNs = -1;
    PoolRun result;
    QElapsedTimer timer;
    QEventLoop loop;
    QObject::connect(&pool, &WorkerPool::jobsChanged, &loop, [&](const QList<qint64> &ids) {
        seen += ids.size();
        ++signalCount;
        if (seen >= goal && endNs < 0) {
            endNs = timer.nsecsElapsed();
            loop.quit();
        }
    });
    QString startError;
    QObject::connect(&pool, &WorkerPool::stateChanged, &loop, [&](WorkerPool::State state) {
        if (state == WorkerPool::State::Running)
            result.startMs = double(timer.nsecsElapsed()) / 1e6;
    });
    QObject::connect(&pool, &WorkerPool::errorOccurred, &loop, [&](const QString &message) {
        if (pool.state() == WorkerPool::State::Starting) { // could not register: the pool stops
            startError = message;
            loop.quit();
            return;
        }
        if (result.errors++ == 0)
            result.firstError = message;
    });
    // A safety net, not the measurement: when the signals go quiet, look at the database.
    QString stallError;
    qint64 lastSeen = -1;
    QElapsedTimer quiet;
    quiet.start();
    QTimer watchdog;
    watchdog.setInterval(200);
    QObject::connect(&watchdog, &QTimer::timeout, &loop, [&] {
        if (seen != lastSeen) {
            lastSeen = seen;
            quiet.restart();
            return;
        }
        if (quiet.elapsed() < kStallCheckMs)
            return;
        auto completed =
            rowCount(config, QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'"));
        if (completed && *completed == jobs) {
            endNs = timer.nsecsElapsed();
            loop.quit();
        } else if (quiet.elapsed() > kStallFailMs) {
            stallError = QStringLiteral("burndown: no progress for %1 s (%2 of %3 jobs completed; last pool "
                                        "error: %4)")
                             .arg(kStallFailMs / 1000)
                             .arg(completed ? *completed : -1)
                             .arg(jobs)
                             .arg(result.firstError.isEmpty() ? QStringLiteral("none") : result.firstError);
            loop.quit();
        }
    });

    timer.start();
    pool.start();
    watchdog.start();
    loop.exec();
    watchdog.stop();
    pool.stopAndWait(0);
    if (!startError.isEmpty())
        return Error{Error::Code::Database, startError};
    if (!stallError.isEmpty())
        return Error{Error::Code::Timeout, stallError};
    if (auto st = verifyCompleted(config, jobs); !st)
        return st.error();
    result.jobsPerS = double(jobs) / (double(endNs) / 1e9);
    result.idsPerSignal = signalCount > 0 ? double(seen) / double(signalCount) : 0;
    return result;
}

} // namespace

namespace {

// The timed part of rawLoopRun, not inlined, so that a profile shows it apart from the setup.
[[gnu::noinline]] Result<RawLoopRun> rawTableLoop(const BenchOptions &options, QSqlDatabase d, qint64 jobs)
{
    const QString workerId = QStringLiteral("hcm-bench:raw");

    QSqlQuery claim(d);
    claim.setForwardOnly(true);
    // INDEXED BY: without statistics SQLite prefers idx_jobs_type and sorts every queued job per claim.
    const QString claimIndex =
        options.rawPlannerPlan ? QString() : QStringLiteral("INDEXED BY idx_jobs_queue");
    const QString claimSql =
        QStringLiteral("UPDATE background_jobs SET status = 'processing', worker_id = ?, "
                       "started_at = ?, updated_at = ?, lease_expires_at = ?, "
                       "attempts = attempts + 1 "
                       "WHERE id IN (SELECT id FROM background_jobs %1 WHERE status = 'queued' "
                       "AND run_at <= ? AND job_type IN ('test.noop') "
                       "ORDER BY priority DESC, run_at, id LIMIT ?) "
                       "RETURNING id, attempts")
            .arg(claimIndex);
    if (auto st = Sql::prepare(claim, claimSql); !st)
        return st.error();
    return rawLoop(d, claim, workerId, jobs, [&](const QString &idList, qint64 done) {
        return Sql::exec(d, QStringLiteral("UPDATE background_jobs SET status = 'completed', result = '{}', "
                                           "completed_at = %1, updated_at = %1, lease_expires_at = NULL, "
                                           "progress = 1 WHERE id IN (%2) AND status = 'processing'")
                                .arg(done)
                                .arg(idList));
    });
}

} // namespace

Result<RawLoopRun> rawLoopRun(const BenchOptions &options, qint64 jobs, int run)
{
    auto db = prepareBurndown(options, QStringLiteral("burndown-raw-%1").arg(run), jobs);
    if (!db)
        return db.error();
    const DbConfig &config = (*db)->config();
    auto conn = Database::connection(config);
    if (!conn)
        return conn.error();
    auto r = rawTableLoop(options, conn.value(), jobs);
    if (!r)
        return r.error();
    if (auto st = verifyCompleted(config, jobs); !st)
        return st.error();
    return r;
}

namespace {

// JobStore::claim and JobStore::finish in a loop on one thread: the SQL cost of the pool without its
// threads and signals. Returns jobs per second and the seconds spent in each call.
struct StoreRun {
    double jobsPerS = 0;
    double claimUsPerJob = 0;
    double finishUsPerJob = 0;
};

Result<StoreRun> storeRun(const BenchOptions &options, qint64 jobs, int run)
{
    auto db = prepareBurndown(options, QStringLiteral("burndown-store-%1").arg(run), jobs);
    if (!db)
        return db.error();
    const DbConfig &config = (*db)->config();
    JobStore store(config);
    const QString workerId = QStringLiteral("hcm-bench:store");
    const QStringList types{QStringLiteral("test.noop")};
    qint64 claimNs = 0;
    qint64 finishNs = 0;
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        const qint64 t0 = timer.nsecsElapsed();
        auto claimed = store.claim(workerId, options.batch, 30000, types);
        const qint64 t1 = timer.nsecsElapsed();
        claimNs += t1 - t0;
        if (!claimed)
            return claimed.error();
        if (claimed->isEmpty())
            break;
        QList<JobOutcome> outcomes;
        outcomes.reserve(claimed->size());
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (const ClaimedJob &job : claimed.value()) {
            JobOutcome o;
            o.id = job.id;
            o.attempt = job.attempt;
            o.startedAt = now;
            o.finishedAt = now;
            outcomes.append(o);
        }
        auto report = store.finish(workerId, outcomes);
        finishNs += timer.nsecsElapsed() - t1;
        if (!report)
            return report.error();
    }
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    if (auto st = verifyCompleted(config, jobs); !st)
        return st.error();
    return StoreRun{double(jobs) / seconds, double(claimNs) / 1e3 / double(jobs),
                    double(finishNs) / 1e3 / double(jobs)};
}

} // namespace

Result<QJsonObject> runBurndown(const BenchOptions &options)
{
    const qint64 jobs = options.jobs > 0 ? options.jobs : kDefaultBurndownJobs;
    const QList<int> threadList = options.threads.isEmpty() ? QList<int>{2, 4, 8} : options.threads;
    QJsonArray results;
    for (int threads : threadList) {
        std::vector<double> rates;
        std::vector<double> starts;
        std::vector<double> batches;
        int errors = 0;
        QString firstError;
        for (int run = 1; run <= options.repeat; ++run) {
            auto r = poolRun(options, jobs, threads, run);
            if (!r)
                return r.error();
            rates.push_back(r->jobsPerS);
            starts.push_back(r->startMs);
            batches.push_back(r->idsPerSignal);
            errors += r->errors;
            if (firstError.isEmpty())
                firstError = r->firstError;
            note(options, QStringLiteral("burndown, %1 threads, run %2/%3: %4 jobs/s (load %5)")
                              .arg(threads)
                              .arg(run)
                              .arg(options.repeat)
                              .arg(r->jobsPerS, 0, 'f', 0)
                              .arg(loadAverage().at(0).toDouble()));
        }
        QJsonObject entry{{QStringLiteral("threads"), threads},
                          {QStringLiteral("jobs_per_s"), rounded(median(rates), 0)},
                          {QStringLiteral("runs_jobs_per_s"), toJsonArray(rates, 0)},
                          {QStringLiteral("start_ms"), toJsonArray(starts, 2)},
                          {QStringLiteral("mean_batch"), rounded(median(batches), 1)},
                          {QStringLiteral("pool_errors"), errors}};
        if (!firstError.isEmpty())
            entry.insert(QStringLiteral("first_pool_error"), firstError);
        results.append(entry);
    }
    return QJsonObject{{QStringLiteral("mode"), QStringLiteral("burndown")},
                       {QStringLiteral("jobs"), jobs},
                       {QStringLiteral("repeat"), options.repeat},
                       {QStringLiteral("prefetch"), options.prefetch},
                       {QStringLiteral("max_claim_batch"), options.batch},
                       {QStringLiteral("analyze"), options.analyze},
                       {QStringLiteral("paused_types"), QJsonArray::fromStringList(options.paused)},
                       {QStringLiteral("target_jobs_per_s"), 100000},
                       {QStringLiteral("results"), results}};
}

Result<QJsonObject> runRawLoop(const BenchOptions &options)
{
    const qint64 jobs = options.jobs > 0 ? options.jobs : kDefaultBurndownJobs;
    std::vector<double> rates;
    for (int run = 1; run <= options.repeat; ++run) {
        auto r = rawLoopRun(options, jobs, run);
        if (!r)
            return r.error();
        rates.push_back(r->jobsPerS);
        note(options, QStringLiteral("raw SQL loop, run %1/%2: %3 jobs/s")
                          .arg(run)
                          .arg(options.repeat)
                          .arg(r->jobsPerS, 0, 'f', 0));
    }
    return QJsonObject{{QStringLiteral("mode"), QStringLiteral("burndown-raw")},
                       {QStringLiteral("jobs"), jobs},
                       {QStringLiteral("repeat"), options.repeat},
                       {QStringLiteral("claim_batch"), kRawBatch},
                       {QStringLiteral("claim_plan"), options.rawPlannerPlan
                                                          ? QStringLiteral("planner's choice")
                                                          : QStringLiteral("INDEXED BY idx_jobs_queue")},
                       {QStringLiteral("analyze"), options.analyze},
                       {QStringLiteral("jobs_per_s"), rounded(median(rates), 0)},
                       {QStringLiteral("runs_jobs_per_s"), toJsonArray(rates, 0)}};
}

} // namespace hcm::bench

namespace hcm::bench {

Result<QJsonObject> runStoreLoop(const BenchOptions &options)
{
    const qint64 jobs = options.jobs > 0 ? options.jobs : kDefaultBurndownJobs;
    std::vector<double> rates;
    std::vector<double> claimUs;
    std::vector<double> finishUs;
    for (int run = 1; run <= options.repeat; ++run) {
        auto r = storeRun(options, jobs, run);
        if (!r)
            return r.error();
        rates.push_back(r->jobsPerS);
        claimUs.push_back(r->claimUsPerJob);
        finishUs.push_back(r->finishUsPerJob);
        note(options,
             QStringLiteral("JobStore claim/finish loop, run %1/%2: %3 jobs/s (claim %4 us/job, finish "
                            "%5 us/job)")
                 .arg(run)
                 .arg(options.repeat)
                 .arg(r->jobsPerS, 0, 'f', 0)
                 .arg(r->claimUsPerJob, 0, 'f', 2)
                 .arg(r->finishUsPerJob, 0, 'f', 2));
    }
    return QJsonObject{{QStringLiteral("mode"), QStringLiteral("burndown-store")},
                       {QStringLiteral("jobs"), jobs},
                       {QStringLiteral("repeat"), options.repeat},
                       {QStringLiteral("claim_batch"), options.batch},
                       {QStringLiteral("analyze"), options.analyze},
                       {QStringLiteral("jobs_per_s"), rounded(median(rates), 0)},
                       {QStringLiteral("runs_jobs_per_s"), toJsonArray(rates, 0)},
                       {QStringLiteral("claim_us_per_job"), rounded(median(claimUs), 2)},
                       {QStringLiteral("finish_us_per_job"), rounded(median(finishUs), 2)}};
}

} // namespace hcm::bench
