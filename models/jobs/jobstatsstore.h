#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"
#include "jobs/jobstore.h"

#include <QList>

#include <array>
#include <optional>

#include <memory>

namespace hcm {

struct Throughput;

// Aggregates over the job table for dashboards. SQL only; runs on the calling thread's connection.
class JobStatsStore final {
public:
    explicit JobStatsStore(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    // Completed and failed jobs per minute over the last `minutes` minutes (at most a day), of one type
    // when `type` is not empty, and the jobs completed in the last 60 seconds: on PostgreSQL without a
    // type from the maintained job_minute_counts (017), else through the completed_at index.
    // The jobs completed in the last 60 seconds are counted exactly up to kExactRateLimit; above it, on
    // PostgreSQL without a type, they are estimated from the two newest minutes (estimateLastMinute).
    Result<Throughput> throughput(int minutes, const QString &type = {}) const;
    static constexpr qint64 kExactRateLimit = 2'000;
    // Completions in the 60 s up to a moment `msIntoMinute` into the current minute, from the counts of
    // the current and the previous minute, the previous one taken as spread evenly over its minute.
    static qint64 estimateLastMinute(qint64 currentMinute, qint64 previousMinute, qint64 msIntoMinute);

    // What a filter's count reads at most when the maintained counts cannot answer (a search, a
    // schedule, a type on SQLite): past it the answer is "more than kCountLimit" (kCountLimit + 1).
    static constexpr qint64 kCountLimit = 100'000;

    // Rows per status. Without a search or schedule filter they come from the counts the database
    // maintains (job_counts: per status on SQLite, per status and type on PostgreSQL): one read of a few
    // rows at any table size. Otherwise they are counted, each up to `limit` + 1 rows when `limit` > 0.
    Result<std::array<qint64, kJobStatusCount>> countByStatus(const JobFilter &filter,
                                                              qint64 limit = 0) const;
    // The number of rows `filter` selects; from the maintained counts when they can answer, else
    // counted up to `limit` + 1 rows when `limit` > 0.
    Result<qint64> count(const JobFilter &filter, qint64 limit = 0) const;
    // True when the maintained counts answer count() and countByStatus() for `filter` (no rows read).
    bool maintainedAnswers(const JobFilter &filter) const;
    // The maintained counts (of the jobs of `type` when given), or nothing when this database keeps
    // none for that: SQLite keeps them per status only, an older schema none.
    Result<std::optional<std::array<qint64, kJobStatusCount>>>
    maintainedCounts(const QString &type = {}) const;
    // PostgreSQL: folds the deltas into one row per status and type (job_counts_fold); nothing on SQLite.
    Status foldCounts() const;

private:
    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
};

} // namespace hcm
