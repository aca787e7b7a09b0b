#include "dbconfig.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QUrl>
#include <QUrlQuery>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::DbConfig)
};

QString envOr(const char *name, const QString &fallback)
{
    const QString v = qEnvironmentVariable(name);
    return v.isEmpty() ? fallback : v;
}

} // namespace

DbConfig DbConfig::postgresFromEnvironment(const QString &database)
{
    DbConfig config;
    config.backend = Backend::Postgres;
    config.host = envOr("PGHOST", QStringLiteral("localhost"));
    config.port = envOr("PGPORT", QStringLiteral("5432")).toInt();
    if (config.port <= 0)
        config.port = 5432;
    config.user = envOr("PGUSER", qEnvironmentVariable("USER"));
    config.password = qEnvironmentVariable("PGPASSWORD");
    config.databaseName = database.isEmpty() ? envOr("PGDATABASE", config.user) : database;
    return config;
}

Result<DbConfig> DbConfig::parse(const QString &spec)
{
    const QString trimmed = spec.trimmed();
    if (trimmed.isEmpty())
        return sqlite(defaultSqlitePath());
    if (trimmed.startsWith(QLatin1String("postgres://")) ||
        trimmed.startsWith(QLatin1String("postgresql://"))) {
        const QUrl url(trimmed, QUrl::StrictMode);
        if (!url.isValid()) {
            return Error{Error::Code::Invalid,
                         Tr::tr("\"%1\" is not a valid PostgreSQL address (%2). Use "
                                "postgresql://user:password@host:port/database.")
                             .arg(QUrl(trimmed).toDisplayString(QUrl::RemovePassword), url.errorString())};
        }
        // Whatever the URL leaves out comes from libpq's environment variables.
        DbConfig config = postgresFromEnvironment();
        if (!url.host().isEmpty())
            config.host = url.host();
        if (url.port() > 0)
            config.port = url.port();
        if (!url.userName().isEmpty())
            config.user = url.userName();
        if (!url.password().isEmpty())
            config.password = url.password();
        const QString path = url.path().mid(1);
        if (!path.isEmpty())
            config.databaseName = path;
        if (path.contains(QLatin1Char('/')))
            return Error{Error::Code::Invalid,
                         Tr::tr("The database name \"%1\" contains a slash.").arg(path)};
        const QUrlQuery query(url);
        QStringList options;
        for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
            if (key == QLatin1String("host"))
                config.host = value; // libpq's way to give a socket folder: ?host=/run/postgresql
            else if (key == QLatin1String("port"))
                config.port = value.toInt();
            else if (key == QLatin1String("user"))
                config.user = value;
            else if (key == QLatin1String("password"))
                config.password = value;
            else if (key == QLatin1String("dbname"))
                config.databaseName = value;
            else
                options << key + QLatin1Char('=') + value;
        }
        config.connectOptions = options.join(QLatin1Char(';'));
        if (config.databaseName.isEmpty()) {
            return Error{
                Error::Code::Invalid,
                Tr::tr("No PostgreSQL database named: put it in the address (postgresql://host/dbname) or "
                       "set PGDATABASE.")};
        }
        return config;
    }
    if (trimmed.contains(QLatin1String("://"))) {
        return Error{
            Error::Code::Invalid,
            Tr::tr("Unknown database address \"%1\": give a file path for SQLite or a postgresql:// URL.")
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
    if (isSqlite())
        return QLatin1String("sqlite:") + sqlitePath;
    return QStringLiteral("pg:%1@%2:%3/%4").arg(user, host).arg(port).arg(databaseName);
}

QString DbConfig::displayName() const
{
    if (isSqlite())
        return Tr::tr("SQLite %1").arg(QDir::toNativeSeparators(sqlitePath));
    return Tr::tr("PostgreSQL %1@%2:%3/%4").arg(user, host).arg(port).arg(databaseName);
}

QString DbConfig::backendName() const
{
    return isSqlite() ? QStringLiteral("sqlite") : QStringLiteral("postgresql");
}

QString DbConfig::spec() const
{
    if (isSqlite())
        return sqlitePath;
    QUrl url;
    url.setScheme(QStringLiteral("postgresql"));
    if (host.startsWith(QLatin1Char('/'))) {
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("host"), host);
        url.setQuery(q);
    } else {
        url.setHost(host);
    }
    url.setPort(port);
    url.setUserName(user);
    url.setPath(QLatin1Char('/') + databaseName);
    return url.toString();
}

} // namespace hcm
