// Chaos on a real PostgreSQL server: 4 hcm-worker processes drain 5,000 jobs of random short duration
// while a random worker is killed with SIGKILL every second (and restarted), and the server itself is
// restarted once mid-run. At the end every job is completed, none is lost or stuck, and duplicate
// executions (counted by test.record in test_executions) are bounded by the jobs the killed workers held.
// Bounded to about a minute; PostgreSQL only (needs the pg_virtualenv cluster of scripts/test.sh).

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QtTest>

#include <csignal>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("chaos"));
constexpr int kJobs = 5000;
constexpr int kWorkers = 4;

struct Slot {
    std::unique_ptr<QProcess> process;
    QString id;
    int generation = 0;
};

// The pg_virtualenv cluster ("15 regress") that serves PGPORT, from pg_lsclusters.
QStringList clusterOfThisServer()
{
    QProcess ls;
    ls.start(QStringLiteral("pg_lsclusters"), {QStringLiteral("-h")});
    if (!ls.waitForFinished(10'000))
        return {};
    const QString port = qEnvironmentVariable("PGPORT", QStringLiteral("5432"));
    for (const QString &line : QString::fromLocal8Bit(ls.readAllStandardOutput()).split(QLatin1Char('\n'))) {
        const QStringList f = line.simplified().split(QLatin1Char(' '));
        if (f.size() >= 4 && f.at(2) == port && f.at(3) == QLatin1String("online"))
            return {f.at(0), f.at(1)};
    }
    return {};
}

qint64 scalar(const DbConfig &config, const QString &sql)
{
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto db = Database::connection(config);
        if (!db)
            continue;
        QSqlQuery q(db.value());
        if (q.exec(sql) && q.next())
            return q.value(0).toLongLong();
        (void)Database::error(q.lastError()); // a lost connection is reopened on the next try
    }
    return -1;
}

} // namespace

