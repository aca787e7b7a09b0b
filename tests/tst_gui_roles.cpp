// The desktop application shows only what the role allows: a Viewer sees the job actions disabled
// with the role they need in the tooltip and a read-only Notifications page; an Operator may act on
// jobs and send test messages but not change the settings. Renders viewer-menu.png (testutil.h:
// screenshotPath).
#include "testutil.h"

#include "auth/permissions.h"
#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtablemodel.h"
#include "ui/channeltestwidget.h"
#include "ui/jobspage.h"
#include "ui/mainwindow.h"
#include "ui/notificationsform.h"
#include "ui/notificationspage.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QTableView>
#include <QToolButton>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

ui::MainWindow::Options windowOptions(const TempDatabase &tdb, Role role)
{
    ui::MainWindow::Options o;
    o.db = tdb.config();
    o.actor = Actor(QStringLiteral("bob"), role, Interface::Gui);
    o.runWorker = false;
    o.refreshIntervalMs = 200;
    return o;
}

QAction *actionNamed(QMenu *menu, const QString &name)
{
    for (QAction *a : menu->actions())
        if (a->objectName() == name)
            return a;
    return nullptr;
}

} // namespace

class TestGuiRoles : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { initGuiSuite(QStringLiteral("tst_gui_roles")); }
    void cleanup() { Database::closeThreadConnections(); }

    void viewerSeesDisabledActionsWithReasons()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const qint64 id =
            service
                .enqueue(NewJob{QStringLiteral("cache_flush"), JobPriority::Normal, {}, 3, std::nullopt},
                         adminActor())
                .value();
        ui::MainWindow window(windowOptions(tdb, Role::Viewer));
        window.resize(1200, 700);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *signedIn = window.findChild<QLabel *>(QStringLiteral("signedInLabel"));
        QVERIFY(signedIn);
        QCOMPARE(signedIn->text(), QStringLiteral("Signed in as bob — Viewer"));

        ui::JobsPage *page = window.jobsPage();
        QTRY_VERIFY_WITH_TIMEOUT(page->model()->rowOfJob(id) >= 0, 5000);
        auto *newJob = page->findChild<QToolButton *>(QStringLiteral("newJobButton"));
        QVERIFY(newJob);
        QVERIFY(!newJob->isEnabled());
        QCOMPARE(newJob->toolTip(), QStringLiteral("Needs the Operator role"));
        QVERIFY(!page->pauseButton()->isEnabled());
        QCOMPARE(page->pauseButton()->toolTip(), QStringLiteral("Needs the Operator role"));

        page->table()->selectRow(page->model()->rowOfJob(id));
        QMenu *menu = page->createContextMenu({id});
        for (const QString &name : {QStringLiteral("cancelAction"), QStringLiteral("duplicateAction"),
                                    QStringLiteral("retryAction"), QStringLiteral("deleteAction")}) {
            QAction *a = actionNamed(menu, name);
            QVERIFY2(a, qPrintable(name));
            QVERIFY2(!a->isEnabled(), qPrintable(name));
            QCOMPARE(a->toolTip(), QStringLiteral("Needs the Operator role"));
        }
        // The screenshot: the window with the menu drawn where it opens.
        menu->popup(page->table()->viewport()->mapToGlobal(QPoint(200, 40)));
        QTRY_VERIFY_WITH_TIMEOUT(menu->isVisible(), 3000);
        QImage image = window.grab().toImage();
        {
            QPainter p(&image);
            p.drawPixmap(window.mapFromGlobal(menu->pos()), menu->grab());
        }
        QVERIFY(image.save(screenshotPath(QStringLiteral("viewer-menu.png"))));
        menu->close();

        // Notifications: read-only, no save, no test send.
        window.showPage(ui::MainWindow::NotificationsPageIndex);
        ui::NotificationsPage *notifications = window.notificationsPage();
        QCOMPARE(notifications->saveButton()->toolTip(),
                 QStringLiteral("Needs the System administrator role"));
        QVERIFY(!notifications->saveButton()->isEnabled());
        auto *form = notifications->findChild<ui::NotificationsForm *>();
        QVERIFY(form);
        int editable = 0;
        for (QLineEdit *e : form->findChildren<QLineEdit *>()) {
            bool inTest = false;
            for (QWidget *p = e; p; p = p->parentWidget())
                inTest = inTest || qobject_cast<ui::ChannelTestWidget *>(p);
            editable += !inTest && !e->isReadOnly() ? 1 : 0;
        }
        QCOMPARE(editable, 0);
        QVERIFY(!form->testWidget(NotifyChannel::Email)->button()->isEnabled());
        QCOMPARE(form->testWidget(NotifyChannel::Email)->button()->toolTip(),
                 QStringLiteral("Needs the Operator role"));
    }

    // Every page has its key in the View menu, Ctrl+1 to Ctrl+6 (Schedules, Audit and Users had none: a
    // keyboard user reached them only by tabbing into the navigation); a page the role may not use has
    // its action disabled with the reason.
    void everyPageHasItsKeyInTheViewMenu_data()
    {
        QTest::addColumn<Role>("role");
        QTest::newRow("system administrator") << Role::SystemAdmin;
        QTest::newRow("viewer") << Role::Viewer;
    }
    void everyPageHasItsKeyInTheViewMenu()
    {
        QFETCH(Role, role);
        TempDatabase tdb;
        ui::MainWindow window(windowOptions(tdb, role));
        window.resize(1000, 650);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QMenu *view = nullptr;
        for (QAction *a : window.menuBar()->actions())
            if (a->text() == QStringLiteral("&View"))
                view = a->menu();
        QVERIFY(view);
        const int pages[] = {ui::MainWindow::JobsPageIndex,          ui::MainWindow::WorkersPageIndex,
                             ui::MainWindow::NotificationsPageIndex, ui::MainWindow::SchedulesPageIndex,
                             ui::MainWindow::AuditPageIndex,         ui::MainWindow::UsersPageIndex};
        for (int page : pages) {
            const QKeySequence key(Qt::CTRL | Qt::Key(Qt::Key_1 + page));
            QAction *action = nullptr;
            for (QAction *a : view->actions())
                if (a->shortcut() == key)
                    action = a;
            QVERIFY2(action, qPrintable(key.toString()));
            const bool allowed = role == Role::SystemAdmin || page < ui::MainWindow::AuditPageIndex;
            QCOMPARE(action->isEnabled(), allowed);
            if (!allowed) {
                QVERIFY2(action->toolTip().startsWith(QStringLiteral("Needs the")),
                         qPrintable(action->toolTip()));
                continue;
            }
            // The key itself, as a person presses it: back to Jobs first, so that every key changes the page.
            if (page != ui::MainWindow::JobsPageIndex) {
                window.showPage(ui::MainWindow::JobsPageIndex);
                QTRY_COMPARE(window.currentPage(), int(ui::MainWindow::JobsPageIndex));
            }
            QTest::keyClick(&window, Qt::Key(Qt::Key_1 + page), Qt::ControlModifier);
            QTRY_COMPARE(window.currentPage(), page);
        }
    }

    void operatorMayActOnJobsButNotSettings()
    {
        TempDatabase tdb;
        JobService service{JobStore(tdb.config())};
        const qint64 id =
            service
                .enqueue(NewJob{QStringLiteral("cache_flush"), JobPriority::Normal, {}, 3, std::nullopt},
                         adminActor())
                .value();
        ui::MainWindow window(windowOptions(tdb, Role::Operator));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        ui::JobsPage *page = window.jobsPage();
        QTRY_VERIFY_WITH_TIMEOUT(page->model()->rowOfJob(id) >= 0, 5000);
        QVERIFY(page->findChild<QToolButton *>(QStringLiteral("newJobButton"))->isEnabled());
        QMenu *menu = page->createContextMenu({id});
        QVERIFY(actionNamed(menu, QStringLiteral("cancelAction"))->isEnabled());
        menu->deleteLater();
        auto *form = window.notificationsPage()->findChild<ui::NotificationsForm *>();
        QVERIFY(form->testWidget(NotifyChannel::Email)->button()->isEnabled());
        QCOMPARE(window.notificationsPage()->saveButton()->toolTip(),
                 QStringLiteral("Needs the System administrator role"));
    }
};

QTEST_MAIN(TestGuiRoles)
#include "tst_gui_roles.moc"
