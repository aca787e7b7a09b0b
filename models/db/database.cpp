#include "database.h"

#include "common/logcategories.h"
#include "db/migrator.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSqlDriver>
#include <QStringList>
#include <QThread>

namespace hcm {

namespace {

// Connections the current thread opened. Its destructor runs when the thread ends, so pool threads and
// QThreads clean up after themselves.
struct ThreadConnections {
    QStringList names;
    ~ThreadConnections() { closeAll(); }
    void closeAll()
    {
        for (const QString &name : std::as_const(names)) {
            {
                QSqlDatabase db = QSqlDatabase::database(name, false);
                if (db.isOpen())
                    db.close();
            }
            QSqlDatabase::removeDatabase(name);
        }
        names.clear();
    }
};

thread_local ThreadConnections t_connections;

QString tr(const char *text)
{
    return QCoreApplication::translate("hcm::Database", text);
}

Status configureSqlite(QSqlDatabase &db, const DbConfig &config)
{
    QSqlQuery q(db);
    // The first statement touches the file: a file that is not a database fails here.
    if (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL"))) {
        const QString text = q.lastError().databaseText();
        if (text.contains(QLatin1String("not a database"), Qt::CaseInsensitive)
            || text.contains(QLatin1String("malformed"), Qt::CaseInsensitive)) {
            return Error{Error::Code::Database,
                         tr("%1 is not an HCM Admin database, or it is damaged (%2). Choose another file "
                            "with --db, or move this one away.")
                             .arg(QDir::toNativeSeparators(config.sqlitePath), text)};
        }
        return Database::error(q.lastError(), tr("opening %1").arg(config.sqlitePath));
    }
    const QStringList pragmas = {
        QStringLiteral("PRAGMA synchronous=NORMAL"),
        QStringLiteral("PRAGMA foreign_keys=ON"),
        QStringLiteral("PRAGMA busy_timeout=%1").arg(config.busyTimeoutMs),
    };
    for (const QString &pragma : pragmas) {
        if (!q.exec(pragma))
            return Database::error(q.lastError(), tr("configuring %1").arg(config.sqlitePath));
    }
    // A quick structural check catches a damaged file before any real work.
    if (!q.exec(QStringLiteral("SELECT count(*) FROM sqlite_master")))
        return Database::error(q.lastError(), tr("reading %1").arg(config.sqlitePath));
    return {};
}

} // namespace

Result<QSqlDatabase> Database::connection(const DbConfig &config)
{
    const QString name = QStringLiteral("hcm:%1:%2")
                             .arg(config.key())
                             .arg(reinterpret_cast<quintptr>(QThread::currentThreadId()), 0, 16);
    if (QSqlDatabase::contains(name)) {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        if (db.isOpen())
            return db;
        QSqlDatabase::removeDatabase(name);
        t_connections.names.removeAll(name);
    }

    if (!config.isSqlite())
        return Error{Error::Code::Database, tr("This build supports SQLite databases only.")};

    const QFileInfo file(config.sqlitePath);
    if (!QDir().mkpath(file.absolutePath())) {
        return Error{Error::Code::Io, tr("Cannot create the folder %1 for the database: check that it is "
                                         "writable.")
                                          .arg(QDir::toNativeSeparators(file.absolutePath()))};
    }
    if (file.exists() && file.isDir()) {
        return Error{Error::Code::Io,
                     tr("%1 is a folder, not a database file.").arg(QDir::toNativeSeparators(file.filePath()))};
    }

    Status status;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(config.sqlitePath);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(config.busyTimeoutMs));
        if (!db.open()) {
            status = error(db.lastError(), tr("opening %1").arg(config.sqlitePath));
        } else {
            status = configureSqlite(db, config);
        }
        if (status.ok()) {
            t_connections.names.append(name);
            qCDebug(lcDb) << "opened connection" << name;
            return db;
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return status.error();
}

Status Database::openAndMigrate(const DbConfig &config)
{
    auto db = connection(config);
    if (!db)
        return db.error();
    QSqlDatabase handle = db.value();
    return Migrator::migrate(handle, config);
}

void Database::closeThreadConnections()
{
    t_connections.closeAll();
}

QString Database::describe(const QSqlError &error)
{
    const QString db = error.databaseText().trimmed();
    const QString driver = error.driverText().trimmed();
    if (db.contains(QLatin1String("database is locked"), Qt::CaseInsensitive))
        return tr("the database is busy: another program kept it locked for too long (%1)").arg(db);
    if (db.contains(QLatin1String("readonly"), Qt::CaseInsensitive)
        || db.contains(QLatin1String("read-only"), Qt::CaseInsensitive))
        return tr("the database file is read-only: check its permissions (%1)").arg(db);
    if (db.contains(QLatin1String("disk is full"), Qt::CaseInsensitive))
        return tr("the disk is full: free some space and try again (%1)").arg(db);
    if (db.isEmpty())
        return driver;
    if (driver.isEmpty() || db == driver)
        return db;
    return db + QLatin1String(" (") + driver + QLatin1Char(')');
}

Error Database::error(const QSqlError &sqlError, const QString &doing)
{
    const QString text = describe(sqlError);
    if (doing.isEmpty())
        return Error{Error::Code::Database, tr("Database error: %1").arg(text)};
    return Error{Error::Code::Database, tr("Database error while %1: %2").arg(doing, text)};
}

bool Database::isBusy(const QSqlError &error)
{
    const QString code = error.nativeErrorCode();
    return code == QLatin1String("5") || code == QLatin1String("517") || code == QLatin1String("6");
}

Transaction::Transaction(QSqlDatabase db)
    : m_db(std::move(db))
{
}

Transaction::~Transaction()
{
    if (m_active)
        rollback();
}

Status Transaction::begin()
{
    QSqlQuery q(m_db);
    const QString statement = m_db.driverName() == QLatin1String("QSQLITE") ? QStringLiteral("BEGIN IMMEDIATE")
                                                                            : QStringLiteral("BEGIN");
    if (!q.exec(statement))
        return Database::error(q.lastError(), tr("starting a transaction"));
    m_active = true;
    return {};
}

Status Transaction::commit()
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("COMMIT"))) {
        const Error err = Database::error(q.lastError(), tr("committing"));
        rollback();
        return err;
    }
    m_active = false;
    return {};
}

void Transaction::rollback()
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("ROLLBACK")))
        qCWarning(lcDb) << "rollback failed:" << q.lastError().text();
    m_active = false;
}

Status Sql::exec(QSqlQuery &query, const QString &doing)
{
    if (!query.exec())
        return Database::error(query.lastError(), doing);
    return {};
}

Status Sql::exec(QSqlDatabase db, const QString &statement, const QString &doing)
{
    QSqlQuery q(db);
    if (!q.exec(statement))
        return Database::error(q.lastError(), doing);
    return {};
}

Status Sql::prepare(QSqlQuery &query, const QString &statement)
{
    if (!query.prepare(statement))
        return Database::error(query.lastError(), tr("preparing a statement"));
    return {};
}

QString Sql::idList(const QList<qint64> &ids)
{
    QString out;
    out.reserve(ids.size() * 8);
    for (qsizetype i = 0; i < ids.size(); ++i) {
        if (i)
            out += QLatin1Char(',');
        out += QString::number(ids.at(i));
    }
    return out;
}

} // namespace hcm
