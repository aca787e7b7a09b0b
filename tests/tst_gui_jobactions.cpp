// The job actions of the desktop app from the keyboard, on real widgets and a real SQLite file: the
// Delete key deletes (one confirmation), cancel has its own key, the Job menu holds every context-menu
// action with its key and the same enabled state, Tab leaves the table, Escape clears the search, an
// empty result says which filters hide the jobs, a job made in the dialog is selected and shown.

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtablemodel.h"
#include "ui/jobdetailsview.h"
#include "ui/jobspage.h"
#include "ui/mainwindow.h"
#include "ui/newjobdialog.h"
#include "ui/statusfiltermodel.h"
#include "ui/throughputchart.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QStatusBar>
#include <QTableView>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("tester"));

ui::MainWindow::Options windowOptions(const TempDatabase &tdb)
{
    ui::MainWindow::Options o;
    o.db = tdb.config();
    o.actor = Actor{QStringLiteral("admin:test"), Role::Operator, Interface::Gui};
    o.runWorker = false;
    o.refreshIntervalMs = 200;
    return o;
}

qint64 addLater(JobService &service, const QString &type = QStringLiteral("cleanup"))
{
    return service
        .enqueue(NewJob{type, JobPriority::Normal, {}, 3, Clock::system()->nowMs() + 3'600'000}, kActor)
        .value();
}

// `n` jobs of addLater(): rows for a test to act on.
void addLaterJobs(const TempDatabase &tdb, int n)
{
    JobService service{JobStore(tdb.config())};
    for (int i = 0; i < n; ++i)
        addLater(service);
}

// The visible message boxes (confirmations) of the application.
QList<QMessageBox *> openBoxes()
{
    QList<QMessageBox *> out;
    for (QWidget *w : QApplication::topLevelWidgets())
        if (auto *box = qobject_cast<QMessageBox *>(w); box && box->isVisible())
            out << box;
    return out;
}

QStringList buttonTexts(QMessageBox *box)
{
    QStringList texts;
    for (QAbstractButton *b : box->buttons())
        texts << b->text();
    texts.sort();
    return texts;
}

void clickRole(QMessageBox *box, QMessageBox::ButtonRole role)
{
    for (QAbstractButton *b : box->buttons())
        if (box->buttonRole(b) == role) {
            b->click();
            return;
        }
    QFAIL("no button of that role");
}

QAction *actionNamed(const QList<QAction *> &actions, const QString &name)
{
    for (QAction *a : actions)
        if (a->objectName() == name)
            return a;
    return nullptr;
}

