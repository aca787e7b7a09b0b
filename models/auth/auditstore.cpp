#include "auth/auditstore.h"

#include "common/clock.h"
#include "common/logcategories.h"
#include "db/database.h"
#include "db/dialect.h"
#include "db/sqlitestatement.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::AuditStore)
};

Role roleOrViewer(const QString &text)
{
    Role role = Role::Viewer;
    roleFromString(text, &role);
    return role;
}

Interface interfaceFrom(const QString &text)
{
    for (Interface via :
         {Interface::Gui, Interface::Cli, Interface::Api, Interface::Worker, Interface::System})
        if (interfaceToString(via) == text)
            return via;
    return Interface::System;
}

QString idsJson(const QStringList &ids)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(ids)).toJson(QJsonDocument::Compact));
}

QStringList idsFromJson(const QString &text)
{
    QStringList out;
    for (const QJsonValue &v : QJsonDocument::fromJson(text.toUtf8()).array())
        out.append(v.isString() ? v.toString() : QString::number(v.toInteger()));
    return out;
}

QString csvField(const QString &text)
{
    // RFC 4180; a leading = + - @ is prefixed with ' so that a spreadsheet shows it as text rather than
    // running it as a formula.
    QString t = text;
    if (!t.isEmpty() && QStringLiteral("=+-@").contains(t.at(0)))
        t.prepend(QLatin1Char('\''));
    if (t.contains(QLatin1Char('"')) || t.contains(QLatin1Char(',')) || t.contains(QLatin1Char('\n')) ||
        t.contains(QLatin1Char('\r')))
        return QLatin1Char('"') + t.replace(QLatin1Char('"'), QLatin1String("\"\"")) + QLatin1Char('"');
    return t;
}

} // namespace

QString toString(AuditOutcome outcome)
{
    return outcome == AuditOutcome::Refused ? QStringLiteral("refused") : QStringLiteral("done");
}

AuditEntry AuditEntry::of(const Actor &actor, const QString &action, const QString &targetType,
                          const QStringList &targetIds, const QJsonObject &diff, AuditOutcome outcome)
{
    AuditEntry e;
    e.actor = actor.name;
    e.actorRole = actor.role;
    e.via = actor.via;
    e.action = action;
    e.targetType = targetType;
    e.targetIds = targetIds;
    e.diff = diff;
    e.outcome = outcome;
    e.clientAddress = actor.clientAddress;
    return e;
}

QStringList AuditEntry::ids(const QList<qint64> &ids)
{
    QStringList out;
    out.reserve(ids.size());
    for (qint64 id : ids)
        out.append(QString::number(id));
    return out;
}

bool isSystemActor(const Actor &actor)
{
    return actor.name.startsWith(QLatin1String("system:"));
}

AuditStore::AuditStore(DbConfig config)
    : m_config(std::move(config))
{}

