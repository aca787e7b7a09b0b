#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "db/dbconfig.h"

#include <QCoreApplication>
#include <QString>

#include <memory>

namespace hcm {

// A sliding-window rate limit kept in the database (rate_limit_events), so every process counts:
// the GUI, hcmctl invocations and the API share the same budget.
class RateLimiter final {
    Q_DECLARE_TR_FUNCTIONS(hcm::RateLimiter)

public:
    RateLimiter(DbConfig config, QString bucket, int limit, qint64 windowMs,
                std::shared_ptr<Clock> clock = Clock::system());

    // Takes one slot, or fails (Error::Code::Conflict) with a sentence saying when the next one is
    // allowed. `what` names the action in that sentence ("test messages"). Atomic across threads and
    // processes: when several race for the last slot, exactly one gets it.
    Status acquire(const QString &what);
    // When the next slot is free (now when one is free already).
    Result<qint64> nextAllowedAt();

private:
    DbConfig m_config;
    QString m_bucket;
    int m_limit;
    qint64 m_windowMs;
    std::shared_ptr<Clock> m_clock;
};

} // namespace hcm
