// The Schedules page and its dialog on a real SQLite file, driven through QTest: the maintenance
// schedules listed with their description and next run, the expression checked as typed with the
// next five runs previewed, add, switch off, run now, duplicate and delete, all without a model reset.
// Also renders the screenshot schedules.png (testutil.h: screenshotPath).

#include "testutil.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtablemodel.h"
#include "jobs/jobtypes.h"
#include "schedules/scheduleservice.h"
#include "ui/jobspage.h"
#include "ui/mainwindow.h"
#include "ui/scheduledialog.h"
#include "ui/schedulespage.h"
#include "ui/scheduletablemodel.h"
#include "ui/statusfiltermodel.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QToolButton>
#include <QTreeWidget>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("tester"));

qint64 scheduleCount(const TempDatabase &tdb, const QString &where = {})
{
    return rowCount(tdb.config(), QStringLiteral("schedules"), where);
}

void setText(QLineEdit *edit, const QString &text)
{
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

Schedule schedule(const QString &name, const QString &jobType, const QString &cron,
                  const QString &timeZone = QStringLiteral("UTC"))
{
    Schedule s;
    s.name = name;
    s.jobType = jobType;
    s.cron = cron;
    s.timeZone = timeZone;
    return s;
}

} // namespace

class TstGuiSchedules : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { JobTypeCatalog::enableTestTypes(); }
    void cleanup() { Database::closeThreadConnections(); }

    void pageListsTheMaintenanceSchedules()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        ui::SchedulesPage page(tdb.config(), kActor);
        QAbstractItemModelTester tester(page.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        page.resize(1000, 300);
        page.show();
        QTRY_COMPARE(page.model()->rowCount(), 2);
        auto *model = page.model();
        QCOMPARE(model->index(0, ui::ScheduleTableModel::Name).data().toString(), QStringLiteral("cleanup"));
        QCOMPARE(model->index(0, ui::ScheduleTableModel::When).data().toString(),
                 QStringLiteral("30 3 * * * — At 03:30, every day"));
        QCOMPARE(model->index(1, ui::ScheduleTableModel::When).data().toString(),
                 QStringLiteral("0 3 * * * — At 03:00, every day"));
        QVERIFY(model->index(1, ui::ScheduleTableModel::NextRun)
                    .data(ui::ScheduleTableModel::RawRole)
                    .toLongLong() > QDateTime::currentMSecsSinceEpoch());
        QCOMPARE(model->index(1, ui::ScheduleTableModel::Enabled).data(Qt::CheckStateRole).toInt(),
                 int(Qt::Checked));
        QCOMPARE(model->index(1, ui::ScheduleTableModel::LastRun).data().toString(), QStringLiteral("never"));
    }

    // New schedule from the dialog: a bad expression is explained as typed and blocks OK; a good one
    // shows its description and the next five runs in the zone and in local time.
    void dialogValidatesAndPreviews()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        ui::SchedulesPage page(tdb.config(), kActor);
        QSignalSpy resets(page.model(), &QAbstractItemModel::modelReset);
        page.show();
        QTRY_COMPARE(page.model()->rowCount(), 2);
        page.newSchedule();
        ui::ScheduleDialog *dialog = page.openDialog();
        QVERIFY(dialog);
        QPushButton *ok = dialog->buttons()->button(QDialogButtonBox::Ok);
        setText(dialog->nameEdit(), QStringLiteral("every minute"));
        setText(dialog->cronEdit(), QStringLiteral("0 0 32 * *"));
        QCOMPARE(dialog->cronLabel()->text(), QStringLiteral("day-of-month: 32 is out of range 1–31"));
        QVERIFY(!ok->isEnabled());
        QCOMPARE(dialog->preview()->topLevelItemCount(), 0);
        QCOMPARE(dialog->problem(),
                 QStringLiteral("Invalid cron expression: day-of-month: 32 is out of range 1–31."));
        setText(dialog->cronEdit(), QStringLiteral("30 2 * * *"));
        dialog->zoneBox()->setCurrentText(QStringLiteral("Europe/Berlin"));
        QCOMPARE(dialog->cronLabel()->text(), QStringLiteral("At 02:30, every day"));
        QVERIFY(ok->isEnabled());
        QCOMPARE(dialog->preview()->topLevelItemCount(), 5);
        QVERIFY(dialog->preview()->topLevelItem(0)->text(0).contains(QLatin1String("02:30")));
        dialog->zoneBox()->setCurrentText(QStringLiteral("Mars/Olympus"));
        QVERIFY(!ok->isEnabled());
        QCOMPARE(dialog->preview()->topLevelItemCount(), 0);
        dialog->zoneBox()->setCurrentText(QStringLiteral("UTC"));
        setText(dialog->cronEdit(), QStringLiteral("*/1 * * * *"));
        QCOMPARE(dialog->cronLabel()->text(), QStringLiteral("Every minute, every day"));
        QVERIFY(ok->isEnabled());
        QTest::mouseClick(ok, Qt::LeftButton);
        QTRY_COMPARE(page.model()->rowCount(), 3);
        QCOMPARE(scheduleCount(
                     tdb, QStringLiteral("name = 'every minute' AND cron = '*/1 * * * *' AND enabled = 1")),
                 qint64(1));
        QCOMPARE(resets.size(), 0);
    }

    // The context menu's actions: switch off (the check box), run now, duplicate, delete.
    void actionsChangeTheDatabase()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        ui::SchedulesPage page(tdb.config(), kActor);
        QAbstractItemModelTester tester(page.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(page.model(), &QAbstractItemModel::modelReset);
        page.show();
        QTRY_COMPARE(page.model()->rowCount(), 2);
        auto *model = page.model();
        const int row = model->rowOf(model->index(1, 0).data(ui::ScheduleTableModel::IdRole).toLongLong());
        const qint64 id = model->index(row, 0).data(ui::ScheduleTableModel::IdRole).toLongLong();
        page.view()->selectRow(row);

        QVERIFY(!model->setData(model->index(row, ui::ScheduleTableModel::Enabled), Qt::Unchecked,
                                Qt::CheckStateRole));
        QTRY_COMPARE(scheduleCount(tdb, QStringLiteral("id = %1 AND enabled = 0").arg(id)), qint64(1));
        QTRY_COMPARE(model->index(row, ui::ScheduleTableModel::Enabled).data(Qt::CheckStateRole).toInt(),
                     int(Qt::Unchecked));

        page.runNow(id);
        QTRY_COMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                              QStringLiteral("schedule_id = %1").arg(id)),
                     qint64(1));
        QTRY_VERIFY(!model->index(model->rowOf(id), ui::ScheduleTableModel::LastRun)
                         .data(Qt::DecorationRole)
                         .isNull());

        page.showJobs(id);
        QVERIFY(page.jobsDialog());
        auto *jobs = page.jobsDialog()->findChild<QTreeWidget *>(QStringLiteral("jobs"));
        QVERIFY(jobs);
        QTRY_COMPARE(jobs->topLevelItemCount(), 1);
        QVERIFY(jobs->topLevelItem(0)->text(0).startsWith(QLatin1String("job_")));
        page.jobsDialog()->close();

        page.duplicateSchedule(id);
        QVERIFY(page.openDialog());
        QCOMPARE(page.openDialog()->nameEdit()->text(), QStringLiteral("log_rotate (copy)"));
        page.openDialog()->buttons()->button(QDialogButtonBox::Ok)->click();
        QTRY_COMPARE(model->rowCount(), 3);

        page.deleteSchedule(id);
        auto *box = page.findChild<QMessageBox *>(QStringLiteral("confirmDelete"));
        QVERIFY(box);
        box->button(QMessageBox::Yes)->click();
        QTRY_COMPARE(model->rowCount(), 2);
        QCOMPARE(scheduleCount(tdb, QStringLiteral("id = %1").arg(id)), qint64(0));
        QVERIFY(page.view()->selectionModel());
        QCOMPARE(resets.size(), 0);
    }

    // A change made elsewhere in this process (the service, hcmctl-like) shows without waiting.
    void changeElsewhereRefreshesThePage()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        ui::SchedulesPage page(tdb.config(), kActor);
        page.show();
        QTRY_COMPARE(page.model()->rowCount(), 2);
        ScheduleService service{ScheduleStore(tdb.config())};
        Schedule s = schedule(QStringLiteral("aaa"), QStringLiteral("cleanup"), QStringLiteral("@hourly"));
        QVERIFY(service.add(s, kActor).ok());
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 3, 2000); // before the 5 s refresh
        QCOMPARE(page.model()->index(0, 0).data().toString(), QStringLiteral("aaa"));
    }

    void mainWindowHasTheSchedulesPage()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        ui::MainWindow::Options o;
        o.db = tdb.config();
        o.actor = kActor;
        o.runWorker = false;
        ui::MainWindow window(o);
        auto *nav = window.findChild<QListWidget *>(QStringLiteral("navigation"));
        QVERIFY(nav);
        QCOMPARE(nav->item(ui::MainWindow::SchedulesPageIndex)->text(), QStringLiteral("Schedules"));
        window.showPage(ui::MainWindow::SchedulesPageIndex);
        QCOMPARE(window.currentPage(), int(ui::MainWindow::SchedulesPageIndex));
        QVERIFY(window.schedulesPage()->isVisibleTo(&window));
    }

    // "Show Jobs" in the schedule's menu switches the main window to the jobs page, filtered to that
    // schedule's jobs (counts too) under a "Schedule: …" chip; its button and Escape show every job again.
    void showJobsFiltersTheJobsPage()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        ScheduleService schedules{ScheduleStore(tdb.config())};
        Schedule s = schedule(QStringLiteral("nightly-cleanup"), QStringLiteral("test.noop"),
                              QStringLiteral("@yearly"));
        auto id = schedules.add(s, kActor);
        QVERIFY(id.ok());
        s.name = QStringLiteral("other");
        auto other = schedules.add(s, kActor);
        QVERIFY(other.ok());
        QSet<qint64> mine;
        for (int i = 0; i < 2; ++i) {
            auto job = schedules.runNow(*id, kActor);
            QVERIFY(job.ok());
            mine.insert(*job);
        }
        QVERIFY(schedules.runNow(*other, kActor).ok());
        JobService jobs{JobStore(tdb.config())};
        NewJob plain;
        plain.type = QStringLiteral("test.noop");
        QVERIFY(jobs.enqueue(plain, kActor).ok());

        ui::MainWindow::Options o;
        o.db = tdb.config();
        o.actor = kActor;
        o.runWorker = false;
        ui::MainWindow window(o);
        window.resize(1400, 700);
        window.show();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        ui::JobsPage *jobsPage = window.jobsPage();
        QTRY_COMPARE(jobsPage->model()->rowCount(), 4);
        QTRY_COMPARE(jobsPage->statusModel()->countAt(0), qint64(4));
        QVERIFY(!jobsPage->scheduleChip()->isVisibleTo(jobsPage));

        window.showPage(ui::MainWindow::SchedulesPageIndex);
        ui::SchedulesPage *page = window.schedulesPage();
        QTRY_COMPARE(page->model()->rowCount(), 4);
        const int row = page->model()->rowOf(*id);
        QVERIFY(row >= 0);
        emit page->view()->customContextMenuRequested(
            page->view()->visualRect(page->model()->index(row, 0)).center());
        auto *menu = page->findChild<QMenu *>();
        QVERIFY(menu);
        QAction *show = nullptr;
        for (QAction *a : menu->actions())
            if (a->text() == QStringLiteral("Show &Jobs"))
                show = a;
        QVERIFY(show);
        show->trigger();
        menu->close();

        QCOMPARE(window.currentPage(), 0);
        QVERIFY(!page->jobsDialog()); // the jobs page shows them, not a dialog of the schedules page
        QVERIFY(jobsPage->scheduleChip()->isVisibleTo(jobsPage));
        auto *label = jobsPage->scheduleChip()->findChild<QLabel *>(QStringLiteral("scheduleFilterLabel"));
        QVERIFY(label);
        QCOMPARE(label->text(), QStringLiteral("Schedule: nightly-cleanup"));
        QCOMPARE(jobsPage->model()->filter().scheduleId, *id);
        QTRY_COMPARE(jobsPage->model()->rowCount(), 2);
        QTRY_VERIFY(jobsPage->model()->jobAt(0) && jobsPage->model()->jobAt(1));
        QSet<qint64> shown;
        for (int r = 0; r < 2; ++r) {
            QCOMPARE(jobsPage->model()->jobAt(r)->scheduleId, *id);
            shown.insert(jobsPage->model()->jobIdAt(r));
        }
        QCOMPARE(shown, mine);
        QTRY_COMPARE(jobsPage->statusModel()->countAt(0), qint64(2));

        // The chip's button clears the filter.
        auto *clear =
            jobsPage->scheduleChip()->findChild<QToolButton *>(QStringLiteral("clearScheduleFilter"));
        QVERIFY(clear);
        clear->click();
        QVERIFY(!jobsPage->scheduleChip()->isVisibleTo(jobsPage));
        QTRY_COMPARE(jobsPage->model()->rowCount(), 4);
        QTRY_COMPARE(jobsPage->statusModel()->countAt(0), qint64(4));

        // So does Escape, from the table.
        emit page->showJobsRequested(*other, QStringLiteral("other"));
        QTRY_COMPARE(jobsPage->model()->rowCount(), 1);
        QTRY_COMPARE(jobsPage->statusModel()->countAt(0), qint64(1));
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        jobsPage->table()->setFocus();
        QTRY_VERIFY(jobsPage->table()->hasFocus());
        QTest::keyClick(jobsPage->table(), Qt::Key_Escape);
        QCOMPARE(jobsPage->scheduleFilter(), qint64(0));
        QTRY_COMPARE(jobsPage->model()->rowCount(), 4);
        QTRY_COMPARE(jobsPage->statusModel()->countAt(0), qint64(4));
    }

    // Editing a schedule's payload: it is shown pretty-printed, one key a line, and a JSON error is named
    // under the editor with its line and column (before, the payload was one compact line and only the
    // message under the form told of the error), said once; a fixed payload is confirmed valid.
    void dialogShowsPayloadErrorsWithLineAndColumn()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        ScheduleService service{ScheduleStore(tdb.config())};
        Schedule s =
            schedule(QStringLiteral("flush"), QStringLiteral("cache_flush"), QStringLiteral("0 4 * * *"));
        s.payload = QJsonObject{{QStringLiteral("action"), QStringLiteral("full")}};
        auto id = service.add(s, kActor);
        QVERIFY(id.ok());
        ui::SchedulesPage page(tdb.config(), kActor);
        page.show();
        QTRY_COMPARE(page.model()->rowCount(), 3);
        page.editSchedule(*id);
        ui::ScheduleDialog *dialog = page.openDialog();
        QVERIFY(dialog);
        auto *payload = dialog->findChild<QPlainTextEdit *>(QStringLiteral("payload"));
        QVERIFY(payload);
        QCOMPARE(payload->toPlainText(), QStringLiteral("{\n    \"action\": \"full\"\n}"));
        auto *validation = dialog->findChild<QLabel *>(QStringLiteral("validationLabel"));
        QVERIFY(validation);
        QCOMPARE(validation->text(), QStringLiteral("Payload is valid"));
        QPushButton *ok = dialog->buttons()->button(QDialogButtonBox::Ok);
        QVERIFY(ok->isEnabled());

        // A third line whose value is missing.
        payload->setFocus();
        payload->moveCursor(QTextCursor::Start);
        payload->moveCursor(QTextCursor::Down);
        payload->moveCursor(QTextCursor::EndOfLine);
        QTest::keyClicks(payload, QStringLiteral(","));
        QTest::keyClick(payload, Qt::Key_Return);
        QTest::keyClicks(payload, QStringLiteral("\"days\": x"));
        QCOMPARE(payload->toPlainText(), QStringLiteral("{\n    \"action\": \"full\",\n\"days\": x\n}"));
        QVERIFY(!ok->isEnabled());
        QTRY_VERIFY2(validation->text().contains(QLatin1String("at line 3, column ")),
                     qPrintable(validation->text()));
        QCOMPARE(validation->text(), JobService::parsePayload(payload->toPlainText()).error().message);
        QCOMPARE(dialog->problem(), validation->text());
        QVERIFY(!dialog->findChild<QLabel *>(QStringLiteral("problem"))->isVisible());

        payload->selectAll();
        QTest::keyClicks(payload, QStringLiteral("{\"action\": \"expired\"}"));
        QTRY_COMPARE(validation->text(), QStringLiteral("Payload is valid"));
        QVERIFY(ok->isEnabled());
        QCOMPARE(dialog->problem(), QString());
        QCOMPARE(dialog->schedule().payload.value(QLatin1String("action")).toString(),
                 QStringLiteral("expired"));
        dialog->reject();
    }

    // Renders schedules.png for the docs (testutil.h: screenshotPath): the page and its edit dialog.
    void screenshot()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        ScheduleService service{ScheduleStore(tdb.config())};
        Schedule s = schedule(QStringLiteral("weekday digest"), QStringLiteral("cache_flush"),
                              QStringLiteral("0 7 * * MON-FRI"), QStringLiteral("Europe/Berlin"));
        auto id = service.add(s, kActor);
        QVERIFY(id.ok());
        QVERIFY(service.runNow(*id, kActor).ok());
        ui::SchedulesPage page(tdb.config(), kActor);
        page.resize(1100, 260);
        page.show();
        QTRY_COMPARE(page.model()->rowCount(), 3);
        QTRY_VERIFY(!page.model()
                         ->index(page.model()->rowOf(*id), ui::ScheduleTableModel::LastRun)
                         .data(Qt::DecorationRole)
                         .isNull());
        page.editSchedule(*id);
        ui::ScheduleDialog *dialog = page.openDialog();
        QVERIFY(dialog);
        QPixmap shot(page.width(), page.height() + dialog->sizeHint().height() + 10);
        shot.fill(page.palette().color(QPalette::Window));
        {
            QPainter p(&shot);
            p.drawPixmap(0, 0, page.grab());
            dialog->resize(dialog->sizeHint());
            p.drawPixmap((page.width() - dialog->width()) / 2, page.height() + 10, dialog->grab());
        }
        QVERIFY(shot.save(screenshotPath(QStringLiteral("schedules.png"))));
        dialog->reject();
    }
};

QTEST_MAIN(TstGuiSchedules)
#include "tst_gui_schedules.moc"
