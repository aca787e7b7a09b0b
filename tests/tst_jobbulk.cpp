// Bulk job actions on everything a filter selects (JobService::retryMatching, cancelMatching,
// deleteFinishedMatching and hcmctl's --all forms), and the throughput the jobs page shows (per type,
// jobs completed in the last 60 seconds). Every test runs on SQLite and PostgreSQL.

#include "testutil.h"

#include "db/database.h"
#include "jobs/asyncjobservice.h"
#include "jobs/jobservice.h"
#include "jobs/jobstatsstore.h"

#include <QProcess>
#include <QSqlQuery>

#include <QtTest>
#include <numeric>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kOperator{QStringLiteral("op"), Role::Operator, Interface::Cli};
const Actor kViewer{QStringLiteral("viewer"), Role::Viewer, Interface::Cli};
const QString kWorker = QStringLiteral("hcm-worker@test:1");

// `n` jobs of `type` that ran and ended as `kind` (Failed: not retryable, so they fail for good).
QList<qint64> finished(JobStore &store, const QString &type, int n, JobOutcome::Kind kind)
{
    JobService service{store};
    QList<NewJob> jobs;
    for (int i = 0; i < n; ++i)
        jobs << NewJob{type, JobPriority::Normal, {}, 0, std::nullopt};
    auto inserted = service.enqueueMany(jobs, kOperator);
    if (!inserted) {
        qWarning() << "enqueue:" << inserted.error().message;
        return {};
    }
    QList<qint64> ids = inserted.value();
    for (int done = 0; done < n;) {
        const auto claim = store.claim(kWorker, 500, 600'000, {type});
        if (!claim) {
            qWarning() << "claim:" << claim.error().message;
            return {};
        }
        const QList<ClaimedJob> &claimed = claim.value();
        if (claimed.isEmpty())
            break;
        QList<JobOutcome> outcomes;
        for (const ClaimedJob &c : claimed)
            outcomes << JobOutcome{c.id, c.attempt, kind, {}, QStringLiteral("boom"), false, 0, 0};
        if (auto st = store.finish(kWorker, outcomes); !st) {
            qWarning() << "finish:" << st.error().message;
            return {};
        }
        done += int(claimed.size());
    }
    return ids;
}

qint64 countWhere(const TempDatabase &tdb, const QString &where)
{
    return rowCount(tdb.config(), QStringLiteral("background_jobs"), where);
}

} // namespace

