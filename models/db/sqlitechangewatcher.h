#pragma once

#include "db/dbconfig.h"
#include "db/watchthread.h"

#include <QObject>

#include <atomic>
#include <memory>

class QFileSystemWatcher;
class QTimer;

namespace hcm {

// What LISTEN/NOTIFY is on PostgreSQL, for a SQLite file: tells this process, through
// JobNotifier::jobsChanged({}) ("some jobs changed: refresh"), that another connection (another
// process: hcm-worker, hcmctl, the API) committed to the file. A thread of its own watches the file,
// its -wal file and its folder (inotify through QFileSystemWatcher: no polling) and, after a change,
// reads `PRAGMA data_version` on its own connection, which changes only when another connection
// committed. A write is seen before its commit is complete, so a change is checked again a few times
// over the following half second. The pages' polls stay the safety net. One watcher per file per
// process: acquire() shares it.
class SqliteChangeWatcher final : public WatchThread {
public:
    // Starts (or shares) the watcher of `config`'s file; nullptr for PostgreSQL.
    static std::shared_ptr<SqliteChangeWatcher> acquire(const DbConfig &config);

    // Blocks up to `timeoutMs` until the watch is in place; for tests and start-up.
    bool waitUntilWatching(int timeoutMs) const { return waitUntilReady(timeoutMs); }

private:
    explicit SqliteChangeWatcher(const DbConfig &config);
};

// Lives in the watcher's thread; ready once the watch is in place.
class SqliteWatchWorker final : public WatchWorker {
    Q_OBJECT
public:
    explicit SqliteWatchWorker(DbConfig config);
    ~SqliteWatchWorker() override;

    void start() override;
    void stop() override;

private:
    void changed();
    void check();
    void watchPaths();
    qint64 dataVersion();

    QFileSystemWatcher *m_watcher = nullptr;
    QTimer *m_timer = nullptr;
    qint64 m_version = -1;
    qint64 m_lastEventMs = 0;
};

} // namespace hcm
