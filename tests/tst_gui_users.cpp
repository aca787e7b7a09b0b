// The Users page on real widgets over real databases (SQLite, and PostgreSQL with login roles of its
// own): it lists the users with role, state and who changed them, adds a user, changes a role,
// disables and enables, refuses a bad name before asking, and shows UserService's refusal to demote or
// disable the last system administrator on the page, with nothing changed. A Viewer's page reads
// nothing. With HCM_SCREENSHOT_DIR set, screenshotsForDocs writes users.png there.

#include "testutil.h"

#include "auth/identity.h"
#include "auth/permissions.h"
#include "auth/userstore.h"
#include "db/database.h"
#include "ui/userspage.h"
#include "ui/usertablemodel.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTableView>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

void setText(QLineEdit *edit, const QString &text)
{
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

QString cell(const ui::UsersPage &page, const QString &name, int column)
{
    const int row = page.model()->rowOf(name);
    return row < 0 ? QStringLiteral("<no row>") : page.model()->index(row, column).data().toString();
}

// The database's system administrator and a fresh user name for the backend. On SQLite the migration
// made the OS user the administrator; on PostgreSQL the test makes login roles of its own (roles are
// cluster-wide: random names) and records its administrator in `users` first.
struct Setup {
    Actor admin;
    QString newUser;
    bool ok = false;
};

Setup setUp(const TempDatabase &tdb)
{
    Setup s;
    const QString suffix = QString::number(QRandomGenerator::global()->generate() % 1'000'000);
    if (!tdb.isPostgres()) {
        s.admin = Actor(osUserName(), Role::SystemAdmin, Interface::Gui);
        s.newUser = QStringLiteral("bob");
        s.ok = true;
        return s;
    }
    s.admin = Actor(QStringLiteral("hcm_t_admin_") + suffix, Role::SystemAdmin, Interface::Gui);
    s.newUser = QStringLiteral("hcm_t_bob_") + suffix;
    QString error;
    for (const QString &name : {s.admin.name, s.newUser}) {
        if (!postgresAdmin(QStringLiteral("CREATE ROLE %1 LOGIN").arg(name), &error)) {
            qWarning("%s", qPrintable(error));
            return s;
        }
    }
    auto added = UserService(tdb.config())
                     .add(s.admin.name, Role::SystemAdmin, QStringLiteral("Test Admin"),
                          Actor::system(QStringLiteral("test")));
    if (!added) {
        qWarning("%s", qPrintable(added.error().message));
        return s;
    }
    s.ok = true;
    return s;
}

void tearDown(const TempDatabase &tdb, const Setup &s)
{
    if (!tdb.isPostgres())
        return;
    for (const QString &name : {s.admin.name, s.newUser}) {
        for (const char *group : {"hcm_viewer", "hcm_operator", "hcm_admin"})
            postgresAdmin(QStringLiteral("REVOKE %1 FROM %2").arg(QLatin1String(group), name));
        postgresAdmin(QStringLiteral("DROP ROLE IF EXISTS %1").arg(name));
    }
}

} // namespace

