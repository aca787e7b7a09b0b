// The Users page on real widgets over real databases (SQLite, and PostgreSQL with login roles of its
// own): it lists the users with role, state and who changed them, adds a user, changes a role,
// disables and enables, refuses a bad name before asking, and shows UserService's refusal to demote or
// disable the last system administrator on the page, with nothing changed. A Viewer's page reads
// nothing. The API tokens on the same page: listed with their last use (never the token), revoked after a
// confirmation (the store then refuses the token, and the revocation is audited as the GUI's), created for
// the selected user and shown once in a dialog with a Copy button; a Viewer or an Operator can change
// nothing there. With HCM_SCREENSHOT_DIR set, screenshotsForDocs writes users.png there.

#include "testutil.h"

#include "api/tokenstore.h"
#include "auth/identity.h"
#include "auth/permissions.h"
#include "auth/userstore.h"
#include "db/database.h"
#include "ui/tokencreateddialog.h"
#include "ui/tokentablemodel.h"
#include "ui/userspage.h"
#include "ui/usertablemodel.h"

#include <QAbstractItemModelTester>
#include <QClipboard>
#include <QComboBox>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSqlQuery>
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

QString tokenCell(const ui::UsersPage &page, qint64 id, int column)
{
    const int row = page.tokenModel()->rowOf(id);
    return row < 0 ? QStringLiteral("<no row>") : page.tokenModel()->index(row, column).data().toString();
}

// True when some cell of the token table, or some line edit of the page, shows `secret`.
bool pageShows(const ui::UsersPage &page, const QString &secret)
{
    const auto *m = page.tokenModel();
    for (int r = 0; r < m->rowCount(); ++r)
        for (int c = 0; c < m->columnCount(); ++c)
            if (m->index(r, c).data().toString().contains(secret.mid(8)))
                return true;
    for (const QLineEdit *edit : page.findChildren<QLineEdit *>())
        if (edit->text().contains(secret))
            return true;
    return false;
}

