#include "ratelimiter.h"

#include "db/database.h"
#include "db/dialect.h"

#include <QDateTime>
#include <QSqlQuery>

namespace hcm {

namespace {

// The first key of the advisory locks of rate limits ("HCM" and 1): keeps them apart from other locks.
constexpr int kAdvisoryLockClass = 0x48434d01;

// The time the oldest event in the window leaves it, when the window is full; 0 when a slot is free.
Result<qint64> fullUntil(QSqlDatabase &db, const QString &bucket, int limit, qint64 windowMs, qint64 now)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "SELECT at FROM rate_limit_events WHERE bucket = ? AND at > ? ORDER BY at DESC LIMIT ?"));
    q.addBindValue(bucket);
    q.addBindValue(now - windowMs);
    q.addBindValue(limit);
    if (auto st = Sql::exec(q, RateLimiter::tr("reading the rate limit")); !st)
        return st.error();
    int count = 0;
    qint64 oldest = 0;
    while (q.next()) {
        ++count;
        oldest = q.value(0).toLongLong();
    }
    return count >= limit ? oldest + windowMs : 0;
}

} // namespace

RateLimiter::RateLimiter(DbConfig config, QString bucket, int limit, qint64 windowMs,
                         std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_bucket(std::move(bucket))
    , m_limit(limit)
    , m_windowMs(windowMs)
    , m_clock(std::move(clock))
{}

Status RateLimiter::acquire(const QString &what)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    // Count and insert must be one atomic step, or two processes that both see the last free slot both
    // take it. SQLite: the transaction is BEGIN IMMEDIATE, so writers queue up before they count.
    // PostgreSQL (READ COMMITTED, where a count sees no uncommitted insert): a transaction-scoped
    // advisory lock per bucket serialises the takers; it is released by COMMIT or ROLLBACK.
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st;
    if (Dialect::of(m_config).isPostgres()) {
        QSqlQuery lock(db);
        lock.prepare(QStringLiteral("SELECT pg_advisory_xact_lock(?, hashtext(?))"));
        lock.addBindValue(kAdvisoryLockClass);
        lock.addBindValue(m_bucket);
        if (auto st = Sql::exec(lock, tr("waiting for the rate limit")); !st)
            return st;
    }
    const qint64 now = m_clock->nowMs();
    auto until = fullUntil(db, m_bucket, m_limit, m_windowMs, now);
    if (!until)
        return until.error();
    if (until.value() > 0) {
        const qint64 seconds = (until.value() - now + 999) / 1000;
        return Error{Error::Code::Conflict,
                     tr("Too many %1: at most %2 per minute. The next one is allowed at %3 (in %4 s).")
                         .arg(what)
                         .arg(m_limit)
                         .arg(QDateTime::fromMSecsSinceEpoch(until.value())
                                  .toLocalTime()
                                  .toString(QStringLiteral("HH:mm:ss")))
                         .arg(seconds)};
    }
    QSqlQuery ins(db);
    ins.prepare(QStringLiteral("INSERT INTO rate_limit_events (bucket, at) VALUES (?, ?)"));
    ins.addBindValue(m_bucket);
    ins.addBindValue(now);
    if (auto st = Sql::exec(ins, tr("recording a rate-limited action")); !st)
        return st;
    // Old events are of no use: keep the table small.
    QSqlQuery prune(db);
    prune.prepare(QStringLiteral("DELETE FROM rate_limit_events WHERE bucket = ? AND at <= ?"));
    prune.addBindValue(m_bucket);
    prune.addBindValue(now - m_windowMs);
    if (auto st = Sql::exec(prune, tr("pruning the rate limit")); !st)
        return st;
    return tx.commit();
}

Result<qint64> RateLimiter::nextAllowedAt()
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    const qint64 now = m_clock->nowMs();
    auto until = fullUntil(db, m_bucket, m_limit, m_windowMs, now);
    if (!until)
        return until.error();
    return until.value() > 0 ? until.value() : now;
}

} // namespace hcm