Status AuditStore::append(QSqlDatabase &db, const AuditEntry &entry)
{
    const Dialect dialect{db.driverName() == QLatin1String("QSQLITE") ? DbConfig::Backend::Sqlite
                                                                      : DbConfig::Backend::Postgres};
    // Prepared once per connection: every audited change writes one.
    const QString insert = QStringLiteral("INSERT INTO audit_log (at, actor, actor_role, interface, action, "
                                          "target_type, target_ids, diff, outcome, client_address) "
                                          "VALUES (%1, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
                               .arg(dialect.nowMs());
    // PostgreSQL sets `at` itself (the insert trigger); SQLite takes it from the same expression.
    // A null QString binds as SQL NULL; these columns are NOT NULL, empty meaning "none".
    const auto text = [](const QString &s) { return s.isNull() ? QStringLiteral("") : s; };
    const QString diff = QString::fromUtf8(QJsonDocument(entry.diff).toJson(QJsonDocument::Compact));
    qint64 id = 0;
    if (SqliteStatement *raw = Sql::cachedSqlite(db, insert.toUtf8())) {
        // SQLite: on its own handle, without a QVariant per value (the API writes one per request).
        const QString values[] = {text(entry.actor),
                                  roleToString(entry.actorRole),
                                  interfaceToString(entry.via),
                                  text(entry.action),
                                  text(entry.targetType),
                                  idsJson(entry.targetIds),
                                  diff,
                                  toString(entry.outcome),
                                  text(entry.clientAddress)};
        for (int i = 0; i < 9; ++i)
            raw->bind(i + 1, values[i].toUtf8());
        if (!raw->next()) {
            if (auto st = raw->status(Tr::tr("writing the audit trail")); !st)
                return st;
            return Error{Error::Code::Database, Tr::tr("The database did not return the audit row's id.")};
        }
        id = raw->int64(0);
        raw->reset();
    } else {
        QSqlQuery &q = Sql::cached(db, insert);
        q.bindValue(0, text(entry.actor));
        q.bindValue(1, roleToString(entry.actorRole));
        q.bindValue(2, interfaceToString(entry.via));
        q.bindValue(3, text(entry.action));
        q.bindValue(4, text(entry.targetType));
        q.bindValue(5, idsJson(entry.targetIds));
        q.bindValue(6, diff);
        q.bindValue(7, toString(entry.outcome));
        q.bindValue(8, text(entry.clientAddress));
        if (!q.exec() || !q.next())
            return Database::error(q.lastError(), Tr::tr("writing the audit trail"));
        id = q.value(0).toLongLong();
        q.finish();
    }
    if (entry.targetType.isEmpty() || entry.targetIds.isEmpty())
        return {};
    // One row per target (the history of one job); multi-row statements of up to 500 ids.
    constexpr qsizetype kChunk = 500;
    QStringList unique = entry.targetIds;
    unique.removeDuplicates();
    if (unique.size() == 1) {
        const QString insertTarget =
            QStringLiteral("INSERT INTO audit_targets (target_type, target_id, audit_id) VALUES (?, ?, ?)");
        if (SqliteStatement *raw = Sql::cachedSqlite(db, insertTarget.toUtf8())) {
            raw->bind(1, entry.targetType.toUtf8());
            raw->bind(2, unique.first().toUtf8());
            raw->bind(3, id);
            return raw->run(Tr::tr("writing the audit trail"));
        }
        QSqlQuery &one = Sql::cached(db, insertTarget);
        one.bindValue(0, entry.targetType);
        one.bindValue(1, unique.first());
        one.bindValue(2, id);
        if (!one.exec())
            return Database::error(one.lastError(), Tr::tr("writing the audit trail"));
        return {};
    }
    for (qsizetype start = 0; start < unique.size(); start += kChunk) {
        const qsizetype n = qMin(kChunk, unique.size() - start);
        QString sql = QStringLiteral("INSERT INTO audit_targets (target_type, target_id, audit_id) VALUES ");
        for (qsizetype i = 0; i < n; ++i)
            sql += (i ? QStringLiteral(",(?, ?, ?)") : QStringLiteral("(?, ?, ?)"));
        QSqlQuery chunk(db);
        if (!chunk.prepare(sql))
            return Database::error(chunk.lastError(), Tr::tr("writing the audit trail"));
        for (qsizetype i = start; i < start + n; ++i) {
            chunk.addBindValue(entry.targetType);
            chunk.addBindValue(unique.at(i));
            chunk.addBindValue(id);
        }
        if (!chunk.exec())
            return Database::error(chunk.lastError(), Tr::tr("writing the audit trail"));
    }
    return {};
}

Status AuditStore::record(const AuditEntry &entry)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st;
    if (auto st = append(db, entry); !st)
        return st;
    return tx.commit();
}

