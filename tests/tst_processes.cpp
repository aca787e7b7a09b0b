// Real hcm-worker processes on one database (a SQLite file, then a PostgreSQL database): claim races
// between processes, a worker killed with SIGKILL mid-job and rescued by another, a graceful SIGTERM
// drain, and (PostgreSQL) a cross-process wake-up through NOTIFY. Also the desktop app's own graceful
// SIGTERM drain (hcm-admin, offscreen).

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"

#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QtTest>

#include <csignal>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("tester"));

std::unique_ptr<QProcess>
startWorker(const TempDatabase &tdb, const QString &id, const QStringList &extra = {},
            const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    auto p = std::make_unique<QProcess>();
    p->setProcessEnvironment(env);
    p->setProgram(programPath(QStringLiteral("hcm-worker")));
    p->setArguments(QStringList{QStringLiteral("--db"), tdb.spec(), QStringLiteral("--worker-id"), id,
                                QStringLiteral("--enable-test-job-types"), QStringLiteral("--log-dir"),
                                tdb.dir() + QStringLiteral("/logs"), QStringLiteral("--cache-dir"),
                                tdb.dir() + QStringLiteral("/cache")} +
                    extra);
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start();
    return p;
}

// The desktop app as a person starts it, without a display: its in-process worker runs the jobs.
std::unique_ptr<QProcess> startAdmin(const TempDatabase &tdb, const QStringList &extra = {})
{
    auto p = std::make_unique<QProcess>();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    // Its settings, log and cache in the test's folder, not the home folder.
    for (const char *name : {"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"})
        env.insert(QLatin1String(name), tdb.dir() + QLatin1Char('/') + QString::fromLatin1(name).toLower());
    p->setProcessEnvironment(env);
    p->setProgram(programPath(QStringLiteral("hcm-admin")));
    p->setArguments(QStringList{QStringLiteral("--db"), tdb.spec(), QStringLiteral("--enable-test-job-types"),
                                QStringLiteral("--concurrency"), QStringLiteral("1")} +
                    extra);
    p->setProcessChannelMode(QProcess::ForwardedChannels);
    p->start();
    return p;
}

