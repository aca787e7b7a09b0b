// The desktop app driven like a person would, on real widgets (offscreen) and a real SQLite file with
// the in-process worker: create a job in the dialog and watch it complete, cancel a scheduled job from
// the context menu, switch filters, keep the selection across refreshes. Also renders the main window's
// screenshot (testutil.h: screenshotPath).

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtablemodel.h"
#include "jobs/jobtypes.h"
#include "ui/jobdetailsview.h"
#include "ui/jobspage.h"
#include "ui/mainwindow.h"
#include "ui/newjobdialog.h"
#include "ui/statusfiltermodel.h"
#include "ui/throughputchart.h"
#include "worker/workerpool.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSqlError>
#include <QSqlQuery>
#include <QStatusBar>
#include <QTableView>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("tester"));

ui::MainWindow::Options windowOptions(const TempDatabase &tdb, bool worker)
{
    ui::MainWindow::Options o;
    o.db = tdb.config();
    o.actor = test::adminActor(QStringLiteral("admin:test"));
    o.runWorker = worker;
    o.refreshIntervalMs = 200;
    o.worker.concurrency = 2;
    o.worker.pollIntervalMs = 500;
    o.worker.env.cacheDir = tdb.dir() + QStringLiteral("/cache");
    o.worker.env.logDir = tdb.dir() + QStringLiteral("/logs");
    return o;
}

int rowOf(JobTableModel *model, qint64 id)
{
    return model->rowOfJob(id);
}

QString statusAt(JobTableModel *model, qint64 id)
{
    const int row = model->rowOfJob(id);
    return row < 0 ? QString() : model->index(row, JobTableModel::StatusColumn).data().toString();
}

// `n` cleanup jobs due in an hour: they stay queued while the test looks at them. Empty on a failure.
QList<qint64> enqueueDueLater(JobService &service, int n, JobPriority priority = JobPriority::Normal)
{
    const QList<NewJob> jobs(
        n, NewJob{QStringLiteral("cleanup"), priority, {}, 3, Clock::system()->nowMs() + 3'600'000});
    auto ids = service.enqueueMany(jobs, kActor);
    return ids ? ids.value() : QList<qint64>();
}

template<typename T> T *findTopLevel(const char *className)
{
    for (QWidget *w : QApplication::topLevelWidgets()) {
        if (auto *t = qobject_cast<T *>(w); t && t->isVisible() && w->inherits(className))
            return t;
    }
    return nullptr;
}

} // namespace

