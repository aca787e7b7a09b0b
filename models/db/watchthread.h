#pragma once

#include "db/dbconfig.h"

#include <QHash>
#include <QMutex>
#include <QObject>
#include <QSqlDatabase>
#include <QThread>

#include <atomic>
#include <memory>

namespace hcm {

// What the watchers of other connections' changes (NotificationListener on PostgreSQL,
// SqliteChangeWatcher on SQLite) share: a worker on a thread of its own, one per database per process.

// The part that lives in the watch thread: start() runs there first, stop() last (the thread's owner
// waits for it); `ready` says the watch is in place.
class WatchWorker : public QObject {
    Q_OBJECT
public:
    explicit WatchWorker(DbConfig config)
        : m_config(std::move(config))
    {}
    std::atomic<bool> ready{false};

public slots:
    virtual void start() = 0;
    virtual void stop() = 0;

protected:
    const DbConfig m_config;
};

// Owns the thread: starts it with the worker's start(), runs stop() there at destruction (and waits),
// and deletes the worker in its thread. The watchers are WatchThreads with their own names for ready.
class WatchThread {
public:
    WatchThread(const QString &threadName, WatchWorker *worker);
    virtual ~WatchThread();
    Q_DISABLE_COPY_MOVE(WatchThread)

    bool isReady() const { return m_worker->ready.load(); }
    // Blocks up to `timeoutMs` until the worker is ready; for tests and start-up.
    bool waitUntilReady(int timeoutMs) const;

private:
    QThread m_thread;
    WatchWorker *m_worker; // lives in m_thread, deleted there
};

// The one T of each database in this process: acquire() returns the living one of `config`'s database
// or the one `make()` creates (a T *); it lives as long as someone holds it.
template<typename T> class PerDatabase final {
public:
    template<typename Make> std::shared_ptr<T> acquire(const DbConfig &config, Make make)
    {
        (void)QSqlDatabase::drivers(); // QTBUG-112961: register drivers before another thread opens one
        QMutexLocker lock(&m_mutex);
        if (auto existing = m_living.value(config.key()).lock())
            return existing;
        std::shared_ptr<T> made(make());
        m_living.insert(config.key(), made);
        return made;
    }

private:
    QMutex m_mutex;
    QHash<QString, std::weak_ptr<T>> m_living;
};

} // namespace hcm