class TestJobBulk : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase() { (void)QSqlDatabase::drivers(); }
    void cleanup() { Database::closeThreadConnections(); }

    // "Retry all failed cache_flush": more jobs than a batch, only that type, progress per batch.
    void retryAllFailedOfOneTypeInBatches()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        JobService service{store};
        const int n = JobService::kBulkBatch * 2 + 34;
        QCOMPARE(finished(store, QStringLiteral("cache_flush"), n, JobOutcome::Kind::Failed).size(), n);
        QCOMPARE(finished(store, QStringLiteral("cleanup"), 7, JobOutcome::Kind::Failed).size(), 7);
        finished(store, QStringLiteral("cache_flush"), 5, JobOutcome::Kind::Completed);
        JobFilter filter;
        filter.type = QStringLiteral("cache_flush");
        QCOMPARE(service.previewBulk(BulkAction::Retry, filter, 0, kOperator).value(), qint64(n));

        QList<QPair<qint64, qint64>> calls;
        const auto result = service.retryMatching(filter, kOperator, [&](qint64 done, qint64 total) {
            calls << qMakePair(done, total);
            return true;
        });
        QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
        QCOMPARE(result->matched, qint64(n));
        QCOMPARE(result->changed, qint64(n));
        QCOMPARE(result->refused, qint64(0));
        QCOMPARE(calls.size(), 3); // 500 + 500 + 34
        QCOMPARE(calls.first(), qMakePair(qint64(JobService::kBulkBatch), qint64(n)));
        QCOMPARE(calls.last(), qMakePair(qint64(n), qint64(n)));
        QCOMPARE(countWhere(tdb, QStringLiteral("job_type = 'cache_flush' AND status = 'queued'")),
                 qint64(n));
        // Other types and other statuses are untouched.
        QCOMPARE(countWhere(tdb, QStringLiteral("job_type = 'cleanup' AND status = 'failed'")), qint64(7));
        QCOMPARE(countWhere(tdb, QStringLiteral("status = 'completed'")), qint64(5));
    }

    // Stopping after the first batch keeps what was done; a viewer may do nothing and changes nothing.
    void stopAfterABatchAndPermission()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        JobService service{store};
        const int n = JobService::kBulkBatch + 10;
        QCOMPARE(finished(store, QStringLiteral("cleanup"), n, JobOutcome::Kind::Failed).size(), n);

        const QString before = snapshot(tdb.config());
        const auto refused = service.retryMatching({}, kViewer);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, Error::Code::Forbidden);
        QCOMPARE(snapshot(tdb.config()), before);

        const auto result = service.retryMatching({}, kOperator, [](qint64, qint64) { return false; });
        QVERIFY(result.ok());
        QVERIFY(result->stopped);
        QCOMPARE(result->changed, qint64(JobService::kBulkBatch));
        QCOMPARE(countWhere(tdb, QStringLiteral("status = 'failed'")), qint64(10));
    }

    // "Cancel all queued cache_flush": only queued jobs of that type; jobs due later count too.
    void cancelAllQueuedOfOneType()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        QList<NewJob> jobs;
        for (int i = 0; i < 56; ++i)
            jobs << NewJob{QStringLiteral("cache_flush"),
                           JobPriority::Normal,
                           {},
                           3,
                           i % 2 ? std::optional<qint64>(Clock::system()->nowMs() + 3'600'000)
                                 : std::nullopt};
        for (int i = 0; i < 4; ++i)
            jobs << NewJob{QStringLiteral("cleanup"), JobPriority::Normal, {}, 3, std::nullopt};
        QVERIFY(service.enqueueMany(jobs, kOperator).ok());
        JobFilter filter;
        filter.type = QStringLiteral("cache_flush");
        filter.statuses = {JobStatus::Queued, JobStatus::Completed}; // completed cannot be cancelled
        QCOMPARE(service.previewBulk(BulkAction::Cancel, filter, 0, kOperator).value(), qint64(56));
        const auto result = service.cancelMatching(filter, kOperator);
        QVERIFY(result.ok());
        QCOMPARE(result->changed, qint64(56));
        QCOMPARE(countWhere(tdb, QStringLiteral("status = 'cancelled'")), qint64(56));
        QCOMPARE(countWhere(tdb, QStringLiteral("job_type = 'cleanup' AND status = 'queued'")), qint64(4));
    }

    // "Delete finished older than …": only jobs finished before the cutoff; the preview says how many.
    void deleteFinishedOlderThan()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        JobService service{store};
        const QList<qint64> old = finished(store, QStringLiteral("cleanup"), 12, JobOutcome::Kind::Completed);
        QCOMPARE(old.size(), 12);
        {
            auto db = Database::connection(tdb.config());
            QSqlQuery q(db.value());
            // Finished ten days ago (the view's rows on PostgreSQL live in job_archive).
            QVERIFY(q.exec(QStringLiteral("UPDATE %1 SET completed_at = completed_at - 864000000")
                               .arg(tdb.isPostgres() ? QStringLiteral("job_archive")
                                                     : QStringLiteral("background_jobs"))));
        }
        finished(store, QStringLiteral("cleanup"), 3, JobOutcome::Kind::Completed);
        QVERIFY(JobService(store)
                    .enqueue(NewJob{QStringLiteral("cleanup"), JobPriority::Normal, {}, 3, std::nullopt},
                             kOperator)
                    .ok());
        const qint64 cutoff = Clock::system()->nowMs() - 5 * 86'400'000LL;
        QCOMPARE(service.previewBulk(BulkAction::Delete, {}, cutoff, kOperator).value(), qint64(12));
        const auto result = service.deleteFinishedMatching({}, cutoff, kOperator);
        QVERIFY(result.ok());
        QCOMPARE(result->changed, qint64(12));
        QCOMPARE(countWhere(tdb, {}), qint64(4)); // 3 recent + 1 queued
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_attempts"),
                          QStringLiteral("job_id IN (%1)").arg(QString::number(old.first()))),
                 qint64(0));
    }

    // The chart's numbers: per type, and jobs/min as the jobs completed in the last 60 seconds.
    void throughputPerTypeAndLastMinute()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        finished(store, QStringLiteral("cleanup"), 3, JobOutcome::Kind::Completed);
        finished(store, QStringLiteral("cache_flush"), 2, JobOutcome::Kind::Completed);
        finished(store, QStringLiteral("cache_flush"), 1, JobOutcome::Kind::Failed);
        JobStatsStore stats(tdb.config());
        const Throughput all = stats.throughput(60).value();
        QCOMPARE(all.completedLastMinute, qint64(5));
        const Throughput email = stats.throughput(60, QStringLiteral("cache_flush")).value();
        QCOMPARE(email.completedLastMinute, qint64(2));
        QCOMPARE(std::accumulate(email.completed.cbegin(), email.completed.cend(), 0), 2);
        QCOMPARE(std::accumulate(email.failed.cbegin(), email.failed.cend(), 0), 1);
        QCOMPARE(email.type, QStringLiteral("cache_flush"));
    }

    // Jobs/min past the exact bound (a burn-down with windows open): where the minutes are maintained
    // (PostgreSQL) the figure comes from the two newest minutes and never reads below the bound; SQLite
    // counts every row. The rows are imported finished, stamped 29 s into the current minute.
    void lastMinutePastTheExactBound()
    {
        HCM_TEMP_DATABASE(tdb);
        const qint64 minuteStart = Clock::system()->nowMs() / 60'000 * 60'000;
        const qint64 n = JobStatsStore::kExactRateLimit + 100;
        const QString numbers =
            tdb.isPostgres()
                ? QStringLiteral("generate_series(1, %1) AS g").arg(n)
                : QStringLiteral("(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
                                 "WHERE g < %1) SELECT g FROM s)")
                      .arg(n);
        QString error;
        QVERIFY2(
            test::execSql(tdb.config(),
                          QStringLiteral("INSERT INTO background_jobs (job_type, status, payload, attempts, "
                                         "run_at, created_at, started_at, completed_at, updated_at, "
                                         "created_by) SELECT 'cleanup', 'completed', '{}', 1, %2, %2, %2, "
                                         "%2, %2, 'import' FROM %1")
                              .arg(numbers)
                              .arg(minuteStart + 29'000),
                          &error),
            qPrintable(error));
        const auto clock = std::make_shared<ManualClock>(minuteStart + 30'000);
        const JobStatsStore stats(tdb.config(), clock);
        // All in the current minute: the estimate is exact.
        QCOMPARE(stats.throughput(60).value().completedLastMinute, n);
        // 15 s into the next minute the rows are 46 s old: still "in the last 60 s". PostgreSQL estimates
        // three quarters of the previous minute (1,575) and keeps the bound it counted to instead.
        clock->setMs(minuteStart + 75'000);
        QCOMPARE(stats.throughput(60).value().completedLastMinute,
                 tdb.isPostgres() ? JobStatsStore::kExactRateLimit + 1 : n);
        // A minute later none are.
        clock->setMs(minuteStart + 135'000);
        QCOMPARE(stats.throughput(60).value().completedLastMinute, qint64(0));
        // The estimate itself: the current minute, plus the share of the previous one still in range.
        QCOMPARE(JobStatsStore::estimateLastMinute(100, 600, 0), qint64(700));
        QCOMPARE(JobStatsStore::estimateLastMinute(100, 600, 15'000), qint64(550));
        QCOMPARE(JobStatsStore::estimateLastMinute(100, 600, 60'000), qint64(100));
        QCOMPARE(JobStatsStore::estimateLastMinute(0, 0, 30'000), qint64(0));
    }

    // hcmctl jobs retry --all --status failed --type X (and cancel, delete): the same through the CLI;
    // ids together with --all, or neither, is a usage error that changes nothing.
    void hcmctlAll()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        finished(store, QStringLiteral("cache_flush"), 4, JobOutcome::Kind::Failed);
        finished(store, QStringLiteral("cleanup"), 2, JobOutcome::Kind::Failed);
        const auto ctl = [&](const QStringList &args, QString *out = nullptr) {
            QProcess p;
            p.start(programPath(QStringLiteral("hcmctl")),
                    QStringList{QStringLiteral("--db"), tdb.spec()} + args);
            if (!p.waitForFinished(60'000))
                return -1;
            if (out)
                *out = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
            return p.exitCode();
        };
        QString out;
        QCOMPARE(ctl({QStringLiteral("jobs"), QStringLiteral("retry"), QStringLiteral("--all"),
                      QStringLiteral("--status"), QStringLiteral("failed"), QStringLiteral("--type"),
                      QStringLiteral("cache_flush"), QStringLiteral("--dry-run")},
                     &out),
                 0);
        QVERIFY2(out.contains(QLatin1String("4 jobs match")), qPrintable(out));
        QCOMPARE(countWhere(tdb, QStringLiteral("status = 'failed'")), qint64(6));
        QCOMPARE(ctl({QStringLiteral("jobs"), QStringLiteral("retry"), QStringLiteral("--all"),
                      QStringLiteral("--status"), QStringLiteral("failed"), QStringLiteral("--type"),
                      QStringLiteral("cache_flush")},
                     &out),
                 0);
        QVERIFY2(out.contains(QLatin1String("4 of 4")), qPrintable(out));
        QCOMPARE(countWhere(tdb, QStringLiteral("status = 'failed'")), qint64(2));
        QCOMPARE(countWhere(tdb, QStringLiteral("job_type = 'cache_flush' AND status = 'queued'")),
                 qint64(4));

        QCOMPARE(ctl({QStringLiteral("jobs"), QStringLiteral("cancel"), QStringLiteral("--all"),
                      QStringLiteral("--type"), QStringLiteral("cache_flush")},
                     &out),
                 0);
        QCOMPARE(countWhere(tdb, QStringLiteral("status = 'cancelled'")), qint64(4));
        QCOMPARE(ctl({QStringLiteral("jobs"), QStringLiteral("delete"), QStringLiteral("--all"),
                      QStringLiteral("--status"), QStringLiteral("cancelled")},
                     &out),
                 0);
        QCOMPARE(countWhere(tdb, {}), qint64(2));

        const QString before = snapshot(tdb.config());
        QCOMPARE(ctl({QStringLiteral("jobs"), QStringLiteral("delete"), QStringLiteral("--all"),
                      QStringLiteral("5")},
                     &out),
                 2);
        QCOMPARE(ctl({QStringLiteral("jobs"), QStringLiteral("delete")}, &out), 2);
        QVERIFY2(out.contains(QLatin1String("--all")), qPrintable(out));
        QCOMPARE(snapshot(tdb.config()), before);
    }

    // The GUI's path: AsyncJobService runs the action in its own thread and reports progress per batch
    // and the result once.
    void asyncBulkReportsProgressAndResult()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        const int n = JobService::kBulkBatch + 1;
        QCOMPARE(finished(store, QStringLiteral("cleanup"), n, JobOutcome::Kind::Failed).size(), n);
        AsyncJobService async(JobStore(tdb.config()));
        QFutureWatcher<Result<BulkResult>> watcher;
        QSignalSpy progress(&watcher, &QFutureWatcherBase::progressValueChanged);
        QSignalSpy done(&watcher, &QFutureWatcherBase::finished);
        watcher.setFuture(async.runBulk(BulkAction::Retry, {}, 0, kOperator));
        QVERIFY(done.wait(30'000));
        QCOMPARE(done.size(), 1);
        QVERIFY(watcher.future().result().ok());
        QCOMPARE(watcher.future().result().value().changed, qint64(n));
        // After each of the two batches. A watcher given a future that has started already is first told
        // the progress so far (0 before the first batch), so a value may come twice; the values are those
        // of the batches, in order.
        QList<qint64> values;
        for (const QList<QVariant> &signal : std::as_const(progress)) {
            const qint64 value = signal.at(0).toLongLong();
            if (value != 0 && (values.isEmpty() || values.last() != value))
                values << value;
        }
        QCOMPARE(values, (QList<qint64>{JobService::kBulkBatch, n}));
        QCOMPARE(progress.last().at(0).toLongLong(), qint64(n));
        QCOMPARE(watcher.progressMaximum(), n);
    }
};

QTEST_MAIN(TestJobBulk)
#include "tst_jobbulk.moc"
