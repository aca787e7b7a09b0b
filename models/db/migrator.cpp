#include "migrator.h"

#include "auth/identity.h"
#include "common/clock.h"
#include "common/logcategories.h"
#include "db/database.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QTimeZone>

#include <algorithm>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::Migrator)
};

const QString kCreateMigrationsTable =
    QStringLiteral("CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");

// As a 64-bit number: a newer program may have recorded a version beyond 2^31 (or changed the column to
// BIGINT), and reading that as an int made it 0, a database older than this program.
Result<qint64> currentVersion(QSqlDatabase &db)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")))
        return Database::error(q.lastError(), Tr::tr("reading the schema version"));
    bool ok = false;
    const qint64 version = q.next() ? q.value(0).toLongLong(&ok) : 0;
    if (!ok) {
        return Error{Error::Code::Database,
                     Tr::tr("The schema version \"%1\" in schema_migrations is not a number: this is not a "
                            "database this program can use.")
                         .arg(q.value(0).toString())};
    }
    return version;
}

} // namespace

QList<Migrator::Migration> Migrator::available(DbConfig::Backend backend)
{
    const QString dirPath = backend == DbConfig::Backend::Sqlite ? QStringLiteral(":/sql/sqlite")
                                                                 : QStringLiteral(":/sql/postgresql");
    static const QRegularExpression pattern(QStringLiteral("^(\\d{3})_(\\w+)\\.sql$"));
    QList<Migration> out;
    const QStringList files = QDir(dirPath).entryList(QDir::Files, QDir::Name);
    for (const QString &file : files) {
        const auto match = pattern.match(file);
        if (!match.hasMatch())
            continue;
        QFile f(dirPath + QLatin1Char('/') + file);
        if (!f.open(QIODevice::ReadOnly))
            continue;
        out.append(Migration{match.captured(1).toInt(), match.captured(2), QString::fromUtf8(f.readAll())});
    }
    std::sort(out.begin(), out.end(),
              [](const Migration &a, const Migration &b) { return a.version < b.version; });
    return out;
}

Result<Migrator::Info> Migrator::info(QSqlDatabase &db, const DbConfig &config)
{
    bool exists = false;
    if (config.isPostgres()) {
        // A least-privilege role (hcm_worker) may not create tables: only look when the table is there.
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SELECT to_regclass('schema_migrations') IS NOT NULL")) || !q.next())
            return Database::error(q.lastError(), Tr::tr("reading the schema version"));
        exists = q.value(0).toBool();
    }
    if (!exists) {
        if (auto st = Sql::exec(db, kCreateMigrationsTable, Tr::tr("creating the migrations table")); !st)
            return st.error();
    }
    auto current = currentVersion(db);
    if (!current)
        return current.error();
    Info info;
    info.currentVersion = current.value();
    const auto all = available(config.backend);
    info.latestVersion = all.isEmpty() ? 0 : all.last().version;
    for (const auto &m : all) {
        if (m.version > info.currentVersion)
            info.pending.append(m);
    }
    return info;
}

// What a migration cannot know by itself, put in by the program that runs it: {system_time_zone} is
// this machine's IANA zone as an SQL string (the zone of the maintenance schedules of migration 011).
QString Migrator::withProgramValues(QString statement)
{
    if (statement.contains(QLatin1String("{system_time_zone}"))) {
        QByteArray zone = QTimeZone::systemTimeZoneId();
        if (zone.isEmpty() || !QTimeZone::isTimeZoneIdAvailable(zone))
            zone = QByteArrayLiteral("UTC");
        statement.replace(QLatin1String("{system_time_zone}"),
                          QLatin1Char('\'') +
                              QString::fromLatin1(zone).replace(QLatin1Char('\''), QLatin1String("''")) +
                              QLatin1Char('\''));
    }
    // The OS user running the program (migration 015 on SQLite: the file's first system administrator).
    if (statement.contains(QLatin1String("{os_user}"))) {
        statement.replace(QLatin1String("{os_user}"),
                          QLatin1Char('\'') + osUserName().replace(QLatin1Char('\''), QLatin1String("''")) +
                              QLatin1Char('\''));
    }
    return statement;
}

