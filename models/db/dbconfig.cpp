#include "dbconfig.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace hcm {

Result<DbConfig> DbConfig::parse(const QString &spec)
{
    const QString trimmed = spec.trimmed();
    if (trimmed.isEmpty())
        return sqlite(defaultSqlitePath());
    if (trimmed.startsWith(QLatin1String("postgres://")) || trimmed.startsWith(QLatin1String("postgresql://"))) {
        return Error{Error::Code::Invalid,
                     QCoreApplication::translate("hcm::DbConfig",
                                                 "PostgreSQL databases are not supported by this build yet; "
                                                 "use a SQLite file path.")};
    }
    if (trimmed.contains(QLatin1String("://"))) {
        return Error{Error::Code::Invalid,
                     QCoreApplication::translate("hcm::DbConfig",
                                                 "Unknown database address \"%1\": give a file path for SQLite.")
                         .arg(trimmed)};
    }
    return sqlite(trimmed);
}

DbConfig DbConfig::sqlite(const QString &path)
{
    DbConfig config;
    config.backend = Backend::Sqlite;
    config.sqlitePath = QFileInfo(path).absoluteFilePath();
    return config;
}

QString DbConfig::defaultSqlitePath()
{
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QLatin1String("/.local/share/hcm-admin");
    return dir + QLatin1String("/hcm.sqlite");
}

QString DbConfig::key() const
{
    return QLatin1String("sqlite:") + sqlitePath;
}

QString DbConfig::displayName() const
{
    return QCoreApplication::translate("hcm::DbConfig", "SQLite %1").arg(QDir::toNativeSeparators(sqlitePath));
}

QString DbConfig::backendName() const
{
    return isSqlite() ? QStringLiteral("sqlite") : QStringLiteral("postgresql");
}

} // namespace hcm