Result<QList<AuditEntry>> AuditStore::list(const AuditFilter &filter)
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    QStringList where;
    QVariantList binds;
    QString from = QStringLiteral("audit_log AS a");
    if (!filter.targetType.isEmpty() && !filter.targetId.isEmpty()) {
        from = QStringLiteral("audit_targets AS t JOIN audit_log AS a ON a.id = t.audit_id");
        where.append(QStringLiteral("t.target_type = ? AND t.target_id = ?"));
        binds << filter.targetType << filter.targetId;
    } else if (!filter.targetType.isEmpty()) {
        where.append(QStringLiteral("a.target_type = ?"));
        binds << filter.targetType;
    }
    if (!filter.actor.isEmpty()) {
        where.append(QStringLiteral("a.actor = ?"));
        binds << filter.actor;
    }
    if (filter.action.endsWith(QLatin1Char('.'))) {
        // A prefix ("jobs."): a range over the action index.
        where.append(QStringLiteral("a.action >= ? AND a.action < ?"));
        QString upper = filter.action;
        upper.back() = QLatin1Char('/'); // the character after '.'
        binds << filter.action << upper;
    } else if (!filter.action.isEmpty()) {
        where.append(QStringLiteral("a.action = ?"));
        binds << filter.action;
    }
    if (filter.since > 0) {
        where.append(QStringLiteral("a.at >= ?"));
        binds << filter.since;
    }
    if (filter.until > 0) {
        where.append(QStringLiteral("a.at < ?"));
        binds << filter.until;
    }
    if (filter.beforeId > 0) {
        where.append(QStringLiteral("a.id < ?"));
        binds << filter.beforeId;
    }
    if (!filter.text.trimmed().isEmpty()) {
        QString pattern = filter.text.trimmed().toLower();
        pattern.replace(QLatin1Char('\\'), QLatin1String("\\\\"))
            .replace(QLatin1Char('%'), QLatin1String("\\%"))
            .replace(QLatin1Char('_'), QLatin1String("\\_"));
        pattern = QLatin1Char('%') + pattern + QLatin1Char('%');
        where.append(
            QStringLiteral("(lower(a.actor) LIKE ? ESCAPE '\\' OR lower(a.action) LIKE ? ESCAPE '\\' "
                           "OR lower(a.target_ids) LIKE ? ESCAPE '\\' OR lower(a.diff) LIKE ? "
                           "ESCAPE '\\')"));
        binds << pattern << pattern << pattern << pattern;
    }
    const int limit = qBound(1, filter.limit, 10000);
    const QString sql =
        QStringLiteral("SELECT a.id, a.at, a.actor, a.actor_role, a.interface, a.action, "
                       "a.target_type, a.target_ids, a.diff, a.outcome, a.client_address "
                       "FROM %1%2 ORDER BY a.id DESC LIMIT %3")
            .arg(from,
                 where.isEmpty() ? QString() : QStringLiteral(" WHERE ") + where.join(QLatin1String(" AND ")))
            .arg(limit);
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.prepare(sql))
        return Database::error(q.lastError(), Tr::tr("reading the audit trail"));
    for (const QVariant &v : std::as_const(binds))
        q.addBindValue(v);
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("reading the audit trail"));
    QList<AuditEntry> out;
    while (q.next()) {
        AuditEntry e;
        e.id = q.value(0).toLongLong();
        e.at = q.value(1).toLongLong();
        e.actor = q.value(2).toString();
        e.actorRole = roleOrViewer(q.value(3).toString());
        e.via = interfaceFrom(q.value(4).toString());
        e.action = q.value(5).toString();
        e.targetType = q.value(6).toString();
        e.targetIds = idsFromJson(q.value(7).toString());
        e.diff = QJsonDocument::fromJson(q.value(8).toString().toUtf8()).object();
        e.outcome =
            q.value(9).toString() == QLatin1String("refused") ? AuditOutcome::Refused : AuditOutcome::Done;
        e.clientAddress = q.value(10).toString();
        out.append(e);
    }
    return out;
}

Status AuditStore::forEach(AuditFilter filter, const std::function<bool(const QList<AuditEntry> &)> &sink,
                           int pageSize)
{
    filter.limit = qBound(1, pageSize, 10000);
    for (;;) {
        auto page = list(filter);
        if (!page)
            return page.error();
        if (page->isEmpty() || !sink(page.value()))
            return {};
        if (page->size() < filter.limit)
            return {};
        filter.beforeId = page->last().id;
    }
}

Result<int> AuditStore::retentionDays()
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (!q.exec(QStringLiteral("SELECT value FROM app_settings WHERE key = 'audit_retention_days'")))
        return Database::error(q.lastError(), Tr::tr("reading the audit retention"));
    int days = 400;
    if (q.next()) {
        bool ok = false;
        const int v = q.value(0).toString().trimmed().toInt(&ok);
        if (ok && v > 0)
            days = v;
    }
    return qMax(30, days);
}