Status Migrator::migrate(QSqlDatabase &db, const DbConfig &config)
{
    Transaction tx(db);
    if (auto st = tx.begin(); !st)
        return st;
    if (config.isPostgres()) {
        // PostgreSQL's BEGIN does not serialise writers: a transaction-scoped advisory lock does, so two
        // programs starting at once on an empty database do not both create the tables.
        if (auto st = Sql::exec(db, QStringLiteral("SELECT pg_advisory_xact_lock(72430510)"),
                                Tr::tr("waiting for other programs that migrate the database"));
            !st)
            return st;
    }
    // Read the version inside the write transaction: two programs starting at once migrate only once.
    auto inf = info(db, config);
    if (!inf)
        return inf.error();
    if (inf->currentVersion > inf->latestVersion) {
        return Error{
            Error::Code::Conflict,
            Tr::tr("The database %1 was written by a newer version of HCM Admin (schema %2; this program "
                   "knows up to schema %3). Install the newer version; this one will not touch it.")
                .arg(config.displayName())
                .arg(inf->currentVersion)
                .arg(inf->latestVersion)};
    }
    if (inf->pending.isEmpty())
        return tx.commit();

    for (const Migration &m : std::as_const(inf->pending)) {
        const QStringList statements = splitStatements(m.sql);
        for (const QString &statement : statements) {
            QSqlQuery q(db);
            if (!q.exec(withProgramValues(statement))) {
                if (q.lastError().nativeErrorCode() == QLatin1String("42501")) { // insufficient_privilege
                    return Error{
                        Error::Code::Database,
                        Tr::tr(
                            "The database %1 needs migration %2_%3, but this role may not change the schema "
                            "(%4). Start hcmctl or hcm-admin once as the owner role (see "
                            "docs/postgresql.md), then this program again.")
                            .arg(config.displayName())
                            .arg(m.version)
                            .arg(m.name, q.lastError().databaseText())};
                }
                return Database::error(q.lastError(),
                                       Tr::tr("applying migration %1_%2").arg(m.version).arg(m.name));
            }
        }
        QSqlQuery record(db);
        record.prepare(
            QStringLiteral("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)"));
        record.addBindValue(m.version);
        record.addBindValue(m.name);
        record.addBindValue(Clock::system()->nowMs());
        if (auto st = Sql::exec(record, Tr::tr("recording migration %1").arg(m.version)); !st)
            return st;
        qCInfo(lcDb).noquote() << "applied migration" << m.version << m.name << "to" << config.displayName();
    }
    return tx.commit();
}

QStringList Migrator::splitStatements(const QString &sql)
{
    QStringList out;
    QString current;
    int blockDepth = 0;
    bool inDollarQuote = false; // a PostgreSQL function body: $$ … $$
    const QStringList lines = sql.split(QLatin1Char('\n'));
    for (const QString &raw : lines) {
        const QString line = raw.trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1String("--")))
            continue;
        current += raw + QLatin1Char('\n');
        if (line.count(QLatin1String("$$")) % 2 == 1)
            inDollarQuote = !inDollarQuote;
        if (inDollarQuote)
            continue;
        const QString upper = line.toUpper();
        if (upper == QLatin1String("BEGIN") || upper.endsWith(QLatin1String(" BEGIN")))
            ++blockDepth;
        if (line.endsWith(QLatin1Char(';'))) {
            if (blockDepth > 0 && (upper == QLatin1String("END;")))
                --blockDepth;
            if (blockDepth == 0) {
                QString statement = current.trimmed();
                statement.chop(1);
                out.append(statement);
                current.clear();
            }
        }
    }
    if (!current.trimmed().isEmpty())
        out.append(current.trimmed());
    return out;
}

} // namespace hcm
