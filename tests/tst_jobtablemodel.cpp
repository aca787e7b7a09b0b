// The live job table model against a real SQLite file and its reader thread: model invariants, no
// resets across refreshes, selection surviving changes, windowing, SQL-side filters and sorting.

#include "testutil.h"

#include "db/database.h"
#include "jobs/asyncjobservice.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobservice.h"
#include "jobs/jobstatsstore.h"
#include "jobs/jobtablemodel.h"
#include "jobs/jobtypes.h"

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("tester"));

QList<qint64> addJobs(JobService &service, int n, const QString &type = QStringLiteral("test.noop"))
{
    QList<NewJob> jobs(n, NewJob{type, JobPriority::Normal, {}, 3, std::nullopt});
    return service.enqueueMany(jobs, kActor).value();
}

// Waits until the model has applied the window it asked for.
bool settle(JobTableModel &model)
{
    QSignalSpy applied(&model, &JobTableModel::windowApplied);
    model.refreshNow();
    // A window being read when the refresh was asked for is applied first, then the refresh is read.
    do {
        if (!applied.wait(5000))
            return false;
    } while (model.isLoading());
    return true;
}

void complete(JobStore &store, const QList<qint64> &ids)
{
    // Claim everything due, complete the chosen jobs, give the rest back.
    QList<JobOutcome> outcomes;
    QList<qint64> others;
    auto claimed = store.claim(QStringLiteral("w"), 100000, 30000, {QStringLiteral("test.noop")});
    for (const auto &c : claimed.value()) {
        if (ids.contains(c.id))
            outcomes.append(JobOutcome{c.id, c.attempt, JobOutcome::Kind::Completed, {}, {}, true, 0, 0});
        else
            others.append(c.id);
    }
    (void)store.finish(QStringLiteral("w"), outcomes);
    (void)store.queue().release(QStringLiteral("w"), others);
}

} // namespace