void selectOnly(QTableView *table, int row)
{
    table->selectionModel()->setCurrentIndex(table->model()->index(row, 0),
                                             QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

struct Window {
    explicit Window(const TempDatabase &tdb)
        : window(windowOptions(tdb))
    {
        window.resize(1200, 800);
        window.show();
        window.activateWindow();
        page = window.jobsPage();
        table = page->table();
    }
    bool focusTable()
    {
        window.activateWindow();
        if (!QTest::qWaitForWindowActive(&window))
            return false;
        table->setFocus();
        return table->hasFocus();
    }
    ui::MainWindow window;
    ui::JobsPage *page = nullptr;
    QTableView *table = nullptr;
};

} // namespace

class TestGuiJobActions : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { initGuiSuite(QStringLiteral("tst_gui_jobactions")); }
    void cleanup()
    {
        for (QMessageBox *box : openBoxes())
            box->close();
        Database::closeThreadConnections();
    }

    // The Delete key does what the context menu's Delete does: deletes the finished jobs of the
    // selection after one question whose buttons say what happens; the queued job is left alone.
    void deleteKeyDeletesFinishedJobsAfterOneQuestion()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const qint64 queued = addLater(service);
        const qint64 a = addLater(service);
        const qint64 b = addLater(service);
        service.cancel({a, b}, kActor);
        Window w(tdb);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 3, 5000);
        QVERIFY(w.focusTable());
        w.table->selectAll();
        QTRY_COMPARE(w.page->selectedJobIds().size(), 3);

        QTest::keyClick(w.table, Qt::Key_Delete);
        QTRY_COMPARE_WITH_TIMEOUT(openBoxes().size(), 1, 5000);
        QMessageBox *box = openBoxes().first();
        QVERIFY2(box->text().contains(QLatin1String("Delete 2 finished jobs")), qPrintable(box->text()));
        QCOMPARE(buttonTexts(box), (QStringList{QStringLiteral("Delete Jobs"), QStringLiteral("Keep Jobs")}));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), qint64(3)); // asked first
        clickRole(box, QMessageBox::AcceptRole);
        QTRY_COMPARE_WITH_TIMEOUT(rowCount(tdb.config(), QStringLiteral("background_jobs")), qint64(1), 5000);
        QCOMPARE_ENUM(service.get(queued)->status, JobStatus::Queued);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 1, 5000);
        QVERIFY(openBoxes().isEmpty()); // one question, no "could not be changed" afterwards
    }

    // Cancel has its own key (Ctrl+K); one job and several are asked alike, with "Cancel Job(s)" and
    // "Keep Job(s)", and Escape keeps them.
    void cancelKeyAsksOnceForOneJobAndForSeveral()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const qint64 one = addLater(service);
        const qint64 two = addLater(service);
        const qint64 three = addLater(service);
        Window w(tdb);
        JobTableModel *model = w.page->model();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 3, 5000);
        QVERIFY(w.focusTable());
        selectOnly(w.table, model->rowOfJob(one));

        QTest::keyClick(w.table, Qt::Key_K, Qt::ControlModifier);
        QTRY_COMPARE_WITH_TIMEOUT(openBoxes().size(), 1, 5000);
        QMessageBox *box = openBoxes().first();
        QCOMPARE(buttonTexts(box), (QStringList{QStringLiteral("Cancel Job"), QStringLiteral("Keep Job")}));
        QTest::keyClick(box, Qt::Key_Escape);
        QTRY_VERIFY(openBoxes().isEmpty());
        QCOMPARE_ENUM(service.get(one)->status, JobStatus::Queued); // kept

        w.table->setFocus();
        w.table->selectAll();
        QTest::keyClick(w.table, Qt::Key_K, Qt::ControlModifier);
        QTRY_COMPARE_WITH_TIMEOUT(openBoxes().size(), 1, 5000);
        box = openBoxes().first();
        QVERIFY2(box->text().contains(QLatin1String("Cancel 3 jobs?")), qPrintable(box->text()));
        QCOMPARE(buttonTexts(box), (QStringList{QStringLiteral("Cancel Jobs"), QStringLiteral("Keep Jobs")}));
        clickRole(box, QMessageBox::AcceptRole);
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'cancelled'")),
            qint64(3), 5000);
        QCOMPARE_ENUM(service.get(two)->status, JobStatus::Cancelled);
        QCOMPARE_ENUM(service.get(three)->status, JobStatus::Cancelled);
        QVERIFY(openBoxes().isEmpty());
    }

    // The Job menu holds every job action of the context menu with its key, enabled as the context
    // menu enables it for the same selection.
    void jobMenuMatchesTheContextMenu()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const qint64 queued = addLater(service);
        const qint64 cancelled = addLater(service);
        service.cancel({cancelled}, kActor);
        Window w(tdb);
        JobTableModel *model = w.page->model();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 2, 5000);
        QMenu *jobMenu = w.window.jobMenu();
        QVERIFY(jobMenu);
        const QList<QAction *> menuActions = jobMenu->actions();

        const QHash<QString, QKeySequence> keys{
            {QStringLiteral("newJobAction"), QKeySequence(Qt::CTRL | Qt::Key_N)},
            {QStringLiteral("detailsAction"), QKeySequence(Qt::Key_Return)},
            {QStringLiteral("cancelAction"), QKeySequence(Qt::CTRL | Qt::Key_K)},
            {QStringLiteral("retryAction"), QKeySequence(Qt::CTRL | Qt::Key_R)},
            {QStringLiteral("deleteAction"), QKeySequence(Qt::Key_Delete)},
        };
        for (auto it = keys.cbegin(); it != keys.cend(); ++it) {
            QAction *a = actionNamed(menuActions, it.key());
            QVERIFY2(a, qPrintable(it.key()));
            QCOMPARE(a->shortcut(), it.value());
        }

        for (const qint64 id : {queued, cancelled}) {
            selectOnly(w.table, model->rowOfJob(id));
            QCOMPARE(w.page->selectedJobIds(), QList<qint64>{id});
            QMenu *context = w.page->createContextMenu({id});
            int compared = 0;
            for (QAction *c : context->actions()) {
                if (c->objectName().isEmpty() || c->objectName().endsWith(QLatin1String("TypeAction")))
                    continue;
                QAction *m = actionNamed(menuActions, c->objectName());
                QVERIFY2(m, qPrintable(QStringLiteral("%1 is not in the Job menu").arg(c->objectName())));
                QVERIFY2(m->isEnabled() == c->isEnabled(),
                         qPrintable(QStringLiteral("%1 for %2").arg(c->objectName(), Job::publicId(id))));
                QCOMPARE(c->shortcut(), m->shortcut()); // the context menu shows the same key
                ++compared;
            }
            QCOMPARE(compared, 7);
            delete context;
        }
        // Queued: cancel yes, delete no; cancelled: the other way round.
        selectOnly(w.table, model->rowOfJob(queued));
        QVERIFY(actionNamed(menuActions, QStringLiteral("cancelAction"))->isEnabled());
        QVERIFY(!actionNamed(menuActions, QStringLiteral("deleteAction"))->isEnabled());
        QVERIFY(actionNamed(menuActions, QStringLiteral("deleteAction"))
                    ->toolTip()
                    .contains(QLatin1String("only finished jobs can be deleted")));
        selectOnly(w.table, model->rowOfJob(cancelled));
        QVERIFY(!actionNamed(menuActions, QStringLiteral("cancelAction"))->isEnabled());
        QVERIFY(actionNamed(menuActions, QStringLiteral("deleteAction"))->isEnabled());
        // Only the jobs page's table is acted on: the menu is off on other pages.
        w.window.showPage(ui::MainWindow::WorkersPageIndex);
        QVERIFY(!jobMenu->menuAction()->isEnabled());
        w.window.showPage(ui::MainWindow::JobsPageIndex);
        QVERIFY(jobMenu->menuAction()->isEnabled());
    }

    // Tab leaves the table (it used to walk its cells, changing the selection).
    void tabLeavesTheTable()
    {
        TempDatabase tdb;
        addLaterJobs(tdb, 3);
        Window w(tdb);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 3, 5000);
        QVERIFY(w.focusTable());
        selectOnly(w.table, 0);
        const QList<qint64> selected = w.page->selectedJobIds();
        QTest::keyClick(w.table, Qt::Key_Tab);
        QVERIFY(!w.table->hasFocus());
        QCOMPARE(w.page->selectedJobIds(), selected);
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Backtab);
        QVERIFY(w.table->hasFocus());
    }

    // Tabbing into a table with no selection showed the first job in the details while the Job menu's
    // actions stayed off (nothing was selected): the job shown is now the job selected, so Ctrl+K,
    // Ctrl+R and Del act on what the pane shows.
    void focusingTheTableSelectsTheJobItShows()
    {
        TempDatabase tdb;
        addLaterJobs(tdb, 3);
        Window w(tdb);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 3, 5000);
        w.window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w.window));
        QVERIFY(w.page->selectedJobIds().isEmpty());
        w.table->setFocus(Qt::TabFocusReason);
        QVERIFY(w.table->hasFocus());
        auto *details = w.page->findChild<ui::JobDetailsView *>(QStringLiteral("detailsPanel"));
        QVERIFY(details);
        QTRY_VERIFY_WITH_TIMEOUT(details->isVisible() && details->jobId() != 0, 5000);
        QCOMPARE(w.page->selectedJobIds(), QList<qint64>{details->jobId()});
        QAction *cancel = actionNamed(w.window.jobMenu()->actions(), QStringLiteral("cancelAction"));
        QVERIFY(cancel && cancel->isEnabled());
    }

    // Ctrl+A in the table selected every row silently (the table took the key before the Job menu's
    // Select All): it now says how many jobs it selected, as the menu does.
    void ctrlAInTheTableSaysHowManyItSelected()
    {
        TempDatabase tdb;
        addLaterJobs(tdb, 3);
        Window w(tdb);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 3, 5000);
        QVERIFY(w.focusTable());
        QSignalSpy messages(w.page, &ui::JobsPage::statusMessage);
        QTest::keyClick(w.table, Qt::Key_A, Qt::ControlModifier);
        QCOMPARE(w.page->selectedJobIds().size(), 3);
        QTRY_VERIFY_WITH_TIMEOUT(!messages.isEmpty(), 2000);
        QVERIFY2(messages.last().first().toString().contains(QLatin1String("all 3 jobs")),
                 qPrintable(messages.last().first().toString()));
    }

    // A list longer than the rows the table shows (JobTableModel::rowCap, 100,000 by default): a line
    // below the table says how many it shows of how many and how to reach the others; End goes to the
    // last shown row; Ctrl+A still selects every job of the filter and says how many.
    void aLongListSaysItShowsTheFirstRows()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        for (int i = 0; i < 12; ++i)
            addLater(service);
        Window w(tdb);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 12, 5000);
        QLabel *notice = w.page->rowCapLabel();
        QVERIFY(notice);
        QVERIFY(!notice->isVisible());
        w.page->model()->setRowCap(5);
        w.page->model()->refreshNow();
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 5, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(notice->isVisible(), 5000);
        QVERIFY2(notice->text().contains(QLatin1String("first 5 of 12 jobs")), qPrintable(notice->text()));
        QVERIFY(w.focusTable());
        QTest::keyClick(w.table, Qt::Key_End);
        QCOMPARE(w.table->currentIndex().row(), 4);
        QSignalSpy messages(w.page, &ui::JobsPage::statusMessage);
        QTest::keyClick(w.table, Qt::Key_A, Qt::ControlModifier);
        QTRY_VERIFY_WITH_TIMEOUT(!messages.isEmpty(), 2000);
        QVERIFY2(messages.last().first().toString().contains(QLatin1String("all 12 jobs")),
                 qPrintable(messages.last().first().toString()));

        // A search with fewer jobs than the cap shows them all, without the line.
        w.page->searchEdit()->setText(QString::number(w.page->model()->jobIdAt(4)));
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!notice->isVisible(), 5000);
    }

    // End went to the table's last column (the ID scrolled out of view, the selection stayed): Home
    // and End go to the first and the last job and select it, as in a list.
    void homeAndEndGoToTheFirstAndLastJob()
    {
        TempDatabase tdb;
        addLaterJobs(tdb, 4);
        Window w(tdb);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 4, 5000);
        QVERIFY(w.focusTable());
        selectOnly(w.table, 1);
        QTest::keyClick(w.table, Qt::Key_End);
        QCOMPARE(w.table->currentIndex().row(), 3);
        QCOMPARE(w.page->selectedJobIds(), QList<qint64>{w.page->model()->jobIdAt(3)});
        QCOMPARE(w.table->horizontalScrollBar()->value(), 0);
        QTest::keyClick(w.table, Qt::Key_Home);
        QCOMPARE(w.table->currentIndex().row(), 0);
        QCOMPARE(w.page->selectedJobIds(), QList<qint64>{w.page->model()->jobIdAt(0)});
        QTest::keyClick(w.table, Qt::Key_End, Qt::ShiftModifier);
        QCOMPARE(w.page->selectedJobIds().size(), 4);
    }

    // Escape in the search box clears it and shows every job again; a search that matches nothing
    // says so, names the filters and offers to clear them.
    void escapeClearsSearchAndEmptyResultSaysWhy()
    {
        TempDatabase tdb;
        addLaterJobs(tdb, 3);
        Window w(tdb);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 3, 5000);
        QVERIFY(QTest::qWaitForWindowActive(&w.window));
        QLabel *empty = w.page->emptyStateLabel();
        QVERIFY(empty);
        QVERIFY(!empty->isVisible());

        QLineEdit *search = w.page->searchEdit();
        search->setFocus();
        QTest::keyClicks(search, QStringLiteral("nomatch"));
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 0, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(empty->isVisible(), 5000);
        QVERIFY2(empty->text().contains(QStringLiteral("search “nomatch”")), qPrintable(empty->text()));
        QVERIFY2(empty->text().contains(QLatin1String("Clear all filters")), qPrintable(empty->text()));

        QTest::keyClick(search, Qt::Key_Escape);
        QCOMPARE(search->text(), QString());
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 3, 5000);
        QTRY_VERIFY(!empty->isVisible());

        // Status and type filters together; the link clears both.
        w.page->statusList()->setCurrentIndex(
            w.page->statusList()->model()->index(1 + int(JobStatus::Failed), 0));
        w.page->typeCombo()->setCurrentIndex(w.page->typeCombo()->findData(QStringLiteral("email_send")));
        QTRY_VERIFY_WITH_TIMEOUT(empty->isVisible() && empty->text().contains(QLatin1String("email_send")),
                                 5000);
        QVERIFY2(empty->text().contains(QStringLiteral("status “Failed”")), qPrintable(empty->text()));
        emit empty->linkActivated(QStringLiteral("clear"));
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), 3, 5000);
        QCOMPARE(w.page->typeCombo()->currentIndex(), 0);
        QCOMPARE(w.page->statusList()->currentIndex().row(), 0);
        QTRY_VERIFY(!empty->isVisible());
    }

    // A job made in the New Job dialog is selected and scrolled to, its details shown.
    void createdJobIsSelected()
    {
        TempDatabase tdb;
        addLaterJobs(tdb, 40);
        Window w(tdb);
        JobTableModel *model = w.page->model();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 40, 5000);
        selectOnly(w.table, model->rowCount() - 1);
        w.table->scrollToBottom();

        w.page->newJobAction()->trigger();
        ui::NewJobDialog *dialog = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((dialog = w.window.findChild<ui::NewJobDialog *>()) && dialog->isVisible(),
                                 5000);
        auto *type = dialog->findChild<QComboBox *>(QStringLiteral("typeCombo"));
        type->setCurrentIndex(type->findData(QStringLiteral("cache_flush")));
        dialog->findChild<QPlainTextEdit *>(QStringLiteral("payloadEdit"))
            ->setPlainText(QStringLiteral("{}"));
        QSignalSpy created(dialog, &ui::NewJobDialog::jobCreated);
        auto *buttons = dialog->findChild<QDialogButtonBox *>(QStringLiteral("buttonBox"));
        QTRY_VERIFY_WITH_TIMEOUT(buttons->button(QDialogButtonBox::Ok)->isEnabled(), 5000);
        QTest::mouseClick(buttons->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(created.count(), 1, 5000);
        const qint64 id = created.first().first().toLongLong();

        QTRY_COMPARE_WITH_TIMEOUT(w.page->selectedJobIds(), QList<qint64>{id}, 5000);
        QCOMPARE(model->jobIdAt(w.table->currentIndex().row()), id);
        const QRect rect = w.table->visualRect(model->index(model->rowOfJob(id), 0));
        QVERIFY(w.table->viewport()->rect().intersects(rect)); // scrolled into view
    }

    // Scrolled down, new jobs arriving above keep the rows in view in place (they used to move down by
    // the number of new jobs); at the top, the new jobs show up there.
    void newJobsKeepTheScrolledRowsInPlace()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        for (int i = 0; i < 100; ++i)
            addLater(service);
        Window w(tdb);
        w.page->setRefreshInterval(0); // refreshed by the test only
        JobTableModel *model = w.page->model();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 100, 5000);
        QVERIFY(QTest::qWaitForWindowExposed(&w.window));
        w.table->scrollTo(model->index(40, 0), QAbstractItemView::PositionAtTop);
        QTRY_VERIFY(w.table->rowAt(0) > 0);
        const int topRow = w.table->rowAt(0);
        const qint64 topJob = model->jobIdAt(topRow);
        QVERIFY(topJob != 0);

        for (int i = 0; i < 10; ++i)
            addLater(service);
        w.page->refresh();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 110, 5000);
        QTRY_COMPARE(model->jobIdAt(w.table->rowAt(0)), topJob);
        QCOMPARE(w.table->rowAt(0), topRow + 10);

        // At the top: the newest jobs are what the view shows.
        w.table->scrollToTop();
        QTRY_COMPARE(w.table->rowAt(0), 0);
        const qint64 newest = addLater(service);
        w.page->refresh();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 111, 5000);
        QCOMPARE(model->jobIdAt(w.table->rowAt(0)), newest);
    }

    // The "Last hour" chart and the status bar's jobs/min follow the table's updates (the chart lagged
    // 4–10 s behind), the chart counts the type the filter shows, and jobs/min is the jobs completed in
    // the last 60 seconds, with its plural.
    void chartAndRateFollowTheTable()
    {
        TempDatabase tdb;
        JobStore store(tdb.config());
        JobService service{store};
        Window w(tdb);
        QTRY_VERIFY_WITH_TIMEOUT(!w.page->model()->isLoading(), 5000);
        auto *rate = w.window.findChild<QLabel *>(QStringLiteral("rateLabel"));
        QVERIFY(rate);
        QTRY_COMPARE_WITH_TIMEOUT(rate->text(), QStringLiteral("0 jobs/min"), 5000);

        const auto runNow = [&](const QString &type, int n) {
            for (int i = 0; i < n; ++i)
                QVERIFY(service.enqueue(NewJob{type, JobPriority::Normal, {}, 3, std::nullopt}, kActor).ok());
            const QString worker = QStringLiteral("hcm-worker@test:1");
            auto claimed = store.claim(worker, n, 600'000, {type}).value();
            QCOMPARE(claimed.size(), n);
            QList<JobOutcome> outcomes;
            for (const ClaimedJob &c : claimed)
                outcomes << JobOutcome{c.id, c.attempt, JobOutcome::Kind::Completed, {}, {}, true, 0, 0};
            QVERIFY(store.finish(worker, outcomes).ok());
        };
        runNow(QStringLiteral("cleanup"), 3);
        // Within a couple of table refreshes (200 ms here), not at the chart's next 5 s timer.
        QTRY_COMPARE_WITH_TIMEOUT(w.page->statusModel()->countAt(1 + int(JobStatus::Completed)), qint64(3),
                                  1000);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->findChild<ui::ThroughputChart *>()->totalCompleted(), qint64(3),
                                  1000);
        QTRY_COMPARE_WITH_TIMEOUT(rate->text(), QStringLiteral("3 jobs/min"), 1000);

        runNow(QStringLiteral("cache_flush"), 1);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->findChild<ui::ThroughputChart *>()->totalCompleted(), qint64(4),
                                  1000);
        // The type filter: the chart and the rate count cache_flush only.
        w.page->typeCombo()->setCurrentIndex(w.page->typeCombo()->findData(QStringLiteral("cache_flush")));
        QTRY_COMPARE_WITH_TIMEOUT(w.page->findChild<ui::ThroughputChart *>()->totalCompleted(), qint64(1),
                                  1000);
        QTRY_COMPARE_WITH_TIMEOUT(rate->text(), QStringLiteral("1 job/min"), 1000);
        QVERIFY(rate->toolTip().contains(QLatin1String("cache_flush")));
    }

    // "Retry All Failed (N)" acts on every failed job the filter selects, not only the loaded rows,
    // after one question with the count, and ends with a result line; Select All says how many it
    // selected, and Delete then acts on all of them.
    void bulkActionsActOnEverythingThatMatches()
    {
        TempDatabase tdb;
        JobStore store(tdb.config());
        JobService service{store};
        const int n = 700; // more than the table loads at once (300)
        QList<NewJob> jobs;
        for (int i = 0; i < n; ++i)
            jobs << NewJob{QStringLiteral("cache_flush"), JobPriority::Normal, {}, 0, std::nullopt};
        QVERIFY(service.enqueueMany(jobs, kActor).ok());
        for (int done = 0; done < n;) {
            const auto claimed =
                store.claim(QStringLiteral("w"), 500, 600'000, {QStringLiteral("cache_flush")});
            QVERIFY(claimed.ok() && !claimed->isEmpty());
            QList<JobOutcome> outcomes;
            for (const ClaimedJob &c : claimed.value())
                outcomes << JobOutcome{
                    c.id, c.attempt, JobOutcome::Kind::Failed, {}, QStringLiteral("x"), false, 0, 0};
            QVERIFY(store.finish(QStringLiteral("w"), outcomes).ok());
            done += int(claimed->size());
        }
        Window w(tdb);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->model()->rowCount(), n, 5000);
        QMenu *jobMenu = w.window.jobMenu();
        QAction *retryAll = actionNamed(jobMenu->actions(), QStringLiteral("retryAllAction"));
        QVERIFY(retryAll);
        QTRY_COMPARE_WITH_TIMEOUT(retryAll->text(), QStringLiteral("Retry All Failed (700)…"), 5000);
        retryAll->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(openBoxes().size(), 1, 5000);
        QMessageBox *box = openBoxes().first();
        QVERIFY2(box->text().contains(QLatin1String("700")), qPrintable(box->text()));
        QCOMPARE(buttonTexts(box), (QStringList{QStringLiteral("Keep Jobs"), QStringLiteral("Retry Jobs")}));
        clickRole(box, QMessageBox::AcceptRole);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->lastBulkResult(), QStringLiteral("Retried 700 jobs."), 15'000);
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'queued'")),
            qint64(n));

        // Cancel them all through Select All and the cancel key.
        QTRY_COMPARE_WITH_TIMEOUT(w.page->statusModel()->countAt(1 + int(JobStatus::Queued)), qint64(n),
                                  5000);
        QVERIFY(w.focusTable());
        QTest::keyClick(w.table, Qt::Key_A, Qt::ControlModifier);
        QCOMPARE(w.page->selectedRowCount(), qint64(n));
        QVERIFY(w.page->allRowsSelected());
        QVERIFY2(w.window.statusBar()->currentMessage().contains(QLatin1String("700")),
                 qPrintable(w.window.statusBar()->currentMessage()));
        QTest::keyClick(w.table, Qt::Key_K, Qt::ControlModifier);
        QTRY_COMPARE_WITH_TIMEOUT(openBoxes().size(), 1, 5000);
        box = openBoxes().first();
        QVERIFY2(box->text().contains(QLatin1String("700")), qPrintable(box->text()));
        clickRole(box, QMessageBox::AcceptRole);
        QTRY_COMPARE_WITH_TIMEOUT(w.page->lastBulkResult(), QStringLiteral("Cancelled 700 jobs."), 15'000);
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'cancelled'")),
            qint64(n));
    }
};

QTEST_MAIN(TestGuiJobActions)
#include "tst_gui_jobactions.moc"
