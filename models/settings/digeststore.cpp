#include "digeststore.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "jobs/jobservice.h"

#include <QSqlQuery>

namespace hcm {

namespace {

const QLatin1String kItemColumns("id, digest_due_at, event, source_job_id, job_type, error, retry_count, "
                                 "max_retries, next_run_at, created_at, delivered_at");
const QLatin1String kDigestColumns("due_at, job_id, frequency, state, item_count, created_at, updated_at");

// In the order of kItemColumns.
DigestItem itemFrom(const QSqlQuery &q)
{
    DigestItem i;
    Sql::readRow(q, i, &DigestItem::id, &DigestItem::digestDueAt, &DigestItem::event,
                 &DigestItem::sourceJobId, &DigestItem::jobType, &DigestItem::error, &DigestItem::retryCount,
                 &DigestItem::maxRetries, &DigestItem::nextRunAt, &DigestItem::createdAt,
                 &DigestItem::deliveredAt);
    return i;
}

// In the order of kDigestColumns.
DigestInfo digestFrom(const QSqlQuery &q)
{
    DigestInfo d;
    Sql::readRow(q, d, &DigestInfo::dueAt, &DigestInfo::jobId, &DigestInfo::frequency, &DigestInfo::state,
                 &DigestInfo::itemCount, &DigestInfo::createdAt, &DigestInfo::updatedAt);
    return d;
}

// Row locks exist on PostgreSQL only; on SQLite every write transaction (BEGIN IMMEDIATE) excludes the
// others, which is stronger.
QString rowLock(const DbConfig &config, const char *mode)
{
    return config.isPostgres() ? QStringLiteral(" FOR ") + QLatin1String(mode) : QString();
}

QVariant nullable(const QString &v)
{
    return v.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(v.left(2000));
}

struct RowState {
    qint64 jobId = 0;
    QString state;
};

// The digest row due at `dueAt`, locked in `mode` on PostgreSQL; nullopt when there is none.
Result<std::optional<RowState>> lockedRow(QSqlDatabase &db, const DbConfig &config, qint64 dueAt,
                                          const char *mode)
{
    QSqlQuery q(db);
    if (auto st = Sql::prepare(q, QStringLiteral("SELECT job_id, state FROM notification_digests WHERE "
                                                 "due_at = ?") +
                                      rowLock(config, mode));
        !st)
        return st.error();
    q.addBindValue(dueAt);
    if (auto st = Sql::exec(q, DigestStore::tr("reading an alert digest")); !st)
        return st.error();
    if (!q.next())
        return std::optional<RowState>();
    return std::optional<RowState>(RowState{q.value(0).toLongLong(), q.value(1).toString()});
}

// Whether digest_frequency is "immediate" in the stored settings (no row: the defaults, immediate).
Result<bool> digestsOff(QSqlDatabase &db)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT digest_frequency FROM notification_settings WHERE id = 1")))
        return Database::error(q.lastError(), DigestStore::tr("reading the notification settings"));
    return !q.next() || q.value(0).toString() == QLatin1String("immediate");
}

Error digestsOffError()
{
    return Error{Error::Code::Conflict,
                 DigestStore::tr("Digests were switched off meanwhile: the alerts go out one by one.")};
}

// Registers job `jobId` for the digest due at `dueAt`, unless a job is registered already: the
// primary key lets exactly one registration win.
Status registerDigest(QSqlDatabase &db, qint64 dueAt, qint64 jobId, const QString &frequency, qint64 now)
{
    QSqlQuery ins(db);
    if (auto st = Sql::prepare(ins, QStringLiteral("INSERT INTO notification_digests (due_at, job_id, "
                                                   "frequency, state, item_count, created_at, updated_at) "
                                                   "VALUES (?, ?, ?, 'scheduled', 0, ?, ?) "
                                                   "ON CONFLICT (due_at) DO NOTHING"));
        !st)
        return st;
    ins.addBindValue(dueAt);
    ins.addBindValue(jobId);
    ins.addBindValue(frequency);
    ins.addBindValue(now);
    ins.addBindValue(now);
    return Sql::exec(ins, DigestStore::tr("scheduling an alert digest"));
}

} // namespace

