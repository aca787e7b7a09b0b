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

// The pg_virtualenv cluster ("15 regress") that serves PGPORT: its version and name from pg_lsclusters, or
// nothing (with pg_lsclusters' output in `listing`). Found by its port alone: the status column is not
// to be trusted. postgresql-common reads it from the cluster's external_pid_file, by default
// /var/run/postgresql/<version>-<name>.pid, a path every "15 regress" cluster on the machine shares
// (every pg_virtualenv session of every user): when another session's cluster stops, the file goes
// and this running cluster is listed as "down" (scripts/test.sh gives its cluster no such file).
QStringList clusterOfThisServer(QString *listing)
{
    QProcess ls;
    ls.start(QStringLiteral("pg_lsclusters"), {QStringLiteral("-h")});
    if (!ls.waitForFinished(30'000)) {
        *listing = QStringLiteral("pg_lsclusters did not answer: %1").arg(ls.errorString());
        return {};
    }
    *listing = QString::fromLocal8Bit(ls.readAllStandardOutput() + ls.readAllStandardError());
    const QString port = qEnvironmentVariable("PGPORT", QStringLiteral("5432"));
    for (const QString &line : listing->split(QLatin1Char('\n'))) {
        const QStringList f = line.simplified().split(QLatin1Char(' '));
        if (f.size() >= 3 && f.at(2) == port)
            return {f.at(0), f.at(1)};
    }
    return {};
}

// Runs pg_ctlcluster with `args` and waits for it; false with its output in `error` when it fails.
bool pgCtlCluster(const QStringList &args, QString *error)
{
    QProcess ctl;
    ctl.start(QStringLiteral("pg_ctlcluster"), args);
    if (!ctl.waitForFinished(60'000) || ctl.exitStatus() != QProcess::NormalExit || ctl.exitCode() != 0) {
        *error = QStringLiteral("pg_ctlcluster %1: %2 %3")
                     .arg(args.join(QLatin1Char(' ')), QString::fromLocal8Bit(ctl.readAllStandardOutput()),
                          QString::fromLocal8Bit(ctl.readAllStandardError()));
        return false;
    }
    return true;
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
        QString listing;
        const QStringList cluster = clusterOfThisServer(&listing);
        if (cluster.size() != 2) {
            const QString why =
                QStringLiteral(
                    "pg_lsclusters shows no local cluster on PGPORT %1: cannot restart the server. "
                    "pg_lsclusters -h said:\n%2")
                    .arg(qEnvironmentVariable("PGPORT"), listing);
            if (TempDatabase::postgresRequired())
                QFAIL(qPrintable(why));
            QSKIP(qPrintable(why));
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
                // Stop, then start: "restart" decides whether to stop from the shared pid file (see
                // clusterOfThisServer), "stop" and "start" look at this cluster's own data folder.
                QString error;
                QVERIFY2(pgCtlCluster({cluster.at(0), cluster.at(1), QStringLiteral("stop"),
                                       QStringLiteral("-m"), QStringLiteral("fast")},
                                      &error),
                         qPrintable(error));
                QVERIFY2(pgCtlCluster({cluster.at(0), cluster.at(1), QStringLiteral("start")}, &error),
                         qPrintable(error));
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
        // The maintained counts survived the kills, the rescues and the restart: equal to a GROUP BY.
        const QString mismatch = countsMismatch(config);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        QVERIFY2(
            duplicates <= heldByKilled,
            qPrintable(QStringLiteral("%1 duplicate executions, but the killed workers held only %2 jobs")
                           .arg(duplicates)
                           .arg(heldByKilled)));
    }
};

QTEST_GUILESS_MAIN(TestChaos)
#include "tst_chaos.moc"
