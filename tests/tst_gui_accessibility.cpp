// Every control a person can operate has an accessible name, as a screen reader finds it: the test walks
// QAccessible's tree of the main window on each of its pages, of the new-job dialog and of the job
// details dialog and its History, and lists every interactive element without a name.

#include "testutil.h"

#include "jobs/asyncjobservice.h"
#include "jobs/jobservice.h"
#include "ui/audithistorydialog.h"
#include "ui/jobdetailsdialog.h"
#include "ui/jobdetailsview.h"
#include "ui/mainwindow.h"
#include "ui/newjobdialog.h"
#include "ui/notificationspage.h"

#include <QAccessible>
#include <QApplication>
#include <QStandardPaths>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("admin:test"));

bool isInteractive(QAccessible::Role role)
{
    switch (role) {
    case QAccessible::PushButton:
    case QAccessible::CheckBox:
    case QAccessible::RadioButton:
    case QAccessible::ComboBox:
    case QAccessible::EditableText:
    case QAccessible::SpinBox:
    case QAccessible::Slider:
    case QAccessible::ButtonMenu:
    case QAccessible::ButtonDropDown:
    case QAccessible::PageTab:
    case QAccessible::Table:
    case QAccessible::List:
    case QAccessible::Tree:
    case QAccessible::MenuItem:
    case QAccessible::Link:
        return true;
    default:
        return false;
    }
}

QString describe(QAccessibleInterface *iface)
{
    QObject *o = iface->object();
    QStringList path;
    for (QObject *p = o; p; p = p->parent())
        path.prepend(
            QStringLiteral("%1(%2)").arg(QString::fromLatin1(p->metaObject()->className()), p->objectName()));
    return QStringLiteral("role %1 at %2").arg(int(iface->role())).arg(path.join(u'/'));
}

// Interactive, shown elements without a name, under `iface`.
void collectUnnamed(QAccessibleInterface *iface, QStringList *out, int depth = 0)
{
    if (!iface || !iface->isValid() || depth > 60)
        return;
    const QAccessible::State state = iface->state();
    if (state.invisible)
        return;
    if (isInteractive(iface->role()) && iface->object() && iface->text(QAccessible::Name).trimmed().isEmpty())
        *out << describe(iface);
    // Cells and headers of tables and lists are named by their text; their containers are what matter.
    if (iface->role() == QAccessible::Table || iface->role() == QAccessible::List ||
        iface->role() == QAccessible::Tree)
        return;
    for (int i = 0; i < iface->childCount(); ++i)
        collectUnnamed(iface->child(i), out, depth + 1);
}

QStringList unnamedIn(QWidget *root)
{
    QStringList out;
    collectUnnamed(QAccessible::queryAccessibleInterface(root), &out);
    for (const QString &line : std::as_const(out))
        qWarning("no accessible name: %s", qPrintable(line)); // the failure message is cut short
    return out;
}

} // namespace

class TestGuiAccessibility : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QAccessible::setActive(true);
    }

    void mainWindowPages_data()
    {
        QTest::addColumn<int>("page");
        QTest::newRow("jobs") << int(ui::MainWindow::JobsPageIndex);
        QTest::newRow("workers") << int(ui::MainWindow::WorkersPageIndex);
        QTest::newRow("notifications") << int(ui::MainWindow::NotificationsPageIndex);
    }

    void mainWindowPages()
    {
        QFETCH(int, page);
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(tdb.dir() + QStringLiteral("/secret.key")));
        JobService service{JobStore(tdb.config())};
        QVERIFY(
            service.enqueue(NewJob{QStringLiteral("cache_flush"), JobPriority::Normal, {}, 3, {}}, kActor));
        ui::MainWindow::Options o;
        o.db = tdb.config();
        o.actor = kActor;
        o.runWorker = false;
        o.refreshIntervalMs = 200;
        ui::MainWindow window(o);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showPage(page);
        if (page == ui::MainWindow::NotificationsPageIndex)
            QTRY_VERIFY(window.notificationsPage()->hasLoaded());
        settleLayout();
        const QStringList unnamed = unnamedIn(&window);
        QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(u'\n')));
        if (page == ui::MainWindow::NotificationsPageIndex)
            window.notificationsPage()->revert();
        QThreadPool::globalInstance()->waitForDone(30000);
    }

    // The pages only a system administrator gets (the window's actor above may not have them).
    void authPages_data()
    {
        QTest::addColumn<int>("page");
        QTest::newRow("audit") << int(ui::MainWindow::AuditPageIndex);
        QTest::newRow("users") << int(ui::MainWindow::UsersPageIndex);
    }

    void authPages()
    {
        QFETCH(int, page);
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        ui::MainWindow::Options o;
        o.db = tdb.config();
        o.actor = Actor(QStringLiteral("admin:test"), Role::SystemAdmin, Interface::Gui);
        o.runWorker = false;
        ui::MainWindow window(o);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showPage(page);
        QCOMPARE(window.currentPage(), page);
        settleLayout();
        const QStringList unnamed = unnamedIn(&window);
        QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(u'\n')));
        QThreadPool::globalInstance()->waitForDone(30000);
    }

    void dialogs()
    {
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        AsyncJobService service{JobStore(tdb.config())};
        const qint64 id =
            JobService(JobStore(tdb.config()))
                .enqueue(NewJob{QStringLiteral("cache_flush"), JobPriority::Normal, {}, 3, {}}, kActor)
                .value();
        {
            ui::NewJobDialog dialog(&service, kActor);
            dialog.show();
            QVERIFY(QTest::qWaitForWindowExposed(&dialog));
            settleLayout();
            const QStringList unnamed = unnamedIn(&dialog);
            QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(u'\n')));
        }
        {
            ui::JobDetailsDialog dialog(&service, id);
            dialog.show();
            QVERIFY(QTest::qWaitForWindowExposed(&dialog));
            QTRY_COMPARE(dialog.view()->jobId(), id);
            QTRY_VERIFY(!dialog.view()->job().type.isEmpty());
            settleLayout();
            const QStringList unnamed = unnamedIn(&dialog);
            QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(u'\n')));
        }
        {
            ui::JobDetailsDialog details(&service, id);
            details.setActor(Actor(QStringLiteral("admin:test"), Role::SystemAdmin, Interface::Gui));
            ui::AuditHistoryDialog *history = details.showHistory();
            QVERIFY(history);
            QVERIFY(QTest::qWaitForWindowExposed(history));
            settleLayout();
            const QStringList unnamed = unnamedIn(history);
            QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(u'\n')));
        }
        QThreadPool::globalInstance()->waitForDone(30000);
    }
};

QTEST_MAIN(TestGuiAccessibility)
#include "tst_gui_accessibility.moc"
