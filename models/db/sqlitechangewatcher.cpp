#include "sqlitechangewatcher.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "jobs/jobnotifier.h"

#include <QDateTime>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QSqlQuery>
#include <QTimer>

namespace hcm {

namespace {

// After a file event: the first check soon, then again every kRecheckMs until kSettleMs after the last
// event (the event comes with the write, the commit may complete a moment later).
constexpr int kFirstCheckMs = 2;
constexpr int kRecheckMs = 40;
constexpr qint64 kSettleMs = 500;

PerDatabase<SqliteChangeWatcher> g_watchers;

} // namespace

std::shared_ptr<SqliteChangeWatcher> SqliteChangeWatcher::acquire(const DbConfig &config)
{
    if (!config.isSqlite())
        return nullptr;
    return g_watchers.acquire(config, [&] { return new SqliteChangeWatcher(config); });
}

SqliteChangeWatcher::SqliteChangeWatcher(const DbConfig &config)
    : WatchThread(QStringLiteral("hcm-sqlite-watch"), new SqliteWatchWorker(config))
{}

SqliteWatchWorker::SqliteWatchWorker(DbConfig config)
    : WatchWorker(std::move(config))
{}

SqliteWatchWorker::~SqliteWatchWorker() = default;

void SqliteWatchWorker::start()
{
    m_watcher = new QFileSystemWatcher(this);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &SqliteWatchWorker::changed);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, &SqliteWatchWorker::changed);
    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &SqliteWatchWorker::check);
    watchPaths();
    m_version = dataVersion();
    ready = true;
}

void SqliteWatchWorker::stop()
{
    ready = false;
    delete m_watcher;
    m_watcher = nullptr;
    delete m_timer;
    m_timer = nullptr;
    Database::closeThreadConnections();
}

void SqliteWatchWorker::watchPaths()
{
    // A file that is deleted and made again (the -wal file when the last connection closes) leaves the
    // watch: the folder's event says so, and every event adds what is missing.
    const QString path = m_config.sqlitePath;
    QStringList wanted{QFileInfo(path).absolutePath()};
    for (const QString &file : QStringList{path, path + QStringLiteral("-wal")})
        if (QFileInfo::exists(file))
            wanted.append(file);
    const QStringList present = m_watcher->files() + m_watcher->directories();
    for (const QString &p : std::as_const(wanted))
        if (!present.contains(p))
            m_watcher->addPath(p);
}

void SqliteWatchWorker::changed()
{
    if (!m_watcher)
        return;
    m_lastEventMs = QDateTime::currentMSecsSinceEpoch();
    watchPaths();
    if (!m_timer->isActive())
        m_timer->start(kFirstCheckMs);
}

void SqliteWatchWorker::check()
{
    const qint64 version = dataVersion();
    if (version >= 0 && version != m_version) {
        m_version = version;
        emit JobNotifier::instance()->jobsChanged({});
    }
    if (QDateTime::currentMSecsSinceEpoch() - m_lastEventMs < kSettleMs)
        m_timer->start(kRecheckMs);
}

qint64 SqliteWatchWorker::dataVersion()
{
    auto conn = Database::connection(m_config);
    if (!conn) {
        qCWarning(lcDb) << "SQLite change watch: no connection:" << conn.error().message;
        return -1;
    }
    QSqlQuery q(conn.value());
    if (!q.exec(QStringLiteral("PRAGMA data_version")) || !q.next())
        return -1;
    const qint64 version = q.value(0).toLongLong();
    q.finish(); // no read transaction left open
    return version;
}

} // namespace hcm
