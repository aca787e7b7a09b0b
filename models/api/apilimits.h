#pragma once

#include "common/error.h"
#include "db/dbconfig.h"

#include <QCoreApplication>
#include <QString>

namespace hcm {

// One request counted against a per-minute limit.
struct RateDecision {
    bool allowed = true;
    int limit = 0;
    int remaining = 0;
    qint64 resetMs = 0; // milliseconds until the window ends (and the count starts again)
};

// Per-token, per-endpoint request limits, counted in fixed one-minute windows in the database
// (api_rate_buckets, migration 016): every API server of a deployment counts in the same row, so a
// fleet of N servers allows the limit, not N times it. The window is the database server's minute
// (PostgreSQL's clock; SQLite's is the machine's). One upsert per request.
class ApiRateLimiter final {
    Q_DECLARE_TR_FUNCTIONS(hcm::ApiRateLimiter)

public:
    static constexpr qint64 kWindowMs = 60 * 1000;

    explicit ApiRateLimiter(DbConfig config);
    // Counts one request in `bucket` and says whether it is within `limit` per minute.
    Result<RateDecision> hit(const QString &bucket, int limit);
    // Deletes the rows of windows that are over.
    Status prune();

private:
    DbConfig m_config;
};

// Idempotency keys of job creation (api_idempotency_keys, migration 016). claim() inserts the key
// before the job is created; exactly one of any number of racing requests with the same key wins the
// insert, the others read the job the winner records (waiting for it while it is being created).
class IdempotencyKeys final {
    Q_DECLARE_TR_FUNCTIONS(hcm::IdempotencyKeys)

public:
    static constexpr qint64 kLifetimeMs = 24LL * 60 * 60 * 1000;
    static constexpr int kMaxKeyLength = 255;
    // A claim whose job was never recorded (its server died in between) is given up after this long.
    static constexpr qint64 kAbandonedAfterMs = 30 * 1000;

    struct Claim {
        bool won = false;      // true: create the job, then record() it (or release() on failure)
        qint64 jobId = 0;      // !won: the job of the first request with this key
        bool mismatch = false; // !won: the key was used for a different request
    };

    explicit IdempotencyKeys(DbConfig config);
    Result<Claim> claim(qint64 tokenId, const QString &key, const QString &requestHash);
    Status record(qint64 tokenId, const QString &key, qint64 jobId);
    Status release(qint64 tokenId, const QString &key);
    Status prune();

private:
    DbConfig m_config;
};

} // namespace hcm
