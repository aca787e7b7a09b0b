// Pausing a job type from the desktop app, on real widgets (offscreen), a real SQLite file and the
// in-process worker: the jobs page's context menu pauses log_rotate, its queued jobs read "Paused" with
// who and when while cache_flush runs, the type filter marks it, the workers page lists it and its
// Resume button lets the jobs run; "Pause All" from the type filter asks first.

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtablemodel.h"
#include "jobs/pausedtypestore.h"
#include "ui/jobspage.h"
#include "ui/mainwindow.h"
#include "ui/pausedtypesbar.h"
#include "ui/workerspage.h"
#include "worker/workerpool.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QToolButton>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("tester"));

ui::MainWindow::Options windowOptions(const TempDatabase &tdb)
{
    ui::MainWindow::Options o;
    o.db = tdb.config();
    o.actor = test::adminActor(QStringLiteral("admin:test"));
    o.runWorker = false; // started by the test once the type is paused
    o.refreshIntervalMs = 200;
    o.worker.concurrency = 2;
    o.worker.pollIntervalMs = 600'000; // a resume must wake the worker itself
    o.worker.env.cacheDir = tdb.dir() + QStringLiteral("/cache");
    o.worker.env.logDir = tdb.dir() + QStringLiteral("/logs");
    return o;
}

QString statusAt(JobTableModel *model, qint64 id)
{
    const int row = model->rowOfJob(id);
    return row < 0 ? QString() : model->index(row, JobTableModel::StatusColumn).data().toString();
}

QString statusTipAt(JobTableModel *model, qint64 id)
{
    const int row = model->rowOfJob(id);
    return row < 0 ? QString()
                   : model->index(row, JobTableModel::StatusColumn).data(Qt::ToolTipRole).toString();
}

JobStatus storedStatus(JobService &service, qint64 id)
{
    auto job = service.get(id);
    return job ? job->status : JobStatus::Failed;
}

QMessageBox *visibleMessageBox()
{
    for (QWidget *w : QApplication::topLevelWidgets())
        if (auto *box = qobject_cast<QMessageBox *>(w); box && box->isVisible())
            return box;
    return nullptr;
}

} // namespace