DigestStore::DigestStore(DbConfig config, std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
{}

const QString &DigestStore::payloadKey()
{
    static const QString key = QStringLiteral("digest_due_at");
    return key;
}

NewJob DigestStore::digestJob(qint64 dueAt, const QString &frequency)
{
    NewJob job;
    job.type = QStringLiteral("notify");
    job.priority = JobPriority::High;
    job.maxRetries = kJobMaxRetries;
    job.payload = QJsonObject{{payloadKey(), dueAt}, {QStringLiteral("frequency"), frequency}};
    job.runAt = dueAt;
    return job;
}

Result<std::pair<DigestStore::AddOutcome, qint64>> DigestStore::addIfOpen(qint64 dueAt,
                                                                          const QList<DigestItem> &items,
                                                                          qint64 newJobId,
                                                                          const QString &frequency)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    const qint64 now = m_clock->nowMs();
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st.error();
    if (!items.isEmpty()) {
        // Read in the transaction that adds them, not from the caller's settings (cached for a second):
        // alerts must not join a digest after a save that switched digests off has flushed the waiting
        // ones, or they would wait for the next digest time instead of going out now.
        auto off = digestsOff(db);
        if (!off)
            return off.error();
        if (off.value())
            return std::make_pair(AddOutcome::Off, qint64(0));
    }
    if (newJobId > 0) {
        // The unique key decides: of several jobs registered for the same time, the first one stays.
        if (auto st = registerDigest(db, dueAt, newJobId, frequency, now); !st)
            return st.error();
    }
    // FOR SHARE: alerts of several processes join at once, but not while the digest's job starts it.
    auto row = lockedRow(db, m_config, dueAt, "SHARE");
    if (!row)
        return row.error();
    if (!row.value())
        return std::make_pair(AddOutcome::NoDigest, qint64(0));
    const RowState state = *row.value();
    if (state.state != QLatin1String("scheduled"))
        return std::make_pair(AddOutcome::Started, state.jobId);
    if (!items.isEmpty()) {
        QSqlQuery q(db);
        if (auto st = Sql::prepare(q, QStringLiteral("INSERT INTO notification_digest_items (digest_due_at, "
                                                     "event, source_job_id, job_type, error, retry_count, "
                                                     "max_retries, next_run_at, created_at) "
                                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
            !st)
            return st.error();
        for (const DigestItem &item : items) {
            q.addBindValue(dueAt);
            q.addBindValue(item.event);
            q.addBindValue(item.sourceJobId);
            q.addBindValue(item.jobType);
            q.addBindValue(nullable(item.error));
            q.addBindValue(item.retryCount);
            q.addBindValue(item.maxRetries);
            q.addBindValue(Sql::nullIfZero(item.nextRunAt));
            q.addBindValue(item.createdAt > 0 ? item.createdAt : now);
            if (auto st = Sql::exec(q, tr("collecting an alert for the digest")); !st)
                return st.error();
        }
    }
    if (auto st = tx.commit(); !st)
        return st.error();
    return std::make_pair(AddOutcome::Added, state.jobId);
}

void DigestStore::withdraw(qint64 jobId, const Actor &actor)
{
    // Still queued (its run_at is in the future): cancel, then delete. Should this fail, the job finds
    // another job named for its time when it runs and sends nothing.
    JobService service{JobStore(m_config, m_clock)};
    const auto cancelled = service.cancel({jobId}, actor);
    if (cancelled.isEmpty() || !cancelled.first().ok) {
        qCWarning(lcNotify) << "cannot withdraw the surplus digest job" << jobId;
        return;
    }
    service.deleteFinished({jobId}, actor);
    qCDebug(lcNotify) << "withdrew the surplus digest job" << jobId << "(another process scheduled it first)";
}

Result<DigestStore::Scheduled> DigestStore::collect(const QList<DigestItem> &items, qint64 dueAt,
                                                    const QString &frequency,
                                                    const std::function<qint64(qint64)> &later,
                                                    const Actor &actor)
{
    qint64 due = dueAt;
    // Each round either ends or moves to a later time because the digest started meanwhile; a handful
    // is plenty.
    for (int round = 0; round < 8; ++round) {
        // Usually the digest exists: join it, no job needed.
        auto joined = addIfOpen(due, items, 0, frequency);
        if (!joined)
            return joined.error();
        if (joined->first == AddOutcome::Off)
            return digestsOffError();
        if (joined->first == AddOutcome::Added)
            return Scheduled{due, joined->second, false};
        if (joined->first == AddOutcome::NoDigest) {
            JobService service{JobStore(m_config, m_clock)};
            auto id = service.enqueue(digestJob(due, frequency), actor);
            if (!id)
                return id.error();
            auto registered = addIfOpen(due, items, id.value(), frequency);
            if (!registered) {
                withdraw(id.value(), actor);
                return registered.error();
            }
            if (registered->first == AddOutcome::Off) {
                withdraw(id.value(), actor);
                return digestsOffError();
            }
            const qint64 owner = registered->second;
            if (owner != id.value())
                withdraw(id.value(), actor); // another process registered its job first
            if (registered->first == AddOutcome::Added)
                return Scheduled{due, owner, owner == id.value()};
            if (registered->first == AddOutcome::NoDigest)
                continue; // pruned between the two steps: try the same time again
        }
        const qint64 next = later(due);
        if (next <= due)
            break;
        due = next;
    }
    return Error{
        Error::Code::Conflict,
        tr("The alert digest could not be scheduled: every delivery time tried had started already.")};
}

Result<std::optional<DigestStore::Scheduled>> DigestStore::flush(qint64 at, const Actor &actor)
{
    auto waiting = pending();
    if (!waiting)
        return waiting.error();
    if (waiting->isEmpty())
        return std::optional<Scheduled>();
    auto scheduled = collect(
        {}, at, QStringLiteral("immediate"), [](qint64 t) { return t + 1; }, actor);
    if (!scheduled)
        return scheduled.error();
    qCInfo(lcNotify).noquote() << "the" << waiting->size() << "alerts waiting for a digest go out at"
                               << isoUtc(scheduled->dueAt) << "with" << Job::publicId(scheduled->jobId);
    return std::optional<Scheduled>(scheduled.value());
}

Result<DigestClaim> DigestStore::claim(qint64 dueAt, qint64 jobId, const QString &frequency)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    const qint64 now = m_clock->nowMs();
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st.error();
    // FOR UPDATE waits for alerts joining right now, and keeps new ones out once this commits.
    auto row = lockedRow(db, m_config, dueAt, "UPDATE");
    if (!row)
        return row.error();
    bool firstRun = false;
    if (!row.value()) {
        // The job was committed but its scheduler stopped before registering it: it registers itself.
        if (auto st = registerDigest(db, dueAt, jobId, frequency, now); !st)
            return st.error();
        row = lockedRow(db, m_config, dueAt, "UPDATE");
        if (!row)
            return row.error();
        if (!row.value())
            return Error{Error::Code::Database,
                         tr("The alert digest due at %1 vanished.").arg(isoUtc(dueAt))};
    }
    const RowState state = *row.value();
    DigestClaim claim;
    claim.ownerJobId = state.jobId;
    if (state.jobId != jobId) {
        claim.duplicate = true;
        if (auto st = tx.commit(); !st)
            return st.error();
        return claim;
    }
    firstRun = state.state == QLatin1String("scheduled");

    QSqlQuery q(db);
    if (auto st = Sql::prepare(
            q, QStringLiteral(
                   "UPDATE notification_digests SET state = 'sending', updated_at = ? WHERE due_at = ?"));
        !st)
        return st.error();
    q.addBindValue(now);
    q.addBindValue(dueAt);
    if (auto st = Sql::exec(q, tr("starting an alert digest")); !st)
        return st.error();

    if (firstRun) {
        // Everything else still waiting goes out with this digest: digests not started yet (a daily one
        // after a switch to hourly, or one a flush overtakes), failed ones, and ones whose worker vanished.
        // Their rows are locked like this one, so no alert joins them meanwhile and no other job sends the
        // same alerts. SKIP LOCKED: a digest that another job is starting right now, or that an alert is
        // joining, keeps its alerts (it sends them itself); waiting for it could deadlock two digests that
        // start at once and each want the other's.
        QSqlQuery others(db);
        if (auto st = Sql::prepare(others,
                                   QStringLiteral("SELECT due_at FROM notification_digests WHERE due_at <> ? "
                                                  "AND (state IN ('scheduled', 'failed') OR "
                                                  "(state = 'sending' AND updated_at < ?)) ORDER BY due_at") +
                                       rowLock(m_config, "UPDATE SKIP LOCKED"));
            !st)
            return st.error();
        others.addBindValue(dueAt);
        others.addBindValue(now - kStaleSendingMs);
        if (auto st = Sql::exec(others, tr("reading the waiting alert digests")); !st)
            return st.error();
        QList<qint64> from;
        while (others.next())
            from.append(others.value(0).toLongLong());
        if (!from.isEmpty()) {
            QSqlQuery move(db);
            if (auto st = Sql::prepare(
                    move, QStringLiteral("UPDATE notification_digest_items SET digest_due_at = ? "
                                         "WHERE delivered_at IS NULL AND digest_due_at IN (%1)")
                              .arg(Sql::idList(from)));
                !st)
                return st.error();
            move.addBindValue(dueAt);
            if (auto st = Sql::exec(move, tr("taking over waiting alerts")); !st)
                return st.error();
            claim.adopted = move.numRowsAffected();
        }
    }

    QSqlQuery items(db);
    items.setForwardOnly(true);
    if (auto st = Sql::prepare(
            items, QStringLiteral("SELECT %1 FROM notification_digest_items WHERE digest_due_at = ? "
                                  "AND delivered_at IS NULL ORDER BY created_at, id")
                       .arg(kItemColumns));
        !st)
        return st.error();
    items.addBindValue(dueAt);
    if (auto st = Sql::exec(items, tr("reading the alerts of a digest")); !st)
        return st.error();
    while (items.next())
        claim.items.append(itemFrom(items));
    items.finish();
    if (auto st = tx.commit(); !st)
        return st.error();
    return claim;
}

Status DigestStore::markDelivered(qint64 dueAt, qint64 jobId, const QList<qint64> &itemIds)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    const qint64 now = m_clock->nowMs();
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st;
    int marked = 0;
    if (!itemIds.isEmpty()) {
        QSqlQuery q(db);
        if (auto st =
                Sql::prepare(q, QStringLiteral("UPDATE notification_digest_items SET delivered_at = ? WHERE "
                                               "digest_due_at = ? AND delivered_at IS NULL AND id IN (%1)")
                                    .arg(Sql::idList(itemIds)));
            !st)
            return st;
        q.addBindValue(now);
        q.addBindValue(dueAt);
        if (auto st = Sql::exec(q, tr("marking the alerts of a digest delivered")); !st)
            return st;
        marked = q.numRowsAffected();
    }
    // Added, not set: a job run again after its delivery (delivery is at least once) finds nothing left
    // and must not turn the count of the first run into 0.
    QSqlQuery d(db);
    if (auto st = Sql::prepare(
            d, QStringLiteral(
                   "UPDATE notification_digests SET state = 'delivered', item_count = item_count + ?, "
                   "updated_at = ? WHERE due_at = ? AND job_id = ?"));
        !st)
        return st;
    d.addBindValue(marked);
    d.addBindValue(now);
    d.addBindValue(dueAt);
    d.addBindValue(jobId);
    if (auto st = Sql::exec(d, tr("marking a digest delivered")); !st)
        return st;
    // Old delivered rows are of no use beyond the job details: keep the tables small.
    for (const QString &sql :
         {QStringLiteral(
              "DELETE FROM notification_digest_items WHERE delivered_at IS NOT NULL AND delivered_at < ?"),
          QStringLiteral("DELETE FROM notification_digests WHERE state = 'delivered' AND updated_at < ?")}) {
        QSqlQuery prune(db);
        if (auto st = Sql::prepare(prune, sql); !st)
            return st;
        prune.addBindValue(now - kRetentionMs);
        if (auto st = Sql::exec(prune, tr("pruning delivered digests")); !st)
            return st;
    }
    return tx.commit();
}

