#pragma once

// hcm-bench on PostgreSQL: burn-down with P worker processes × T threads, and cross-process pickup
// latency through LISTEN/NOTIFY. The workers are child processes of hcm-bench (mode pg-child); the
// database is a fresh one on the server the PG* environment variables name (pg_virtualenv works).
// Times that cross processes are CLOCK_MONOTONIC nanoseconds (std::chrono::steady_clock on Linux),
// the clock Node's process.hrtime uses too, so the graphile-worker peer scripts report the same way.

#include "benchcommon.h"

namespace hcm::bench {

struct PgOptions {
    int processes = 4;
    int threads = 4;
    int prefetch = -1; // WorkerPool::Options::prefetch
    int batch = 512;   // WorkerPool::Options::maxClaimBatch
    QString self;      // path of hcm-bench, to start children
    // pg-burndown: drop migration 017's counting triggers before the run (what they cost the workers).
    bool withoutCounts = false;
};

Result<QJsonObject> runPgBurndown(const BenchOptions &options, const PgOptions &pg);
Result<QJsonObject> runPgLatency(const BenchOptions &options, const PgOptions &pg);
// hcm-bench schedules on a fresh PostgreSQL database (the client's CPU only: the server's is not counted).
Result<QJsonObject> runPgSchedules(const BenchOptions &options);
// hcm-bench api on PostgreSQL: the in-process side and the HTTP server each on a fresh database.
Result<QJsonObject> runPgApi(const BenchOptions &options);
// The child: a WorkerPool on `dbSpec`; "latency" prints every handler start, "burndown" prints the
// number of completed jobs. Runs until stdin closes or SIGTERM.
int runPgChild(const QString &dbSpec, const QString &kind, const PgOptions &pg);

inline constexpr qint64 kDefaultPgBurndownJobs = 50000;

} // namespace hcm::bench
