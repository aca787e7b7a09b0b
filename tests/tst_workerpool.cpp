// The worker pool in-process on a real SQLite file and a real PostgreSQL database: a start that returns
// at once and reports its outcome by signals, wake-ups, completion, cancellation of queued and running
// jobs, time limits, graceful stop with and without grace (also right after the start), and drained.
// Over 800 lines on purpose: one suite per component, so that its shared fixtures (databases of both
// backends, servers, processes) are set up once; each test function is self-contained.

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

const Actor kActor = test::adminActor(QStringLiteral("tester"));

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

// start() returns before the worker is registered: wait for the outcome, as a caller would by signals.
bool startAndWait(WorkerPool &pool)
{
    QSignalSpy errors(&pool, &WorkerPool::errorOccurred);
    pool.start();
    if (!QTest::qWaitFor([&] { return pool.state() != WorkerPool::State::Starting; }, 15'000)) {
        qWarning("the pool is still starting");
        return false;
    }
    if (!pool.isRunning())
        qWarning("the pool did not start: %s",
                 errors.isEmpty() ? "no error reported" : qPrintable(errors.first().first().toString()));
    return pool.isRunning();
}

// The lock every write to the workers table waits for, held by this thread's connection until
// release() or destruction: nobody can register a worker meanwhile (readers are not blocked).
class RegistrationLock final {
public:
    explicit RegistrationLock(const DbConfig &config)
        : m_config(config)
    {
        auto db = Database::connection(config);
        if (!db)
            return;
        QSqlQuery q(db.value());
        m_held = config.isPostgres() ? q.exec(QStringLiteral("BEGIN")) &&
                                           q.exec(QStringLiteral("LOCK TABLE workers IN EXCLUSIVE MODE"))
                                     : q.exec(QStringLiteral("BEGIN EXCLUSIVE"));
    }
    ~RegistrationLock() { release(); }
    Q_DISABLE_COPY_MOVE(RegistrationLock)

    bool isHeld() const { return m_held; }
    void release()
    {
        if (!std::exchange(m_held, false))
            return;
        auto db = Database::connection(m_config);
        QSqlQuery q(db.value());
        if (!q.exec(QStringLiteral("ROLLBACK")))
            qWarning("could not release the lock on workers");
    }

private:
    DbConfig m_config;
    bool m_held = false;
};

QString stateName(WorkerPool::State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<WorkerPool::State>().valueToKey(int(state)));
}

// The pool's signals in the order they arrived (runs of jobsChanged count once).
class SignalLog final : public QObject {
public:
    explicit SignalLog(WorkerPool &pool)
    {
        connect(&pool, &WorkerPool::stateChanged, this,
                [this](WorkerPool::State state) { events.append(stateName(state)); });
        connect(&pool, &WorkerPool::jobsChanged, this, [this](const QList<qint64> &) {
            if (events.isEmpty() || events.last() != QLatin1String("jobsChanged"))
                events.append(QStringLiteral("jobsChanged"));
        });
        connect(&pool, &WorkerPool::errorOccurred, this, [this, &pool](const QString &message) {
            events.append(QStringLiteral("errorOccurred while ") + stateName(pool.state()));
            errors.append(message);
        });
        connect(&pool, &WorkerPool::stopped, this, [this] { events.append(QStringLiteral("stopped")); });
    }

