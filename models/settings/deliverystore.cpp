#include "deliverystore.h"

#include "db/database.h"

#include <QSqlQuery>

namespace hcm {

namespace {

const QLatin1String
    kSelect("SELECT id, job_id, source_job_id, channel, recipient, event, outcome, provider_response, "
            "error, latency_ms, created_at, created_by FROM notification_deliveries ");

DeliveryRecord fromQuery(const QSqlQuery &q)
{
    DeliveryRecord r;
    r.id = q.value(0).toLongLong();
    r.jobId = q.value(1).toLongLong();
    r.sourceJobId = q.value(2).toLongLong();
    r.channel = q.value(3).toString();
    r.recipient = q.value(4).toString();
    r.event = q.value(5).toString();
    r.delivered = q.value(6).toString() == QLatin1String("delivered");
    r.providerResponse = q.value(7).toString();
    r.error = q.value(8).toString();
    r.latencyMs = q.value(9).toLongLong();
    r.createdAt = q.value(10).toLongLong();
    r.createdBy = q.value(11).toString();
    return r;
}

} // namespace

QJsonObject DeliveryRecord::toJson() const
{
    return QJsonObject{
        {QStringLiteral("id"), id},
        {QStringLiteral("job_id"),
         jobId > 0 ? QJsonValue(QStringLiteral("job_%1").arg(jobId)) : QJsonValue()},
        {QStringLiteral("source_job_id"),
         sourceJobId > 0 ? QJsonValue(QStringLiteral("job_%1").arg(sourceJobId)) : QJsonValue()},
        {QStringLiteral("channel"), channel},
        {QStringLiteral("recipient"), recipient},
        {QStringLiteral("event"), event},
        {QStringLiteral("outcome"), delivered ? QStringLiteral("delivered") : QStringLiteral("failed")},
        {QStringLiteral("provider_response"), providerResponse},
        {QStringLiteral("error"), error},
        {QStringLiteral("latency_ms"), latencyMs},
        {QStringLiteral("created_at"), isoUtc(createdAt)},
        {QStringLiteral("created_by"), createdBy},
    };
}

DeliveryStore::DeliveryStore(DbConfig config, std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
{}

Result<qint64> DeliveryStore::log(DeliveryRecord r)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    if (r.createdAt <= 0)
        r.createdAt = m_clock->nowMs();
    QSqlQuery q(conn.value());
    if (auto st = Sql::prepare(
            q, QStringLiteral("INSERT INTO notification_deliveries (job_id, source_job_id, channel, "
                              "recipient, event, outcome, provider_response, error, latency_ms, "
                              "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                              "RETURNING id"));
        !st)
        return st.error();
    q.addBindValue(Sql::nullIfZero(r.jobId));
    q.addBindValue(Sql::nullIfZero(r.sourceJobId));
    q.addBindValue(r.channel);
    q.addBindValue(r.recipient);
    q.addBindValue(r.event);
    q.addBindValue(r.delivered ? QStringLiteral("delivered") : QStringLiteral("failed"));
    q.addBindValue(r.providerResponse.left(4000));
    q.addBindValue(r.error.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                     : QVariant(r.error.left(4000)));
    q.addBindValue(r.latencyMs);
    q.addBindValue(r.createdAt);
    q.addBindValue(r.createdBy);
    if (auto st = Sql::exec(q, tr("logging a notification delivery")); !st)
        return st.error();
    return q.next() ? q.value(0).toLongLong() : qint64(0);
}

Result<QList<DeliveryRecord>> DeliveryStore::forJob(qint64 jobId)
{
    // A digest's deliveries belong to every job it reported on: through the alerts it carries.
    return select(QStringLiteral("WHERE job_id = ? OR source_job_id = ? OR job_id IN "
                                 "(SELECT d.job_id FROM notification_digest_items i "
                                 "JOIN notification_digests d ON d.due_at = i.digest_due_at "
                                 "WHERE i.source_job_id = ?) ORDER BY id"),
                  {jobId, jobId, jobId});
}

Result<QList<DeliveryRecord>> DeliveryStore::recent(int limit)
{
    return select(QStringLiteral("ORDER BY id DESC LIMIT ?"), {limit});
}

Result<QList<DeliveryRecord>> DeliveryStore::select(const QString &rest, const QVariantList &binds)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    if (auto st = Sql::prepare(q, kSelect + rest); !st)
        return st.error();
    for (const QVariant &v : binds)
        q.addBindValue(v);
    if (auto st = Sql::exec(q, tr("reading notification deliveries")); !st)
        return st.error();
    QList<DeliveryRecord> out;
    while (q.next())
        out.append(fromQuery(q));
    return out;
}

Result<QSet<QString>> DeliveryStore::deliveredBy(qint64 jobId)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (auto st = Sql::prepare(q, QStringLiteral("SELECT channel, recipient FROM notification_deliveries "
                                                 "WHERE job_id = ? AND outcome = 'delivered'"));
        !st)
        return st.error();
    q.addBindValue(jobId);
    if (auto st = Sql::exec(q, tr("reading notification deliveries")); !st)
        return st.error();
    QSet<QString> out;
    while (q.next())
        out.insert(q.value(0).toString() + QLatin1Char('|') + q.value(1).toString());
    return out;
}

} // namespace hcm
