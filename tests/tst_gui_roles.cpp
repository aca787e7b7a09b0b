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