class TestGuiJobs : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { initGuiSuite(QStringLiteral("tst_gui_jobs")); }
    void cleanup() { Database::closeThreadConnections(); }

    void createJobInDialogAndWatchItComplete()
    {
        TempDatabase tdb;
        QDir().mkpath(tdb.dir() + QStringLiteral("/cache"));
        QFile f(tdb.dir() + QStringLiteral("/cache/blob.bin"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'x'));
        f.close();

        ui::MainWindow window(windowOptions(tdb, true));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        // The pool registers in its own thread after the window is up.
        QTRY_VERIFY_WITH_TIMEOUT(window.workerPool() && window.workerPool()->isRunning(), 5000);

        window.jobsPage()->newJob();
        QTRY_VERIFY_WITH_TIMEOUT(findTopLevel<ui::NewJobDialog>("hcm::ui::NewJobDialog"), 5000);
        auto *dialog = findTopLevel<ui::NewJobDialog>("hcm::ui::NewJobDialog");
        auto *type = dialog->findChild<QComboBox *>(QStringLiteral("typeCombo"));
        QVERIFY(type);
        type->setCurrentIndex(type->findData(QStringLiteral("cache_flush")));
        auto *priority = dialog->findChild<QComboBox *>(QStringLiteral("priorityCombo"));
        priority->setCurrentIndex(
            priority->findData(QStringLiteral("high")) >= 0 ? priority->findData(QStringLiteral("high")) : 2);
        auto *payload = dialog->findChild<QPlainTextEdit *>(QStringLiteral("payloadEdit"));
        payload->setPlainText(QStringLiteral("{\"action\": \"full\"}"));
        QSignalSpy created(dialog, &ui::NewJobDialog::jobCreated);
        auto *buttons = dialog->findChild<QDialogButtonBox *>(QStringLiteral("buttonBox"));
        QTRY_VERIFY_WITH_TIMEOUT(buttons->button(QDialogButtonBox::Ok)->isEnabled(), 5000);
        QTest::mouseClick(buttons->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(created.count(), 1, 5000);
        const qint64 id = created.first().first().toLongLong();

        // It shows up in the table and goes to completed without anyone pressing anything.
        JobTableModel *model = window.jobsPage()->model();
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(model, id) >= 0, 3000);
        QTRY_COMPARE_WITH_TIMEOUT(statusAt(model, id), QStringLiteral("Completed"), 10'000);
        JobService service{JobStore(tdb.config())};
        auto job = service.get(id);
        QCOMPARE_ENUM(job->priority, JobPriority::High);
        QCOMPARE(job->result.toObject().value(QStringLiteral("files_removed")).toInt(), 1);
        QVERIFY(!QFile::exists(tdb.dir() + QStringLiteral("/cache/blob.bin")));
    }

    // The window opens without waiting for its worker to register; when registering fails, the status
    // bar says why, the worker is off, and turning it on again tries again.
    void workerThatCannotStartIsReportedInTheStatusBar()
    {
        TempDatabase tdb;
        {
            auto db = Database::connection(tdb.config());
            QVERIFY(db.ok());
            QSqlQuery q(db.value());
            QVERIFY2(q.exec(QStringLiteral("CREATE TRIGGER refuse_workers BEFORE INSERT ON workers "
                                           "BEGIN SELECT RAISE(ABORT, 'registrations are closed'); END")),
                     qPrintable(q.lastError().text()));
        }
        ui::MainWindow window(windowOptions(tdb, true));
        QVERIFY(window.workerPool());
        QCOMPARE(window.workerPool()->state(), WorkerPool::State::Starting);
        auto *label = window.findChild<QLabel *>(QStringLiteral("workerLabel"));
        QVERIFY(label);
        QCOMPARE(label->text(), QStringLiteral("Worker starting…"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        QTRY_VERIFY_WITH_TIMEOUT(!window.workerPool(), 5000);
        const QString message = window.statusBar()->currentMessage();
        QVERIFY2(message.startsWith(QLatin1String("The worker could not start: ")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1String("registrations are closed")), qPrintable(message));
        auto *action = window.findChild<QAction *>(QStringLiteral("workerAction"));
        QVERIFY(action);
        QVERIFY(!action->isChecked());
        QCOMPARE(label->text(), QStringLiteral("Worker off"));

        {
            auto db = Database::connection(tdb.config());
            QSqlQuery q(db.value());
            QVERIFY(q.exec(QStringLiteral("DROP TRIGGER refuse_workers")));
        }
        action->trigger();
        QVERIFY(action->isChecked());
        QTRY_VERIFY_WITH_TIMEOUT(window.workerPool() && window.workerPool()->isRunning(), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(label->text(), QStringLiteral("Worker running 0/2"), 5000);
    }

    void cancelScheduledJobFromContextMenu()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        NewJob later{
            QStringLiteral("cache_flush"), JobPriority::Normal, {}, 3, Clock::system()->nowMs() + 86'400'000};
        const qint64 id = service.enqueue(later, kActor).value();
        ui::MainWindow window(windowOptions(tdb, true));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        ui::JobsPage *page = window.jobsPage();
        JobTableModel *model = page->model();
        QTRY_VERIFY_WITH_TIMEOUT(rowOf(model, id) >= 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(page->statusModel()->countAt(1 + int(JobStatus::Queued)), qint64(1), 5000);
        // A day away: the date, not "Scheduled in 1440 min".
        QVERIFY(statusAt(model, id).startsWith(QLatin1String("Scheduled on ")));
        // The Status column shows the whole text with its icon (not "Schedul…"):
        // at least the width the delegate asks for.
        QStyleOptionViewItem option;
        option.initFrom(page->table());
        const QModelIndex statusIndex = model->index(rowOf(model, id), JobTableModel::StatusColumn);
        const int needed = page->table()
                               ->itemDelegateForColumn(JobTableModel::StatusColumn)
                               ->sizeHint(option, statusIndex)
                               .width();
        QVERIFY2(page->table()->horizontalHeader()->sectionSize(JobTableModel::StatusColumn) >= needed,
                 qPrintable(QStringLiteral("%1 needs %2 px").arg(statusAt(model, id)).arg(needed)));

        page->table()->selectRow(rowOf(model, id));
        QCOMPARE(page->selectedJobIds(), QList<qint64>{id});
        QMenu *menu = page->createContextMenu(page->selectedJobIds());
        auto *cancel = menu->findChild<QAction *>(QStringLiteral("cancelAction"));
        auto *del = menu->findChild<QAction *>(QStringLiteral("deleteAction"));
        auto *retry = menu->findChild<QAction *>(QStringLiteral("retryAction"));
        QVERIFY(cancel && cancel->isEnabled());
        QVERIFY(del && !del->isEnabled());
        QVERIFY2(del->toolTip().contains(QLatin1String("only finished jobs can be deleted")),
                 qPrintable(del->toolTip()));
        QVERIFY(retry && retry->isEnabled()); // a scheduled job can be made due now
        menu->popup(QPoint(10, 10));
        cancel->trigger();
        menu->close();
        // Cancelling asks once, for one job as for several.
        QTRY_VERIFY_WITH_TIMEOUT(findTopLevel<QMessageBox>("QMessageBox"), 5000);
        auto *box = findTopLevel<QMessageBox>("QMessageBox");
        QCOMPARE_ENUM(service.get(id)->status, JobStatus::Queued);
        for (QAbstractButton *b : box->buttons())
            if (box->buttonRole(b) == QMessageBox::AcceptRole)
                b->click();

        QTRY_COMPARE_WITH_TIMEOUT(statusAt(model, id), QStringLiteral("Cancelled"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(page->statusModel()->countAt(1 + int(JobStatus::Cancelled)), qint64(1),
                                  5000);
        QCOMPARE(page->statusModel()->countAt(1 + int(JobStatus::Queued)), qint64(0));
        QCOMPARE_ENUM(service.get(id)->status, JobStatus::Cancelled);

        // Now the menu offers delete, not cancel.
        QMenu *again = page->createContextMenu({id});
        QVERIFY(!again->findChild<QAction *>(QStringLiteral("cancelAction"))->isEnabled());
        QVERIFY(again->findChild<QAction *>(QStringLiteral("deleteAction"))->isEnabled());
        delete again;
    }

    void cancellingSeveralJobsAsksFirst()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const QList<qint64> ids = enqueueDueLater(service, 3, JobPriority::Low);
        ui::MainWindow window(windowOptions(tdb, false));
        window.show();
        ui::JobsPage *page = window.jobsPage();
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 3, 5000);
        page->table()->selectAll();
        page->requestCancel(page->selectedJobIds());
        QTRY_VERIFY_WITH_TIMEOUT(findTopLevel<QMessageBox>("QMessageBox"), 5000);
        auto *box = findTopLevel<QMessageBox>("QMessageBox");
        QVERIFY2(box->text().contains(QLatin1String("3 jobs")), qPrintable(box->text()));
        QCOMPARE_ENUM(service.get(ids.first())->status, JobStatus::Queued); // nothing happened yet
        for (QAbstractButton *b : box->buttons())
            if (box->buttonRole(b) == QMessageBox::AcceptRole)
                b->click();
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'cancelled'")),
            qint64(3), 5000);
    }

    // PostgreSQL: the window LISTENs, so a job that another process enqueues or imports shows up (rows,
    // status counts, chart) with the periodic refresh turned off.
    void changesOfAnotherProcessArriveByNotification()
    {
        TempDatabase tdb(DbConfig::Backend::Postgres);
        HCM_REQUIRE_BACKEND(tdb);
        ui::MainWindow::Options options = windowOptions(tdb, false);
        options.refreshIntervalMs = 0; // no poll: only notifications bring changes
        ui::MainWindow window(options);
        window.show();
        ui::JobsPage *page = window.jobsPage();
        QTRY_COMPARE_WITH_TIMEOUT(page->statusModel()->countAt(0), qint64(0), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->isLoading(), false, 5000);
        const auto hcmctl = [&](const QStringList &args, const QByteArray &input = {}) {
            QProcess p;
            p.start(programPath(QStringLiteral("hcmctl")),
                    QStringList{QStringLiteral("--db"), tdb.spec()} + args);
            if (!input.isEmpty()) {
                p.write(input);
                p.closeWriteChannel();
            }
            return p.waitForFinished(30'000) && p.exitCode() == 0;
        };
        QVERIFY(hcmctl({QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
                        QStringLiteral("--payload"), QStringLiteral("{\"action\": \"expired\"}")}));
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(page->statusModel()->countAt(1 + int(JobStatus::Queued)), qint64(1), 5000);
        const QByteArray finished =
            QStringLiteral("{\"job_type\": \"old.export\", \"status\": \"completed\", "
                           "\"completed_at\": \"%1\"}\n")
                .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs))
                .toUtf8();
        QVERIFY(hcmctl({QStringLiteral("jobs"), QStringLiteral("import"), QStringLiteral("-")}, finished));
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 2, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(page->statusModel()->countAt(1 + int(JobStatus::Completed)), qint64(1),
                                  5000);
        // The chart follows the same wake-up: the imported job completed this minute.
        auto *chart = window.findChild<ui::ThroughputChart *>();
        QVERIFY(chart);
        QTRY_COMPARE_WITH_TIMEOUT(chart->totalCompleted(), qint64(1), 5000);
    }

    void statusFilterShowsMatchingRows()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        QCOMPARE(enqueueDueLater(service, 4).size(), 4);
        const qint64 cancelled = service
                                     .enqueue(NewJob{QStringLiteral("cache_flush"),
                                                     JobPriority::Normal,
                                                     {},
                                                     3,
                                                     Clock::system()->nowMs() + 3'600'000},
                                              kActor)
                                     .value();
        service.cancel({cancelled}, kActor);
        ui::MainWindow window(windowOptions(tdb, false));
        window.show();
        ui::JobsPage *page = window.jobsPage();
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 5, 5000);
        QListView *list = page->statusList();
        list->setCurrentIndex(list->model()->index(1 + int(JobStatus::Cancelled), 0));
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->jobIdAt(0), cancelled, 5000);
        list->setCurrentIndex(list->model()->index(1 + int(JobStatus::Queued), 0));
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 4, 5000);
        list->setCurrentIndex(list->model()->index(1 + int(JobStatus::Completed), 0));
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 0, 5000);
        list->setCurrentIndex(list->model()->index(0, 0));
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 5, 5000);
        // The counts keep counting every status (they arrive after the rows, from their own query).
        QTRY_COMPARE_WITH_TIMEOUT(page->statusModel()->countAt(0), qint64(5), 5000);
        QVERIFY(list->model()
                    ->index(1 + int(JobStatus::Queued), 0)
                    .data()
                    .toString()
                    .contains(QLatin1String("(4)")));
    }

    // Counts come from their own query, answered after the rows of a filter change; the rows' refresh
    // asks again. The first answer after a switch is shown (it used to be dropped because a newer
    // request was on its way, so the list could stay without counts while filters changed), and once
    // shown the counts never drop to 0 while the filter changes.
    void countsShowTheFirstAnswerAndNeverFlicker()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        QCOMPARE(enqueueDueLater(service, 3).size(), 3);
        ui::MainWindow window(windowOptions(tdb, false));
        ui::JobsPage *page = window.jobsPage();
        ui::StatusFilterModel *counts = page->statusModel();
        QListView *list = page->statusList();
        QList<qint64> shown; // the total after every change of the "All" row
        connect(counts, &QAbstractItemModel::dataChanged, this, [&](const QModelIndex &from) {
            if (from.row() == 0)
                shown << counts->countAt(0);
        });
        QSignalSpy answers(page, &ui::JobsPage::countsChanged);
        window.show();
        // Switch before anything arrived: the rows answer first, then the counts.
        list->setCurrentIndex(list->model()->index(1 + int(JobStatus::Cancelled), 0));
        QVERIFY(answers.wait(5000));
        QCOMPARE(counts->countAt(0), qint64(3)); // the first answer is on screen
        QVERIFY(list->model()->index(0, 0).data().toString().contains(QLatin1String("(3)")));

        for (JobStatus status : {JobStatus::Queued, JobStatus::Completed, JobStatus::Failed}) {
            list->setCurrentIndex(list->model()->index(1 + int(status), 0));
            QVERIFY(answers.wait(5000));
            QCOMPARE(counts->countAt(0), qint64(3));
        }
        list->setCurrentIndex(list->model()->index(0, 0));
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 3, 5000);
        QCOMPARE(shown, QList<qint64>{3}); // set once, never 0 in between
    }

    void selectionSurvivesRefresh()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const QList<qint64> ids = enqueueDueLater(service, 10);
        ui::MainWindow window(windowOptions(tdb, false));
        window.show();
        ui::JobsPage *page = window.jobsPage();
        JobTableModel *model = page->model();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 10, 5000);
        const qint64 chosen = ids.at(4);
        page->table()->selectRow(rowOf(model, chosen));
        QSignalSpy resets(model, &QAbstractItemModel::modelReset);
        QCOMPARE(enqueueDueLater(service, 5).size(), 5);
        service.cancel({ids.at(7)}, kActor);
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 15, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(statusAt(model, ids.at(7)), QStringLiteral("Cancelled"), 5000);
        QCOMPARE(page->selectedJobIds(), QList<qint64>{chosen});
        QCOMPARE(model->jobIdAt(page->table()->currentIndex().row()), chosen);
        QCOMPARE(resets.count(), 0);
    }

    // Closing the window with a job running in its worker neither blocks nor kills the job: the window
    // stays open with a non-modal "Waiting for 1 running job to finish…", and closes itself once the
    // job has completed and the worker is marked stopped.
    void closingWaitsForTheRunningJobWithoutBlocking()
    {
        JobTypeCatalog::enableTestTypes();
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const qint64 id = service
                              .enqueue(NewJob{QStringLiteral("test.sleep"),
                                              JobPriority::Normal,
                                              {{QStringLiteral("ms"), 1500}},
                                              3,
                                              std::nullopt},
                                       kActor)
                              .value();
        ui::MainWindow::Options options = windowOptions(tdb, true);
        options.worker.graceMs = 30'000;
        ui::MainWindow window(options);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE_WITH_TIMEOUT(statusAt(window.jobsPage()->model(), id), QStringLiteral("Processing"),
                                  10'000);
        QTRY_COMPARE_WITH_TIMEOUT(window.workerPool()->runningJobs(), 1, 5000);
        QSignalSpy drained(&window, &ui::MainWindow::drained);

        QVERIFY(!window.close()); // returns at once: the window waits without blocking
        QVERIFY(window.isVisible());
        QVERIFY(window.isDraining());
        QVERIFY(window.drainDialog() && window.drainDialog()->isVisible());
        QVERIFY(!window.drainDialog()->isModal());
        auto *label = window.drainDialog()->findChild<QLabel *>(QStringLiteral("drainLabel"));
        QVERIFY(label);
        QCOMPARE(label->text(), QStringLiteral("Waiting for 1 running job to finish…"));
        QCOMPARE(window.findChild<QLabel *>(QStringLiteral("workerLabel"))->text(),
                 QStringLiteral("Worker stopping…"));
        QCOMPARE_ENUM(service.get(id)->status, JobStatus::Processing);

        QVERIFY(drained.wait(15'000));
        QTRY_VERIFY_WITH_TIMEOUT(!window.isVisible(), 5000);
        QCOMPARE_ENUM(service.get(id)->status, JobStatus::Completed);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("workers"), QStringLiteral("stopped_at > 0")),
                 qint64(1));
    }

    // "Stop Now" while the window waits: the running job is asked to stop and goes back to the queue
    // without spending a retry, and the window closes.
    void stopNowReturnsTheRunningJobAndCloses()
    {
        JobTypeCatalog::enableTestTypes();
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const qint64 id = service
                              .enqueue(NewJob{QStringLiteral("test.sleep"),
                                              JobPriority::Normal,
                                              {{QStringLiteral("ms"), 600'000}},
                                              3,
                                              std::nullopt},
                                       kActor)
                              .value();
        ui::MainWindow::Options options = windowOptions(tdb, true);
        options.worker.graceMs = 600'000;
        ui::MainWindow window(options);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE_WITH_TIMEOUT(statusAt(window.jobsPage()->model(), id), QStringLiteral("Processing"),
                                  10'000);
        QSignalSpy drained(&window, &ui::MainWindow::drained);
        window.close();
        QVERIFY(window.isVisible());
        auto *stopNow = window.drainDialog()->findChild<QPushButton *>(QStringLiteral("stopNowButton"));
        QVERIFY(stopNow && stopNow->isEnabled());
        QTest::mouseClick(stopNow, Qt::LeftButton);
        QVERIFY(!stopNow->isEnabled());
        QVERIFY(drained.wait(15'000));
        QTRY_VERIFY_WITH_TIMEOUT(!window.isVisible(), 5000);
        const auto job = service.get(id);
        QCOMPARE_ENUM(job->status, JobStatus::Queued);
        QCOMPARE(job->retryCount, 0);
        QCOMPARE(job->attemptList.size(), 1);
        QCOMPARE(job->attemptList.first().outcome, QStringLiteral("interrupted"));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("workers"), QStringLiteral("stopped_at > 0")),
                 qint64(1));
    }

    // Renders main-window.png for the docs (testutil.h: screenshotPath) from a realistic database.
    void screenshotMainWindow()
    {
        TempDatabase tdb;
        const auto filled = fillScreenshotQueue(tdb.config(), kActor);
        QVERIFY2(filled, qPrintable(filled ? QString() : filled.error().message));
        const qint64 failing = filled.value();

        ui::MainWindow window(windowOptions(tdb, false));
        window.resize(1500, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        JobTableModel *model = window.jobsPage()->model();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 22, 5000);
        window.jobsPage()->table()->selectRow(rowOf(model, failing));
        // The details panel and the chart arrive from their own queries.
        auto *details = window.findChild<ui::JobDetailsView *>();
        auto *chart = window.findChild<ui::ThroughputChart *>();
        QVERIFY(details && chart);
        QTRY_COMPARE_WITH_TIMEOUT(details->jobId(), failing, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(chart->totalCompleted() > 0, 5000);
        // The status bar's rate and the details' own requests are in; every pending layout is done.
        auto *rateLabel = window.findChild<QLabel *>(QStringLiteral("rateLabel"));
        QTRY_VERIFY_WITH_TIMEOUT(rateLabel->text().startsWith(QLatin1String("18")), 5000);
        settleLayout();
        const QImage image = window.grab().toImage();
        QVERIFY(!image.isNull());
        QVERIFY(image.save(screenshotPath(QStringLiteral("main-window.png"))));
    }
};

QTEST_MAIN(TestGuiJobs)
#include "tst_gui_jobs.moc"
