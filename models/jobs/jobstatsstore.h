#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"

#include <QList>

#include <memory>

namespace hcm {

struct Throughput;

// Aggregates over the job table for dashboards. SQL only; runs on the calling thread's connection.
class JobStatsStore final {
public:
    explicit JobStatsStore(DbConfig config, std::shared_ptr<Clock> clock = Clock::system());

    // Completed and failed jobs per minute over the last `minutes` minutes (served by the
    // completed_at index).
    Result<Throughput> throughput(int minutes) const;

private:
    DbConfig m_config;
    std::shared_ptr<Clock> m_clock;
};

} // namespace hcm
