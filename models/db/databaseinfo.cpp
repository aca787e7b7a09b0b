#include "databaseinfo.h"

#include "common/clock.h"
#include "db/database.h"
#include "db/migrator.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QSqlQuery>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::DatabaseInfo)
};

Status readSqlite(QSqlDatabase &db, DatabaseInfo &info)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT sqlite_version()")) || !q.next())
        return Database::error(q.lastError(), Tr::tr("reading the SQLite version"));
    info.sqliteVersion = q.value(0).toString();
    if (!q.exec(QStringLiteral("PRAGMA journal_mode")) || !q.next())
        return Database::error(q.lastError(), Tr::tr("reading the journal mode"));
    info.journalMode = q.value(0).toString();
    info.fileBytes = QFileInfo(info.path).size();
    info.walBytes = QFileInfo(info.path + QStringLiteral("-wal")).size();
    info.nowMs = Clock::system()->nowMs();
    return {};
}

Status readPostgres(QSqlDatabase &db, DatabaseInfo &info)
{
    QSqlQuery q(db);
    // pg_stat_ssl shows every backend's TLS state; this connection's row is always visible to itself.
    if (!q.exec(
            QStringLiteral("SELECT current_setting('server_version'), current_database(), current_user, "
                           "pg_database_size(current_database()), "
                           "(extract(epoch FROM statement_timestamp()) * 1000)::bigint, "
                           "COALESCE(s.ssl, false), COALESCE(s.version, '') "
                           "FROM (SELECT 1) AS one LEFT JOIN pg_stat_ssl s ON s.pid = pg_backend_pid()")) ||
        !q.next())
        return Database::error(q.lastError(), Tr::tr("reading the server's details"));
    info.serverVersion = q.value(0).toString();
    info.database = q.value(1).toString();
    info.user = q.value(2).toString();
    info.databaseBytes = q.value(3).toLongLong();
    info.nowMs = q.value(4).toLongLong();
    info.ssl = q.value(5).toBool();
    info.sslVersion = q.value(6).toString();
    return {};
}

} // namespace

Result<DatabaseInfo> DatabaseInfo::read(const DbConfig &config)
{
    auto conn = Database::connection(config);
    if (!conn)
        return conn.error();
    QSqlDatabase db = conn.value();
    DatabaseInfo info;
    info.backend = config.backend;
    auto schema = Migrator::info(db, config);
    if (!schema)
        return schema.error();
    info.schemaVersion = schema->currentVersion;
    info.latestSchemaVersion = schema->latestVersion;
    if (config.isSqlite()) {
        info.path = config.sqlitePath;
        if (auto st = readSqlite(db, info); !st)
            return st.error();
    } else {
        info.host = config.host;
        info.port = config.port;
        if (auto st = readPostgres(db, info); !st)
            return st.error();
    }
    if (info.schemaVersion > 0) {
        QSqlQuery q(db);
        if (!q.exec(
                QStringLiteral("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")))
            return Database::error(q.lastError(), Tr::tr("reading the applied migrations"));
        while (q.next())
            info.migrations.append(
                AppliedMigration{q.value(0).toInt(), q.value(1).toString(), q.value(2).toLongLong()});
    }
    return info;
}

} // namespace hcm
