#include "database.h"

#include "common/logcategories.h"
#include "common/privatefiles.h"
#include "common/redaction.h"
#include "db/migrator.h"
#include "db/sqlitestatement.h"
#include "db/threadstatements.h"
#include "db/writegroup.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSqlDriver>
#include <QStringList>
#include <QThread>

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <memory>

namespace hcm {

namespace {

// Connections the current thread opened. Its destructor runs when the thread ends, so pool threads and
// QThreads clean up after themselves.
struct ThreadConnections {
    QStringList names;
    QStringList broken; // lost their server: reopened on next use
    // Sql::cached(): statements prepared once per connection ("name\x1fsql"), gone before their connection.
    QHash<QString, std::shared_ptr<QSqlQuery>> statements;
    std::deque<std::unique_ptr<QSqlQuery>> scratch; // other connections' statements, the latest few
    // Sql::cachedSqlite(): the same on SQLite's own handle ("name\x1fsql"), finalised before their
    // connection.
    QHash<QString, std::shared_ptr<SqliteStatement>> sqliteStatements;
    ~ThreadConnections() { closeAll(); }
    void closeAll()
    {
        if (!QCoreApplication::instance()) {
            // The program is exiting (a thread that outlived the application object): Qt's connection
            // registry may already be gone. The process ends anyway; leave the connections and their
            // statements to it. Empty containers are not left: they hold nothing of Qt's, and their
            // own memory would be a leak at every exit (the main thread's connections are closed with
            // the application object, closeWithApplication(), so they come here empty).
            if (!statements.isEmpty())
                new QHash<QString, std::shared_ptr<QSqlQuery>>(std::move(statements));
            if (!scratch.empty())
                new std::deque<std::unique_ptr<QSqlQuery>>(std::move(scratch));
            if (!sqliteStatements.isEmpty())
                new QHash<QString, std::shared_ptr<SqliteStatement>>(std::move(sqliteStatements));
            names.clear();
            broken.clear();
            return;
        }
        statements.clear();
        scratch.clear();
        sqliteStatements.clear();
        for (const QString &name : std::as_const(names)) {
            {
                QSqlDatabase db = QSqlDatabase::database(name, false);
                if (db.isOpen())
                    db.close();
            }
            QSqlDatabase::removeDatabase(name);
        }
        names.clear();
        broken.clear();
    }
    void drop(const QString &name)
    {
        const QString prefix = name + QChar(0x1f);
        for (auto it = statements.begin(); it != statements.end();)
            it = it.key().startsWith(prefix) ? statements.erase(it) : std::next(it);
        for (auto it = sqliteStatements.begin(); it != sqliteStatements.end();)
            it = it.key().startsWith(prefix) ? sqliteStatements.erase(it) : std::next(it);
        {
            QSqlDatabase db = QSqlDatabase::database(name, false);
            if (db.isOpen())
                db.close();
        }
        QSqlDatabase::removeDatabase(name);
        names.removeAll(name);
        broken.removeAll(name);
    }
};

thread_local ThreadConnections t_connections;

// The main thread's connections outlive main() in t_connections, whose destructor runs after the
// application object is gone, when closing them is no longer safe. So they are closed while it still
// exists: in a post routine, which ~QCoreApplication calls on the main thread before it clears
// QCoreApplication::instance(). Registered once per application object, by the main thread only.
bool s_closeWithApplication = false;

void closeWithApplication()
{
    const QCoreApplication *app = QCoreApplication::instance();
    // The flag is read after the thread check: only the main thread touches it.
    if (!app || QThread::currentThread() != app->thread() || s_closeWithApplication)
        return;
    s_closeWithApplication = true;
    qAddPostRoutine([] {
        t_connections.closeAll();
        s_closeWithApplication = false;
    });
}

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::Database)
};

