// The worker pool in-process on a real SQLite file: wake-ups, completion, cancellation of queued and
// running jobs, time limits, graceful stop with and without grace, and the drained signal.

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "worker/handlers/diagnostichandlers.h"
#include "worker/workerpool.h"

#include <QSqlQuery>

#include <QSignalSpy>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor{QStringLiteral("tester")};

HandlerRegistry diagnostics()
{
    HandlerRegistry registry;
    registerDiagnosticHandlers(registry);
    return registry;
}

WorkerPool::Options options(const DbConfig &db, int concurrency = 2)
{
    WorkerPool::Options o;
    o.env.db = db;
    o.concurrency = concurrency;
    o.pollIntervalMs = 60'000; // wake-ups must come from notifications, not from the poll
    o.changeCheckMs = 0;
    o.leaseMs = 3000;
    o.graceMs = 10'000;
    return o;
}

qint64 enqueue(JobService &service, const QString &type, const QJsonObject &payload = {},
               std::optional<qint64> runAt = std::nullopt, int maxRetries = 3)
{
    NewJob job;
    job.type = type;
    job.payload = payload;
    job.runAt = runAt;
    job.maxRetries = maxRetries;
    auto id = service.enqueue(job, kActor);
    return id ? id.value() : -1;
}

JobStatus statusOf(JobService &service, qint64 id)
{
    auto job = service.get(id);
    return job ? job->status : JobStatus::Queued;
}

} // namespace

