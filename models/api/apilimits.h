#pragma once

#include "common/error.h"
#include "db/dbconfig.h"

#include <QCoreApplication>
#include <QSqlDatabase>
#include <QString>

#include <optional>

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
    // The same on `db`, inside the caller's transaction (job creation counts its request in the
    // transaction that creates the job: one write transaction per request). A rollback takes the count
    // back too, so a refused request does not count.
    static Result<RateDecision> hitIn(QSqlDatabase &db, const DbConfig &config, const QString &bucket,
                                      int limit);
    // Deletes the rows of windows that are over.
    Status prune();

private:
    DbConfig m_config;
};

// Idempotency keys of job creation (api_idempotency_keys, migration 016). The key is recorded with its
// job in the transaction that creates the job (insertIn); of any number of racing requests with the same
// key, exactly one inserts it (SQLite serialises the writers; on PostgreSQL the others' insert waits for
// the first transaction and then finds the key), the others roll back and answer with the job find()
// reads.
class IdempotencyKeys final {
    Q_DECLARE_TR_FUNCTIONS(hcm::IdempotencyKeys)

public:
    static constexpr qint64 kLifetimeMs = 24LL * 60 * 60 * 1000;
    static constexpr int kMaxKeyLength = 255;

    struct Recorded {
        QString requestHash;
        qint64 jobId = 0;
    };

    explicit IdempotencyKeys(DbConfig config);
    // Records `key` for `jobId` on `db` inside the caller's transaction, replacing the key's expired row;
    // false when the key is in use (the caller rolls back and replays).
    static Result<bool> insertIn(QSqlDatabase &db, qint64 tokenId, const QString &key,
                                 const QString &requestHash, qint64 jobId, qint64 nowMs);
    // The job the key created, if the key is recorded and not expired.
    Result<std::optional<Recorded>> find(qint64 tokenId, const QString &key, qint64 nowMs);
    Status prune();

private:
    DbConfig m_config;
};

} // namespace hcm
