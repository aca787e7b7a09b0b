// The workers page driven on real widgets (offscreen) against both backends: a registered worker whose
// heartbeat went stale while it held jobs is shown as lost; selecting it lists the jobs it holds; when
// the reaper requeues them the same rows turn into "Lost" attempts, in place; a double-click opens a
// job's details. Also renders the screenshot workers.png (testutil.h: screenshotPath).

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "jobs/workerstate.h"
#include "ui/jobdetailsdialog.h"
#include "ui/mainwindow.h"
#include "ui/workerjobsmodel.h"
#include "ui/workerspage.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QLabel>
#include <QMenu>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QThread>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;
using namespace hcm::ui;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("tester"));
const QString kLost = QStringLiteral("hcm-worker@app02:5120");
const QString kLive = QStringLiteral("hcm-worker@app01:4211");

WorkerInfo workerInfo(const QString &id, const QString &host, qint64 pid, int concurrency)
{
    return WorkerInfo{id, host, pid, 0, 0, concurrency, 0, QStringLiteral(HCM_VERSION), 0};
}

qint64 enqueue(JobService &service, const QString &type, const QJsonObject &payload = {})
{
    auto id = service.enqueue(NewJob{type, JobPriority::Normal, payload, 3, std::nullopt}, kActor);
    return id ? id.value() : -1;
}

JobDetailsDialog *openDialog()
{
    for (QWidget *w : QApplication::topLevelWidgets()) {
        if (auto *d = qobject_cast<JobDetailsDialog *>(w); d && d->isVisible())
            return d;
    }
    return nullptr;
}

QString cell(QAbstractItemModel *model, int row, int column)
{
    return model->index(row, column).data().toString();
}

} // namespace

