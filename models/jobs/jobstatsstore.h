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

    // Completed and failed jobs per minute over the last `minutes` minutes, of one type when `type` is
    // not empty, and the jobs completed in the last 60 seconds (served by the completed_at index).
    Result<Throughput> throughput(int minutes, const QString &type = {}) const;

    // Rows per status. Without a type or search filter they come from the counts the database maintains
    // (job_counts, kept by triggers on SQLite): one read at any table size. With one, they are counted.
    Result<std::array<qint64, kJobStatusCount>> countByStatus(const JobFilter &filter) const;
    // The number of rows `filter` selects; from the maintained counts when only statuses filter.
    Result<qint64> count(const JobFilter &filter) const;
    // The maintained counts, or nothing when this database keeps none.
    Result<std::optional<std::array<qint64, kJobStatusCount>>> maintainedCounts() const;

private:
    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
};

} // namespace hcm
