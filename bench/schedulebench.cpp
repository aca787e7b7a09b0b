// hcm-bench schedules: what the scheduler costs when N enabled schedules are due every minute. A manual
// clock steps from minute to minute; each minute one scheduler pass (ScheduleStore, as Scheduler runs
// it: fill missing next runs, claim batches until none is due, read the next wake-up) is timed for
// process CPU and wall time, its statements counted, and every job's delay from its due time (the start
// of the pass: the scheduler's timer fires at the due time) to the commit of the batch that made it.

#include "benchcommon.h"

#include "db/database.h"
#include "jobs/job.h"
#include "schedules/schedulestore.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimeZone>

#include <algorithm>
#include <ctime>

namespace hcm::bench {

namespace {

double cpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1000.0 + double(ts.tv_nsec) / 1e6;
}

// N schedules "* * * * *" in UTC, their next run at `firstDue`: one INSERT … SELECT from a counter.
Status insertSchedules(const DbConfig &config, qint64 count, qint64 firstDue)
{
    auto conn = Database::connection(config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    const QString sql =
        QStringLiteral(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %1) "
            "INSERT INTO schedules (name, job_type, payload, cron, time_zone, overlap_policy, next_run_at, "
            "created_at, created_by, updated_at, updated_by) "
            "SELECT 'bench-' || i, 'test.noop', '{}', '* * * * *', 'UTC', 'allow', %2, 0, 'bench', 0, "
            "'bench' FROM n")
            .arg(count)
            .arg(firstDue);
    if (!q.exec(sql))
        return Database::error(q.lastError(), QStringLiteral("inserting the schedules"));
    // The maintenance schedules are not part of the measurement.
    if (!q.exec(QStringLiteral("UPDATE schedules SET enabled = 0 WHERE created_by <> 'bench'")))
        return Database::error(q.lastError(), QStringLiteral("switching off the maintenance schedules"));
    return {};
}

} // namespace

Result<QJsonObject> runSchedules(const BenchOptions &options)
{
    auto db = RunDatabase::create(options, QStringLiteral("schedules"));
    if (!db)
        return db.error();
    return measureSchedules(options, (*db)->config(), [&] { return (*db)->checkpoint(); });
}

Result<QJsonObject> measureSchedules(const BenchOptions &options, const DbConfig &config,
                                     const std::function<Status()> &afterInsert)
{
    const qint64 count = options.jobs > 0 ? options.jobs : kDefaultSchedules;
    constexpr int kMinutes = 5;
    constexpr int kBatch = 200;
    const qint64 t0 = QDateTime(QDate(2026, 5, 4), QTime(10, 0), QTimeZone::utc()).toMSecsSinceEpoch();
    if (auto st = insertSchedules(config, count, t0 + 60'000); !st)
        return st.error();
    if (auto st = afterInsert(); !st)
        return st.error();
    auto clock = std::make_shared<ManualClock>(t0);
    ScheduleStore store(config, clock);
    note(options, QStringLiteral("%1 schedules due every minute, %2 minutes").arg(count).arg(kMinutes));

    std::vector<double> delays; // ms, one per job
    std::vector<double> cpuPerMinute;
    std::vector<double> wallPerMinute;
    std::vector<double> statementsPerMinute;
    qint64 jobs = 0;
    for (int minute = 1; minute <= kMinutes; ++minute) {
        clock->setMs(t0 + minute * 60'000LL);
        const double cpu0 = cpuMs();
        QElapsedTimer wall;
        wall.start();
        int statements = 0;
        auto filled = store.fillMissingNextRuns();
        if (!filled)
            return filled.error();
        ++statements;
        for (;;) {
            auto r = store.claimDue(kBatch);
            if (!r)
                return r.error();
            statements += r->statements;
            const double at = double(wall.nsecsElapsed()) / 1e6;
            for (int i = 0; i < r->made; ++i)
                delays.push_back(at);
            jobs += r->made;
            if (r->due < kBatch)
                break;
        }
        auto next = store.earliestDue();
        if (!next)
            return next.error();
        ++statements;
        wallPerMinute.push_back(double(wall.nsecsElapsed()) / 1e6);
        cpuPerMinute.push_back(cpuMs() - cpu0);
        statementsPerMinute.push_back(statements);
        if (!next->has_value() || next->value() != t0 + (minute + 1) * 60'000LL)
            return Error{Error::Code::Invalid, QStringLiteral("the next wake-up is not the next minute")};
    }
    auto made =
        rowCount(config, QStringLiteral("background_jobs"), QStringLiteral("schedule_id IS NOT NULL"));
    if (!made)
        return made.error();
    if (*made != count * kMinutes || jobs != *made)
        return Error{Error::Code::Invalid,
                     QStringLiteral("%1 jobs for %2 due slots").arg(*made).arg(count * kMinutes)};
    std::sort(delays.begin(), delays.end());
    QJsonObject out{
        {QStringLiteral("mode"), QStringLiteral("schedules")},
        {QStringLiteral("backend"),
         config.isPostgres() ? QStringLiteral("postgresql") : QStringLiteral("sqlite")},
        {QStringLiteral("schedules"), count},
        {QStringLiteral("minutes"), kMinutes},
        {QStringLiteral("claim_batch"), kBatch},
        {QStringLiteral("jobs"), jobs},
        {QStringLiteral("cpu_ms_per_minute_median"), rounded(median(cpuPerMinute), 1)},
        {QStringLiteral("wall_ms_per_minute_median"), rounded(median(wallPerMinute), 1)},
        {QStringLiteral("statements_per_minute_median"), median(statementsPerMinute)},
        {QStringLiteral("due_to_job_ms_p50"), rounded(percentile(delays, 50), 2)},
        {QStringLiteral("due_to_job_ms_p99"), rounded(percentile(delays, 99), 2)},
        {QStringLiteral("cpu_ms_per_minute"), toJsonArray(cpuPerMinute, 1)},
    };
    return out;
}

} // namespace hcm::bench