class TestChaos : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { JobTypeCatalog::enableTestTypes(); }
    void cleanup() { Database::closeThreadConnections(); }

    void killsAndServerRestartLoseNothing()
    {
        TempDatabase tdb(DbConfig::Backend::Postgres);
        if (!tdb.skipReason().isEmpty()) {
            if (TempDatabase::postgresRequired())
                QFAIL(qPrintable(tdb.skipReason()));
            QSKIP(qPrintable(tdb.skipReason()));
        }
        QVERIFY(tdb.isValid());
        const QStringList cluster = clusterOfThisServer();
        if (cluster.size() != 2) {
            if (TempDatabase::postgresRequired())
                QFAIL("pg_lsclusters shows no local cluster on PGPORT: cannot restart the server");
            QSKIP("the PostgreSQL server is not a local cluster (pg_lsclusters): cannot restart it");
        }
        const DbConfig &config = tdb.config();
        QVERIFY(scalar(config, QStringLiteral("SELECT 1")) == 1);
        {
            auto db = Database::connection(config);
            QSqlQuery q(db.value());
            QVERIFY(q.exec(
                QStringLiteral("CREATE TABLE test_executions (job_id BIGINT NOT NULL, attempt INTEGER NOT "
                               "NULL, worker_id TEXT NOT NULL, at BIGINT NOT NULL)")));
        }

        const quint32 seed = QRandomGenerator::system()->generate();
        qInfo("chaos seed %u", seed);
        QRandomGenerator random(seed);
        QList<NewJob> jobs;
        jobs.reserve(kJobs);
        for (int i = 0; i < kJobs; ++i)
            jobs.append(NewJob{QStringLiteral("test.record"),
                               JobPriority::Normal,
                               {{QStringLiteral("ms"), 10 + int(random.bounded(80))}},
                               25,
                               std::nullopt});
        JobService service{JobStore(config)};
        QVERIFY(service.enqueueMany(jobs, kActor).ok());

        std::vector<Slot> fleet(kWorkers);
        const auto launch = [&](Slot &slot, int index) {
            slot.id = QStringLiteral("chaos-%1-%2").arg(index).arg(slot.generation++);
            slot.process = std::make_unique<QProcess>();
            slot.process->setProgram(programPath(QStringLiteral("hcm-worker")));
            slot.process->setArguments(
                {QStringLiteral("--db"), tdb.spec(), QStringLiteral("--worker-id"), slot.id,
                 QStringLiteral("--enable-test-job-types"), QStringLiteral("--concurrency"),
                 QStringLiteral("4"), QStringLiteral("--lease"), QStringLiteral("6"),
                 QStringLiteral("--poll-interval"), QStringLiteral("1"), QStringLiteral("--grace"),
                 QStringLiteral("2"), QStringLiteral("--log-dir"), tdb.dir() + QStringLiteral("/logs"),
                 QStringLiteral("--cache-dir"), tdb.dir() + QStringLiteral("/cache")});
            slot.process->setStandardOutputFile(QProcess::nullDevice());
            slot.process->setStandardErrorFile(QProcess::nullDevice());
            slot.process->start();
        };
        for (int i = 0; i < kWorkers; ++i)
            launch(fleet[size_t(i)], i);

        const auto completed = [&] {
            return scalar(config,
                          QStringLiteral("SELECT COUNT(*) FROM background_jobs WHERE status = 'completed'"));
        };
        QElapsedTimer clock;
        clock.start();
        qint64 heldByKilled = 0;
        int kills = 0;
        int crashedStarts = 0;
        bool restarted = false;
        // Kills for at most 40 s; the rest of the minute is for the last rescues.
        while (completed() < kJobs && clock.elapsed() < 90'000) {
            QTest::qWait(1000);
            for (int i = 0; i < kWorkers; ++i) {
                Slot &slot = fleet[size_t(i)];
                if (slot.process->state() == QProcess::NotRunning) {
                    ++crashedStarts; // it could not start (the server was restarting): again
                    launch(slot, i);
                }
            }
            if (clock.elapsed() < 40'000 && completed() < kJobs) {
                const int victim = int(random.bounded(kWorkers));
                Slot &slot = fleet[size_t(victim)];
                if (slot.process->state() == QProcess::Running) {
                    ::kill(pid_t(slot.process->processId()), SIGKILL);
                    QVERIFY(slot.process->waitForFinished(5000));
                    ++kills;
                    // Dead now: whatever it held stays as it is until its lease expires.
                    heldByKilled +=
                        scalar(config, QStringLiteral("SELECT COUNT(*) FROM background_jobs WHERE "
                                                      "status = 'processing' AND worker_id = '%1'")
                                           .arg(slot.id));
                    launch(slot, victim);
                }
            }
            if (!restarted && completed() >= kJobs / 3) {
                restarted = true;
                QProcess ctl;
                ctl.start(QStringLiteral("pg_ctlcluster"),
                          {cluster.at(0), cluster.at(1), QStringLiteral("restart"), QStringLiteral("-m"),
                           QStringLiteral("fast")});
                QVERIFY(ctl.waitForFinished(60'000));
                QVERIFY2(ctl.exitCode() == 0, ctl.readAllStandardError().constData());
                qInfo("restarted PostgreSQL %s/%s after %lld ms", qPrintable(cluster.at(0)),
                      qPrintable(cluster.at(1)), clock.elapsed());
            }
        }
        const qint64 elapsed = clock.elapsed();
        for (Slot &slot : fleet) {
            slot.process->terminate();
            slot.process->waitForFinished(10'000);
        }

        const qint64 done = completed();
        const qint64 executions = scalar(config, QStringLiteral("SELECT COUNT(*) FROM test_executions"));
        const qint64 executedJobs =
            scalar(config, QStringLiteral("SELECT COUNT(DISTINCT job_id) FROM test_executions"));
        const qint64 duplicates = executions - executedJobs;
        qInfo("%lld of %d jobs completed in %lld ms; %d kills holding %lld jobs; %lld executions, %lld "
              "duplicates; "
              "%d restarts after a failed start; server restarted: %s",
              done, kJobs, elapsed, kills, heldByKilled, executions, duplicates, crashedStarts,
              restarted ? "yes" : "no");
        QVERIFY(restarted);
        QVERIFY(kills >= 5);
        QCOMPARE(done, qint64(kJobs));
        // None lost: every job ran, every job has a completed attempt; none stuck.
        QCOMPARE(executedJobs, qint64(kJobs));
        QCOMPARE(scalar(config, QStringLiteral(
                                    "SELECT COUNT(*) FROM background_jobs j WHERE NOT EXISTS (SELECT 1 FROM "
                                    "job_attempts a WHERE a.job_id = j.id AND a.outcome = 'completed')")),
                 qint64(0));
        QCOMPARE(scalar(config,
                        QStringLiteral("SELECT COUNT(*) FROM background_jobs WHERE status <> 'completed'")),
                 qint64(0));
        QVERIFY2(
            duplicates <= heldByKilled,
            qPrintable(QStringLiteral("%1 duplicate executions, but the killed workers held only %2 jobs")
                           .arg(duplicates)
                           .arg(heldByKilled)));
    }
};

QTEST_GUILESS_MAIN(TestChaos)
#include "tst_chaos.moc"
