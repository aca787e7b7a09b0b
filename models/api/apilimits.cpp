#include "api/apilimits.h"

#include "db/database.h"
#include "db/dialect.h"
#include "db/sqlitestatement.h"

#include <QDateTime>
#include <QSqlQuery>

namespace hcm {

ApiRateLimiter::ApiRateLimiter(DbConfig config)
    : m_config(std::move(config))
{}

Result<RateDecision> ApiRateLimiter::hit(const QString &bucket, int limit)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    return hitIn(db, m_config, bucket, limit);
}

Result<RateDecision> ApiRateLimiter::hitIn(QSqlDatabase &db, const DbConfig &config, const QString &bucket,
                                           int limit)
{
    const Dialect dialect = Dialect::of(config);
    const QString now = dialect.nowMs();
    const QString window = QStringLiteral("((%1) / %2) * %2").arg(now).arg(kWindowMs);
    // One statement counts the request and returns the count: atomic in every process that serves the
    // API (SQLite serialises writers; PostgreSQL's upsert locks the window's row).
    const QString sql =
        QStringLiteral("INSERT INTO api_rate_buckets (bucket, window_start, hits) VALUES (?, %1, 1) "
                       "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = api_rate_buckets.hits + 1 "
                       "RETURNING hits, window_start, %2")
            .arg(window, now);
    const QString doing = tr("counting the request for the rate limit");
    qint64 hits = 0;
    qint64 windowStart = 0;
    qint64 nowMs = 0;
    if (SqliteStatement *raw = Sql::cachedSqlite(db, sql.toUtf8())) {
        // SQLite: on its own handle (every API request runs this).
        raw->bind(1, bucket.toUtf8());
        if (!raw->next()) {
            if (auto st = raw->status(doing); !st)
                return st.error();
            return Error{Error::Code::Database, tr("The database did not return the request count.")};
        }
        hits = raw->int64(0);
        windowStart = raw->int64(1);
        nowMs = raw->int64(2);
        raw->reset();
    } else {
        QSqlQuery &q = Sql::cached(db, sql);
        q.bindValue(0, bucket);
        if (auto st = Sql::exec(q, doing); !st)
            return st.error();
        if (!q.next())
            return Error{Error::Code::Database, tr("The database did not return the request count.")};
        hits = q.value(0).toLongLong();
        windowStart = q.value(1).toLongLong();
        nowMs = q.value(2).toLongLong();
        q.finish();
    }
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

Result<bool> IdempotencyKeys::insertIn(QSqlDatabase &db, qint64 tokenId, const QString &key,
                                       const QString &requestHash, qint64 jobId, qint64 nowMs)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("DELETE FROM api_idempotency_keys WHERE token_id = ? AND idem_key = ? "
                             "AND created_at < ?"));
    q.addBindValue(tokenId);
    q.addBindValue(key);
    q.addBindValue(nowMs - kLifetimeMs);
    if (auto st = Sql::exec(q, tr("replacing an expired idempotency key")); !st)
        return st.error();
    q.prepare(QStringLiteral("INSERT INTO api_idempotency_keys (token_id, idem_key, request_hash, job_id, "
                             "created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"));
    q.addBindValue(tokenId);
    q.addBindValue(key);
    q.addBindValue(requestHash);
    q.addBindValue(jobId);
    q.addBindValue(nowMs);
    if (auto st = Sql::exec(q, tr("storing the idempotency key")); !st)
        return st.error();
    return q.numRowsAffected() == 1;
}

Result<std::optional<IdempotencyKeys::Recorded>> IdempotencyKeys::find(qint64 tokenId, const QString &key,
                                                                       qint64 nowMs)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("SELECT request_hash, job_id FROM api_idempotency_keys "
                             "WHERE token_id = ? AND idem_key = ? AND created_at >= ?"));
    q.addBindValue(tokenId);
    q.addBindValue(key);
    q.addBindValue(nowMs - kLifetimeMs);
    if (auto st = Sql::exec(q, tr("reading the idempotency key")); !st)
        return st.error();
    if (!q.next())
        return std::optional<Recorded>{};
    return std::optional<Recorded>{Recorded{q.value(0).toString(), q.value(1).toLongLong()}};
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
