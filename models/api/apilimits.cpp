#include "api/apilimits.h"

#include "db/database.h"
#include "db/dialect.h"

#include <QDateTime>
#include <QSqlQuery>
#include <QThread>

namespace hcm {

ApiRateLimiter::ApiRateLimiter(DbConfig config)
    : m_config(std::move(config))
{}

Result<RateDecision> ApiRateLimiter::hit(const QString &bucket, int limit)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    const Dialect dialect = Dialect::of(m_config);
    const QString now = dialect.nowMs();
    const QString window = QStringLiteral("((%1) / %2) * %2").arg(now).arg(kWindowMs);
    // One statement counts the request and returns the count: atomic in every process that serves the
    // API (SQLite serialises writers; PostgreSQL's upsert locks the window's row).
    QSqlQuery q(conn.value());
    q.prepare(
        QStringLiteral("INSERT INTO api_rate_buckets (bucket, window_start, hits) VALUES (?, %1, 1) "
                       "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = api_rate_buckets.hits + 1 "
                       "RETURNING hits, window_start, %2")
            .arg(window, now));
    q.addBindValue(bucket);
    if (auto st = Sql::exec(q, tr("counting the request for the rate limit")); !st)
        return st.error();
    if (!q.next())
        return Error{Error::Code::Database, tr("The database did not return the request count.")};
    const qint64 hits = q.value(0).toLongLong();
    const qint64 windowStart = q.value(1).toLongLong();
    const qint64 nowMs = q.value(2).toLongLong();
    RateDecision d;
    d.limit = limit;
    d.allowed = hits <= limit;
    d.remaining = int(qMax<qint64>(0, limit - hits));
    d.resetMs = qBound<qint64>(0, windowStart + kWindowMs - nowMs, kWindowMs);
    return d;
}

Status ApiRateLimiter::prune()
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("DELETE FROM api_rate_buckets WHERE window_start < (%1) - %2")
                  .arg(Dialect::of(m_config).nowMs())
                  .arg(2 * kWindowMs));
    return Sql::exec(q, tr("deleting past rate windows"));
}

IdempotencyKeys::IdempotencyKeys(DbConfig config)
    : m_config(std::move(config))
{}

Result<IdempotencyKeys::Claim> IdempotencyKeys::claim(qint64 tokenId, const QString &key,
                                                      const QString &requestHash)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    // A request that finds the key claimed while its job is being created waits for it (up to about
    // kAbandonedAfterMs); the first request answers within milliseconds, so the wait is short.
    for (int round = 0; round < 3000; ++round) {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        QSqlQuery ins(db);
        ins.prepare(
            QStringLiteral("INSERT INTO api_idempotency_keys (token_id, idem_key, request_hash, job_id, "
                           "created_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING"));
        ins.addBindValue(tokenId);
        ins.addBindValue(key);
        ins.addBindValue(requestHash);
        ins.addBindValue(now);
        if (auto st = Sql::exec(ins, tr("storing the idempotency key")); !st)
            return st.error();
        if (ins.numRowsAffected() == 1)
            return Claim{true, 0, false};

        QSqlQuery sel(db);
        sel.prepare(QStringLiteral("SELECT request_hash, job_id, created_at FROM api_idempotency_keys "
                                   "WHERE token_id = ? AND idem_key = ?"));
        sel.addBindValue(tokenId);
        sel.addBindValue(key);
        if (auto st = Sql::exec(sel, tr("reading the idempotency key")); !st)
            return st.error();
        if (!sel.next())
            continue; // released or expired meanwhile: claim again
        const QString hash = sel.value(0).toString();
        const qint64 jobId = sel.value(1).toLongLong();
        const qint64 createdAt = sel.value(2).toLongLong();
        sel.finish();
        const bool expired = createdAt < now - kLifetimeMs;
        const bool abandoned = jobId == 0 && createdAt < now - kAbandonedAfterMs;
        if (expired || abandoned) {
            QSqlQuery del(db);
            del.prepare(QStringLiteral("DELETE FROM api_idempotency_keys WHERE token_id = ? AND idem_key = ? "
                                       "AND created_at = ?"));
            del.addBindValue(tokenId);
            del.addBindValue(key);
            del.addBindValue(createdAt);
            if (auto st = Sql::exec(del, tr("replacing an expired idempotency key")); !st)
                return st.error();
            continue;
        }
        if (hash != requestHash)
            return Claim{false, jobId, true};
        if (jobId > 0)
            return Claim{false, jobId, false};
        QThread::msleep(10);
    }
    return Error{Error::Code::Timeout,
                 tr("Another request with the same Idempotency-Key is still being processed.")};
}

Status IdempotencyKeys::record(qint64 tokenId, const QString &key, qint64 jobId)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(
        QStringLiteral("UPDATE api_idempotency_keys SET job_id = ? WHERE token_id = ? AND idem_key = ?"));
    q.addBindValue(jobId);
    q.addBindValue(tokenId);
    q.addBindValue(key);
    return Sql::exec(q, tr("recording the idempotency key's job"));
}

Status IdempotencyKeys::release(qint64 tokenId, const QString &key)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral(
        "DELETE FROM api_idempotency_keys WHERE token_id = ? AND idem_key = ? AND job_id = 0"));
    q.addBindValue(tokenId);
    q.addBindValue(key);
    return Sql::exec(q, tr("releasing the idempotency key"));
}

Status IdempotencyKeys::prune()
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("DELETE FROM api_idempotency_keys WHERE created_at < ?"));
    q.addBindValue(QDateTime::currentMSecsSinceEpoch() - kLifetimeMs);
    return Sql::exec(q, tr("deleting expired idempotency keys"));
}

} // namespace hcm