class TestJobTableModel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        JobTypeCatalog::enableTestTypes();
        (void)QSqlDatabase::drivers();
    }
    void cleanup() { Database::closeThreadConnections(); }

    void loadsFirstWindowAndFormats()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const auto ids = addJobs(service, 10);
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 10, 5000);
        // Newest first.
        QCOMPARE(model.jobIdAt(0), ids.last());
        QCOMPARE(model.index(0, JobTableModel::IdColumn).data().toString(), Job::publicId(ids.last()));
        QCOMPARE(model.index(0, JobTableModel::StatusColumn).data().toString(), QStringLiteral("Queued"));
        QCOMPARE(model.index(0, JobTableModel::AttemptsColumn).data().toString(), QStringLiteral("0 of 4"));
        QCOMPARE(model.index(0, JobTableModel::StatusColumn).data(JobTableModel::StatusRole).toInt(),
                 int(JobStatus::Queued));
        QCOMPARE(model.headerData(JobTableModel::ErrorColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Error"));
    }

    // A hundred refreshes while jobs change state: rows move, appear and disappear, never a reset.
    void refreshesNeverReset()
    {
        TempDatabase tdb;
        JobStore store(tdb.config());
        JobService service{store};
        auto ids = addJobs(service, 50);
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        model.setRefreshInterval(0);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 50, 5000);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        // A fixed sequence, so that a failure happens again with the same seed (HCM_TEST_SEED=N tries
        // another one).
        const quint32 seed = qEnvironmentVariableIsSet("HCM_TEST_SEED")
                                 ? quint32(qEnvironmentVariable("HCM_TEST_SEED").toULong())
                                 : 20261205u;
        qInfo("random sequence seed %u (HCM_TEST_SEED)", seed);
        QRandomGenerator random(seed);
        auto *rng = &random;
        for (int round = 0; round < 100; ++round) {
            switch (round % 4) {
            case 0:
                ids += addJobs(service, 1 + int(rng->bounded(3)));
                break;
            case 1:
                complete(store, {ids.at(int(rng->bounded(int(ids.size()))))});
                break;
            case 2: {
                QList<qint64> finished;
                for (const Job &j :
                     store
                         .list(JobFilter{
                             {JobStatus::Completed}, {}, {}, JobSortColumn::Id, Qt::DescendingOrder, 2, 0})
                         .value())
                    finished << j.id;
                service.deleteFinished(finished, kActor);
                for (qint64 id : finished)
                    ids.removeAll(id);
                break;
            }
            case 3:
                service.cancel({ids.at(int(rng->bounded(int(ids.size()))))}, kActor);
                break;
            }
            QVERIFY(settle(model));
            QCOMPARE(model.rowCount(), int(store.count(JobFilter{}).value()));
        }
        QCOMPARE(resets.count(), 0);
        QVERIFY(inserted.count() > 0);
        QVERIFY(removed.count() > 0);
        QVERIFY(changed.count() > 0);
        // The model matches the database row for row.
        const auto rows =
            store.list(JobFilter{{}, {}, {}, JobSortColumn::Id, Qt::DescendingOrder, 1000, 0}).value();
        for (int i = 0; i < rows.size(); ++i) {
            QCOMPARE(model.jobIdAt(i), rows.at(i).id);
            QCOMPARE(model.index(i, JobTableModel::StatusColumn).data(JobTableModel::StatusRole).toInt(),
                     int(rows.at(i).status));
        }
    }

    void selectionAndCurrentRowSurviveRefresh()
    {
        TempDatabase tdb;
        JobStore store(tdb.config());
        JobService service{store};
        const auto ids = addJobs(service, 20);
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        model.setRefreshInterval(0);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 20, 5000);
        QItemSelectionModel selection(&model);
        const qint64 chosen = ids.at(5);
        const int row = model.rowOfJob(chosen);
        selection.setCurrentIndex(model.index(row, 0),
                                  QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        // Newer jobs arrive above it and an older one disappears below it.
        addJobs(service, 3);
        complete(store, {ids.at(0)});
        service.deleteFinished({ids.at(0)}, kActor);
        QVERIFY(settle(model));
        QCOMPARE(model.rowCount(), 22);
        QCOMPARE(model.jobIdAt(selection.currentIndex().row()), chosen);
        const auto selected = selection.selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(model.jobIdAt(selected.first().row()), chosen);
        QCOMPARE(selected.first().row(), row + 3);
    }

    // Sorted by status, a job that changes status moves; the selection moves with it.
    void selectionFollowsMovedRow()
    {
        TempDatabase tdb;
        JobStore store(tdb.config());
        JobService service{store};
        const auto ids = addJobs(service, 10);
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        model.setRefreshInterval(0);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.sort(JobTableModel::StatusColumn, Qt::AscendingOrder);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 10, 5000);
        QItemSelectionModel selection(&model);
        const qint64 chosen = ids.at(3);
        selection.select(model.index(model.rowOfJob(chosen), 0),
                         QItemSelectionModel::Select | QItemSelectionModel::Rows);
        service.cancel({chosen}, kActor); // "cancelled" sorts before "queued"
        QVERIFY(settle(model));
        QCOMPARE(model.rowOfJob(chosen), 0);
        QCOMPARE(selection.selectedRows().size(), 1);
        QCOMPARE(selection.selectedRows().first().row(), 0);
    }

    void filtersAndSortHappenInSql()
    {
        TempDatabase tdb;
        JobStore store(tdb.config());
        JobService service{store};
        addJobs(service, 5);
        addJobs(service, 3, QStringLiteral("cache_flush"));
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 8, 5000);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        model.setFilter({}, QStringLiteral("cache_flush"), {});
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3, 5000);
        QCOMPARE(resets.count(), 1); // a new filter is a new list
        model.setFilter({JobStatus::Completed}, {}, {});
        QTRY_COMPARE_WITH_TIMEOUT(model.isLoading(), false, 5000);
        QCOMPARE(model.rowCount(), 0);
        model.setFilter({}, {}, QStringLiteral("cache"));
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3, 5000);
        model.setFilter({}, {}, {});
        model.sort(JobTableModel::TypeColumn, Qt::AscendingOrder);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 8, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(model.index(0, JobTableModel::TypeColumn).data().toString(),
                                  QStringLiteral("cache_flush"), 5000);
    }

    // Jobs enqueued at the top of the list arrive as one insertion of their run, not one per row (each
    // insertion shifts the view header's entry per row: at ten million rows a burst of 300 new jobs
    // stalled the window for seconds).
    void newJobsAtTheTopAreOneInsertion()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        addJobs(service, 20);
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        model.setRefreshInterval(0);
        QAbstractItemModelTester tester(&model);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 20, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(model.isLoading(), false, 5000);
        const qint64 oldTop = model.jobIdAt(0);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        const QList<qint64> ids = addJobs(service, 50);
        QVERIFY(settle(model));
        QCOMPARE(model.rowCount(), 70);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.first().at(1).toInt(), 0);
        QCOMPARE(inserted.first().at(2).toInt(), 49);
        QCOMPARE(model.jobIdAt(0), ids.last());
        QCOMPARE(model.jobIdAt(50), oldTop);
    }

    // A filter the maintained counts cannot answer (a search) is counted once when it is set, up to
    // JobStatsStore::kCountLimit rows ("more than 100,000"), and again after a change notification, not
    // at every refresh. Without a filter the total is the maintained counts' (exact, nothing counted).
    void filteredTotalIsCountedOnceAndBounded_data() { addBackendRows(); }
    void filteredTotalIsCountedOnceAndBounded()
    {
        HCM_TEMP_DATABASE_OF_ROW(tdb);
        JobService service{JobStore(tdb.config())};
        addJobs(service, 3);
        {
            // Finished jobs of the old system, written the fastest way each backend has.
            QSqlQuery q(Database::connection(tdb.config()).value());
            const QString insert =
                tdb.isPostgres()
                    ? QStringLiteral(
                          "INSERT INTO job_archive (id, job_type, status, payload, run_at, created_at, "
                          "updated_at, completed_at, created_by) SELECT nextval('job_ids'), "
                          "'bulk.export', 'completed', '{}', 1, 1, 1, 1, 'sql' "
                          "FROM generate_series(1, 100005)")
                    : QStringLiteral(
                          "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < "
                          "100005) INSERT INTO background_jobs (job_type, status, payload, run_at, "
                          "created_at, updated_at, completed_at, created_by) SELECT 'bulk.export', "
                          "'completed', '{}', 1, 1, 1, 1, 'sql' FROM g");
            QVERIFY2(q.exec(insert), qPrintable(q.lastError().text()));
        }
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        model.setRefreshInterval(0);
        QTRY_COMPARE_WITH_TIMEOUT(model.total(), 100008, 5000);
        QCOMPARE(model.rowCount(), JobTableModel::kDefaultRowCap);
        QVERIFY(model.isCapped());
        QVERIFY(!model.totalIsLowerBound());
        QVERIFY(!model.lastWindowCounted()); // the maintained counts

        model.setFilter({}, {}, QStringLiteral("bulk"));
        QTRY_COMPARE_WITH_TIMEOUT(model.isLoading(), false, 10000);
        QCOMPARE(model.total(), JobStatsStore::kCountLimit);
        QCOMPARE(model.rowCount(), int(JobStatsStore::kCountLimit));
        QVERIFY(model.totalIsLowerBound());
        QVERIFY(model.isCapped());
        QVERIFY(model.lastWindowCounted());
        QVERIFY(settle(model));
        QVERIFY(!model.lastWindowCounted()); // a refresh reuses the total
        QCOMPARE(model.rowCount(), int(JobStatsStore::kCountLimit));
        QVERIFY(model.totalIsLowerBound());
        emit JobNotifier::instance()->jobsChanged({});
        QVERIFY(settle(model));
        QVERIFY(model.lastWindowCounted()); // counted again after a change

        // A search with few rows: exact, and rows that come with a notification move the total.
        model.setFilter({}, {}, QStringLiteral("test.noop"));
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3, 10000);
        QVERIFY(!model.totalIsLowerBound());
        addJobs(service, 2);
        QVERIFY(settle(model));
        QCOMPARE(model.rowCount(), 5);

        // Status counts of the search: one read of at most limit + 1 rows, marked as partial.
        JobFilter search;
        search.search = QStringLiteral("bulk");
        const QFuture<Result<StatusCounts>> counts = async.fetchCounts(search);
        QTRY_VERIFY_WITH_TIMEOUT(counts.isFinished(), 10000);
        QVERIFY(counts.result().ok());
        const StatusCounts c = counts.result().value();
        QCOMPARE(c.limit, JobStatsStore::kCountLimit);
        QVERIFY(c.partial());
        QCOMPARE(c.byStatus[size_t(JobStatus::Completed)], JobStatsStore::kCountLimit + 1);
        QCOMPARE(c.byStatus[size_t(JobStatus::Queued)], qint64(0));
    }

    // 5,000 rows, a window of 100: the model knows the count, holds one window, loads others on demand.
    void windowsLoadOnDemand()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const auto ids = addJobs(service, 5000);
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        model.setWindowSize(100);
        model.setRefreshInterval(0);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 5000, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(model.isLoading(), false, 5000);
        QVERIFY(model.jobAt(4999) == nullptr); // not loaded
        QCOMPARE(model.index(4999, 0).data().toString(), QStringLiteral("…"));
        model.ensureLoaded(4980, 4999); // what the view does when scrolled to the end
        QTRY_VERIFY_WITH_TIMEOUT(model.jobAt(4999) != nullptr, 5000);
        QCOMPARE(model.jobIdAt(4999), ids.first());
        QVERIFY(model.jobAt(0) == nullptr); // the first window was let go
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QVERIFY(settle(model));
        QCOMPARE(resets.count(), 0);
    }

    // The table shows the first rowCap() rows of the list (a view keeps per-row state); total() is the
    // whole list. New jobs at the top push the last shown row out, the count stays at the cap, and a
    // filter with fewer jobs is not capped.
    void rowsStopAtTheCap()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const auto ids = addJobs(service, 500);
        addJobs(service, 20, QStringLiteral("test.fail"));
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        model.setWindowSize(100);
        model.setRowCap(250);
        model.setRefreshInterval(0);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE_WITH_TIMEOUT(model.total(), 520, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(model.isLoading(), false, 5000);
        QCOMPARE(model.rowCount(), 250);
        QVERIFY(model.isCapped());
        QCOMPARE(model.jobIdAt(20), ids.last());

        // The view scrolled to the end asks past the last row: the window stops at the cap.
        model.ensureLoaded(240, 260);
        QTRY_VERIFY_WITH_TIMEOUT(model.jobAt(249) != nullptr, 5000);
        QCOMPARE(model.jobIdAt(249), ids.at(500 + 20 - 250));
        QVERIFY(model.jobAt(250) == nullptr);
        QCOMPARE(model.rowCount(), 250);
        model.ensureLoaded(0, 30);
        QTRY_VERIFY_WITH_TIMEOUT(model.jobAt(0) != nullptr, 5000);

        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        const QList<qint64> newer = addJobs(service, 30);
        QVERIFY(settle(model));
        QCOMPARE(model.total(), 550);
        QCOMPARE(model.rowCount(), 250);
        QCOMPARE(model.jobIdAt(0), newer.last());
        QCOMPARE(resets.count(), 0);

        model.setFilter({}, QStringLiteral("test.fail"), {});
        QTRY_COMPARE_WITH_TIMEOUT(model.total(), 20, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 20, 5000);
        QVERIFY(!model.isCapped());
    }

    // A refresh asked for while a window is read waits for its answer: when every read took longer than
    // the poll (a search over ten million jobs), each poll dropped the answer on its way and the page
    // never showed the search.
    void refreshesDoNotStarveASlowRead()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        addJobs(service, 20000);
        addJobs(service, 5, QStringLiteral("test.fail"));
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        model.setRefreshInterval(0);
        QTRY_COMPARE_WITH_TIMEOUT(model.total(), 20005, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(model.isLoading(), false, 5000);
        QSignalSpy applied(&model, &JobTableModel::windowApplied);
        model.setFilter({}, {}, QStringLiteral("noop"));
        // Refreshes asked for faster than any read answers (as a poll does while reads take seconds).
        QElapsedTimer timer;
        timer.start();
        while (applied.count() < 2 && timer.elapsed() < 5000) {
            model.refreshNow();
            QCoreApplication::processEvents();
        }
        QVERIFY2(applied.count() >= 2, "no window was applied while refreshes kept coming");
        QCOMPARE(model.total(), 20000);
        QVERIFY(model.jobAt(0) != nullptr);
        QCOMPARE(model.jobAt(0)->type, QStringLiteral("test.noop"));
    }

    void shrinkingListDropsTail()
    {
        TempDatabase tdb;
        JobStore store(tdb.config());
        JobService service{store};
        auto ids = addJobs(service, 30);
        AsyncJobService async{JobStore(tdb.config())};
        JobTableModel model(&async);
        model.setRefreshInterval(0);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 30, 5000);
        complete(store, ids);
        service.deleteFinished(ids.mid(0, 25), kActor);
        QVERIFY(settle(model));
        QCOMPARE(model.rowCount(), 5);
    }
};

QTEST_MAIN(TestJobTableModel)
#include "tst_jobtablemodel.moc"