Status configureSqlite(QSqlDatabase &db, const DbConfig &config)
{
    QSqlQuery q(db);
    // The first statement touches the file: a file that is not a database fails here.
    if (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL"))) {
        const QString text = q.lastError().databaseText();
        if (text.contains(QLatin1String("not a database"), Qt::CaseInsensitive) ||
            text.contains(QLatin1String("malformed"), Qt::CaseInsensitive)) {
            return Error{
                Error::Code::Database,
                Tr::tr("%1 is not an SQLite database file, or it is damaged (%2). Choose another file "
                       "with --db, or move this one away.")
                    .arg(QDir::toNativeSeparators(config.sqlitePath), text)};
        }
        return Database::error(q.lastError(), Tr::tr("opening %1").arg(config.sqlitePath));
    }
    const QStringList pragmas = {
        QStringLiteral("PRAGMA synchronous=NORMAL"),
        QStringLiteral("PRAGMA foreign_keys=ON"),
        QStringLiteral("PRAGMA busy_timeout=%1").arg(config.busyTimeoutMs),
        // A 32 MiB page cache per connection (the default is 2 MiB, smaller than the indexes of a busy
        // queue) and temporary tables (RETURNING uses them) in memory. No mmap: it made a count over a
        // million rows show up as 250 MB of resident memory, for little speed.
        QStringLiteral("PRAGMA cache_size=-32768"),
        QStringLiteral("PRAGMA temp_store=MEMORY"),
    };
    for (const QString &pragma : pragmas) {
        if (!q.exec(pragma))
            return Database::error(q.lastError(), Tr::tr("configuring %1").arg(config.sqlitePath));
    }
    // A quick structural check catches a damaged file before any real work.
    if (!q.exec(QStringLiteral("SELECT count(*) FROM sqlite_master")))
        return Database::error(q.lastError(), Tr::tr("reading %1").arg(config.sqlitePath));
    return {};
}

QString nativePath(const QString &path)
{
    return QDir::toNativeSeparators(path);
}