    QStringList events;
    QStringList errors;
};

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
        QVERIFY(startAndWait(pool));
        QVERIFY(pool.isRunning());
        QList<qint64> ids;
        for (int i = 0; i < 20; ++i)
            ids << enqueue(service, QStringLiteral("test.noop"));
        // The poll is a minute away: only the in-process notification can make this pass.
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
            qint64(20), 5000);
        // The pool's signals are queued to this thread: the jobs may all be done before it has run its
        // event loop once.
        QTRY_VERIFY_WITH_TIMEOUT(changed.count() > 0, 5000);
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
        QVERIFY(startAndWait(pool));
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
        QVERIFY(startAndWait(pool));
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
        // A heartbeat only every 200 s (a third of the lease): a cancel request that waited for it, as one
        // from another process does, could not end the job within the test's five seconds.
        auto opts = options(tdb.config());
        opts.leaseMs = 600'000;
        WorkerPool pool(opts, diagnostics());
        QVERIFY(startAndWait(pool));
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}});
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Processing),
                                  5000);
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        QVERIFY(service.cancel({id}, kActor).first().ok);
        QVERIFY(service.get(id)->cancelRequested);
        // The token trips in-process at once (JobNotifier), without the heartbeat.
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
        QVERIFY(startAndWait(pool));
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
        QVERIFY(startAndWait(pool));
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
        QVERIFY(startAndWait(pool));
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
        QVERIFY(startAndWait(pool));
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

    // A result the database refuses for good (here a trigger that rejects one job's row) must not hold
    // back the other results of its batch: they are saved, the refused one is kept and retried with
    // backoff, and saved once the database takes it.
    void oneRefusedResultDoesNotHoldBackTheBatch()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!tdb.isPostgres())
            QSKIP("needs a trigger on job_archive (PostgreSQL)");
        JobService service{JobStore(tdb.config())};
        QList<qint64> ids;
        for (int i = 0; i < 12; ++i)
            ids << enqueue(service, QStringLiteral("test.noop"));
        const qint64 refused = ids.at(5);
        auto db = Database::connection(tdb.config());
        QVERIFY(db.ok());
        QSqlQuery q(db.value());
        QVERIFY(
            q.exec(QStringLiteral("CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ "
                                  "BEGIN IF NEW.id = %1 THEN RAISE EXCEPTION 'refused for the test'; END IF; "
                                  "RETURN NEW; END $$")
                       .arg(refused)));
        QVERIFY(q.exec(QStringLiteral("CREATE TRIGGER refuse_one BEFORE INSERT ON job_archive FOR EACH ROW "
                                      "EXECUTE FUNCTION refuse_one()")));
        auto opts = options(tdb.config(), 4);
        opts.prefetch = 16; // one claim, one batch of results
        WorkerPool pool(opts, diagnostics());
        QSignalSpy errors(&pool, &WorkerPool::errorOccurred);
        QVERIFY(startAndWait(pool));
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
            qint64(11), 10'000);
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 5000);
        QVERIFY2(errors.last().first().toString().contains(QLatin1String("refused for the test")),
                 qPrintable(errors.last().first().toString()));
        QCOMPARE_ENUM(statusOf(service, refused), JobStatus::Processing);
        QCOMPARE(pool.state(), WorkerPool::State::Running);

        QVERIFY(q.exec(QStringLiteral("DROP TRIGGER refuse_one ON job_archive")));
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, refused)),
                                  hcm::toString(JobStatus::Completed), 15'000);
        QCOMPARE(service.get(refused)->attemptList.size(), 1);
        pool.stopAndWait();
    }

    // Claims the database keeps refusing (SQLite: the claim's index is gone; PostgreSQL: a trigger
    // refuses them) are retried with a growing delay up to a cap, each retry reported; the error reaches
    // the worker's row with the heartbeat, and once the database is repaired the jobs run and the error
    // is cleared. With `once`, the pool gives up after the bounded number of tries instead.
    void refusedClaimsBackOffAndReportTheError()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        for (int i = 0; i < 3; ++i)
            enqueue(service, QStringLiteral("test.noop"));
        auto db = Database::connection(tdb.config());
        QVERIFY(db.ok());
        QSqlQuery q(db.value());
        if (tdb.isPostgres()) {
            QVERIFY(q.exec(
                QStringLiteral("CREATE FUNCTION refuse_claims() RETURNS trigger LANGUAGE plpgsql AS $$ "
                               "BEGIN RAISE EXCEPTION 'claims refused for the test'; END $$")));
            QVERIFY(
                q.exec(QStringLiteral("CREATE TRIGGER refuse_claims BEFORE UPDATE ON job_queue FOR EACH ROW "
                                      "WHEN (NEW.status = 'processing') EXECUTE FUNCTION refuse_claims()")));
        } else {
            QVERIFY(q.exec(QStringLiteral("DROP INDEX idx_jobs_queue")));
        }
        const QString expected = tdb.isPostgres() ? QStringLiteral("claims refused for the test")
                                                  : QStringLiteral("idx_jobs_queue");
        {
            auto opts = options(tdb.config());
            opts.once = true;
            opts.onceClaimAttempts = 3;
            opts.claimRetryMs = 20;
            WorkerPool pool(opts, diagnostics());
            QSignalSpy gaveUp(&pool, &WorkerPool::gaveUp);
            QVERIFY(startAndWait(pool));
            QTRY_COMPARE_WITH_TIMEOUT(gaveUp.count(), 1, 10'000);
            const QString message = gaveUp.first().first().toString();
            QVERIFY2(message.contains(QLatin1String("refused 3 claims in a row")) &&
                         message.contains(expected),
                     qPrintable(message));
            pool.stopAndWait();
        }
        auto opts = options(tdb.config());
        opts.leaseMs = 600; // a heartbeat every 200 ms
        opts.claimRetryMs = 50;
        opts.claimRetryMaxMs = 400;
        WorkerPool pool(opts, diagnostics());
        QSignalSpy errors(&pool, &WorkerPool::errorOccurred);
        QSignalSpy gaveUp(&pool, &WorkerPool::gaveUp);
        const auto lastError = [&] {
            for (const WorkerInfo &w : service.store().workers().value())
                if (w.id == pool.workerId())
                    return w.lastError;
            return QStringLiteral("(not registered)");
        };
        QVERIFY(startAndWait(pool));
        QTRY_VERIFY_WITH_TIMEOUT(errors.count() >= 6, 15'000);
        QList<double> delays;
        const QRegularExpression retry(QStringLiteral("retrying in ([0-9.]+) s"));
        for (const auto &e : std::as_const(errors)) {
            const QString text = e.first().toString();
            QVERIFY2(text.contains(expected), qPrintable(text));
            if (const auto m = retry.match(text); m.hasMatch())
                delays << m.captured(1).toDouble();
        }
        QVERIFY(delays.size() >= 6);
        QCOMPARE(delays.mid(0, 6), (QList<double>{0.05, 0.1, 0.2, 0.4, 0.4, 0.4}));
        QTRY_VERIFY_WITH_TIMEOUT(lastError().contains(expected), 5000);
        QCOMPARE(pool.state(), WorkerPool::State::Running);
        QCOMPARE(gaveUp.count(), 0);

        if (tdb.isPostgres())
            QVERIFY(q.exec(QStringLiteral("DROP TRIGGER refuse_claims ON job_queue")));
        else
            QVERIFY(q.exec(
                QStringLiteral("CREATE INDEX idx_jobs_queue ON background_jobs (priority DESC, run_at, id) "
                               "WHERE status = 'queued'")));
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
            qint64(3), 10'000);
        QTRY_VERIFY_WITH_TIMEOUT(lastError().isEmpty(), 5000);
        pool.stopAndWait();
    }

    void timeLimitFailsTheAttempt()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config());
        opts.timeoutSeconds.insert(QStringLiteral("test.sleep"), 1);
        WorkerPool pool(opts, diagnostics());
        QVERIFY(startAndWait(pool));
        const qint64 id =
            enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}}, std::nullopt, 0);
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, id)), hcm::toString(JobStatus::Failed),
                                  10'000);
        auto job = service.get(id);
        QVERIFY2(job->errorMessage.startsWith(QLatin1String("Timed out after 1 s")),
                 qPrintable(job->errorMessage));
        QCOMPARE(job->attemptList.first().outcome, QStringLiteral("timed_out"));
    }

    // A message the programs made is stored with its code and arguments beside its English text (the
    // handler's own message nested in the worker's); a text passed on (test.fail's, as a provider's
    // answer) has no code. Both the job and its attempt carry them.
    void handlerFailureStoresCodeAndArguments()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config());
        opts.timeoutSeconds.insert(QStringLiteral("test.sleep"), 1);
        WorkerPool pool(opts, diagnostics());
        QVERIFY(startAndWait(pool));
        const qint64 coded =
            enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}}, std::nullopt, 0);
        const qint64 plain = enqueue(service, QStringLiteral("test.fail"),
                                     {{QStringLiteral("message"), QStringLiteral("550 mailbox unavailable")},
                                      {QStringLiteral("permanent"), true}},
                                     std::nullopt, 0);
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, coded)), hcm::toString(JobStatus::Failed),
                                  10'000);
        QTRY_COMPARE_WITH_TIMEOUT(hcm::toString(statusOf(service, plain)), hcm::toString(JobStatus::Failed),
                                  10'000);
        pool.stopAndWait();

        auto job = service.get(coded);
        QVERIFY(job.ok());
        QCOMPARE(job->errorCode, QStringLiteral("worker.timed_out"));
        QCOMPARE(job->errorArgs.value(QStringLiteral("seconds")).toInt(), 1);
        QCOMPARE(job->errorArgs.value(QStringLiteral("type")).toString(), QStringLiteral("test.sleep"));
        const QJsonObject reason = job->errorArgs.value(QStringLiteral("reason")).toObject();
        QCOMPARE(reason.value(QStringLiteral("code")).toString(), QStringLiteral("test.sleep_stopped"));
        QCOMPARE(reason.value(QStringLiteral("args")).toObject().value(QStringLiteral("ms")).toInt(), 60'000);
        // The English text stays what the API and hcmctl show.
        QVERIFY2(
            job->errorMessage.startsWith(QLatin1String("Timed out after 1 s, the limit for test.sleep jobs: "
                                                       "Stopped after ")),
            qPrintable(job->errorMessage));
        QCOMPARE(job->errorDetail().display(), job->errorMessage); // no translator installed
        QCOMPARE(job->attemptList.size(), 1);
        QCOMPARE(job->attemptList.first().errorCode, QStringLiteral("worker.timed_out"));
        QCOMPARE(job->attemptList.first().errorArgs, job->errorArgs);
        QCOMPARE(job->attemptList.first().error, job->errorMessage);

        auto other = service.get(plain);
        QVERIFY(other.ok());
        QCOMPARE(other->errorMessage, QStringLiteral("550 mailbox unavailable"));
        QVERIFY(other->errorCode.isEmpty());
        QVERIFY(other->attemptList.first().errorCode.isEmpty());
        QCOMPARE(other->errorDetail().display(), QStringLiteral("550 mailbox unavailable"));
        // In the table, NULL: not an empty code.
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_attempts"), QStringLiteral("error_code IS NULL")),
                 qint64(1));
    }

    void stopWithoutGraceRequeuesRunningJobsUnspent()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        auto opts = options(tdb.config(), 1);
        opts.prefetch = 3;
        WorkerPool pool(opts, diagnostics());
        QVERIFY(startAndWait(pool));
        QList<qint64> ids;
        for (int i = 0; i < 4; ++i)
            ids << enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}});
        QTRY_COMPARE_WITH_TIMEOUT(pool.runningJobs(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                                           QStringLiteral("status = 'processing'")),
                                  qint64(4), 5000);
        pool.stopAndWait(0);
        // All four are queued again; none spent a retry; the three never started have no attempt. The
        // running one stopped on its cancellation token, not abandoned after the wait for handlers
        // that ignore it ("The worker stopped while the job was running").
        int interrupted = 0;
        for (qint64 id : ids) {
            auto job = service.get(id);
            QCOMPARE_ENUM(job->status, JobStatus::Queued);
            QCOMPARE(job->retryCount, 0);
            if (!job->attemptList.isEmpty()) {
                ++interrupted;
                QVERIFY2(job->errorMessage.startsWith(QLatin1String("Interrupted by a worker shutdown")),
                         qPrintable(job->errorMessage));
            }
        }
        QCOMPARE(interrupted, 1);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_attempts")), qint64(1));
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("job_attempts"), QStringLiteral("outcome = 'interrupted'")),
            qint64(1));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("attempts = 0")),
                 qint64(3));
    }

    // Destroying a pool that runs a job stops it (the job goes back to the queue unspent) by joining the
    // dispatcher thread, without running this thread's event loop: a call queued before for another
    // object is not delivered in the middle of the destruction. (A nested event loop delivered it
    // there, inside the destructor of whatever owned the pool.)
    void destructionRunsNoEventLoop()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        const qint64 id = enqueue(service, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 60'000}});
        auto pool = std::make_unique<WorkerPool>(options(tdb.config(), 1), diagnostics());
        QVERIFY(startAndWait(*pool));
        QTRY_COMPARE_WITH_TIMEOUT(pool->runningJobs(), 1, 5000);
        bool destroying = false;
        int delivered = 0;
        int deliveredWhileDestroying = 0;
        QObject receiver;
        QMetaObject::invokeMethod(
            &receiver,
            [&] {
                ++delivered;
                if (destroying)
                    ++deliveredWhileDestroying;
            },
            Qt::QueuedConnection);
        destroying = true;
        pool.reset();
        destroying = false;
        QCOMPARE(deliveredWhileDestroying, 0);
        auto job = service.get(id);
        QVERIFY(job.ok());
        QCOMPARE_ENUM(job->status, JobStatus::Queued);
        QCOMPARE(job->retryCount, 0);
        QTRY_COMPARE(delivered, 1); // delivered by this thread's own loop, afterwards
    }

    void stopWithGraceLetsRunningJobsFinish()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        WorkerPool pool(options(tdb.config()), diagnostics());
        QVERIFY(startAndWait(pool));
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
        QVERIFY(startAndWait(pool));
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
        QVERIFY(startAndWait(pool));
        QTRY_VERIFY_WITH_TIMEOUT(drained.count() >= 1, 5000);
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
            qint64(50));
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'queued'")),
            qint64(1));
    }

    // start() waits for nothing. This thread holds the lock that registering needs, so a start() that
    // waited for the registration would wait for its own caller: it returns, the event loop runs, and
    // the pool is still Starting. Once the lock is gone it registers, says so, and only then claims.
    void startReturnsBeforeTheWorkerIsRegistered()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        for (int i = 0; i < 5; ++i)
            QVERIFY(enqueue(service, QStringLiteral("test.noop")) > 0);
        WorkerPool pool(options(tdb.config()), diagnostics());
        SignalLog log(pool);
        RegistrationLock lock(tdb.config());
        QVERIFY(lock.isHeld());

        bool eventLoopRan = false;
        QTimer::singleShot(0, &log, [&] { eventLoopRan = true; });
        pool.start();
        // No event loop ran inside start(): the timer posted before it has not fired.
        QVERIFY(!eventLoopRan);
        QCOMPARE(pool.state(), WorkerPool::State::Starting);
        QVERIFY(!pool.isRunning());
        QCOMPARE(log.events, QStringList{QStringLiteral("Starting")});

        // Events flow while the dispatcher waits for the lock; the pool stays Starting and claims nothing.
        QTRY_VERIFY(eventLoopRan);
        QCOMPARE(pool.state(), WorkerPool::State::Starting);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("workers")), qint64(0));
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'queued'")),
            qint64(5));

        lock.release();
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
            qint64(5), 15'000);
        // Registered (Running) before the first claim reached the owning thread. The signals are queued
        // to this thread: the jobs may be done before they have all arrived.
        QTRY_VERIFY_WITH_TIMEOUT(log.events.size() >= 3, 5000);
        QCOMPARE(log.events.mid(0, 3), (QStringList{QStringLiteral("Starting"), QStringLiteral("Running"),
                                                    QStringLiteral("jobsChanged")}));
        QVERIFY2(log.errors.isEmpty(), qPrintable(log.errors.join(QLatin1Char('\n'))));
        QCOMPARE(service.store().workers()->size(), 1);
        pool.stopAndWait();
        QCOMPARE(log.events.last(), QStringLiteral("stopped"));
        QCOMPARE(log.events.count(QStringLiteral("stopped")), 1);
    }

    // A database that cannot be opened: start() still returns at once, and the failure arrives as
    // errorOccurred() while the pool is Starting, then Stopped and stopped(). A stop() right after the
    // start neither hides the failure nor stops twice; the same pool can try again.
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
        WorkerPool pool(options(broken), diagnostics());
        SignalLog log(pool);
        for (const bool stopAtOnce : {false, true}) {
            log.events.clear();
            log.errors.clear();
            bool eventLoopRan = false;
            QTimer::singleShot(0, &log, [&] { eventLoopRan = true; });
            pool.start();
            if (stopAtOnce)
                pool.stop();
            QVERIFY(!eventLoopRan);
            QCOMPARE(pool.state(), WorkerPool::State::Starting);
            QCOMPARE(log.events, QStringList{QStringLiteral("Starting")});

            QTRY_VERIFY_WITH_TIMEOUT(log.events.contains(QStringLiteral("stopped")), 15'000);
            QVERIFY(eventLoopRan);
            QCOMPARE(log.events,
                     (QStringList{QStringLiteral("Starting"), QStringLiteral("errorOccurred while Starting"),
                                  QStringLiteral("Stopped"), QStringLiteral("stopped")}));
            QCOMPARE(log.errors.size(), 1);
            QVERIFY2(log.errors.first().contains(expected), qPrintable(log.errors.first()));
            QCOMPARE(pool.state(), WorkerPool::State::Stopped);
        }
    }

    // stop() right after start(): the stop follows the registration, returns the claimed jobs that did
    // not start, lets the started ones finish, and signs the worker off. Nothing is lost or spent, and
    // the pool starts again. Destroying a pool right after its start is just as clean.
    void stopRightAfterStartIsClean()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        for (int i = 0; i < 20; ++i)
            QVERIFY(enqueue(service, QStringLiteral("test.noop")) > 0);
        WorkerPool pool(options(tdb.config()), diagnostics());
        SignalLog log(pool);
        pool.start();
        pool.stop();
        QCOMPARE(pool.state(), WorkerPool::State::Starting); // the stop waits for the start's outcome
        QTRY_VERIFY_WITH_TIMEOUT(log.events.contains(QStringLiteral("stopped")), 15'000);
        QCOMPARE(log.events.mid(0, 3), (QStringList{QStringLiteral("Starting"), QStringLiteral("Running"),
                                                    QStringLiteral("Stopping")}));
        QCOMPARE(log.events.mid(log.events.size() - 2),
                 (QStringList{QStringLiteral("Stopped"), QStringLiteral("stopped")}));
        QCOMPARE(log.events.count(QStringLiteral("stopped")), 1);
        QVERIFY2(log.errors.isEmpty(), qPrintable(log.errors.join(QLatin1Char('\n'))));
        QCOMPARE(pool.state(), WorkerPool::State::Stopped);

        const DbConfig &db = tdb.config();
        const QString jobs = QStringLiteral("background_jobs");
        const qint64 completed = rowCount(db, jobs, QStringLiteral("status = 'completed'"));
        QCOMPARE(rowCount(db, jobs, QStringLiteral("status = 'queued'")) + completed, qint64(20));
        QCOMPARE(rowCount(db, jobs, QStringLiteral("status = 'queued' AND attempts > 0")), qint64(0));
        QCOMPARE(rowCount(db, jobs, QStringLiteral("retry_count > 0")), qint64(0));
        QCOMPARE(rowCount(db, QStringLiteral("job_attempts")), completed);
        QCOMPARE(rowCount(db, QStringLiteral("job_attempts"), QStringLiteral("outcome <> 'completed'")),
                 qint64(0));
        auto workers = service.store().workers();
        QVERIFY(workers.ok());
        QCOMPARE(workers->size(), 1);
        QVERIFY(workers->first().stoppedAt > 0);

        QString briefId;
        {
            WorkerPool brief(options(db), diagnostics());
            briefId = brief.workerId();
            brief.start();
        } // the destructor waits for the start's outcome, then stops without grace
        workers = service.store().workers();
        QVERIFY(workers.ok());
        QCOMPARE(workers->size(), 2);
        const auto briefRow = std::find_if(workers->cbegin(), workers->cend(),
                                           [&](const WorkerInfo &w) { return w.id == briefId; });
        QVERIFY(briefRow != workers->cend());
        QVERIFY(briefRow->stoppedAt > 0);
        QCOMPARE(rowCount(db, jobs, QStringLiteral("status = 'processing'")), qint64(0));

        QVERIFY(startAndWait(pool));
        QTRY_COMPARE_WITH_TIMEOUT(rowCount(db, jobs, QStringLiteral("status = 'completed'")), qint64(20),
                                  15'000);
        QCOMPARE(rowCount(db, QStringLiteral("job_attempts"), QStringLiteral("outcome <> 'completed'")),
                 qint64(0));
        pool.stopAndWait();
    }
};

QTEST_GUILESS_MAIN(TestWorkerPool)
#include "tst_workerpool.moc"