qint64 auditRows(const DbConfig &config, const QString &action, const QString &actor, const QString &iface)
{
    auto db = Database::connection(config);
    if (!db)
        return -1;
    QSqlQuery q(db.value());
    q.prepare(
        QStringLiteral("SELECT count(*) FROM audit_log WHERE action = ? AND actor = ? AND interface = ? "
                       "AND outcome = 'done'"));
    q.addBindValue(action);
    q.addBindValue(actor);
    q.addBindValue(iface);
    if (!q.exec() || !q.next())
        return -1;
    return q.value(0).toLongLong();
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

    // The page of a 1000 px window: the "New user" and "Selected user" boxes go one above the other
    // instead of squeezing the name fields to a few letters; with room they stay side by side.
    void topBoxesStackWhenNarrow()
    {
        HCM_TEMP_DATABASE(tdb);
        const Setup s = setUp(tdb);
        QVERIFY(s.ok);
        ui::UsersPage page(tdb.config(), s.admin);
        page.resize(820, 560);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        settleLayout();
        for (QLineEdit *e : {page.nameEdit(), page.displayNameEdit()})
            QVERIFY2(e->width() >= e->sizeHint().width(), qPrintable(QStringLiteral("%1: %2 px, wants %3")
                                                                         .arg(e->objectName())
                                                                         .arg(e->width())
                                                                         .arg(e->sizeHint().width())));
        QWidget *addBox = page.nameEdit()->parentWidget();
        QWidget *editBox = page.roleBox()->parentWidget();
        QVERIFY(editBox->geometry().top() >= addBox->geometry().bottom());

        page.resize(1500, 800);
        settleLayout();
        QCOMPARE(editBox->geometry().top(), addBox->geometry().top());
        QVERIFY(editBox->geometry().left() > addBox->geometry().right());
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
        // A token exists: neither a Viewer nor an Operator sees it or can change anything.
        const Setup s = setUp(tdb);
        QVERIFY(s.ok);
        QVERIFY(
            ApiTokenStore(tdb.config()).create(s.admin.name, QStringLiteral("HR backend"), 0, s.admin).ok());
        for (Role role : {Role::Viewer, Role::Operator}) {
            ui::UsersPage page(tdb.config(), Actor(QStringLiteral("carol"), role, Interface::Gui));
            page.show();
            QVERIFY(!page.isEnabled());
            QCOMPARE(page.messageLabel()->text(), permissionRequirement(Permission::ManageUsers));
            QCOMPARE(page.model()->rowCount(), 0);
            QCOMPARE(page.tokenModel()->rowCount(), 0);
            QVERIFY(!page.createTokenButton()->isEnabled());
            QVERIFY(!page.revokeTokenButton()->isEnabled());
            page.createTokenForSelected(); // called anyway: nothing happens
            page.revokeSelectedToken();
            QVERIFY(page.findChild<QMessageBox *>() == nullptr);
            QVERIFY(page.tokenCreatedDialog() == nullptr);
        }
        tearDown(tdb, s);
    }

    void tokensAreListedRevokedAndCreated()
    {
        HCM_TEMP_DATABASE(tdb);
        const Setup s = setUp(tdb);
        QVERIFY(s.ok);
        ApiTokenStore store(tdb.config());
        // Made with hcmctl: the audit rows of the GUI's own actions are counted below.
        auto existing = store.create(s.admin.name, QStringLiteral("HR backend"), 0,
                                     Actor(s.admin.name, Role::SystemAdmin, Interface::Cli));
        QVERIFY2(existing.ok(), existing.ok() ? "" : qPrintable(existing.error().message));
        const QString secret = existing->token;
        const qint64 id = existing->info.id;
        QVERIFY(store.authenticate(secret, QStringLiteral("10.0.0.7")).ok());

        ui::UsersPage page(tdb.config(), s.admin);
        QAbstractItemModelTester tester(page.tokenModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        page.resize(1100, 600);
        page.show();
        // Listed: name, user, last use and its address, state; never the token.
        QTRY_VERIFY(page.tokenModel()->rowOf(id) >= 0);
        QCOMPARE(tokenCell(page, id, ui::TokenTableModel::Name), QStringLiteral("HR backend"));
        QCOMPARE(tokenCell(page, id, ui::TokenTableModel::User), s.admin.name);
        QCOMPARE(tokenCell(page, id, ui::TokenTableModel::Expires), QStringLiteral("Never"));
        QVERIFY(tokenCell(page, id, ui::TokenTableModel::LastUsed) != QStringLiteral("Never"));
        QCOMPARE(tokenCell(page, id, ui::TokenTableModel::LastAddress), QStringLiteral("10.0.0.7"));
        QCOMPARE(tokenCell(page, id, ui::TokenTableModel::State), QStringLiteral("Active"));
        QVERIFY(!tokenCell(page, id, ui::TokenTableModel::Created).isEmpty());
        QVERIFY(!pageShows(page, secret));
        QSignalSpy resets(page.tokenModel(), &QAbstractItemModel::modelReset);

        // Revoke: asks first; Cancel changes nothing.
        QVERIFY(!page.revokeTokenButton()->isEnabled()); // no token selected yet
        page.tokenView()->setFocus();
        page.selectToken(id);
        QVERIFY(page.revokeTokenButton()->isEnabled());
        QSignalSpy finished(&page, &ui::UsersPage::tokenActionFinished);
        QTest::mouseClick(page.revokeTokenButton(), Qt::LeftButton);
        QMessageBox *box = nullptr;
        QTRY_VERIFY((box = page.findChild<QMessageBox *>(QStringLiteral("revokeTokenConfirm"))) &&
                    box->isVisible());
        QVERIFY(box->text().contains(QStringLiteral("HR backend")));
        QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY(page.findChild<QMessageBox *>(QStringLiteral("revokeTokenConfirm")) == nullptr);
        QCoreApplication::processEvents();
        QCOMPARE(finished.count(), 0);
        QVERIFY(store.authenticate(secret, QStringLiteral("10.0.0.7")).ok());

        // … Revoke does it: the store refuses the token from now on, and the GUI's revocation is audited.
        QTest::keyClick(page.revokeTokenButton(), Qt::Key_Space); // keyboard, not only the mouse
        QTRY_VERIFY((box = page.findChild<QMessageBox *>(QStringLiteral("revokeTokenConfirm"))) &&
                    box->isVisible());
        auto *confirm = box->findChild<QPushButton *>(QStringLiteral("confirmRevoke"));
        QVERIFY(confirm);
        QTest::mouseClick(confirm, Qt::LeftButton);
        QTRY_COMPARE(finished.count(), 1);
        QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));
        QTRY_VERIFY(tokenCell(page, id, ui::TokenTableModel::State).startsWith(QStringLiteral("Revoked")));
        auto refused = store.authenticate(secret, QStringLiteral("10.0.0.7"));
        QVERIFY(!refused.ok());
        QCOMPARE(int(refused.error().code), int(Error::Code::NotFound)); // → 401 from the API
        QVERIFY2(refused.error().message.contains(QStringLiteral("revoked")),
                 qPrintable(refused.error().message));
        QCOMPARE(
            auditRows(tdb.config(), QStringLiteral("tokens.revoke"), s.admin.name, QStringLiteral("gui")), 1);
        QTRY_VERIFY(!page.revokeTokenButton()->isEnabled()); // revoked already

        // Create one for the selected user: shown once, in a dialog, with a Copy button.
        finished.clear();
        page.selectUser(s.admin.name);
        QVERIFY(page.createTokenButton()->isEnabled());
        setText(page.tokenNameEdit(), QStringLiteral("Nightly export"));
        page.tokenExpiryBox()->setCurrentIndex(page.tokenExpiryBox()->findData(30));
        QTest::keyClick(page.tokenNameEdit(), Qt::Key_Return);
        QTRY_COMPARE(finished.count(), 1);
        QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));
        QTRY_VERIFY(page.tokenCreatedDialog() && page.tokenCreatedDialog()->isVisible());
        ui::TokenCreatedDialog *dialog = page.tokenCreatedDialog();
        const QString created = dialog->tokenEdit()->text();
        QVERIFY(created.startsWith(QStringLiteral("hcm_")));
        QCOMPARE(created.size(), 4 + ApiTokenStore::kTokenRandomChars);
        QVERIFY(dialog->tokenEdit()->isReadOnly());
        const auto *warning = dialog->findChild<QLabel *>(QStringLiteral("tokenWarning"));
        QVERIFY(warning && warning->text().contains(QStringLiteral("will not be shown again")));
        QTest::mouseClick(dialog->copyButton(), Qt::LeftButton);
        QCOMPARE(QGuiApplication::clipboard()->text(), created);
        auto identity = store.authenticate(created, QStringLiteral("127.0.0.1"));
        QVERIFY2(identity.ok(), identity.ok() ? "" : qPrintable(identity.error().message));
        QCOMPARE(identity->userName, s.admin.name);
        QCOMPARE(
            auditRows(tdb.config(), QStringLiteral("tokens.create"), s.admin.name, QStringLiteral("gui")), 1);
        // Listed, without the token; the dialog closed forgets it.
        QTRY_VERIFY(page.tokenModel()->rowOf(identity->tokenId) >= 0);
        QCOMPARE(tokenCell(page, identity->tokenId, ui::TokenTableModel::Name),
                 QStringLiteral("Nightly export"));
        QVERIFY(tokenCell(page, identity->tokenId, ui::TokenTableModel::Expires) != QStringLiteral("Never"));
        QVERIFY(page.tokenNameEdit()->text().isEmpty());
        QTest::keyClick(dialog, Qt::Key_Escape);
        QTRY_VERIFY(page.tokenCreatedDialog() == nullptr);
        QVERIFY(!pageShows(page, created));
        QCOMPARE(resets.count(), 0);
        QGuiApplication::clipboard()->clear();

        // A token without a name is refused on the page, before asking.
        finished.clear();
        page.tokenNameEdit()->clear();
        page.createTokenForSelected();
        QVERIFY(page.messageLabel()->text().contains(QStringLiteral("name")));
        QCoreApplication::processEvents();
        QCOMPARE(finished.count(), 0);
        tearDown(tdb, s);
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
        page.resize(1100, 560);
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