// Checks the SQLite file before the driver sees it, so that the message says what is wrong with the file
// (the driver reports most of these as "disk I/O error"). A missing file is created, with its folders,
// only when the config allows it; it is made 0600 and new folders 0700 whatever the umask. SQLite gives
// the WAL, SHM and journal files the mode of the database file. Existing files that others can read are
// repaired; of the folders only the product's own data folder is, never a folder of a path the user
// chose.
Status prepareSqliteFile(const DbConfig &config)
{
    const QString path = config.sqlitePath;
    const QByteArray name = QFile::encodeName(path);
    struct stat st = {};
    if (::stat(name.constData(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return Error{Error::Code::Io,
                         Tr::tr("%1 is a folder, not a database file.").arg(nativePath(path))};
        if (!S_ISREG(st.st_mode)) {
            return Error{Error::Code::Io,
                         Tr::tr("%1 is not an SQLite database file: it is a device, a pipe or a socket.")
                             .arg(nativePath(path))};
        }
        if (::access(name.constData(), R_OK | W_OK) != 0) {
            return Error{Error::Code::Io,
                         Tr::tr("Cannot open %1: %2.")
                             .arg(nativePath(path), QString::fromLocal8Bit(std::strerror(errno)))};
        }
    } else if (errno != ENOENT) {
        return Error{Error::Code::Io,
                     Tr::tr("Cannot open %1: %2.")
                         .arg(nativePath(path), QString::fromLocal8Bit(std::strerror(errno)))};
    } else if (!config.createIfMissing) {
        return Error{
            Error::Code::NotFound,
            Tr::tr("There is no database at %1; create it with \"hcmctl db migrate --db %1\" (or start "
                   "hcm-admin or hcm-worker with it).")
                .arg(nativePath(path))};
    } else {
        const QString folder = QFileInfo(path).absolutePath();
        if (auto made = PrivateFiles::makeDirectory(folder); !made) {
            return Error{Error::Code::Io, Tr::tr("Cannot create the folder %1 for the database: %2")
                                              .arg(nativePath(folder), made.error().message)};
        }
        if (auto made = PrivateFiles::createFile(path); !made)
            return made;
    }
    return {};
}

// Once the file is known to be a database (a file that is not one is left exactly as it was).
void restrictSqliteFiles(const DbConfig &config)
{
    const QString &path = config.sqlitePath;
    if (path == DbConfig::defaultSqlitePath())
        PrivateFiles::restrict(QFileInfo(path).absolutePath(), lcDb());
    for (const char *suffix : {"", "-wal", "-shm", "-journal"})
        PrivateFiles::restrict(path + QLatin1String(suffix), lcDb());
}

} // namespace

Result<QSqlDatabase> Database::connection(const DbConfig &config)
{
    const QString name = QStringLiteral("hcm:%1:%2")
                             .arg(config.key())
                             .arg(reinterpret_cast<quintptr>(QThread::currentThreadId()), 0, 16);
    if (QSqlDatabase::contains(name)) {
        if (t_connections.broken.contains(name)) {
            qCInfo(lcDb).noquote() << "reopening the connection to" << config.displayName();
            t_connections.drop(name);
        } else {
            QSqlDatabase db = QSqlDatabase::database(name, false);
            if (db.isOpen())
                return db;
            t_connections.drop(name);
        }
    }
    auto db = open(config, name);
    if (!db)
        return db.error();
    t_connections.names.append(name);
    closeWithApplication();
    qCDebug(lcDb) << "opened connection" << name;
    return db;
}

Result<QSqlDatabase> Database::open(const DbConfig &config, const QString &name)
{
    if (config.isPostgres())
        return openPostgres(config, name);

    if (auto st = prepareSqliteFile(config); !st)
        return st.error();

    Status status;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(config.sqlitePath);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(config.busyTimeoutMs));
        if (!db.open()) {
            status = error(db.lastError(), Tr::tr("opening %1").arg(config.sqlitePath));
        } else {
            status = configureSqlite(db, config);
        }
        if (status.ok()) {
            restrictSqliteFiles(config);
            return db;
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return status.error();
}

Result<QSqlDatabase> Database::openPostgres(const DbConfig &config, const QString &name)
{
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL"))) {
        return Error{
            Error::Code::Database,
            Tr::tr("Qt's PostgreSQL driver (QPSQL) is not installed: install the package libqt6sql6-psql.")};
    }
    Status status;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        db.setHostName(config.host);
        db.setPort(config.port);
        db.setUserName(config.user);
        db.setPassword(config.password);
        db.setDatabaseName(config.databaseName);
        QStringList options{QStringLiteral("connect_timeout=%1").arg(qMax(1, config.busyTimeoutMs / 2000)),
                            QStringLiteral("application_name=%1")
                                .arg(QCoreApplication::applicationName().isEmpty()
                                         ? QStringLiteral("hcm")
                                         : QCoreApplication::applicationName())};
        if (!config.connectOptions.isEmpty())
            options << config.connectOptions;
        db.setConnectOptions(options.join(QLatin1Char(';')));
        if (!db.open()) {
            status =
                Error{Error::Code::Database,
                      Tr::tr("Cannot connect to %1: %2").arg(config.displayName(), describe(db.lastError()))};
        } else {
            QSqlQuery q(db);
            // Notices ("relation already exists, skipping") would go to stderr through libpq.
            if (!q.exec(QStringLiteral("SET client_min_messages TO warning")))
                status = error(q.lastError(),
                               Tr::tr("configuring the connection to %1").arg(config.displayName()));
        }
        if (status.ok())
            return db;
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return status.error();
}

Status Database::ping(const DbConfig &config)
{
    auto db = connection(config);
    if (!db)
        return db.error();
    QSqlQuery q(db.value());
    if (!q.exec(QStringLiteral("SELECT 1")))
        return error(q.lastError(), Tr::tr("checking the connection"));
    return {};
}