class TestGuiWorkers : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase() { initGuiSuite(QStringLiteral("tst_gui_workers")); }
    void cleanup()
    {
        for (QWidget *w : QApplication::topLevelWidgets()) {
            if (qobject_cast<JobDetailsDialog *>(w))
                delete w;
        }
        Database::closeThreadConnections();
    }

    void lostWorkerShowsItsJobsUntilTheReaperTakesThem()
    {
        HCM_TEMP_DATABASE(tdb);
        // A worker that claimed two jobs ten minutes ago (30 s leases) and never sent another heartbeat,
        // and a live worker running one job under a long lease.
        auto past = std::make_shared<ManualClock>(Clock::system()->nowMs() - 10 * 60'000);
        JobService oldService{JobStore(tdb.config(), past)};
        JobStore &old = oldService.store();
        const qint64 a = enqueue(oldService, QStringLiteral("cache_flush"),
                                 {{QStringLiteral("action"), QStringLiteral("expired")}});
        const qint64 b = enqueue(oldService, QStringLiteral("log_rotate"), {{QStringLiteral("keep"), 5}});
        QVERIFY(a > 0 && b > 0);
        QVERIFY(old.registerWorker(workerInfo(kLost, QStringLiteral("app02"), 5120, 4)).ok());
        auto claimed =
            old.claim(kLost, 2, 30'000, {QStringLiteral("cache_flush"), QStringLiteral("log_rotate")});
        QVERIFY(claimed.ok());
        QCOMPARE(claimed->size(), 2);
        // Both handlers had begun: the rescue below counts their attempts as lost. A job only claimed
        // would go back as "not started", which the page says as such (not as a failure).
        QVERIFY(old.queue().markStarted(kLost, {{a, 1}, {b, 1}}, false).ok());
        QCOMPARE(WorkerJobsModel::outcomeText(QStringLiteral("not_started")), QStringLiteral("Not started"));

        JobService service{JobStore(tdb.config())};
        const qint64 c = enqueue(service, QStringLiteral("db_optimize"));
        QVERIFY(service.store().registerWorker(workerInfo(kLive, QStringLiteral("app01"), 4211, 4)).ok());
        QCOMPARE(service.store().claim(kLive, 1, 600'000, {QStringLiteral("db_optimize")})->size(), 1);

        // From here on the GUI thread must not touch the database itself (until the test reaps).
        Database::closeThreadConnections();
        const auto guiThreadConnections = [] {
            const QString suffix =
                QStringLiteral(":%1").arg(reinterpret_cast<quintptr>(QThread::currentThreadId()), 0, 16);
            QStringList names;
            for (const QString &name : QSqlDatabase::connectionNames()) {
                if (name.endsWith(suffix))
                    names << name;
            }
            return names;
        };

        AsyncJobService async{JobStore(tdb.config())};
        WorkersPage page(&async);
        QAbstractItemModelTester workersTester(page.model());
        QAbstractItemModelTester jobsTester(page.jobsModel());
        QSignalSpy workerResets(page.model(), &QAbstractItemModel::modelReset);
        QSignalSpy jobResets(page.jobsModel(), &QAbstractItemModel::modelReset);
        page.setRefreshInterval(100);
        page.resize(1200, 700);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));

        // Both workers listed; the quiet one is marked lost at once.
        WorkerTableModel *workers = page.model();
        QTRY_COMPARE_WITH_TIMEOUT(workers->rowCount(), 2, 5000);
        const int lostRow = workers->rowOfWorker(kLost);
        const int liveRow = workers->rowOfWorker(kLive);
        QVERIFY(lostRow >= 0 && liveRow >= 0);
        const QModelIndex lostState = workers->index(lostRow, WorkerTableModel::StateColumn);
        QCOMPARE(lostState.data(WorkerTableModel::StateRole).toInt(), int(WorkerState::Lost));
        QVERIFY2(lostState.data().toString().startsWith(QLatin1String("Lost (no heartbeat for 10 min")),
                 qPrintable(lostState.data().toString()));
        QVERIFY(lostState.data(Qt::ToolTipRole).toString().contains(QLatin1String("return to the queue")));
        QCOMPARE(
            workers->index(liveRow, WorkerTableModel::StateColumn).data(WorkerTableModel::StateRole).toInt(),
            int(WorkerState::Running));
        QCOMPARE(cell(workers, liveRow, WorkerTableModel::StateColumn), QStringLiteral("Running"));

        // Nothing selected yet: the panel says what to do.
        QVERIFY(page.jobsTitle()->text().startsWith(QLatin1String("Select a worker")));
        QCOMPARE(page.jobsModel()->rowCount(), 0);

        // Clicking the lost worker lists the two jobs it still holds.
        QTableView *table = page.workerTable();
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {},
                          table->visualRect(workers->index(lostRow, WorkerTableModel::IdColumn)).center());
        QCOMPARE(page.selectedWorker(), kLost);
        WorkerJobsModel *jobs = page.jobsModel();
        QTRY_COMPARE_WITH_TIMEOUT(jobs->rowCount(), 2, 5000);
        QCOMPARE(jobs->heldCount(), 2);
        QCOMPARE(QSet<qint64>({jobs->jobIdAt(0), jobs->jobIdAt(1)}), QSet<qint64>({a, b}));
        for (int row = 0; row < 2; ++row) {
            QCOMPARE(cell(jobs, row, WorkerJobsModel::OutcomeColumn), QStringLiteral("Running"));
            QCOMPARE(cell(jobs, row, WorkerJobsModel::StatusColumn), QStringLiteral("Processing"));
            QCOMPARE(cell(jobs, row, WorkerJobsModel::AttemptColumn), QStringLiteral("1"));
            QVERIFY2(cell(jobs, row, WorkerJobsModel::EndedColumn).startsWith(QLatin1String("lease expired")),
                     qPrintable(cell(jobs, row, WorkerJobsModel::EndedColumn)));
            QVERIFY(!cell(jobs, row, WorkerJobsModel::StartedColumn).isEmpty());
        }
        QCOMPARE(cell(jobs, jobs->rowOf(a, 1), WorkerJobsModel::TypeColumn), QStringLiteral("cache_flush"));
        QCOMPARE(cell(jobs, jobs->rowOf(a, 1), WorkerJobsModel::JobColumn), Job::publicId(a));
        QTRY_VERIFY_WITH_TIMEOUT(page.jobsTitle()->text().contains(QLatin1String("It still holds 2 jobs")),
                                 5000);
        QVERIFY(page.jobsTitle()->text().contains(QLatin1String("lost")));
        const QPersistentModelIndex rowOfA = jobs->index(jobs->rowOf(a, 1), WorkerJobsModel::JobColumn);

        QCOMPARE(guiThreadConnections(), QStringList());

        // The reaper requeues them (their leases expired long ago); the live worker's job stays. The
        // same rows now show the lost attempts and the jobs' new status.
        auto reaped = service.store().queue().reapExpired();
        QVERIFY(reaped.ok());
        QCOMPARE(reaped->size(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(jobs->heldCount(), 0, 5000);
        QCOMPARE(jobs->rowCount(), 2);
        for (qint64 id : {a, b}) {
            const int row = jobs->rowOf(id, 1);
            QVERIFY(row >= 0);
            QCOMPARE(jobs->index(row, 0).data(WorkerJobsModel::OutcomeRole).toString(),
                     QStringLiteral("lost"));
            QCOMPARE(cell(jobs, row, WorkerJobsModel::OutcomeColumn), QStringLiteral("Lost"));
            QCOMPARE(cell(jobs, row, WorkerJobsModel::StatusColumn), QStringLiteral("Queued"));
            QVERIFY(
                cell(jobs, row, WorkerJobsModel::ErrorColumn).contains(QLatin1String("stopped responding")));
        }
        QVERIFY(rowOfA.isValid());
        QCOMPARE(rowOfA.data(WorkerJobsModel::JobIdRole).toLongLong(), a);
        QTRY_VERIFY_WITH_TIMEOUT(page.jobsTitle()->text().contains(QLatin1String("It holds no jobs.")), 5000);
        QVERIFY(page.jobsTitle()->text().contains(QLatin1String("latest 2 attempts that did not complete")));

        // A double-click opens the job's details.
        QTableView *jobsTable = page.jobsTable();
        const QPoint centre = jobsTable->visualRect(rowOfA).center();
        QTest::mouseClick(jobsTable->viewport(), Qt::LeftButton, {}, centre);
        QTest::mouseDClick(jobsTable->viewport(), Qt::LeftButton, {}, centre);
        QTRY_VERIFY_WITH_TIMEOUT(openDialog(), 5000);
        QCOMPARE(openDialog()->jobId(), a);
        openDialog()->close();
        // So does the context menu.
        QMenu *menu = page.createJobMenu(jobs->rowOf(b, 1));
        auto *details = menu->findChild<QAction *>(QStringLiteral("detailsAction"));
        QVERIFY(details);
        details->trigger();
        menu->close();
        QTRY_VERIFY_WITH_TIMEOUT(openDialog() && openDialog()->jobId() == b, 5000);
        openDialog()->close();

        // The live worker holds its one job.
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {},
                          table->visualRect(workers->index(workers->rowOfWorker(kLive), 0)).center());
        QCOMPARE(page.selectedWorker(), kLive);
        QTRY_COMPARE_WITH_TIMEOUT(jobs->workerId(), kLive, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(jobs->rowCount(), 1, 5000);
        QCOMPARE(jobs->jobIdAt(0), c);
        QCOMPARE(jobs->heldCount(), 1);
        QVERIFY2(cell(jobs, 0, WorkerJobsModel::EndedColumn).startsWith(QLatin1String("lease expires in")),
                 qPrintable(cell(jobs, 0, WorkerJobsModel::EndedColumn)));
        QTRY_VERIFY_WITH_TIMEOUT(page.jobsTitle()->text().contains(QLatin1String("is running")) &&
                                     page.jobsTitle()->text().contains(QLatin1String("It holds 1 job.")),
                                 5000);

        // Refreshes (every 100 ms here) bring changes in place and never reset either model: the live
        // worker takes another job and reports it with its heartbeat; then a few refreshes find nothing new.
        const qint64 d = enqueue(service, QStringLiteral("db_optimize"));
        QCOMPARE(service.store().claim(kLive, 1, 600'000, {QStringLiteral("db_optimize")})->size(), 1);
        QVERIFY(service.store().queue().heartbeat(kLive, 600'000, 2).ok());
        QTRY_COMPARE_WITH_TIMEOUT(jobs->rowCount(), 2, 5000);
        QVERIFY(jobs->rowOf(d, 1) >= 0);
        QCOMPARE(jobs->heldCount(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(workers->worker(kLive)->running, 2, 5000);
        const qint64 refreshedAt = workers->now();
        QTRY_VERIFY_WITH_TIMEOUT(workers->now() >= refreshedAt + 300, 5000);
        QCOMPARE(jobs->rowCount(), 2);
        QCOMPARE(workerResets.count(), 0);
        QCOMPARE(jobResets.count(), 0);
    }

    // The list of workers cannot be read for a moment (here its table is renamed away): the page says
    // so, keeps the rows it had, and the message goes once the list loads again.
    void loadErrorClearsWhenTheWorkersLoadAgain()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(
            JobStore(tdb.config()).registerWorker(workerInfo(kLive, QStringLiteral("app01"), 4211, 4)).ok());
        const auto exec = [&](const QString &sql) {
            auto db = Database::connection(tdb.config());
            QSqlQuery q(db.value());
            const bool ok = q.exec(sql);
            if (!ok)
                qWarning() << q.lastError().text();
            return ok;
        };

        AsyncJobService async{JobStore(tdb.config())};
        WorkersPage page(&async);
        page.setRefreshInterval(100);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, 5000);
        QVERIFY(!page.jobsTitle()->text().contains(QLatin1String("Could not load")));

        QVERIFY(exec(QStringLiteral("ALTER TABLE workers RENAME TO workers_away")));
        QTRY_VERIFY_WITH_TIMEOUT(page.jobsTitle()->text().contains(QLatin1String("Could not load: ")), 5000);
        QCOMPARE(page.model()->rowCount(), 1);
        QVERIFY(exec(QStringLiteral("ALTER TABLE workers_away RENAME TO workers")));
        QTRY_VERIFY_WITH_TIMEOUT(!page.jobsTitle()->text().contains(QLatin1String("Could not load")), 5000);
        QVERIFY2(page.jobsTitle()->text().startsWith(QLatin1String("Select a worker")),
                 qPrintable(page.jobsTitle()->text()));
        QCOMPARE(page.model()->rowCount(), 1);
    }

    // A worker is lost after three of its own leases without a heartbeat, not after a fixed 90 s: one
    // started with a 300 s lease heartbeats every 100 s and is running when its last heartbeat is 100 s
    // old; one with the default 30 s lease is lost by then. A worker whose lease is not recorded (an
    // older program) keeps the 90 s cut-off.
    void lostCutOffFollowsEachWorkersLease()
    {
        HCM_TEMP_DATABASE(tdb);
        const qint64 now = Clock::system()->nowMs();
        JobStore quietFor100s(tdb.config(), std::make_shared<ManualClock>(now - 100'000));
        JobStore quietFor60s(tdb.config(), std::make_shared<ManualClock>(now - 60'000));
        const QString patient = QStringLiteral("hcm-worker@app04:300");
        const QString hasty = QStringLiteral("hcm-worker@app05:30");
        const QString older = QStringLiteral("hcm-worker@app06:0");
        WorkerInfo info = workerInfo(patient, QStringLiteral("app04"), 300, 4);
        info.leaseMs = 300'000;
        QVERIFY(quietFor100s.registerWorker(info).ok());
        info = workerInfo(hasty, QStringLiteral("app05"), 30, 4);
        info.leaseMs = 30'000;
        QVERIFY(quietFor100s.registerWorker(info).ok());
        QVERIFY(quietFor60s.registerWorker(workerInfo(older, QStringLiteral("app06"), 6, 4)).ok());
        Database::closeThreadConnections();

        AsyncJobService async{JobStore(tdb.config())};
        WorkersPage page(&async);
        page.setRefreshInterval(100);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        WorkerTableModel *workers = page.model();
        QTRY_COMPARE_WITH_TIMEOUT(workers->rowCount(), 3, 5000);
        const auto stateOf = [&](const QString &id) {
            return workers->index(workers->rowOfWorker(id), WorkerTableModel::StateColumn)
                .data(WorkerTableModel::StateRole)
                .toInt();
        };
        QCOMPARE(stateOf(patient), int(WorkerState::Running));
        QCOMPARE(cell(workers, workers->rowOfWorker(patient), WorkerTableModel::StateColumn),
                 QStringLiteral("Running"));
        QCOMPARE(stateOf(hasty), int(WorkerState::Lost));
        QCOMPARE(stateOf(older), int(WorkerState::Running));
        // The lease travels through the store on both backends.
        QCOMPARE(workers->worker(patient)->leaseMs, qint64(300'000));
        QCOMPARE(workers->worker(older)->leaseMs, qint64(0));
    }

    // Renders workers.png for the docs: the main window on the workers page, a lost worker
    // selected with the jobs it still holds and its earlier attempts that did not complete.
    void screenshot()
    {
        HCM_TEMP_DATABASE(tdb);
        if (tdb.isPostgres())
            QSKIP("the screenshot is rendered once, from the SQLite row");
        const qint64 now = Clock::system()->nowMs();
        auto clock = std::make_shared<ManualClock>(now - 3 * 3600'000);
        JobService service{JobStore(tdb.config(), clock)};
        JobStore &store = service.store();
        const QStringList types{QStringLiteral("cache_flush"), QStringLiteral("db_optimize"),
                                QStringLiteral("email_send"), QStringLiteral("log_rotate"),
                                QStringLiteral("cleanup")};
        QVERIFY(store.registerWorker(workerInfo(kLost, QStringLiteral("app02"), 5120, 4)).ok());
        QVERIFY(store
                    .registerWorker(
                        workerInfo(QStringLiteral("hcm-worker@app03:880"), QStringLiteral("app03"), 880, 4))
                    .ok());
        // 40 minutes ago: an email that the SMTP server refused, a database job over its time limit.
        clock->setMs(now - 40 * 60'000);
        const qint64 mail = enqueue(service, QStringLiteral("email_send"),
                                    {{QStringLiteral("to"), QStringLiteral("payroll@example.com")},
                                     {QStringLiteral("subject"), QStringLiteral("Payroll export ready")}});
        const qint64 optimize = enqueue(service, QStringLiteral("db_optimize"));
        auto first = store.claim(kLost, 2, 30'000, types);
        QVERIFY(first.ok() && first->size() == 2);
        clock->advanceMs(4'200);
        QList<JobOutcome> outcomes;
        for (const ClaimedJob &j : first.value()) {
            if (j.id == mail)
                outcomes << JobOutcome{j.id,
                                       j.attempt,
                                       JobOutcome::Kind::Failed,
                                       {},
                                       QStringLiteral("SMTP server smtp.example.com refused the connection "
                                                      "(port 587)"),
                                       true,
                                       0,
                                       0};
            if (j.id == optimize)
                outcomes << JobOutcome{j.id,
                                       j.attempt,
                                       JobOutcome::Kind::TimedOut,
                                       {},
                                       QStringLiteral("time limit of 600 s exceeded"),
                                       true,
                                       0,
                                       0};
        }
        QVERIFY(store.finish(kLost, outcomes).ok());
        // The third worker went home an hour ago.
        clock->setMs(now - 60 * 60'000);
        QVERIFY(store.unregisterWorker(QStringLiteral("hcm-worker@app03:880")).ok());
        // Four minutes ago app02 took two jobs and went quiet.
        clock->setMs(now - 4 * 60'000 - 12'000);
        enqueue(service, QStringLiteral("cache_flush"), {{QStringLiteral("action"), QStringLiteral("full")}});
        enqueue(service, QStringLiteral("log_rotate"), {{QStringLiteral("keep"), 7}});
        QCOMPARE(store.claim(kLost, 2, 30'000, {QStringLiteral("cache_flush"), QStringLiteral("log_rotate")})
                     ->size(),
                 2);
        QVERIFY(store.queue().heartbeat(kLost, 30'000, 2).ok());
        // app01 started a minute ago and runs three jobs.
        clock->setMs(now - 60'000);
        QVERIFY(store.registerWorker(workerInfo(kLive, QStringLiteral("app01"), 4211, 8)).ok());
        for (int i = 0; i < 3; ++i)
            enqueue(service, QStringLiteral("cleanup"), {{QStringLiteral("type"), QStringLiteral("all")}});
        QCOMPARE(store.claim(kLive, 3, 30'000, {QStringLiteral("cleanup")})->size(), 3);
        clock->setMs(now - 2'000);
        QVERIFY(store.queue().heartbeat(kLive, 30'000, 3).ok());

        MainWindow::Options options;
        options.db = tdb.config();
        options.actor = test::adminActor(QStringLiteral("admin:test"));
        options.runWorker = false;
        MainWindow window(options);
        window.resize(1500, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showPage(MainWindow::WorkersPageIndex);
        WorkersPage *page = window.workersPage();
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 3, 5000);
        page->selectWorker(kLost);
        QTRY_COMPARE_WITH_TIMEOUT(page->jobsModel()->rowCount(), 4, 5000);
        QCOMPARE(page->jobsModel()->heldCount(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(page->jobsTitle()->text().contains(QLatin1String("It still holds 2 jobs")),
                                 5000);
        settleLayout();
        const QImage image = window.grab().toImage();
        QVERIFY(!image.isNull());
        QVERIFY(image.save(screenshotPath(QStringLiteral("workers.png"))));
    }
};

QTEST_MAIN(TestGuiWorkers)
#include "tst_gui_workers.moc"