class TestGuiPause : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("hcm-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_gui_pause"));
        QSettings().clear();
        (void)QSqlDatabase::drivers();
    }
    void cleanup() { Database::closeThreadConnections(); }

    void pauseFromContextMenuResumeFromWorkersPage()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        JobService service{JobStore(tdb.config())};
        const qint64 rotate =
            service
                .enqueue(NewJob{QStringLiteral("log_rotate"), JobPriority::Normal, {}, 3, std::nullopt},
                         kActor)
                .value();
        const qint64 flush = service
                                 .enqueue(NewJob{QStringLiteral("cache_flush"),
                                                 JobPriority::Normal,
                                                 {{QStringLiteral("action"), QStringLiteral("full")}},
                                                 3,
                                                 std::nullopt},
                                          kActor)
                                 .value();

        ui::MainWindow window(windowOptions(tdb));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        ui::JobsPage *page = window.jobsPage();
        JobTableModel *model = page->model();
        QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_VERIFY_WITH_TIMEOUT(model->rowOfJob(rotate) >= 0 && model->rowOfJob(flush) >= 0, 5000);
        QCOMPARE(statusAt(model, rotate), QStringLiteral("Queued"));
        QSignalSpy resets(model, &QAbstractItemModel::modelReset);

        // Right-click the log_rotate job: "Pause Type “log_rotate”".
        page->table()->selectRow(model->rowOfJob(rotate));
        QMenu *menu = page->createContextMenu(page->selectedJobIds());
        auto *pause = menu->findChild<QAction *>(QStringLiteral("pauseTypeAction"));
        QVERIFY(pause && pause->isEnabled());
        QVERIFY2(pause->text().contains(QLatin1String("log_rotate")), qPrintable(pause->text()));
        QVERIFY(!menu->findChild<QAction *>(QStringLiteral("resumeTypeAction")));
        menu->popup(QPoint(10, 10));
        pause->trigger();
        menu->close();

        QTRY_COMPARE_WITH_TIMEOUT(statusAt(model, rotate), QStringLiteral("Paused"), 5000);
        QVERIFY2(statusTipAt(model, rotate).contains(QLatin1String("paused by admin:test at")),
                 qPrintable(statusTipAt(model, rotate)));
        QCOMPARE(statusAt(model, flush), QStringLiteral("Queued"));
        QCOMPARE(resets.size(), 0); // the rows changed in place
        auto stored = PausedTypeStore(tdb.config()).list();
        QVERIFY(stored.ok());
        QCOMPARE(stored->size(), 1);
        QCOMPARE(stored->first().type, QStringLiteral("log_rotate"));
        QCOMPARE(stored->first().pausedBy, QStringLiteral("admin:test"));
        // The type filter marks it, and its button resumes it.
        QComboBox *types = page->typeCombo();
        QCOMPARE(types->itemText(types->findData(QStringLiteral("log_rotate"))),
                 QStringLiteral("log_rotate (paused)"));
        QCOMPARE(types->itemText(types->findData(QStringLiteral("cache_flush"))),
                 QStringLiteral("cache_flush"));
        types->setCurrentIndex(types->findData(QStringLiteral("log_rotate")));
        QCOMPARE(page->pauseButton()->text(), QStringLiteral("Resume"));
        types->setCurrentIndex(0);

        // The worker starts: cache_flush runs, log_rotate waits, a new log_rotate job waits too.
        window.setWorkerEnabled(true);
        QTRY_VERIFY_WITH_TIMEOUT(window.workerPool() && window.workerPool()->isRunning(), 10'000);
        const qint64 later =
            service
                .enqueue(NewJob{QStringLiteral("log_rotate"), JobPriority::Normal, {}, 3, std::nullopt},
                         kActor)
                .value();
        QTRY_COMPARE_WITH_TIMEOUT(statusAt(model, flush), QStringLiteral("Completed"), 10'000);
        QTRY_COMPARE_WITH_TIMEOUT(statusAt(model, later), QStringLiteral("Paused"), 5000);
        QCOMPARE_ENUM(storedStatus(service, rotate), JobStatus::Queued);
        QCOMPARE_ENUM(storedStatus(service, later), JobStatus::Queued);

        // The workers page lists the paused type with a Resume button.
        ui::PausedTypesBar *bar = window.workersPage()->pausedBar();
        window.workersPage()->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(!bar->isHidden(), 5000);
        QVERIFY2(bar->label()->text().contains(QLatin1String("log_rotate (by admin:test at")),
                 qPrintable(bar->label()->text()));
        QPushButton *resume = bar->resumeButton(QStringLiteral("log_rotate"));
        QVERIFY(resume);
        resume->click();

        // Resumed: the worker claims both at once (its poll is ten minutes away).
        QTRY_COMPARE_WITH_TIMEOUT(statusAt(model, rotate), QStringLiteral("Completed"), 10'000);
        QTRY_COMPARE_WITH_TIMEOUT(statusAt(model, later), QStringLiteral("Completed"), 10'000);
        QTRY_VERIFY_WITH_TIMEOUT(bar->isHidden(), 5000);
        QVERIFY(PausedTypeStore(tdb.config()).list()->isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(types->itemText(types->findData(QStringLiteral("log_rotate"))),
                                  QStringLiteral("log_rotate"), 5000);
        window.setWorkerEnabled(false);
    }

    // "Pause All" from the type filter asks first; the jobs read "Paused"; "Resume All" undoes it.
    void pauseAllFromTypeFilterAsksFirst()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        JobService service{JobStore(tdb.config())};
        const qint64 flush = service
                                 .enqueue(NewJob{QStringLiteral("cache_flush"),
                                                 JobPriority::Normal,
                                                 {{QStringLiteral("action"), QStringLiteral("full")}},
                                                 3,
                                                 std::nullopt},
                                          kActor)
                                 .value();
        ui::MainWindow window(windowOptions(tdb));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        ui::JobsPage *page = window.jobsPage();
        QTRY_VERIFY_WITH_TIMEOUT(page->model()->rowOfJob(flush) >= 0, 5000);
        QCOMPARE(page->typeCombo()->currentIndex(), 0);
        QCOMPARE(page->pauseButton()->text(), QStringLiteral("Pause All"));

        // Cancelling the question changes nothing.
        page->pauseButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(visibleMessageBox(), 5000);
        visibleMessageBox()->reject();
        QTRY_VERIFY_WITH_TIMEOUT(!visibleMessageBox(), 5000);
        QVERIFY(PausedTypeStore(tdb.config()).list()->isEmpty());

        page->pauseButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(visibleMessageBox(), 5000);
        QMessageBox *box = visibleMessageBox();
        for (QAbstractButton *b : box->buttons())
            if (box->buttonRole(b) == QMessageBox::AcceptRole)
                b->click();
        QTRY_COMPARE_WITH_TIMEOUT(statusAt(page->model(), flush), QStringLiteral("Paused"), 5000);
        QVERIFY2(statusTipAt(page->model(), flush)
                     .contains(QLatin1String("every job type was paused by admin:test")),
                 qPrintable(statusTipAt(page->model(), flush)));
        QCOMPARE(page->pauseButton()->text(), QStringLiteral("Resume All"));
        // One type cannot be resumed alone while all are paused: the menu says so.
        page->table()->selectRow(page->model()->rowOfJob(flush));
        QMenu *menu = page->createContextMenu(page->selectedJobIds());
        auto *pauseOne = menu->findChild<QAction *>(QStringLiteral("pauseTypeAction"));
        QVERIFY(pauseOne && !pauseOne->isEnabled());
        delete menu;

        page->pauseButton()->click(); // Resume All: no question
        QTRY_COMPARE_WITH_TIMEOUT(statusAt(page->model(), flush), QStringLiteral("Queued"), 5000);
        QVERIFY(PausedTypeStore(tdb.config()).list()->isEmpty());
        QCOMPARE(page->pauseButton()->text(), QStringLiteral("Pause All"));
    }
};

QTEST_MAIN(TestGuiPause)
#include "tst_gui_pause.moc"
