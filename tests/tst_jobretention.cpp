// JobRetention on SQLite and PostgreSQL: old finished jobs deleted in batches with their attempts (from
// job_archive on PostgreSQL, where the queue keeps the rest), jobs still queued or running left alone
// whatever their old completion time says, old attempts of finished and of vanished jobs, a bad batch
// size refused without a change.

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobretention.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

constexpr qint64 DayMs = 86'400'000;
constexpr qint64 Now = 1'780'000'000'000; // 2026-05-28
constexpr qint64 Old = Now - 40 * DayMs;
constexpr qint64 Recent = Now - DayMs;
constexpr qint64 Cutoff = Now - 30 * DayMs;

// Jobs 1-3 and 7 finished long ago (7 last), 4 finished recently after an old failed attempt, 5 was
// retried after failing long ago (queued again, its old completed_at kept), 6 is running.
bool insertJobs(const DbConfig &config)
{
    const QString job = QStringLiteral("(%1, 'cleanup', '%2', '{}', %3, %3, %4, %3, 'test')");
    const QString jobs =
        QStringList{job.arg(1).arg(QStringLiteral("completed")).arg(Old - DayMs).arg(Old),
                    job.arg(2).arg(QStringLiteral("failed")).arg(Old - DayMs).arg(Old),
                    job.arg(3).arg(QStringLiteral("cancelled")).arg(Old - DayMs).arg(Old),
                    job.arg(4).arg(QStringLiteral("completed")).arg(Old - DayMs).arg(Recent),
                    job.arg(5).arg(QStringLiteral("queued")).arg(Old - DayMs).arg(Old),
                    job.arg(6).arg(QStringLiteral("processing")).arg(Old - DayMs).arg(QStringLiteral("NULL")),
                    job.arg(7).arg(QStringLiteral("completed")).arg(Old - DayMs).arg(Old)}
            .join(QStringLiteral(", "));
    const QString attempt = QStringLiteral("(%1, %2, 'w1', %3, %4, '%5')");
    const QString attempts =
        QStringList{attempt.arg(1).arg(1).arg(Old - 2000).arg(Old - 1000).arg(QStringLiteral("failed")),
                    attempt.arg(1).arg(2).arg(Old - 500).arg(Old).arg(QStringLiteral("completed")),
                    attempt.arg(2).arg(1).arg(Old - 500).arg(Old).arg(QStringLiteral("failed")),
                    attempt.arg(4).arg(1).arg(Old - 500).arg(Old).arg(QStringLiteral("failed")),
                    attempt.arg(4).arg(2).arg(Recent - 500).arg(Recent).arg(QStringLiteral("completed")),
                    attempt.arg(5).arg(1).arg(Old - 500).arg(Old).arg(QStringLiteral("failed")),
                    attempt.arg(6).arg(1).arg(Old - 500).arg(Old).arg(QStringLiteral("lost"))}
            .join(QStringLiteral(", "));
    return execSql(config,
                   QStringLiteral(
                       "INSERT INTO background_jobs (id, job_type, status, payload, run_at, created_at, "
                       "completed_at, updated_at, created_by) VALUES ") +
                       jobs) &&
           execSql(config,
                   QStringLiteral(
                       "INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, finished_at, "
                       "outcome) VALUES ") +
                       attempts);
}

QString ids(const DbConfig &config, const QString &table, const QString &column = QStringLiteral("id"))
{
    auto db = Database::connection(config);
    QSqlQuery q(db.value());
    QStringList out;
    if (q.exec(QStringLiteral("SELECT %1 FROM %2 ORDER BY 1").arg(column, table)))
        while (q.next())
            out << q.value(0).toString();
    return out.join(QLatin1Char(','));
}

} // namespace