bool Database::isConnectionLost(const QSqlError &error)
{
    if (error.type() == QSqlError::ConnectionError)
        return true;
    const QString code = error.nativeErrorCode();
    if (code.startsWith(QLatin1String("08")) || code == QLatin1String("57P01") ||
        code == QLatin1String("57P02") || code == QLatin1String("57P03"))
        return true;
    static const char *const texts[] = {
        "server closed the connection", "no connection to the server",
        "terminating connection",       "could not connect",
        "connection refused",           "could not send data",
        "could not receive data",       "connection to server",
        "the database system is",       "ssl syscall",
        "connection not open",          "broken pipe",
    };
    const QString all = (error.databaseText() + QLatin1Char(' ') + error.driverText()).toLower();
    for (const char *t : texts) {
        if (all.contains(QLatin1String(t)))
            return true;
    }
    return false;
}

// SQLite: an error naming the file and what to do when PRAGMA quick_check finds it damaged.
// quick_check reads every page and checks its structure (not indexes against their tables, which
// integrity_check does at many times the cost). A healthy file costs it the same with or without a
// limit on the errors reported, about 2 to 9 s for 1,000,000 jobs (340 MB): the check gets a time budget,
// so a small file is checked in full and a large one as far as the budget goes (the rest is found by
// the statements that read it, which the worker retries with backoff and reports).
static Status checkSqliteFile(QSqlDatabase &db, const DbConfig &config)
{
    constexpr qint64 kBudgetMs = 500;
    sqlite3 *handle = sqliteHandle(db);
    QElapsedTimer timer;
    timer.start();
    if (handle) {
        sqlite3_progress_handler(
            handle, 10000,
            [](void *t) { return static_cast<QElapsedTimer *>(t)->elapsed() > kBudgetMs ? 1 : 0; }, &timer);
    }
    QSqlQuery q(db);
    QString problem;
    const bool ran = q.exec(QStringLiteral("PRAGMA quick_check(1)"));
    const bool interrupted = !ran && (q.lastError().nativeErrorCode() == QString::number(SQLITE_INTERRUPT) ||
                                      (handle && sqlite3_errcode(handle) == SQLITE_INTERRUPT));
    if (!ran && !interrupted)
        problem = Database::describe(q.lastError());
    else if (ran && !q.next())
        problem = Tr::tr("the check returned nothing");
    else if (ran && q.value(0).toString() != QLatin1String("ok"))
        problem = q.value(0).toString().simplified(); // "*** in database main ***\nPage 96: …" on one line
    q.finish();
    if (handle)
        sqlite3_progress_handler(handle, 0, nullptr, nullptr);
    if (interrupted)
        qCInfo(lcDb).noquote() << "checked" << config.sqlitePath << "in part (the check's" << kBudgetMs
                               << "ms were up)";
    if (problem.isEmpty())
        return {};
    return Error{
        Error::Code::Database,
        Tr::tr("The database file %1 is damaged (%2). Stop every program that uses it and restore it "
               "from a backup, or recover what is readable with: sqlite3 \"%1\" .recover | sqlite3 "
               "recovered.db")
            .arg(QDir::toNativeSeparators(config.sqlitePath), problem)};
}

Status Database::openAndMigrate(const DbConfig &config)
{
    auto db = connection(config);
    if (!db)
        return db.error();
    QSqlDatabase handle = db.value();
    if (config.isSqlite()) {
        if (auto st = checkSqliteFile(handle, config); !st)
            return st;
    }
    return Migrator::migrate(handle, config);
}