Status DigestStore::markFailed(qint64 dueAt, qint64 jobId)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (auto st =
            Sql::prepare(q, QStringLiteral("UPDATE notification_digests SET state = 'failed', updated_at = ? "
                                           "WHERE due_at = ? AND job_id = ? AND state = 'sending'"));
        !st)
        return st;
    q.addBindValue(m_clock->nowMs());
    q.addBindValue(dueAt);
    q.addBindValue(jobId);
    return Sql::exec(q, tr("marking a digest failed"));
}

Result<QList<DigestItem>> DigestStore::pending()
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT %1 FROM notification_digest_items WHERE delivered_at IS NULL "
                               "ORDER BY created_at, id")
                    .arg(kItemColumns)))
        return Database::error(q.lastError(), tr("reading the alerts waiting for a digest"));
    QList<DigestItem> out;
    while (q.next())
        out.append(itemFrom(q));
    return out;
}

Result<std::optional<DigestInfo>> DigestStore::digest(qint64 dueAt)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (auto st = Sql::prepare(
            q, QStringLiteral("SELECT %1 FROM notification_digests WHERE due_at = ?").arg(kDigestColumns));
        !st)
        return st.error();
    q.addBindValue(dueAt);
    if (auto st = Sql::exec(q, tr("reading an alert digest")); !st)
        return st.error();
    if (!q.next())
        return std::optional<DigestInfo>();
    return std::optional<DigestInfo>(digestFrom(q));
}

Result<QList<DigestInfo>> DigestStore::digests()
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT %1 FROM notification_digests ORDER BY due_at").arg(kDigestColumns)))
        return Database::error(q.lastError(), tr("reading the alert digests"));
    QList<DigestInfo> out;
    while (q.next())
        out.append(digestFrom(q));
    return out;
}

} // namespace hcm
