// The worker pool in-process on a real SQLite file: wake-ups, completion, cancellation of queued and
// running jobs, time limits, graceful stop with and without grace, and the drained signal.

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "worker/handlers/diagnostichandlers.h"
#include "worker/workerpool.h"

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
    o.pollIntervalMs = 60'000;  // wake-ups must come from notifications, not from the poll
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
    void initTestCase()
    {
        JobTypeCatalog::enableTestTypes();
        (void)QSqlDatabase::drivers();
    }
    void cleanup() { Database::closeThreadConnections(); }

    void enqueueWakesThePoolAndJobsComplete()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        WorkerPool pool(options(tdb.config()), diagnostics());
        QSignalSpy changed(&pool, &WorkerPool::jobsChanged);
        QVERIFY(pool.start().ok());
        QVERIFY(pool.isRunning());
        QList<qint64> ids;
        for (int i = 0; i < 20; ++i)
            ids << enqueue(service, QStringLiteral("test.noop"));
        // The poll is a minute away: only the in-process notification can make this pass.
        QTRY_COMPARE_WITH_TIMEOUT(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                                           QStringLiteral("status = 'completed'")),
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
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config());
        opts.retry.baseMs = 50;  // retries after 100, 200 ms
        WorkerPool pool(opts, diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.fail"), {{QStringLiteral("message"), QStringLiteral("nope")}},
                                  std::nullopt, 2);
        QTRY_COMPARE_WITH_TIMEOUT(rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'queued'")),
                                  qint64(1), 5000);
        // Retries are due later; the poll (here fast) picks them up.
        pool.stopAndWait();
        opts.pollIntervalMs = 20;
        WorkerPool fast(opts, diagnostics());
        QVERIFY(fast.start().ok());
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Failed), 5000);
        auto job = service.get(id);
        QCOMPARE(job->retryCount, 2);
        QCOMPARE(job->attemptList.size(), 3);
        QCOMPARE(job->errorMessage, QStringLiteral("nope"));
        // Retry n is due 2^n base units after its failure.
        QVERIFY(job->attemptList.at(1).startedAt - job->attemptList.at(0).finishedAt >= 100);
        QVERIFY(job->attemptList.at(2).startedAt - job->attemptList.at(1).finishedAt >= 200);
    }

    void cancelQueuedJobScheduledInTheFuture()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        WorkerPool pool(options(tdb.config()), diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.noop"), {}, Clock::system()->nowMs() + 3'600'000);
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
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        WorkerPool pool(options(tdb.config()), diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}});
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Processing), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(service.cancel({id}, kActor).first().ok);
        QVERIFY(service.get(id)->cancelRequested);
        // The token trips in-process at once; the heartbeat (1 s here) is not needed.
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Cancelled), 5000);
        auto job = service.get(id);
        QVERIFY2(job->errorMessage.startsWith(QLatin1String("Cancelled while running")), qPrintable(job->errorMessage));
        QCOMPARE(job->attemptList.size(), 1);
        QCOMPARE(job->attemptList.first().outcome, QStringLiteral("cancelled"));
        QCOMPARE(job->retryCount, 0);
    }

    void cancelRequestFromAnotherProcessArrivesWithHeartbeat()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config());
        opts.leaseMs = 600;  // heartbeat every 200 ms
        WorkerPool pool(opts, diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}});
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        // Another process would only write the flag: do exactly that, without the in-process signal.
        {
            auto db = Database::connection(tdb.config());
            QSqlQuery q(db.value());
            QVERIFY(q.exec(QStringLiteral("UPDATE background_jobs SET cancel_requested = 1 WHERE id = %1").arg(id)));
        }
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Cancelled), 5000);
    }

    void timeLimitFailsTheAttempt()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config());
        opts.timeoutSeconds.insert(QStringLiteral("test.sleep"), 1);
        WorkerPool pool(opts, diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}}, std::nullopt, 0);
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Failed), 10'000);
        auto job = service.get(id);
        QVERIFY2(job->errorMessage.startsWith(QLatin1String("Timed out after 1 s")), qPrintable(job->errorMessage));
        QCOMPARE(job->attemptList.first().outcome, QStringLiteral("timed_out"));
    }

    void stopWithoutGraceRequeuesRunningJobsUnspent()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config(), 1);
        opts.prefetch = 3;
        WorkerPool pool(opts, diagnostics());
        QVERIFY(pool.start().ok());
        QList<qint64> ids;
        for (int i = 0; i < 4; ++i)
            ids << enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}});
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'processing'")),
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
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_attempts"), QStringLiteral("outcome = 'interrupted'")), qint64(1));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("attempts = 0")), qint64(3));
    }

    void stopWithGraceLetsRunningJobsFinish()
    {
        TempDatabase tdb;
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
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        WorkerPool pool(options(tdb.config()), diagnostics());
        QVERIFY(pool.start().ok());
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"),
                                  {{QStringLiteral("ms"), 7000}, {QStringLiteral("ignore_cancel"), true}});
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        pool.stopAndWait(0);  // asks to stop, waits 5 s more, then gives the job back
        auto job = service.get(id);
        QCOMPARE_ENUM(job->status, JobStatus::Queued);
        QCOMPARE(job->retryCount, 0);
        QVERIFY(job->errorMessage.contains(QLatin1String("stopped while the job was running")));
    }

    void onceModeDrains()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        for (int i = 0; i < 50; ++i)
            enqueue(service, QStringLiteral("test.noop"));
        enqueue(service, QStringLiteral("test.noop"), {}, Clock::system()->nowMs() + 3'600'000);  // not due
        auto opts = options(tdb.config());
        opts.once = true;
        WorkerPool pool(opts, diagnostics());
        QSignalSpy drained(&pool, &WorkerPool::drained);
        QVERIFY(pool.start().ok());
        QTRY_VERIFY_WITH_TIMEOUT(drained.count() >= 1, 5000);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")), qint64(50));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'queued'")), qint64(1));
    }

    void brokenDatabaseFailsToStart()
    {
        QTemporaryDir dir;
        auto opts = options(DbConfig::sqlite(dir.path()));  // a folder, not a file
        WorkerPool pool(opts, diagnostics());
        const Status st = pool.start();
        QVERIFY(!st.ok());
        QVERIFY2(st.error().message.contains(QLatin1String("folder")), qPrintable(st.error().message));
        QCOMPARE(pool.state(), WorkerPool::State::Stopped);
    }
};

QTEST_GUILESS_MAIN(TestWorkerPool)
#include "tst_workerpool.moc"
