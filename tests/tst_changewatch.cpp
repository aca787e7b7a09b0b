// The watchers of other connections' changes, on their own threads: NotificationListener
// (LISTEN hcm_jobs, PostgreSQL) and SqliteChangeWatcher (the file and PRAGMA data_version, SQLite).
// One per database per process, shared while someone holds it; a change committed by another
// connection reaches JobNotifier::jobsChanged; the last holder's release stops the thread.

#include "testutil.h"

#include "db/database.h"
#include "db/notificationlistener.h"
#include "db/sqlitechangewatcher.h"
#include "jobs/jobnotifier.h"

#include <QSignalSpy>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

// The watcher of `config`'s backend, ready; what it holds keeps it alive.
struct Watch {
    std::shared_ptr<NotificationListener> listener;
    std::shared_ptr<SqliteChangeWatcher> watcher;

    explicit Watch(const DbConfig &config)
        : listener(NotificationListener::acquire(config))
        , watcher(SqliteChangeWatcher::acquire(config))
    {}
    bool ready() const
    {
        return listener ? listener->waitUntilListening(10'000) : watcher->waitUntilWatching(10'000);
    }
    void release()
    {
        listener.reset();
        watcher.reset();
    }
    const void *id() const { return listener ? static_cast<const void *>(listener.get()) : watcher.get(); }
};

// What another process would do: a change committed on a connection that is not the watcher's.
bool changeFromElsewhere(const TempDatabase &tdb, QString *error)
{
    if (tdb.isPostgres())
        return execSql(tdb.config(), QStringLiteral("NOTIFY hcm_jobs, 'changed|elsewhere|1|42'"), error);
    return execSql(tdb.config(), QStringLiteral("CREATE TABLE watch_probe (x INTEGER)"), error);
}

} // namespace

class TestChangeWatch : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase() { (void)QSqlDatabase::drivers(); }
    void cleanup() { Database::closeThreadConnections(); }

    void oneWatcherPerDatabaseWhileHeld()
    {
        HCM_TEMP_DATABASE(tdb);
        TempDatabase other; // SQLite: another file
        Watch first(tdb.config());
        QVERIFY(tdb.isPostgres() ? first.listener && !first.watcher : first.watcher && !first.listener);
        QVERIFY(first.ready());
        Watch second(tdb.config());
        QCOMPARE(second.id(), first.id());
        if (!tdb.isPostgres()) {
            Watch elsewhere(other.config());
            QVERIFY(elsewhere.ready());
            QVERIFY(elsewhere.id() != first.id());
        }

        // Released by every holder: the thread stops; the next acquire starts a new one that works.
        std::weak_ptr<NotificationListener> listener = first.listener;
        std::weak_ptr<SqliteChangeWatcher> watcher = first.watcher;
        first.release();
        QVERIFY(!listener.expired() || !watcher.expired());
        second.release();
        QVERIFY(listener.expired() && watcher.expired());
        Watch again(tdb.config());
        QVERIFY(again.ready());
    }

    void changesOfOtherConnectionsArrive()
    {
        HCM_TEMP_DATABASE(tdb);
        Watch watch(tdb.config());
        QVERIFY(watch.ready());
        QSignalSpy changed(JobNotifier::instance(), &JobNotifier::jobsChanged);
        QString error;
        QVERIFY2(changeFromElsewhere(tdb, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty(), 10'000);
        const auto ids = changed.constFirst().constFirst().value<QList<qint64>>();
        QCOMPARE(ids, tdb.isPostgres() ? QList<qint64>{42} : QList<qint64>{});
    }
};

QTEST_GUILESS_MAIN(TestChangeWatch)
#include "tst_changewatch.moc"
