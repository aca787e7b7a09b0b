#pragma once

// Shared pieces of hcm-bench: the options of a run, fresh databases, statistics and JSON helpers.

#include "common/error.h"
#include "db/dbconfig.h"
#include "jobs/job.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <functional>
#include <memory>
#include <vector>

namespace hcm::bench {

// Everything the command line decides. Every mode reads the fields it needs.
struct BenchOptions {
    qint64 jobs = 0;             // 0: the mode's default
    QList<int> threads;          // burndown: one run per entry
    int prefetch = -1;           // burndown: WorkerPool::Options::prefetch
    int batch = 512;             // burndown: WorkerPool::Options::maxClaimBatch
    bool raw = false;            // burndown: the plain SQL loop only
    bool rawSplit = false;       // burndown: the plain SQL loop beside it on a split job table
    bool store = false;          // burndown: JobStore::claim/finish in a loop on one thread only
    bool rawPlannerPlan = false; // raw loop: let SQLite choose the claim's index (no INDEXED BY)
    bool analyze = false;        // burndown: ANALYZE after the jobs are inserted, before timing
    QStringList paused;          // burndown: job types paused before timing (what a pause costs)
    int repeat = 1;              // runs per measurement; the median is reported
    QString dbPath;              // empty: a file in `tempDir`
    QString tempDir;             // folder of the temporary databases
    bool jsonOnly = false;       // no human notes on stderr
    int connections = 8;         // api: keep-alive client connections
    int apiThreads = 8;          // api: hcm-worker --api-threads
};

// Human notes on stderr (silenced by --json-only).
void note(const BenchOptions &options, const QString &text);

// One fresh, migrated SQLite database (WAL) for one measured run. The file is created here and removed
// with its -wal and -shm companions at destruction, after the calling thread's connections are closed.
class RunDatabase final {
public:
    static Result<std::unique_ptr<RunDatabase>> create(const BenchOptions &options, const QString &label);
    ~RunDatabase();
    Q_DISABLE_COPY_MOVE(RunDatabase)

    const DbConfig &config() const { return m_config; }

    // Folds the WAL into the main file so that the timed part starts from a small WAL.
    Status checkpoint() const;

private:
    explicit RunDatabase(DbConfig config)
        : m_config(std::move(config))
    {}
    DbConfig m_config;
};

// A fresh, migrated database for one part of a run and what removes it: `owner` (a RunDatabase, or a
// PostgreSQL database of pgbench.cpp) drops it when the last copy is released.
struct FreshDatabase {
    DbConfig config;
    std::shared_ptr<void> owner;
};
// Makes one FreshDatabase; `label` names its part of the run (a SQLite file name).
using FreshDatabaseFactory = std::function<Result<FreshDatabase>(const QString &label)>;

// `count` test.noop jobs with an empty payload, or {"tag": ""} with `withTag`.
QList<NewJob> noopJobs(qsizetype count, bool withTag = false);
// Inserts `count` test.noop jobs through JobService::enqueueMany in batches of `batch`.
Status insertNoopJobs(const DbConfig &config, qint64 count, int batch = 1000);
// Rows of `table` matching `where` (optional), on the calling thread's connection.
Result<qint64> rowCount(const DbConfig &config, const QString &table, const QString &where = {});

double median(std::vector<double> values);
// Nearest-rank percentile (0 < p <= 100) of sorted values.
double percentile(const std::vector<double> &sorted, double p);
// Rounds for JSON output: `decimals` digits after the point.
double rounded(double value, int decimals);
QJsonArray toJsonArray(const std::vector<double> &values, int decimals);

// The machine and library versions, and the load average now.
QJsonObject machineInfo(const DbConfig &anyDatabase);
QJsonArray loadAverage();
// CPU time of the calling thread (user and system), in seconds.
double threadCpuSeconds();

// The modes. Each returns its JSON object, or an error.
Result<QJsonObject> runEnqueue(const BenchOptions &options);
Result<QJsonObject> runBurndown(const BenchOptions &options);
Result<QJsonObject> runRawLoop(const BenchOptions &options);
Result<QJsonObject> runStoreLoop(const BenchOptions &options);
Result<QJsonObject> runLatency(const BenchOptions &options);
// Job creation over HTTP against hcm-worker --api beside JobService::enqueue in process, on SQLite.
Result<QJsonObject> runApi(const BenchOptions &options);
// The same on any backend: each side on its own database from `fresh`, one after the other; `mode` is
// the JSON's "mode" (api, pg-api).
Result<QJsonObject> measureApi(const BenchOptions &options, const QString &mode,
                               const FreshDatabaseFactory &fresh);
// N enabled schedules due every minute: the scheduler's cost per minute and due-to-job delay.
Result<QJsonObject> runSchedules(const BenchOptions &options);
// The same on any migrated database; `afterInsert` runs once the schedules are in (a checkpoint).
Result<QJsonObject> measureSchedules(const BenchOptions &options, const DbConfig &config,
                                     const std::function<Status()> &afterInsert);

// burndown (burndownbench.cpp): a fresh database with `jobs` test.noop jobs queued, checkpointed.
Result<std::unique_ptr<RunDatabase>> prepareBurndown(const BenchOptions &options, const QString &label,
                                                     qint64 jobs);
// One run of the plain SQL loop of `burndown --raw` on a fresh database of `jobs` queued jobs: jobs per
// second, and the time of its claim and completion transactions per job.
struct RawLoopRun {
    double jobsPerS = 0;
    double claimUsPerJob = 0;
    double completeUsPerJob = 0;
    double cpuUsPerJob = 0; // the calling thread's CPU time in the timed loop: less sensitive to load
};
Result<RawLoopRun> rawLoopRun(const BenchOptions &options, qint64 jobs, int run);
// The raw loops' timed part (burndown --raw and --raw-split) on `d`, until no job is left: a claim of up to
// kRawBatch jobs in one BEGIN IMMEDIATE transaction through `claim` (its values: worker, started, updated,
// lease end, now, limit; its rows: id, attempt), then the completion's transaction: `complete(idList,
// done)` changes the claimed jobs' rows, and their attempt rows are added.
Result<RawLoopRun> rawLoop(QSqlDatabase d, QSqlQuery &claim, const QString &workerId, qint64 jobs,
                           const std::function<Status(const QString &idList, qint64 done)> &complete);
// burndown --raw-split (splitbench.cpp): the raw loop beside the same loop on a job table split into
// job_queue and job_archive, in alternating rounds, and the jobs page's first reads on both layouts.
Result<QJsonObject> runRawSplit(const BenchOptions &options);

inline constexpr int kRawBatch = 500; // jobs per claim of the raw loops
inline constexpr qint64 kDefaultEnqueueJobs = 20000;
inline constexpr qint64 kDefaultBurndownJobs = 200000;
inline constexpr qint64 kDefaultLatencyJobs = 1000;
inline constexpr qint64 kDefaultSchedules = 10000;

} // namespace hcm::bench