class TestWorkerPool : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase()
    {
        JobTypeCatalog::enableTestTypes();
        (void)QSqlDatabase::drivers();
    }
    void cleanup() { Database::closeThreadConnections(); }

    void enqueueWakesThePoolAndJobsComplete()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        WorkerPool pool(options(tdb.config()), diagnostics());
        QSignalSpy changed(&pool, &WorkerPool::jobsChanged);
        QVERIFY(pool.start().ok());
        QVERIFY(pool.isRunning());
        QList<qint64> ids;
        for (int i = 0; i < 20; ++i)
            ids << enqueue(service, QStringLiteral("test.noop"));
        // The poll is a minute away: only the in-process notification can make this pass.
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
            qint64(20), 5000);
        QVERIFY(changed.count() > 0);
        auto job = service.get(ids.first());
        QCOMPARE(job->workerId, pool.workerId());
        QCOMPARE(job->attemptList.size(), 1);
        QCOMPARE(job->attemptList.first().outcome, QStringLiteral("completed"));
        QVERIFY(job->completedAt >= job->startedAt);
        // The worker registry knows this worker.
        auto workers = service.store().workers();
        QVERIFY(workers.ok());
        QCOMPARE(workers->size(), 1);
        QCOMPARE(workers->first().id, pool.workerId());
        QCOMPARE(workers->first().concurrency, 2);
        pool.stopAndWait();
        QCOMPARE(pool.state(), WorkerPool::State::Stopped);
        QVERIFY(service.store().workers()->first().stoppedAt > 0);
    }

    void failuresAreRetriedWithBackoff()
    {
        HCM_TEMP_DATABASE(tdb);
        // The pool and the store take "now" from a clock that moves only when told, so every time
        // written (failures, run_at, attempts) is known to the millisecond and the default schedule
        // (2, 4, 8 minutes) can be checked exactly, from both sides.
        auto clock = std::make_shared<ManualClock>(Clock::system()->nowMs());
        JobService service{JobStore(tdb.config(), clock)};
        JobStore probe(tdb.config(), clock);
        auto opts = options(tdb.config());
        opts.env.clock = clock;
        QCOMPARE(opts.retry.baseMs, qint64(60'000));
        WorkerPool pool(opts, diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.fail"),
                                  {{QStringLiteral("message"), QStringLiteral("nope")}}, std::nullopt, 3);
        const QList<qint64> delays{2 * 60'000, 4 * 60'000, 8 * 60'000};
        const auto retries = [&] {
            auto job = service.get(id);
            return job ? job->retryCount : -1;
        };
        qint64 failedAt = clock->nowMs();
        for (int n = 1; n <= 3; ++n) {
            // Failure n (at failedAt) schedules retry n exactly 2^n minutes later.
            QTRY_COMPARE_WITH_TIMEOUT(retries(), n, 5000);
            auto job = service.get(id);
            QVERIFY(job.ok());
            QCOMPARE_ENUM(job->status, JobStatus::Queued);
            QCOMPARE(job->attemptList.size(), n);
            QCOMPARE(job->attemptList.last().outcome, QStringLiteral("failed"));
            QCOMPARE(job->attemptList.last().finishedAt, failedAt);
            QCOMPARE(job->runAt, failedAt + delays.at(n - 1));
            // One millisecond early nobody can take it (the pool cannot either: the clock stands still).
            clock->setMs(job->runAt - 1);
            auto early = probe.claim(QStringLiteral("probe"), 10, 60'000, {QStringLiteral("test.fail")});
            QVERIFY(early.ok());
            QVERIFY2(early->isEmpty(), "a retry was due before its backoff had passed");
            QCOMPARE_ENUM(statusOf(service, id), JobStatus::Queued);
            // When it is due, the woken pool runs it (and it fails again at that very time).
            clock->setMs(job->runAt);
            failedAt = job->runAt;
            pool.wake();
        }
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Failed),
                                  5000);
        auto job = service.get(id);
        QVERIFY(job.ok());
        QCOMPARE(job->retryCount, 3);
        QCOMPARE(job->errorMessage, QStringLiteral("nope"));
        QCOMPARE(job->completedAt, failedAt);
        QCOMPARE(job->attemptList.size(), 4);
        // Attempt n + 1 started exactly 2^n minutes after attempt n failed: not earlier, not later.
        for (int n = 1; n <= 3; ++n) {
            QCOMPARE(job->attemptList.at(n).startedAt - job->attemptList.at(n - 1).finishedAt,
                     delays.at(n - 1));
        }
        QCOMPARE(job->attemptList.last().finishedAt, failedAt);
        pool.stopAndWait();
    }

    void cancelQueuedJobScheduledInTheFuture()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        WorkerPool pool(options(tdb.config()), diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id =
            enqueue(service, QStringLiteral("test.noop"), {}, Clock::system()->nowMs() + 3'600'000);
        const auto results = service.cancel({id}, kActor);
        QVERIFY(results.first().ok);
        QCOMPARE_ENUM(results.first().status, JobStatus::Cancelled);
        auto job = service.get(id);
        QCOMPARE_ENUM(job->status, JobStatus::Cancelled);
        QVERIFY(job->errorMessage.contains(kActor.name));
        QVERIFY(job->attemptList.isEmpty());
    }

    void cancelRunningJobStopsItAtOnce()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        WorkerPool pool(options(tdb.config()), diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}});
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Processing),
                                  5000);
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(service.cancel({id}, kActor).first().ok);
        QVERIFY(service.get(id)->cancelRequested);
        // The token trips in-process at once; the heartbeat (1 s here) is not needed.
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Cancelled),
                                  5000);
        auto job = service.get(id);
        QVERIFY2(job->errorMessage.startsWith(QLatin1String("Cancelled while running")),
                 qPrintable(job->errorMessage));
        QCOMPARE(job->attemptList.size(), 1);
        QCOMPARE(job->attemptList.first().outcome, QStringLiteral("cancelled"));
        QCOMPARE(job->retryCount, 0);
    }

    void cancelRequestFromAnotherProcessArrivesWithHeartbeat()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config());
        opts.leaseMs = 600; // heartbeat every 200 ms
        WorkerPool pool(opts, diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}});
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        // Another process would only write the flag: do exactly that, without the in-process signal.
        {
            auto db = Database::connection(tdb.config());
            QSqlQuery q(db.value());
            QVERIFY(q.exec(
                QStringLiteral("UPDATE background_jobs SET cancel_requested = 1 WHERE id = %1").arg(id)));
        }
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Cancelled),
                                  5000);
    }

    // Another process enqueues: no in-process signal reaches the pool, and the poll is a minute away.
    // PostgreSQL wakes it with NOTIFY, SQLite with its data_version check.
    void enqueueByAnotherProcessWakesIdlePool()
    {
        HCM_TEMP_DATABASE(tdb);
        auto opts = options(tdb.config());
        opts.changeCheckMs = 50;
        WorkerPool pool(opts, diagnostics());
        QVERIFY(pool.start().ok());
        JobStore other(tdb.config()); // the store alone announces nothing in-process
        NewJob job;
        job.type = QStringLiteral("test.noop");
        auto ids = other.insert({job, job, job}, QStringLiteral("elsewhere"));
        QVERIFY(ids.ok());
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
            qint64(3), 5000);
    }

    // A cancel from another process reaches the running handler at once through NOTIFY, long before
    // the next heartbeat (20 s away here).
    void cancelByAnotherProcessArrivesAtOnce()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!tdb.isPostgres())
            QSKIP("SQLite has no NOTIFY: another process's cancel arrives with the heartbeat (tested above)");
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config());
        opts.leaseMs = 60'000;
        WorkerPool pool(opts, diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}});
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        JobStore other(tdb.config());
        QVERIFY(other.cancel({id}, QStringLiteral("elsewhere")).first().ok);
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Cancelled),
                                  5000);
        QCOMPARE(service.get(id)->attemptList.first().outcome, QStringLiteral("cancelled"));
    }

    // The server drops every connection and refuses new ones for a while: the pool says so, keeps the
    // running job going, reconnects with backoff, writes the result, and takes new work again.
    void databaseOutageIsSurvived()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!tdb.isPostgres())
            QSKIP("an embedded SQLite file cannot go away");
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config());
        opts.leaseMs = 6000;
        WorkerPool pool(opts, diagnostics());
        QSignalSpy errors(&pool, &WorkerPool::errorOccurred);
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 1200}});
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        const QString db = tdb.config().databaseName;
        QVERIFY(postgresAdmin(QStringLiteral("ALTER DATABASE %1 ALLOW_CONNECTIONS false").arg(db)));
        QVERIFY(postgresAdmin(QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                             "WHERE datname = '%1'")
                                  .arg(db)));
        // The job finishes while the database is away; the pool notices when it writes the result.
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 10'000);
        QVERIFY2(errors.first().first().toString().contains(QLatin1String("unreachable")),
                 qPrintable(errors.first().first().toString()));
        QCOMPARE(pool.state(), WorkerPool::State::Running);
        QVERIFY(postgresAdmin(QStringLiteral("ALTER DATABASE %1 ALLOW_CONNECTIONS true").arg(db)));
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Completed),
                                  15'000);
        auto job = service.get(id);
        QCOMPARE(job->attemptList.size(), 1);
        QCOMPARE(job->workerId, pool.workerId());
        QCOMPARE(job->retryCount, 0);
        // And it carries on: a job enqueued by another process is picked up without the poll.
        JobStore other(tdb.config());
        NewJob next;
        next.type = QStringLiteral("test.noop");
        const qint64 later = other.insert({next}, QStringLiteral("elsewhere")).value().first();
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, later)),
                                  hcm::toString(JobStatus::Completed), 10'000);
        pool.stopAndWait();
    }

    void timeLimitFailsTheAttempt()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config());
        opts.timeoutSeconds.insert(QStringLiteral("test.sleep"), 1);
        WorkerPool pool(opts, diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id =
            enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}}, std::nullopt, 0);
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Failed),
                                  10'000);
        auto job = service.get(id);
        QVERIFY2(job->errorMessage.startsWith(QLatin1String("Timed out after 1 s")),
                 qPrintable(job->errorMessage));
        QCOMPARE(job->attemptList.first().outcome, QStringLiteral("timed_out"));
    }

    void stopWithoutGraceRequeuesRunningJobsUnspent()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config(), 1);
        opts.prefetch = 3;
        WorkerPool pool(opts, diagnostics());
        QVERIFY(pool.start().ok());
        QList<qint64> ids;
        for (int i = 0; i < 4; ++i)
            ids << enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}});
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                                           QStringLiteral("status = 'processing'")),
                                  qint64(4), 5000);
        QElapsedTimer timer;
        timer.start();
        pool.stopAndWait(0);
        QVERIFY(timer.elapsed() < 5000);
        // All four are queued again; none spent a retry; the three never started have no attempt.
        for (qint64 id : ids) {
            auto job = service.get(id);
            QCOMPARE_ENUM(job->status, JobStatus::Queued);
            QCOMPARE(job->retryCount, 0);
        }
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_attempts")), qint64(1));
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("job_attempts"), QStringLiteral("outcome = 'interrupted'")),
            qint64(1));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("attempts = 0")),
                 qint64(3));
    }

    void stopWithGraceLetsRunningJobsFinish()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        WorkerPool pool(options(tdb.config()), diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 500}});
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        QSignalSpy stopped(&pool, &WorkerPool::stopped);
        pool.stop();
        QCOMPARE(pool.state(), WorkerPool::State::Stopping);
        // Nothing new starts while draining.
        const qint64 late = enqueue(service, QStringLiteral("test.noop"));
        QTRY_COMPARE_WITH_TIMEOUT(stopped.count(), 1, 10'000);
        QCOMPARE_ENUM(statusOf(service, id), JobStatus::Completed);
        QCOMPARE_ENUM(statusOf(service, late), JobStatus::Queued);
    }

    void handlerIgnoringStopIsAbandonedAndRequeued()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        WorkerPool pool(options(tdb.config()), diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"),
                                  {{QStringLiteral("ms"), 7000}, {QStringLiteral("ignore_cancel"), true}});
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        pool.stopAndWait(0); // asks to stop, waits 5 s more, then gives the job back
        auto job = service.get(id);
        QCOMPARE_ENUM(job->status, JobStatus::Queued);
        QCOMPARE(job->retryCount, 0);
        QVERIFY(job->errorMessage.contains(QLatin1String("stopped while the job was running")));
    }

    void onceModeDrains()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        for (int i = 0; i < 50; ++i)
            enqueue(service, QStringLiteral("test.noop"));
        enqueue(service, QStringLiteral("test.noop"), {}, Clock::system()->nowMs() + 3'600'000); // not due
        auto opts = options(tdb.config());
        opts.once = true;
        WorkerPool pool(opts, diagnostics());
        QSignalSpy drained(&pool, &WorkerPool::drained);
        QVERIFY(pool.start().ok());
        QTRY_VERIFY_WITH_TIMEOUT(drained.count() >= 1, 5000);
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
            qint64(50));
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'queued'")),
            qint64(1));
    }

    void brokenDatabaseFailsToStart()
    {
        QFETCH_GLOBAL(QString, backend);
        QTemporaryDir dir;
        DbConfig broken = DbConfig::sqlite(dir.path()); // a folder, not a file
        QString expected = QStringLiteral("folder");
        if (backend == QLatin1String("postgresql")) {
            broken = DbConfig::postgresFromEnvironment(QStringLiteral("hcm_nowhere"));
            broken.host = QStringLiteral("127.0.0.1");
            broken.port = 1; // nothing listens there
            expected = QStringLiteral("Cannot connect");
        }
        auto opts = options(broken);
        WorkerPool pool(opts, diagnostics());
        const Status st = pool.start();
        QVERIFY(!st.ok());
        QVERIFY2(st.error().message.contains(expected), qPrintable(st.error().message));
        QCOMPARE(pool.state(), WorkerPool::State::Stopped);
    }
};

QTEST_GUILESS_MAIN(TestWorkerPool)
#include "tst_workerpool.moc"