QString statusOf(const TempDatabase &tdb, qint64 id)
{
    auto db = Database::connection(tdb.config());
    QSqlQuery q(db.value());
    q.prepare(QStringLiteral("SELECT status FROM background_jobs WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec() || !q.next())
        return {};
    return q.value(0).toString();
}

} // namespace

class TestProcesses : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase()
    {
        JobTypeCatalog::enableTestTypes();
        if (!QFile::exists(programPath(QStringLiteral("hcm-worker"))))
            QFAIL("hcm-worker is not built");
    }
    void cleanup() { Database::closeThreadConnections(); }

    // Three processes drain one queue: each job runs exactly once. The workers start first and the
    // jobs arrive in one transaction, so all three see them at the same moment and race for them.
    void processesClaimEachJobOnce()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        // Jobs of 1 ms: a single process would need seconds for all of them, so every process joins in
        // (no-op jobs are claimed up to 1024 at a time: one process could drain them before the others
        // notice).
        constexpr int kJobs = 4000;
        std::vector<std::unique_ptr<QProcess>> workers;
        for (int i = 0; i < 3; ++i)
            workers.push_back(startWorker(tdb, QStringLiteral("proc-%1").arg(i),
                                          {QStringLiteral("--concurrency"), QStringLiteral("2"),
                                           QStringLiteral("--poll-interval"), QStringLiteral("0.2")}));
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("workers"), QStringLiteral("stopped_at IS NULL")),
            qint64(3), 20'000);
        QVERIFY(service
                    .enqueueMany(
                        QList<NewJob>(kJobs, NewJob{QStringLiteral("test.sleep"), JobPriority::Normal,
                                                    QJsonObject{{QStringLiteral("ms"), 1}}, 3, std::nullopt}),
                        kActor)
                    .ok());
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
            qint64(kJobs), 60'000);
        for (auto &w : workers) {
            w->terminate();
            QVERIFY(w->waitForFinished(20'000));
            QCOMPARE(w->exitStatus(), QProcess::NormalExit);
            QCOMPARE(w->exitCode(), 0);
        }
        // One attempt per job, and no job claimed twice.
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_attempts")), qint64(kJobs));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("attempts <> 1")),
                 qint64(0));
        const qint64 workersUsed =
            rowCount(tdb.config(), QStringLiteral("(SELECT DISTINCT worker_id FROM job_attempts) AS w"));
        QVERIFY2(workersUsed >= 2, "only one process got jobs: the test did not race");
    }

    // A worker dies with SIGKILL in the middle of a job; its lease expires and a second worker runs it.
    void killedWorkersJobIsRescued()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        NewJob job{QStringLiteral("test.sleep"),
                   JobPriority::Normal,
                   {{QStringLiteral("ms"), 1500}},
                   3,
                   std::nullopt};
        const qint64 id = service.enqueue(job, kActor).value();
        const QStringList fast{QStringLiteral("--lease"), QStringLiteral("1"),
                               QStringLiteral("--poll-interval"), QStringLiteral("0.2")};
        auto a = startWorker(tdb, QStringLiteral("victim"), fast);
        // Killed once its start is recorded: the job ran, so the rescue spends a retry.
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("job_starts"), QStringLiteral("worker_id = 'victim'")),
            qint64(1), 10'000);
        QCOMPARE(statusOf(tdb, id), QStringLiteral("processing"));
        ::kill(pid_t(a->processId()), SIGKILL);
        QVERIFY(a->waitForFinished(5000));
        QCOMPARE(a->exitStatus(), QProcess::CrashExit);
        QCOMPARE(statusOf(tdb, id), QStringLiteral("processing")); // nobody has noticed yet

        auto b = startWorker(tdb, QStringLiteral("rescuer"), fast);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb, id), QStringLiteral("completed"), 15'000);
        auto done = service.get(id);
        QVERIFY(done.ok());
        QCOMPARE(done->workerId, QStringLiteral("rescuer"));
        QCOMPARE(done->attemptList.size(), 2);
        QCOMPARE(done->attemptList.at(0).workerId, QStringLiteral("victim"));
        QCOMPARE(done->attemptList.at(0).outcome, QStringLiteral("lost"));
        QCOMPARE(done->attemptList.at(1).workerId, QStringLiteral("rescuer"));
        QCOMPARE(done->attemptList.at(1).outcome, QStringLiteral("completed"));
        QCOMPARE(done->retryCount, 1);
        b->terminate();
        QVERIFY(b->waitForFinished(10'000));
        QCOMPARE(b->exitCode(), 0);
    }

    // SIGTERM: stop claiming, let the running job finish, exit 0, leave the rest queued.
    void sigtermDrainsGracefully()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        const qint64 running = service
                                   .enqueue(NewJob{QStringLiteral("test.sleep"),
                                                   JobPriority::High,
                                                   {{QStringLiteral("ms"), 800}},
                                                   3,
                                                   std::nullopt},
                                            kActor)
                                   .value();
        auto w = startWorker(tdb, QStringLiteral("graceful"),
                             {QStringLiteral("--concurrency"), QStringLiteral("1")});
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb, running), QStringLiteral("processing"), 10'000);
        const qint64 waiting =
            service
                .enqueue(NewJob{QStringLiteral("test.noop"), JobPriority::Low, {}, 3, std::nullopt}, kActor)
                .value();
        w->terminate(); // SIGTERM
        QVERIFY(w->waitForFinished(15'000));
        QCOMPARE(w->exitStatus(), QProcess::NormalExit);
        QCOMPARE(w->exitCode(), 0);
        QCOMPARE(statusOf(tdb, running), QStringLiteral("completed"));
        const QString waitingStatus = statusOf(tdb, waiting);
        QVERIFY2(waitingStatus == QLatin1String("queued") || waitingStatus == QLatin1String("completed"),
                 qPrintable(waitingStatus));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                          QStringLiteral("status = 'processing'")),
                 qint64(0));
        QVERIFY(service.store().workers()->first().stoppedAt > 0);
    }

    // hcm-admin on SIGTERM (what systemd and a logout send) drains its in-process worker as hcm-worker
    // does: the running job finishes within the grace period, the worker row gets its stop time, and the
    // process exits normally. A job that outlasts the grace goes back to the queue without spending a
    // retry, instead of staying "processing" until its lease runs out.
    void adminDrainsOnSigterm_data()
    {
        QTest::addColumn<int>("jobMs");
        QTest::addColumn<QStringList>("options");
        QTest::addColumn<QString>("ends");
        QTest::newRow("finishes within the default grace (30 s)")
            << 2500 << QStringList() << QStringLiteral("completed");
        QTest::newRow("outlasts the grace")
            << 600'000 << QStringList{QStringLiteral("--grace"), QStringLiteral("1")}
            << QStringLiteral("queued");
    }
    void adminDrainsOnSigterm()
    {
        QFETCH(int, jobMs);
        QFETCH(QStringList, options);
        QFETCH(QString, ends);
#ifdef HCM_TEST_WITHOUT_GUI
        QSKIP("hcm-admin is not part of a build with HCM_BUILD_GUI=OFF");
#endif
        if (!QFile::exists(programPath(QStringLiteral("hcm-admin"))))
            QFAIL("hcm-admin is not built");
        HCM_TEMP_DATABASE(tdb);
        if (tdb.isPostgres())
            QSKIP("hcm-admin runs its in-process worker on SQLite only");
        JobService service{JobStore(tdb.config())};
        const qint64 id = service
                              .enqueue(NewJob{QStringLiteral("test.sleep"),
                                              JobPriority::Normal,
                                              {{QStringLiteral("ms"), jobMs}},
                                              3,
                                              std::nullopt},
                                       kActor)
                              .value();
        auto admin = startAdmin(tdb, options);
        QVERIFY2(admin->waitForStarted(10'000), qPrintable(admin->errorString()));
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb, id), QStringLiteral("processing"), 20'000);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("workers"), QStringLiteral("stopped_at IS NULL")),
                 qint64(1));

        admin->terminate(); // SIGTERM
        QVERIFY2(admin->waitForFinished(30'000), "hcm-admin did not exit after SIGTERM");
        QCOMPARE(admin->exitStatus(), QProcess::NormalExit);
        QCOMPARE(admin->exitCode(), 0);
        QCOMPARE(statusOf(tdb, id), ends);
        auto job = service.get(id);
        QVERIFY(job.ok());
        QCOMPARE(job->attemptList.size(), 1);
        QCOMPARE(job->attemptList.first().outcome, ends == QLatin1String("completed")
                                                       ? QStringLiteral("completed")
                                                       : QStringLiteral("interrupted"));
        QCOMPARE(job->retryCount, 0); // an interrupted run spends no retry
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("workers"), QStringLiteral("stopped_at IS NULL")),
                 qint64(0));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("workers"), QStringLiteral("stopped_at > 0")),
                 qint64(1));
    }

    // An idle worker process (poll a minute away) starts a job enqueued by this process at once:
    // NOTIFY on PostgreSQL, the data_version check on SQLite.
    void idleWorkerPicksUpAnotherProcessesJob()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        // Its debug log says when its start-up claim found nothing and it waits: only a job enqueued
        // after that line tests the wake-up (an earlier one is taken by the start-up claim).
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("hcm.worker.debug=true"));
        auto w = startWorker(tdb, QStringLiteral("idle"),
                             {QStringLiteral("--poll-interval"), QStringLiteral("60")}, env);
        const auto idle = [&] {
            QFile log(tdb.dir() + QStringLiteral("/logs/hcm-worker.log"));
            return log.open(QIODevice::ReadOnly) &&
                   log.readAll().contains("worker idle is idle: waiting for a change or the next poll");
        };
        QTRY_VERIFY_WITH_TIMEOUT(idle(), 10'000);
        const qint64 id =
            service
                .enqueue(NewJob{QStringLiteral("test.noop"), JobPriority::Normal, {}, 3, std::nullopt},
                         kActor)
                .value();
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb, id), QStringLiteral("completed"), 5000);
        w->terminate();
        QVERIFY(w->waitForFinished(10'000));
        QCOMPARE(w->exitCode(), 0);
    }

    void badOptionsExitWithUsageError()
    {
        QFETCH_GLOBAL(QString, backend);
        if (backend != QLatin1String("sqlite"))
            QSKIP("option parsing is backend-independent: checked once");
        QProcess p;
        p.start(programPath(QStringLiteral("hcm-worker")),
                {QStringLiteral("--concurrency"), QStringLiteral("zero")});
        QVERIFY(p.waitForFinished(10'000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("--concurrency must be a whole number"));
    }

    // A worker claims ahead (prefetch) and is killed with SIGKILL while two jobs run and two more wait
    // claimed. A second worker (--once) rescues them once the leases expire: the two that waited go back
    // without spending a retry (max_retries 0, yet they complete; their first attempt says
    // "not_started"), the two that ran count their attempt (lost, and with no retries left, failed).
    // Every job runs; the start records match the executions test.record wrote.
    void sigkillReturnsClaimedJobsThatNeverStarted()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        constexpr int kJobs = 16;
        QList<NewJob> jobs(kJobs, NewJob{QStringLiteral("test.record"),
                                         JobPriority::Normal,
                                         {{QStringLiteral("ms"), 2000}},
                                         0,
                                         std::nullopt});
        QVERIFY(service.enqueueMany(jobs, kActor).ok());
        const QStringList options{QStringLiteral("--concurrency"),   QStringLiteral("2"),
                                  QStringLiteral("--lease"),         QStringLiteral("2"),
                                  QStringLiteral("--poll-interval"), QStringLiteral("0.2")};
        auto victim = startWorker(tdb, QStringLiteral("victim"), options);
        const auto where = [](const QString &worker) {
            return QStringLiteral("worker_id = '%1'").arg(worker);
        };
        // Both running jobs recorded their start (test.record writes its row first thing).
        QTRY_VERIFY_WITH_TIMEOUT(rowCount(tdb.config(), QStringLiteral("job_starts"), where("victim")) == 2 &&
                                     rowCount(tdb.config(), QStringLiteral("test_executions")) == 2,
                                 20'000);
        ::kill(pid_t(victim->processId()), SIGKILL);
        QVERIFY(victim->waitForFinished(5000));
        QCOMPARE(victim->exitStatus(), QProcess::CrashExit);

        // What the dead worker held: every claimed job, and which of them it had started.
        const auto ids = [&](const QString &sql) {
            QSet<qint64> out;
            auto db = Database::connection(tdb.config());
            QSqlQuery q(db.value());
            if (!q.exec(sql))
                return out;
            while (q.next())
                out.insert(q.value(0).toLongLong());
            return out;
        };
        const QSet<qint64> held = ids(QStringLiteral("SELECT id FROM background_jobs WHERE status = "
                                                     "'processing' AND worker_id = 'victim'"));
        const QSet<qint64> started =
            ids(QStringLiteral("SELECT job_id FROM job_starts WHERE worker_id = 'victim'"));
        const QSet<qint64> executed =
            ids(QStringLiteral("SELECT job_id FROM test_executions WHERE attempt = 1"));
        QCOMPARE(started.size(), 2);
        QCOMPARE(executed, started);
        QVERIFY2(held.contains(started), "a started job was not held");
        const QSet<qint64> waiting = held - started;
        QVERIFY2(!waiting.isEmpty(), "the worker held no claimed job beyond the running ones");

        auto rescuer =
            startWorker(tdb, QStringLiteral("rescuer"), options + QStringList{QStringLiteral("--once")});
        QVERIFY(rescuer->waitForFinished(90'000));
        QCOMPARE(rescuer->exitStatus(), QProcess::NormalExit);
        QCOMPARE(rescuer->exitCode(), 0);

        // Every job ran at least once.
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("(SELECT DISTINCT job_id FROM test_executions) AS e")),
                 qint64(kJobs));
        for (qint64 id : started) {
            auto job = service.get(id);
            QCOMPARE_ENUM(job->status, JobStatus::Failed);
            QCOMPARE(job->attemptList.size(), 1);
            QCOMPARE(job->attemptList.first().outcome, QStringLiteral("lost"));
        }
        for (qint64 id : waiting) {
            auto job = service.get(id);
            QCOMPARE_ENUM(job->status, JobStatus::Completed);
            QCOMPARE(job->retryCount, 0);
            QCOMPARE(job->attemptList.size(), 2);
            QCOMPARE(job->attemptList.at(0).outcome, QStringLiteral("not_started"));
            QCOMPARE(job->attemptList.at(0).workerId, QStringLiteral("victim"));
            QCOMPARE(job->attemptList.at(1).outcome, QStringLiteral("completed"));
            QCOMPARE(job->attemptList.at(1).workerId, QStringLiteral("rescuer"));
        }
        // No other job failed, and nothing is left running or recorded as running.
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                          QStringLiteral("job_type = 'test.record' AND status = 'failed'")),
                 qint64(started.size()));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                          QStringLiteral("job_type = 'test.record' AND status = 'completed'")),
                 qint64(kJobs - started.size()));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_starts")), qint64(0));
    }

    // hcm-worker --once on a SQLite file whose claim index was dropped (the file is intact, every claim
    // fails): it gives up after a bounded number of tries and exits with status 1 and the error.
    void onceGivesUpOnALastingDatabaseError()
    {
        {
            QFETCH_GLOBAL(QString, backend);
            if (backend != QLatin1String("sqlite"))
                QSKIP("a damaged file is a SQLite matter");
        }
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        QVERIFY(service
                    .enqueue(NewJob{QStringLiteral("test.noop"), JobPriority::Normal, {}, 3, std::nullopt},
                             kActor)
                    .ok());
        {
            auto db = Database::connection(tdb.config());
            QSqlQuery q(db.value());
            QVERIFY(q.exec(QStringLiteral("DROP INDEX idx_jobs_queue")));
        }
        Database::closeThreadConnections();
        auto w = std::make_unique<QProcess>();
        w->setProgram(programPath(QStringLiteral("hcm-worker")));
        w->setArguments({QStringLiteral("--db"), tdb.spec(), QStringLiteral("--once"),
                         QStringLiteral("--enable-test-job-types"), QStringLiteral("--log-dir"),
                         tdb.dir() + QStringLiteral("/logs")});
        w->start();
        QVERIFY2(w->waitForFinished(60'000), "hcm-worker --once kept retrying");
        QCOMPARE(w->exitStatus(), QProcess::NormalExit);
        QCOMPARE(w->exitCode(), 1);
        const QString err = QString::fromLocal8Bit(w->readAllStandardError());
        QVERIFY2(err.contains(QLatin1String("hcm-worker: The database refused 5 claims in a row; giving up")),
                 qPrintable(err));
        QVERIFY2(err.contains(QLatin1String("idx_jobs_queue")), qPrintable(err));
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'queued'")),
            qint64(1));
        // The error stays on the worker's row (hcmctl db info, the Workers page).
        auto workers = service.store().workers();
        QCOMPARE(workers->size(), 1);
        QVERIFY2(workers->first().lastError.contains(QLatin1String("giving up")),
                 qPrintable(workers->first().lastError));
        QProcess ctl;
        ctl.start(programPath(QStringLiteral("hcmctl")),
                  {QStringLiteral("--db"), tdb.spec(), QStringLiteral("db"), QStringLiteral("info")});
        QVERIFY(ctl.waitForFinished(30'000));
        const QString info = QString::fromLocal8Bit(ctl.readAllStandardOutput());
        QVERIFY2(info.contains(QStringLiteral("worker %1 reports since ").arg(workers->first().id)) &&
                     info.contains(QLatin1String("idx_jobs_queue")),
                 qPrintable(info));
    }

    // A copy of a database with 8 KiB of random bytes written into its middle: every program refuses it
    // at start (PRAGMA quick_check) with a message that names the file and says what to do; hcm-worker
    // --once exits with status 1 at once, hcmctl too.
    void damagedFileIsRefusedAtStart()
    {
        {
            QFETCH_GLOBAL(QString, backend);
            if (backend != QLatin1String("sqlite"))
                QSKIP("a damaged file is a SQLite matter");
        }
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        QList<NewJob> jobs(3000, NewJob{QStringLiteral("test.sleep"),
                                        JobPriority::Normal,
                                        {{QStringLiteral("ms"), 1}},
                                        3,
                                        std::nullopt});
        QVERIFY(service.enqueueMany(jobs, kActor).ok());
        Database::closeThreadConnections(); // checkpoints the WAL into the file
        const QString damaged = tdb.dir() + QStringLiteral("/damaged.db");
        QVERIFY(QFile::copy(tdb.path(), damaged));
        {
            QFile f(damaged);
            QVERIFY(f.open(QIODevice::ReadWrite));
            const qint64 size = f.size();
            QVERIFY2(size > 64 * 1024, "the file is too small to damage its middle");
            QByteArray noise(8192, '\0');
            QRandomGenerator random(20260105); // the same damage every run
            for (char &c : noise)
                c = char(random.bounded(256));
            QVERIFY(f.seek((size / 2) & ~qint64(4095)));
            QCOMPARE(f.write(noise), qint64(noise.size()));
        }

        const auto expectRefusal = [&](const QString &program, const QStringList &args) {
            QProcess p;
            p.start(programPath(program), args);
            QVERIFY2(p.waitForFinished(30'000), qPrintable(program));
            QCOMPARE(p.exitStatus(), QProcess::NormalExit);
            QCOMPARE(p.exitCode(), 1);
            const QString err = QString::fromLocal8Bit(p.readAllStandardError());
            QVERIFY2(err.contains(QStringLiteral("The database file %1 is damaged").arg(damaged)),
                     qPrintable(err));
            QVERIFY2(err.contains(QLatin1String("restore it from a backup")), qPrintable(err));
        };
        expectRefusal(QStringLiteral("hcm-worker"),
                      {QStringLiteral("--db"), damaged, QStringLiteral("--once"), QStringLiteral("--log-dir"),
                       tdb.dir() + QStringLiteral("/logs")});
        expectRefusal(QStringLiteral("hcmctl"),
                      {QStringLiteral("--db"), damaged, QStringLiteral("jobs"), QStringLiteral("list")});
        // The intact original still opens.
        QVERIFY(Database::openAndMigrate(tdb.config()).ok());
    }
};

QTEST_GUILESS_MAIN(TestProcesses)
#include "tst_processes.moc"