class TstGuiUsers : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void cleanup() { Database::closeThreadConnections(); }

    void listsAddsChangesRoleAndDisables()
    {
        HCM_TEMP_DATABASE(tdb);
        const Setup s = setUp(tdb);
        QVERIFY(s.ok);
        ui::UsersPage page(tdb.config(), s.admin);
        QAbstractItemModelTester tester(page.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        page.resize(1100, 400);
        page.show();
        QTRY_VERIFY(page.model()->rowOf(s.admin.name) >= 0);
        QCOMPARE(cell(page, s.admin.name, ui::UserTableModel::RoleColumn),
                 roleDisplayName(Role::SystemAdmin));
        QSignalSpy resets(page.model(), &QAbstractItemModel::modelReset);

        // Add, through the form.
        QSignalSpy finished(&page, &ui::UsersPage::actionFinished);
        setText(page.nameEdit(), s.newUser);
        setText(page.displayNameEdit(), QStringLiteral("Bob Builder"));
        page.newRoleBox()->setCurrentIndex(page.newRoleBox()->findData(int(Role::Viewer)));
        QTest::mouseClick(page.addButton(), Qt::LeftButton);
        QTRY_COMPARE(finished.count(), 1);
        QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));
        QTRY_VERIFY(page.model()->rowOf(s.newUser) >= 0);
        QCOMPARE(cell(page, s.newUser, ui::UserTableModel::DisplayName), QStringLiteral("Bob Builder"));
        QCOMPARE(cell(page, s.newUser, ui::UserTableModel::RoleColumn), roleDisplayName(Role::Viewer));
        QCOMPARE(cell(page, s.newUser, ui::UserTableModel::CreatedBy), s.admin.name);
        QVERIFY(!cell(page, s.newUser, ui::UserTableModel::Created).isEmpty());
        QVERIFY(page.nameEdit()->text().isEmpty());

        // Change the role of the selected user.
        page.selectUser(s.newUser);
        QCOMPARE(page.roleBox()->currentData().toInt(), int(Role::Viewer));
        page.roleBox()->setCurrentIndex(page.roleBox()->findData(int(Role::Operator)));
        QTest::mouseClick(page.setRoleButton(), Qt::LeftButton);
        QTRY_COMPARE(cell(page, s.newUser, ui::UserTableModel::RoleColumn), roleDisplayName(Role::Operator));
        QCOMPARE(cell(page, s.newUser, ui::UserTableModel::UpdatedBy), s.admin.name);
        auto stored = UserService(tdb.config()).find(s.newUser);
        QVERIFY(stored.ok() && stored->has_value());
        QCOMPARE(int(stored->value().role), int(Role::Operator));

        // Disable, then enable again: the button says which.
        QCOMPARE(page.disableButton()->text(), QStringLiteral("&Disable"));
        QTest::mouseClick(page.disableButton(), Qt::LeftButton);
        QTRY_COMPARE(cell(page, s.newUser, ui::UserTableModel::Disabled), QStringLiteral("Disabled"));
        QTRY_COMPARE(page.disableButton()->text(), QStringLiteral("&Enable"));
        QTest::mouseClick(page.disableButton(), Qt::LeftButton);
        QTRY_COMPARE(cell(page, s.newUser, ui::UserTableModel::Disabled), QString());
        QCOMPARE(page.selectedUser(), s.newUser); // the selection survived every refresh
        QCOMPARE(resets.count(), 0);

        // A user without a display name.
        finished.clear();
        const QString carol = s.newUser + QStringLiteral("_c");
        if (tdb.isPostgres())
            QVERIFY(postgresAdmin(QStringLiteral("CREATE ROLE %1 LOGIN").arg(carol)));
        setText(page.nameEdit(), carol);
        page.displayNameEdit()->clear();
        page.addUser();
        QTRY_COMPARE(finished.count(), 1);
        QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));
        QTRY_VERIFY(page.model()->rowOf(carol) >= 0);
        QCOMPARE(cell(page, carol, ui::UserTableModel::DisplayName), QString());
        tearDown(tdb, s);
        if (tdb.isPostgres()) {
            for (const char *group : {"hcm_viewer", "hcm_operator", "hcm_admin"})
                postgresAdmin(QStringLiteral("REVOKE %1 FROM %2").arg(QLatin1String(group), carol));
            postgresAdmin(QStringLiteral("DROP ROLE IF EXISTS %1").arg(carol));
        }
    }

    void lastAdministratorRefusalIsShown()
    {
        HCM_TEMP_DATABASE(tdb);
        const Setup s = setUp(tdb);
        QVERIFY(s.ok);
        ui::UsersPage page(tdb.config(), s.admin);
        page.show();
        QTRY_VERIFY(page.model()->rowOf(s.admin.name) >= 0);
        page.selectUser(s.admin.name);
        QSignalSpy finished(&page, &ui::UsersPage::actionFinished);

        // Demoting the only system administrator: refused, on the page, as the service says it.
        page.roleBox()->setCurrentIndex(page.roleBox()->findData(int(Role::Viewer)));
        QTest::mouseClick(page.setRoleButton(), Qt::LeftButton);
        QTRY_COMPARE(finished.count(), 1);
        QVERIFY(!finished.at(0).at(0).toBool());
        const QString refusal = finished.at(0).at(1).toString();
        QVERIFY2(refusal.contains(QStringLiteral("last system administrator")), qPrintable(refusal));
        QCOMPARE(page.messageLabel()->text(), refusal);
        QVERIFY(page.messageLabel()->isVisible());
        // Nothing changed, in the table or the database.
        QTRY_COMPARE(page.roleBox()->currentData().toInt(), int(Role::SystemAdmin));
        QCOMPARE(cell(page, s.admin.name, ui::UserTableModel::RoleColumn),
                 roleDisplayName(Role::SystemAdmin));
        auto stored = UserService(tdb.config()).find(s.admin.name);
        QVERIFY(stored.ok() && stored->has_value());
        QCOMPARE(int(stored->value().role), int(Role::SystemAdmin));

        // Disabling them: refused too.
        finished.clear();
        QTest::mouseClick(page.disableButton(), Qt::LeftButton);
        QTRY_COMPARE(finished.count(), 1);
        QVERIFY(!finished.at(0).at(0).toBool());
        QVERIFY(page.messageLabel()->text().contains(QStringLiteral("cannot be disabled")));
        QCOMPARE(cell(page, s.admin.name, ui::UserTableModel::Disabled), QString());
        tearDown(tdb, s);
    }

    void badNameIsRefusedBeforeAsking()
    {
        HCM_TEMP_DATABASE(tdb);
        const Setup s = setUp(tdb);
        QVERIFY(s.ok);
        ui::UsersPage page(tdb.config(), s.admin);
        page.show();
        QTRY_VERIFY(page.model()->rowCount() >= 1);
        const int before = page.model()->rowCount();
        QSignalSpy finished(&page, &ui::UsersPage::actionFinished);
        setText(page.nameEdit(), QStringLiteral("bob smith!"));
        QTest::keyClick(page.nameEdit(), Qt::Key_Return);
        QCOMPARE(page.messageLabel()->text(), UserService::nameProblem(QStringLiteral("bob smith!")));
        QVERIFY(!page.messageLabel()->text().isEmpty());
        QCOMPARE(finished.count(), 0); // refused on the page: nothing was sent
        QCOMPARE(page.model()->rowCount(), before);
        auto all = UserService(tdb.config()).list();
        QVERIFY(all.ok());
        QCOMPARE(all->size(), before);
        tearDown(tdb, s);
    }

    void viewerPageReadsNothing()
    {
        HCM_TEMP_DATABASE(tdb);
        ui::UsersPage page(tdb.config(), Actor(QStringLiteral("carol"), Role::Viewer, Interface::Gui));
        page.show();
        QVERIFY(!page.isEnabled());
        QCOMPARE(page.messageLabel()->text(), permissionRequirement(Permission::ManageUsers));
        QCOMPARE(page.model()->rowCount(), 0);
    }

    // Not a test: HCM_SCREENSHOT_DIR=docs/screenshots ./tst_gui_users screenshotsForDocs sqlite
    void screenshotsForDocs()
    {
        QFETCH_GLOBAL(QString, backend);
        const QString dir = qEnvironmentVariable("HCM_SCREENSHOT_DIR");
        if (dir.isEmpty() || backend != QLatin1String("sqlite"))
            QSKIP("set HCM_SCREENSHOT_DIR to write the screenshot for the docs (SQLite row)");
        TempDatabase tdb;
        QVERIFY(tdb.isValid());
        const Actor admin(osUserName(), Role::SystemAdmin, Interface::Gui);
        UserService users(tdb.config());
        QVERIFY(
            users.add(QStringLiteral("alice"), Role::Operator, QStringLiteral("Alice Adams"), admin).ok());
        QVERIFY(users.add(QStringLiteral("bob"), Role::Viewer, QStringLiteral("Bob Brown"), admin).ok());
        QVERIFY(users.add(QStringLiteral("erin"), Role::Viewer, QStringLiteral("Erin Evans"), admin).ok());
        QVERIFY(users.setDisabled(QStringLiteral("erin"), true, admin).ok());
        ui::UsersPage page(tdb.config(), admin);
        page.resize(1100, 320);
        page.show();
        QTRY_COMPARE(page.model()->rowCount(), 4);
        page.selectUser(admin.name);
        page.roleBox()->setCurrentIndex(page.roleBox()->findData(int(Role::Viewer)));
        page.setRoleOfSelected();
        QTRY_VERIFY(!page.messageLabel()->text().isEmpty());
        QTRY_COMPARE(page.roleBox()->currentData().toInt(), int(Role::SystemAdmin));
        QVERIFY(page.grab().save(dir + QStringLiteral("/users.png")));
    }
};

QTEST_MAIN(TstGuiUsers)
#include "tst_gui_users.moc"