QSqlQuery &Sql::cached(const QSqlDatabase &db, const QString &statement)
{
    const QString name = db.connectionName();
    if (!t_connections.names.contains(name)) {
        // Not a connection of Database::connection() on this thread: nobody would drop the statement.
        t_connections.scratch.push_back(std::make_unique<QSqlQuery>(db));
        if (t_connections.scratch.size() > 4)
            t_connections.scratch.pop_front();
        QSqlQuery &q = *t_connections.scratch.back();
        q.setForwardOnly(true);
        q.prepare(statement);
        return q;
    }
    const QString key = name + QChar(0x1f) + statement;
    std::shared_ptr<QSqlQuery> &slot = t_connections.statements[key];
    if (!slot) {
        slot = std::make_shared<QSqlQuery>(db);
        // Forward only: Qt's SQLite result otherwise sets up a cache of 128 rows of QVariants on every
        // exec (and clears it on the next), which cost more than SQLite's own work for one row.
        slot->setForwardOnly(true);
        if (!slot->prepare(statement)) {
            // Not kept: exec() reports the error; the next call prepares again.
            t_connections.scratch.push_back(std::make_unique<QSqlQuery>(std::move(*slot)));
            if (t_connections.scratch.size() > 4)
                t_connections.scratch.pop_front();
            t_connections.statements.remove(key);
            return *t_connections.scratch.back();
        }
    }
    slot->finish();
    return *slot;
}

Status Sql::runFixed(const QSqlDatabase &db, const char *statement, const QString &doing)
{
    if (SqliteStatement *kept = cachedSqlite(db, QByteArray::fromRawData(statement, qstrlen(statement))))
        return kept->run(doing);
    return exec(db, QString::fromLatin1(statement), doing);
}

SqliteStatement *Sql::cachedSqlite(const QSqlDatabase &db, const QByteArray &statement)
{
    const QString name = db.connectionName();
    if (!t_connections.names.contains(name) || !sqliteHandle(db))
        return nullptr;
    const QString key = name + QChar(0x1f) + QString::fromUtf8(statement);
    std::shared_ptr<SqliteStatement> &slot = t_connections.sqliteStatements[key];
    if (!slot) {
        slot = std::make_shared<SqliteStatement>(db, statement);
        if (!slot->status(QString()).ok()) {
            // Not kept: the caller takes the Qt path, which reports the error.
            t_connections.sqliteStatements.remove(key);
            return nullptr;
        }
    }
    slot->reset();
    return slot.get();
}

qsizetype threadStatementCount()
{
    return t_connections.statements.size() + qsizetype(t_connections.scratch.size()) +
           t_connections.sqliteStatements.size();
}

void Database::closeThreadConnections()
{
    t_connections.closeAll();
}

QString Database::describe(const QSqlError &error)
{
    // Driver texts may quote connection parameters: they pass the redaction like every message.
    return Redaction::apply(describeText(error));
}

QString Database::describeText(const QSqlError &error)
{
    const QString db = error.databaseText().trimmed();
    const QString driver = error.driverText().trimmed();
    if (db.contains(QLatin1String("database is locked"), Qt::CaseInsensitive))
        return Tr::tr("the database is busy: another program kept it locked for too long (%1)").arg(db);
    if (db.contains(QLatin1String("readonly"), Qt::CaseInsensitive) ||
        db.contains(QLatin1String("read-only"), Qt::CaseInsensitive))
        return Tr::tr("the database file is read-only: check its permissions (%1)").arg(db);
    if (db.contains(QLatin1String("disk is full"), Qt::CaseInsensitive))
        return Tr::tr("the disk is full: free some space and try again (%1)").arg(db);
    if (db.contains(QLatin1String("disk I/O error"), Qt::CaseInsensitive))
        return Tr::tr("the database file could not be read or written (%1)").arg(db);
    if (isConnectionLost(error) && !db.contains(QLatin1String("connection"), Qt::CaseInsensitive))
        return Tr::tr("the connection to the database server was lost (%1)").arg(db.isEmpty() ? driver : db);
    if (db.isEmpty())
        return driver;
    if (driver.isEmpty() || db == driver)
        return db;
    return db + QLatin1String(" (") + driver + QLatin1Char(')');
}

