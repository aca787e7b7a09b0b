#pragma once

#include "db/dbconfig.h"
#include "db/watchthread.h"

#include <QList>
#include <QObject>
#include <QSqlDriver>

#include <atomic>
#include <memory>
#include <optional>

class QTimer;

namespace hcm {

// What travels on the PostgreSQL channel `hcm_jobs`: "kind|origin|count|id,id,…". `origin` names the
// sending process (for diagnostics); ids are left out when they do not fit a NOTIFY payload (count
// still tells how many, and an empty id list means "some jobs": refresh everything). Paused: the paused
// job types changed (no ids).
struct JobEvent {
    enum class Kind { Enqueued, Cancel, Changed, Paused };
    Kind kind = Kind::Changed;
    QString origin;
    int count = 0;
    QList<qint64> ids;

    QString encode() const;
    static std::optional<JobEvent> decode(const QString &payload);
    // This process's origin tag: random, so two processes on two machines never share it.
    static const QString &processOrigin();
};

// A LISTEN connection on its own thread that turns `hcm_jobs` notifications from other processes into
// the in-process JobNotifier signals: jobsEnqueued wakes idle worker pools at once, cancelRequested
// trips a running job's token at once, jobsChanged refreshes job tables (an empty list: refresh all). When
// the server goes away the listener says so, reconnects with backoff and, once back, emits jobsEnqueued(0)
// and jobsChanged({}) because notifications sent meanwhile are lost. One listener per database per process:
// acquire() shares it.
class NotificationListener final : public WatchThread {
public:
    // Starts (or shares) the listener of `config`'s database; nullptr for SQLite. Keep the pointer as
    // long as events are wanted.
    static std::shared_ptr<NotificationListener> acquire(const DbConfig &config);

    // True once LISTEN is in place (after start or after a reconnect).
    bool isListening() const { return isReady(); }
    // Blocks up to `timeoutMs` until listening; for tests and start-up.
    bool waitUntilListening(int timeoutMs) const { return waitUntilReady(timeoutMs); }

private:
    explicit NotificationListener(const DbConfig &config);
};

// Lives in the listener's thread; ready while LISTEN is in place.
class ListenerWorker final : public WatchWorker {
    Q_OBJECT
public:
    explicit ListenerWorker(DbConfig config);
    ~ListenerWorker() override;

    void start() override;
    void stop() override;

private slots:
    void onNotification(const QString &name, QSqlDriver::NotificationSource source, const QVariant &payload);
    void check();

private:
    bool connectAndListen();
    void lost(const QString &why);
    void closeConnection();

    QString m_name;
    QTimer *m_timer = nullptr;
    int m_failures = 0;
    bool m_wasListening = false;
    qint64 m_downSince = 0;
};

} // namespace hcm