Result<qint64> AuditStore::purgeExpired()
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    QSqlQuery q(db);
    if (m_config.isPostgres()) {
        // A SECURITY DEFINER function of the owner: the worker's role has no DELETE on the table.
        if (!q.exec(QStringLiteral("SELECT audit_log_purge()")) || !q.next())
            return Database::error(q.lastError(), Tr::tr("removing expired audit rows"));
        return q.value(0).toLongLong();
    }
    auto days = retentionDays();
    if (!days)
        return days.error();
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st.error();
    if (!q.prepare(QStringLiteral("DELETE FROM audit_log WHERE at < %1 - 86400000 * ?")
                       .arg(Dialect::of(m_config).nowMs())))
        return Database::error(q.lastError(), Tr::tr("removing expired audit rows"));
    q.addBindValue(qint64(days.value()));
    if (!q.exec())
        return Database::error(q.lastError(), Tr::tr("removing expired audit rows"));
    const qint64 n = q.numRowsAffected();
    if (auto st = tx.commit(); !st)
        return st.error();
    return n;
}

QByteArray AuditStore::toCsv(const QList<AuditEntry> &entries, bool header)
{
    QByteArray out;
    if (header)
        out +=
            "id,at,actor,actor_role,interface,action,target_type,target_ids,outcome,client_address,diff\r\n";
    for (const AuditEntry &e : entries) {
        const QStringList fields{QString::number(e.id),
                                 isoUtc(e.at),
                                 e.actor,
                                 roleToString(e.actorRole),
                                 interfaceToString(e.via),
                                 e.action,
                                 e.targetType,
                                 e.targetIds.join(QLatin1Char(' ')),
                                 toString(e.outcome),
                                 e.clientAddress,
                                 QString::fromUtf8(QJsonDocument(e.diff).toJson(QJsonDocument::Compact))};
        QStringList quoted;
        for (const QString &f : fields)
            quoted.append(csvField(f));
        out += quoted.join(QLatin1Char(',')).toUtf8() + "\r\n";
    }
    return out;
}

QJsonObject AuditStore::toJson(const AuditEntry &e)
{
    return QJsonObject{{QStringLiteral("id"), e.id},
                       {QStringLiteral("at"), isoUtc(e.at)},
                       {QStringLiteral("actor"), e.actor},
                       {QStringLiteral("actor_role"), roleToString(e.actorRole)},
                       {QStringLiteral("interface"), interfaceToString(e.via)},
                       {QStringLiteral("action"), e.action},
                       {QStringLiteral("target_type"), e.targetType},
                       {QStringLiteral("target_ids"), QJsonArray::fromStringList(e.targetIds)},
                       {QStringLiteral("diff"), e.diff},
                       {QStringLiteral("outcome"), toString(e.outcome)},
                       {QStringLiteral("client_address"), e.clientAddress}};
}

AuditWriter auditWriter(const AuditEntry &entry)
{
    return [entry](QSqlDatabase &db) { return AuditStore::append(db, entry); };
}

QJsonObject jsonDiff(const QJsonObject &before, const QJsonObject &after, const QStringList &ignored)
{
    QJsonObject diff;
    QStringList keys = before.keys() + after.keys();
    keys.removeDuplicates();
    for (const QString &key : std::as_const(keys)) {
        if (ignored.contains(key) || before.value(key) == after.value(key))
            continue;
        const QJsonValue oldValue = before.contains(key) ? before.value(key) : QJsonValue(QJsonValue::Null);
        const QJsonValue newValue = after.contains(key) ? after.value(key) : QJsonValue(QJsonValue::Null);
        diff.insert(key, QJsonObject{{QStringLiteral("old"), oldValue}, {QStringLiteral("new"), newValue}});
    }
    return diff;
}

Status authorizeAndAudit(const DbConfig &config, const Actor &actor, Permission permission,
                         const QString &targetType, const QStringList &targetIds)
{
    const Status allowed = authorize(actor, permission);
    if (allowed)
        return allowed;
    qCInfo(lcAuth).noquote() << "refused:" << actor.name << "(" + roleToString(actor.role) + ")"
                             << permissionKey(permission);
    const AuditEntry entry = AuditEntry::of(actor, permissionKey(permission), targetType, targetIds,
                                            QJsonObject{{QStringLiteral("reason"), allowed.error().message}},
                                            AuditOutcome::Refused);
    if (auto st = AuditStore(config).record(entry); !st) {
        // The refusal stands whether or not its row could be written.
        qCWarning(lcAuth).noquote() << "the refusal could not be written to the audit trail:"
                                    << st.error().message;
    }
    return allowed;
}

} // namespace hcm