Error Database::error(const QSqlError &sqlError, const QString &doing)
{
    if (isConnectionLost(sqlError)) {
        // The server went away (restart, network, admin): every PostgreSQL connection of this thread is
        // reopened on its next use. The caller's handles are gone by then.
        for (const QString &name : std::as_const(t_connections.names)) {
            if (!name.startsWith(QLatin1String("hcm:sqlite:")) && !t_connections.broken.contains(name))
                t_connections.broken.append(name);
        }
    }
    const QString text = describe(sqlError);
    if (doing.isEmpty())
        return Error{Error::Code::Database, Tr::tr("Database error: %1").arg(text)};
    return Error{Error::Code::Database, Tr::tr("Database error while %1: %2").arg(doing, text)};
}

bool Database::isBusy(const QSqlError &error)
{
    const QString code = error.nativeErrorCode();
    return code == QLatin1String("5") || code == QLatin1String("517") || code == QLatin1String("6");
}

SqliteTriggersOff::SqliteTriggersOff(const QSqlDatabase &db)
{
    sqlite3 *handle = sqliteHandle(db);
    int enabled = 1;
    if (!handle || sqlite3_db_config(handle, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &enabled) != SQLITE_OK ||
        enabled != 0)
        return;
    m_handle = handle;
}

SqliteTriggersOff::~SqliteTriggersOff()
{
    if (m_handle)
        sqlite3_db_config(static_cast<sqlite3 *>(m_handle), SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, nullptr);
}

Transaction::Transaction(QSqlDatabase db)
    : m_db(std::move(db))
{}

Transaction::~Transaction()
{
    if (m_active)
        rollback();
}

Status Transaction::begin()
{
    if (WriteGroup::holds(m_db)) {
        // A piece of a group commit: its changes are a savepoint of the group's transaction, released
        // into it or rolled back alone.
        if (auto st = Sql::runFixed(m_db, "SAVEPOINT hcm_tx", Tr::tr("starting a transaction")); !st)
            return st;
        m_active = true;
        m_savepoint = true;
        return {};
    }
    // SQLite: BEGIN IMMEDIATE (see the class). PostgreSQL: READ COMMITTED; claims lock rows with FOR UPDATE
    // SKIP LOCKED, every other write is one statement or fenced by worker_id and status.
    const bool sqlite = m_db.driverName() == QLatin1String("QSQLITE");
    if (auto st = Sql::runFixed(m_db, sqlite ? "BEGIN IMMEDIATE" : "BEGIN", Tr::tr("starting a transaction"));
        !st)
        return st;
    m_active = true;
    return {};
}

Status Transaction::commit()
{
    if (auto st = Sql::runFixed(m_db, m_savepoint ? "RELEASE hcm_tx" : "COMMIT", Tr::tr("committing")); !st) {
        rollback();
        return st;
    }
    m_active = false;
    return {};
}

void Transaction::rollback()
{
    const Status st = m_savepoint ? Sql::runFixed(m_db, "ROLLBACK TO hcm_tx", Tr::tr("rolling back"))
                                  : Sql::runFixed(m_db, "ROLLBACK", Tr::tr("rolling back"));
    if (!st)
        qCWarning(lcDb).noquote() << "rollback failed:" << st.error().message;
    else if (m_savepoint)
        (void)Sql::runFixed(m_db, "RELEASE hcm_tx", Tr::tr("rolling back"));
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
        return Database::error(query.lastError(), Tr::tr("preparing a statement"));
    return {};
}

Result<qint64> Sql::execInTransaction(QSqlDatabase db, const QString &statement, const QVariantMap &binds,
                                      const QString &doing)
{
    Transaction tx(db);
    if (Status st = tx.begin(); !st)
        return st.error();
    QSqlQuery q(db);
    if (Status st = prepare(q, statement); !st)
        return st.error();
    for (auto it = binds.begin(); it != binds.end(); ++it)
        q.bindValue(it.key(), it.value());
    if (Status st = exec(q, doing); !st)
        return st.error();
    const qint64 n = q.numRowsAffected();
    q.finish();
    if (Status st = tx.commit(); !st)
        return st.error();
    return n;
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

QVariant Sql::nullIfZero(qint64 value)
{
    return value > 0 ? QVariant(value) : QVariant(QMetaType::fromType<qint64>());
}

} // namespace hcm
