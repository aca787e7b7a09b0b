#include "pausedtypestore.h"

#include "db/database.h"
#include "db/dialect.h"
#include "db/notificationlistener.h"

#include <QCoreApplication>
#include <QSet>
#include <QSqlQuery>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::PausedTypeStore)
};

} // namespace

QJsonObject PausedType::toJson() const
{
    return QJsonObject{{QStringLiteral("type"), type},
                       {QStringLiteral("paused_by"), pausedBy},
                       {QStringLiteral("paused_at"), isoUtc(pausedAt)}};
}

PausedTypeStore::PausedTypeStore(DbConfig config, std::shared_ptr<Clock> clock)
    : m_config(std::move(config))
    , m_clock(std::move(clock))
{}

Result<QList<PausedType>> PausedTypeStore::list() const
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    q.setForwardOnly(true);
    // '*' sorts before every letter: "all types" comes first.
    if (!q.exec(
            QStringLiteral("SELECT job_type, paused_by, paused_at FROM paused_job_types ORDER BY job_type")))
        return Database::error(q.lastError(), Tr::tr("reading the paused job types"));
    QList<PausedType> out;
    while (q.next())
        out.append(PausedType{q.value(0).toString(), q.value(1).toString(), q.value(2).toLongLong()});
    return out;
}

Result<bool> PausedTypeStore::setPaused(const QString &type, bool paused, const QString &actor,
                                        const AuditWriter &audit)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase d = conn.value();
    Transaction tx(d);
    if (auto st = tx.begin(); !st)
        return st.error();
    QSqlQuery q(d);
    const QString doing =
        paused ? Tr::tr("pausing job type %1").arg(type) : Tr::tr("resuming job type %1").arg(type);
    if (paused) {
        // The clock of the other timestamps: the server's on PostgreSQL in production.
        const bool serverTime = m_config.isPostgres() && dynamic_cast<const SystemClock *>(m_clock.get());
        q.prepare(
            QStringLiteral("INSERT INTO paused_job_types (job_type, paused_by, paused_at) VALUES (?, ?, %1) "
                           "ON CONFLICT (job_type) DO NOTHING")
                .arg(serverTime ? Dialect::of(m_config).nowMs() : QString::number(m_clock->nowMs())));
        q.addBindValue(type);
        q.addBindValue(actor);
    } else if (type == kAllJobTypes) {
        q.prepare(QStringLiteral("DELETE FROM paused_job_types"));
    } else {
        q.prepare(QStringLiteral("DELETE FROM paused_job_types WHERE job_type = ?"));
        q.addBindValue(type);
    }
    if (auto st = Sql::exec(q, doing); !st)
        return st.error();
    const bool changed = q.numRowsAffected() > 0;
    q.finish();
    if (changed && m_config.isPostgres()) {
        // Delivered at commit: every worker reads the paused types again (and claims a resumed type's jobs).
        QSqlQuery notify(d);
        notify.prepare(QStringLiteral("SELECT pg_notify('%1', ?)").arg(QLatin1String(kJobChannel)));
        notify.addBindValue(JobEvent{JobEvent::Kind::Paused, {}, 0, {}}.encode());
        if (auto st = Sql::exec(notify, doing); !st)
            return st.error();
    }
    if (changed && audit) {
        if (auto st = audit(d); !st)
            return st.error();
    }
    if (auto st = tx.commit(); !st)
        return st.error();
    return changed;
}

QStringList PausedTypeStore::claimable(const QStringList &types, const QList<PausedType> &paused)
{
    if (paused.isEmpty())
        return types;
    QSet<QString> names;
    for (const PausedType &p : paused) {
        if (p.isAll())
            return {};
        names.insert(p.type);
    }
    QStringList out;
    for (const QString &t : types)
        if (!names.contains(t))
            out.append(t);
    return out;
}

const PausedType *PausedTypeStore::pauseOf(const QList<PausedType> &paused, const QString &type)
{
    // "All types" wins: while it stands, resuming the type alone would not let its jobs run.
    const PausedType *own = nullptr;
    for (const PausedType &p : paused) {
        if (p.isAll())
            return &p;
        if (p.type == type)
            own = &p;
    }
    return own;
}

} // namespace hcm