class TestJobRetention : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void cleanup() { Database::closeThreadConnections(); }

    void finishedJobsGoInBatchesWithTheirAttempts()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(insertJobs(tdb.config()));
        const JobRetention retention(tdb.config());
        QCOMPARE(retention.countFinishedBefore(Cutoff).value(), qint64(4));

        auto batch = retention.deleteFinishedBatch(Cutoff, 3);
        QVERIFY2(batch.ok(), batch.ok() ? "" : qPrintable(batch.error().message));
        QCOMPARE(batch->jobs, qint64(3)); // 1, 2, 3: the oldest ids first
        QCOMPARE(batch->attempts, qint64(3));
        QCOMPARE(ids(tdb.config(), QStringLiteral("background_jobs")), QStringLiteral("4,5,6,7"));
        batch = retention.deleteFinishedBatch(Cutoff, 3);
        QVERIFY(batch.ok());
        QCOMPARE(batch->jobs, qint64(1));
        QCOMPARE(batch->attempts, qint64(0));
        batch = retention.deleteFinishedBatch(Cutoff, 3);
        QVERIFY(batch.ok());
        QCOMPARE(batch->jobs, qint64(0));
        QCOMPARE(retention.countFinishedBefore(Cutoff).value(), qint64(0));

        // The recent job, the retried one and the running one stay, with every attempt they had.
        QCOMPARE(ids(tdb.config(), QStringLiteral("background_jobs")), QStringLiteral("4,5,6"));
        QCOMPARE(ids(tdb.config(), QStringLiteral("job_attempts"), QStringLiteral("job_id")),
                 QStringLiteral("4,4,5,6"));
        if (tdb.isPostgres()) {
            QCOMPARE(ids(tdb.config(), QStringLiteral("job_archive")), QStringLiteral("4"));
            QCOMPARE(ids(tdb.config(), QStringLiteral("job_queue")), QStringLiteral("5,6"));
        }
    }

    void badBatchSizeChangesNothing()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(insertJobs(tdb.config()));
        const QString before = snapshot(tdb.config());
        for (int limit : {0, -5}) {
            const auto batch = JobRetention(tdb.config()).deleteFinishedBatch(Cutoff, limit);
            QVERIFY(!batch.ok());
            QCOMPARE(int(batch.error().code), int(Error::Code::Invalid));
            QCOMPARE(batch.error().message,
                     QStringLiteral("A batch of old jobs to delete must hold at least one job, not %1.")
                         .arg(limit));
        }
        QCOMPARE(snapshot(tdb.config()), before);
    }

    void oldAttemptsOfFinishedAndVanishedJobs()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(insertJobs(tdb.config()));
        const JobRetention retention(tdb.config());
        // Finished before the cut-off, of finished jobs: 1's two, 2's and 4's first. Those of the
        // retried and of the running job stay, old as they are.
        auto n = retention.deleteAttemptsBefore(Cutoff);
        QVERIFY2(n.ok(), n.ok() ? "" : qPrintable(n.error().message));
        QCOMPARE(n.value(), qint64(4));
        QCOMPARE(ids(tdb.config(), QStringLiteral("job_attempts"), QStringLiteral("job_id")),
                 QStringLiteral("4,5,6"));
        QCOMPARE(ids(tdb.config(), QStringLiteral("background_jobs")), QStringLiteral("1,2,3,4,5,6,7"));
        QCOMPARE(retention.deleteAttemptsBefore(Cutoff).value(), qint64(0));

        if (!tdb.isPostgres())
            return; // SQLite's foreign key takes a deleted job's attempts along
        // A job deleted straight from its table leaves its attempts behind: old ones go now.
        QVERIFY(
            execSql(tdb.config(), QStringLiteral("INSERT INTO job_attempts (job_id, attempt, worker_id, "
                                                 "started_at, finished_at, outcome) VALUES (7, 1, 'w1', %1, "
                                                 "%2, 'failed'), (7, 2, 'w1', %3, %4, 'completed')")
                                      .arg(Old - 500)
                                      .arg(Old)
                                      .arg(Recent - 500)
                                      .arg(Recent)));
        QVERIFY(execSql(tdb.config(), QStringLiteral("DELETE FROM job_archive WHERE id = 7")));
        QCOMPARE(retention.deleteAttemptsBefore(Cutoff).value(), qint64(1));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_attempts"), QStringLiteral("job_id = 7")),
                 qint64(1));
    }
};

QTEST_GUILESS_MAIN(TestJobRetention)
#include "tst_jobretention.moc"
