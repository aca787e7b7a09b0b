// Who may do what (models/auth): the permission matrix of every service call × every role × both
// backends, the same matrix through plain SQL as each PostgreSQL group role, identity resolution and
// the last-system-administrator rule.
#include "testutil.h"

#include "auth/auditstore.h"
#include "auth/identity.h"
#include "auth/permissions.h"
#include "auth/userstore.h"
#include "db/database.h"
#include "jobs/jobimport.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "jobs/pauseservice.h"
#include "schedules/scheduleservice.h"
#include "settings/notificationsettingsstore.h"
#include "settings/secretbox.h"
#include "worker/notify/notificationservice.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QtTest>

#include <functional>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kSetup = Actor::system(QStringLiteral("setup"));

// Everything a call could change, but the audit trail: a refused call must leave it as it was.
QString everythingButAudit(const DbConfig &config)
{
    auto db = Database::connection(config);
    if (!db)
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const QString &table : {QStringLiteral("background_jobs"), QStringLiteral("job_attempts"),
                                 QStringLiteral("schedules"), QStringLiteral("paused_job_types"),
                                 QStringLiteral("users"), QStringLiteral("notification_settings"),
                                 QStringLiteral("notification_deliveries"), QStringLiteral("app_settings")}) {
        QSqlQuery q(db.value());
        if (!q.exec(QStringLiteral("SELECT * FROM %1 ORDER BY 1").arg(table)))
            return QStringLiteral("error: ") + q.lastError().text();
        hash.addData(table.toUtf8());
        while (q.next()) {
            for (int i = 0; i < q.record().count(); ++i)
                hash.addData(QByteArray(q.value(i).toString().toUtf8() + '\x1f'));
            hash.addData(QByteArrayView("\n"));
        }
    }
    return QString::fromLatin1(hash.result().toHex());
}

// The objects the calls act on, made by the program itself.
struct Fixture {
    qint64 queued = 0;    // a job to cancel
    qint64 cancelled = 0; // a job to retry, delete, duplicate
    qint64 schedule = 0;
};

bool ensureLogin(const QString &name)
{
    return postgresAdmin(
        QStringLiteral("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%1') "
                       "THEN CREATE ROLE %1 LOGIN; END IF; END $$")
            .arg(name));
}

Fixture makeFixture(const TempDatabase &tdb)
{
    Fixture f;
    JobService jobs{JobStore(tdb.config())};
    const NewJob job{QStringLiteral("test.noop"), JobPriority::Normal, {}, 3, std::nullopt};
    f.queued = jobs.enqueue(job, kSetup).value();
    f.cancelled = jobs.enqueue(job, kSetup).value();
    jobs.cancel({f.cancelled}, kSetup);
    Schedule s;
    s.name = QStringLiteral("nightly");
    s.jobType = QStringLiteral("test.noop");
    s.cron = QStringLiteral("0 3 * * *");
    s.timeZone = QStringLiteral("UTC");
    f.schedule = ScheduleService(ScheduleStore(tdb.config())).add(s, kSetup).value();
    if (tdb.isPostgres()) {
        ensureLogin(QStringLiteral("auth_bob"));
        ensureLogin(QStringLiteral("auth_carol"));
    }
    // Two system administrators (the file's creator on SQLite, or none on PostgreSQL, and bob), so that
    // a demotion or disabling of bob is not refused for being the last one.
    auto bob = UserService(tdb.config()).add(QStringLiteral("auth_bob"), Role::SystemAdmin, {}, kSetup);
    if (!bob)
        qWarning() << bob.error().message;
    if (tdb.isPostgres())
        UserService(tdb.config()).add(QStringLiteral("auth_carol"), Role::SystemAdmin, {}, kSetup).value();
    return f;
}

// What a call did: nullopt when it was allowed (whatever else happened), or the refusal's sentence.
using Call = std::function<std::optional<QString>(const TempDatabase &, const Fixture &, const Actor &)>;

template<typename T> std::optional<QString> refusalOf(const Result<T> &r)
{
    if (!r && r.error().code == Error::Code::Forbidden)
        return r.error().message;
    return std::nullopt;
}
std::optional<QString> refusalOf(const Status &r)
{
    if (!r && r.error().code == Error::Code::Forbidden)
        return r.error().message;
    return std::nullopt;
}
std::optional<QString> refusalOf(const QList<JobActionResult> &r)
{
    // Allowed calls on the fixture's jobs succeed; a refusal refuses every id with its sentence.
    if (!r.isEmpty() && !r.first().ok)
        return r.first().message;
    return std::nullopt;
}

struct CallRow {
    const char *name;
    Role minimum;          // from the product's specification, not from the code's table
    Permission permission; // its key is the refusal's action in the audit trail
    Call call;
};

QList<CallRow> calls()
{
    const NewJob job{QStringLiteral("test.noop"), JobPriority::Normal, {}, 3, std::nullopt};
    return {
        {"jobs.enqueue", Role::Operator, Permission::CreateJobs,
         [job](const TempDatabase &t, const Fixture &, const Actor &a) {
             return refusalOf(JobService(JobStore(t.config())).enqueue(job, a));
         }},
        {"jobs.cancel", Role::Operator, Permission::CancelJobs,
         [](const TempDatabase &t, const Fixture &f, const Actor &a) {
             return refusalOf(JobService(JobStore(t.config())).cancel({f.queued}, a));
         }},
        {"jobs.retryNow", Role::Operator, Permission::RetryJobs,
         [](const TempDatabase &t, const Fixture &f, const Actor &a) {
             return refusalOf(JobService(JobStore(t.config())).retryNow({f.cancelled}, a));
         }},
        {"jobs.deleteFinished", Role::Operator, Permission::DeleteJobs,
         [](const TempDatabase &t, const Fixture &f, const Actor &a) {
             return refusalOf(JobService(JobStore(t.config())).deleteFinished({f.cancelled}, a));
         }},
        {"jobs.duplicate", Role::Operator, Permission::CreateJobs,
         [](const TempDatabase &t, const Fixture &f, const Actor &a) {
             return refusalOf(JobService(JobStore(t.config())).duplicate(f.cancelled, a));
         }},
        {"jobs.pause", Role::Operator, Permission::PauseJobTypes,
         [](const TempDatabase &t, const Fixture &, const Actor &a) {
             return refusalOf(PauseService(t.config()).setPaused(QStringLiteral("test.noop"), true, a));
         }},
        {"jobs.import", Role::SystemAdmin, Permission::ImportJobs,
         [](const TempDatabase &t, const Fixture &, const Actor &a) {
             QByteArray line = R"({"job_type": "test.noop", "status": "queued"})"
                               "\n";
             QBuffer in(&line);
             in.open(QIODevice::ReadOnly);
             return refusalOf(JobImport(t.config()).run(in, a));
         }},
        {"schedules.add", Role::SystemAdmin, Permission::ManageSchedules,
         [](const TempDatabase &t, const Fixture &, const Actor &a) {
             Schedule s;
             s.name = QStringLiteral("weekly");
             s.jobType = QStringLiteral("test.noop");
             s.cron = QStringLiteral("0 4 * * 1");
             s.timeZone = QStringLiteral("UTC");
             return refusalOf(ScheduleService(ScheduleStore(t.config())).add(s, a));
         }},
        {"schedules.edit", Role::SystemAdmin, Permission::ManageSchedules,
         [](const TempDatabase &t, const Fixture &f, const Actor &a) {
             ScheduleService service{ScheduleStore(t.config())};
             Schedule s = service.get(f.schedule).value();
             s.cron = QStringLiteral("0 5 * * *");
             return refusalOf(service.edit(s, a));
         }},
        {"schedules.disable", Role::SystemAdmin, Permission::ManageSchedules,
         [](const TempDatabase &t, const Fixture &f, const Actor &a) {
             return refusalOf(ScheduleService(ScheduleStore(t.config())).setEnabled(f.schedule, false, a));
         }},
        {"schedules.remove", Role::SystemAdmin, Permission::ManageSchedules,
         [](const TempDatabase &t, const Fixture &f, const Actor &a) {
             return refusalOf(ScheduleService(ScheduleStore(t.config())).remove(f.schedule, a));
         }},
        {"schedules.runNow", Role::Operator, Permission::RunSchedules,
         [](const TempDatabase &t, const Fixture &f, const Actor &a) {
             return refusalOf(ScheduleService(ScheduleStore(t.config())).runNow(f.schedule, a));
         }},
        {"settings.save", Role::SystemAdmin, Permission::WriteSettings,
         [](const TempDatabase &t, const Fixture &, const Actor &a) {
             NotificationSettingsStore store(t.config());
             NotificationSettings s = store.load().value();
             s.smtpHost = QStringLiteral("smtp.example.org");
             const SettingsSaveResult r = store.save(s, s.version, a);
             if (!r.ok && r.error.code == Error::Code::Forbidden)
                 return std::optional<QString>(r.error.message);
             return std::optional<QString>();
         }},
        {"settings.rekey", Role::SystemAdmin, Permission::WriteSettings,
         [](const TempDatabase &t, const Fixture &, const Actor &a) {
             const SecretBox oldKey =
                 SecretBox::fromBase64(SecretBox::generateKeyText(), QStringLiteral("old")).value();
             const SecretBox newKey =
                 SecretBox::fromBase64(SecretBox::generateKeyText(), QStringLiteral("new")).value();
             return refusalOf(NotificationSettingsStore(t.config()).rekey(oldKey, newKey, a));
         }},
        {"settings.testSend", Role::Operator, Permission::SendTestMessages,
         [](const TempDatabase &t, const Fixture &, const Actor &a) {
             // Not set up: an allowed call fails for that reason, never for the role.
             return refusalOf(NotificationService(t.config())
                                  .sendTest(NotifyChannel::Email, QStringLiteral("it@example.org"), a));
         }},
        {"users.add", Role::SystemAdmin, Permission::ManageUsers,
         [](const TempDatabase &t, const Fixture &, const Actor &a) {
             return refusalOf(UserService(t.config()).add(QStringLiteral("auth_dave"), Role::Viewer, {}, a));
         }},
        {"users.setRole", Role::SystemAdmin, Permission::ManageUsers,
         [](const TempDatabase &t, const Fixture &, const Actor &a) {
             return refusalOf(UserService(t.config()).setRole(QStringLiteral("auth_bob"), Role::Operator, a));
         }},
        {"users.disable", Role::SystemAdmin, Permission::ManageUsers,
         [](const TempDatabase &t, const Fixture &, const Actor &a) {
             return refusalOf(UserService(t.config()).setDisabled(QStringLiteral("auth_bob"), true, a));
         }},
    };
}

qint64 auditRows(const DbConfig &config, const QString &where = {})
{
    return rowCount(config, QStringLiteral("audit_log"), where);
}

} // namespace

class TestAuth : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase()
    {
        // The secret key of the settings calls: a file of this run.
        SecretBox::setDefaultKeyFile(m_keyDir.filePath(QStringLiteral("secret.key")));
        JobTypeCatalog::enableTestTypes();
    }

    void permissionMatrix_data();
    void permissionMatrix();
    void databaseRefusesWhatTheAppRefuses_data();
    void databaseRefusesWhatTheAppRefuses();
    void servicesAsGroupRoles();
    void lastSystemAdminStays();
    void identity();
    void userNamesAreChecked();
    void roleAndInterfaceNames();

private:
    QTemporaryDir m_keyDir;
};

void TestAuth::permissionMatrix_data()
{
    QTest::addColumn<int>("call");
    QTest::addColumn<int>("role");
    const QList<CallRow> all = calls();
    for (int c = 0; c < all.size(); ++c)
        for (Role role : {Role::Viewer, Role::Operator, Role::SystemAdmin})
            QTest::addRow("%s as %s", all.at(c).name, qPrintable(roleToString(role))) << c << int(role);
}

void TestAuth::permissionMatrix()
{
    QFETCH(int, call);
    QFETCH(int, role);
    HCM_TEMP_DATABASE(tdb);
    const CallRow row = calls().at(call);
    const Fixture f = makeFixture(tdb);
    const Actor actor(QStringLiteral("matrix"), Role(role), Interface::Cli);
    const bool allowed = role >= int(row.minimum);
    // The table in code says what the specification says.
    QCOMPARE(isAllowed(Role(role), row.permission), allowed);

    const QString before = everythingButAudit(tdb.config());
    const qint64 auditBefore = auditRows(tdb.config());
    const std::optional<QString> refusal = row.call(tdb, f, actor);
    if (allowed) {
        QVERIFY2(!refusal, qPrintable(refusal.value_or(QString())));
        QCOMPARE(auditRows(tdb.config(), QStringLiteral("outcome = 'refused'")), 0);
        return;
    }
    QVERIFY2(refusal.has_value(), "a role below the call's minimum was let through");
    // "Viewer may not cancel jobs (needs the Operator role)."
    QVERIFY2(refusal->startsWith(roleDisplayName(Role(role)) + QStringLiteral(" may not ")),
             qPrintable(*refusal));
    QVERIFY2(refusal->contains(roleDisplayName(row.minimum)), qPrintable(*refusal));
    // Nothing changed but the refusal's own audit row.
    QCOMPARE(everythingButAudit(tdb.config()), before);
    QCOMPARE(auditRows(tdb.config()), auditBefore + 1);
    auto last = AuditStore(tdb.config()).list(AuditFilter{});
    QVERIFY(last && !last->isEmpty());
    const AuditEntry &e = last->first();
    QCOMPARE(toString(e.outcome), QStringLiteral("refused"));
    QCOMPARE(e.actor, QStringLiteral("matrix"));
    QCOMPARE(roleToString(e.actorRole), roleToString(Role(role)));
    QCOMPARE(interfaceToString(e.via), QStringLiteral("cli"));
    QCOMPARE(e.action, permissionKey(row.permission));
    QCOMPARE(e.diff.value(QLatin1String("reason")).toString(), *refusal);
}

// The same matrix through plain SQL, as a login in each group role: what the app refuses, the
// database refuses too (PostgreSQL only; SQLite has no roles: its file is the boundary).
void TestAuth::databaseRefusesWhatTheAppRefuses_data()
{
    QTest::addColumn<QString>("statement");
    QTest::addColumn<int>("minimum"); // 4: no role at all
    const struct {
        const char *name;
        const char *sql;
        int minimum;
    } rows[] = {
        {"read jobs", "SELECT count(*) FROM background_jobs", int(Role::Viewer)},
        {"read workers", "SELECT count(*) FROM workers", int(Role::Viewer)},
        {"read settings", "SELECT smtp_host FROM notification_settings", int(Role::Viewer)},
        {"enqueue",
         "INSERT INTO background_jobs (job_type, status, priority, payload, max_retries, run_at, "
         "created_at, updated_at, created_by) VALUES ('test.noop', 'queued', 1, '{}', 3, 0, 0, 0, 'x')",
         int(Role::Operator)},
        {"cancel", "UPDATE background_jobs SET status = 'cancelled', completed_at = 1 WHERE id = {queued}",
         int(Role::Operator)},
        {"retry", "UPDATE background_jobs SET status = 'queued', completed_at = NULL WHERE id = {cancelled}",
         int(Role::Operator)},
        {"delete", "DELETE FROM background_jobs WHERE id = {cancelled}", int(Role::Operator)},
        {"pause",
         "INSERT INTO paused_job_types (job_type, paused_by, paused_at) VALUES ('test.noop', 'x', 0)",
         int(Role::Operator)},
        {"run schedule", "UPDATE schedules SET last_run_at = 1 WHERE id = {schedule}", int(Role::Operator)},
        {"edit schedule", "UPDATE schedules SET cron = '0 5 * * *' WHERE id = {schedule}",
         int(Role::SystemAdmin)},
        {"delete schedule", "DELETE FROM schedules WHERE id = {schedule}", int(Role::SystemAdmin)},
        {"save settings", "UPDATE notification_settings SET smtp_host = 'evil.example.org'",
         int(Role::SystemAdmin)},
        {"add user",
         "INSERT INTO users (name, role, created_at, created_by, updated_at, updated_by) "
         "VALUES ('eve', 'systemadmin', 0, 'x', 0, 'x')",
         int(Role::SystemAdmin)},
        {"promote user", "UPDATE users SET role = 'systemadmin' WHERE name = 'auth_bob'",
         int(Role::SystemAdmin)},
        {"read audit", "SELECT actor, action, diff FROM audit_log", int(Role::SystemAdmin)},
        {"write audit",
         "INSERT INTO audit_log (actor, actor_role, interface, action, outcome) "
         "VALUES ('x', 'viewer', 'cli', 'jobs.read', 'refused')",
         int(Role::Viewer)},
        {"change audit", "UPDATE audit_log SET actor = 'nobody'", 4},
        {"delete audit", "DELETE FROM audit_log", 4},
        {"truncate audit", "TRUNCATE audit_log CASCADE", 4},
        {"change schema", "CREATE TABLE t_evil (x int)", 4},
    };
    for (const auto &r : rows)
        for (Role role : {Role::Viewer, Role::Operator, Role::SystemAdmin})
            QTest::addRow("%s as %s", r.name, qPrintable(groupRoleName(role)))
                << QString::fromLatin1(r.sql) << r.minimum * 10 + int(role);
}

void TestAuth::databaseRefusesWhatTheAppRefuses()
{
    QFETCH(QString, statement);
    QFETCH(int, minimum);
    const Role role = Role(minimum % 10);
    minimum /= 10;
    HCM_TEMP_DATABASE(tdb);
    if (!tdb.isPostgres())
        QSKIP("SQLite has no roles: the file's permissions are the boundary (docs/security.md)");
    const Fixture f = makeFixture(tdb);
    // Some audit rows to change or delete.
    QVERIFY(AuditStore(tdb.config())
                .record(AuditEntry::of(Actor(QStringLiteral("x"), Role::Operator, Interface::Cli),
                                       QStringLiteral("jobs.cancel"))));
    const QString login = QStringLiteral("auth_as_") + groupRoleName(role);
    QVERIFY(ensureLogin(login));
    QVERIFY(postgresAdmin(QStringLiteral("GRANT %1 TO %2").arg(groupRoleName(role), login)));
    statement.replace(QLatin1String("{queued}"), QString::number(f.queued))
        .replace(QLatin1String("{cancelled}"), QString::number(f.cancelled))
        .replace(QLatin1String("{schedule}"), QString::number(f.schedule));

    QSqlDatabase db = Database::connection(tdb.config()).value();
    QSqlQuery q(db);
    QVERIFY(q.exec(QStringLiteral("BEGIN")));
    QVERIFY2(q.exec(QStringLiteral("SET LOCAL ROLE %1").arg(login)), qPrintable(q.lastError().text()));
    const bool ran = q.exec(statement);
    const QString error = q.lastError().text();
    q.finish();
    QVERIFY(QSqlQuery(db).exec(QStringLiteral("ROLLBACK")));
    const bool allowed = minimum <= 4 && int(role) >= minimum;
    if (allowed)
        QVERIFY2(ran, qPrintable(error));
    else
        QVERIFY2(!ran && (error.contains(QLatin1String("permission denied")) ||
                          error.contains(QLatin1String("append-only"))),
                 qPrintable(QStringLiteral("ran: %1; %2").arg(ran).arg(error)));
}

// PostgreSQL: the programs' own calls on a connection of a login in each group: an Operator's cancel
// commits with its audit row, a Viewer's refusal is written as that Viewer.
void TestAuth::servicesAsGroupRoles()
{
    HCM_TEMP_DATABASE(tdb);
    if (!tdb.isPostgres())
        QSKIP("SQLite has no database roles");
    JobService service{JobStore(tdb.config())};
    const NewJob job{QStringLiteral("test.noop"), JobPriority::Normal, {}, 3, std::nullopt};
    const qint64 id = service.enqueue(job, kSetup).value();
    QVERIFY(ensureLogin(QStringLiteral("auth_op")) && ensureLogin(QStringLiteral("auth_view")));
    QVERIFY(postgresAdmin(QStringLiteral("GRANT hcm_operator TO auth_op")));
    QVERIFY(postgresAdmin(QStringLiteral("GRANT hcm_viewer TO auth_view")));
    QSqlDatabase db = Database::connection(tdb.config()).value();
    const auto as = [&](const QString &login) {
        return QSqlQuery(db).exec(QStringLiteral("SET ROLE %1").arg(login));
    };

    QVERIFY(as(QStringLiteral("auth_view")));
    const Actor viewer = resolveIdentity(tdb.config()).value().actor(Interface::Cli);
    const auto refused = service.cancel({id}, viewer);
    QVERIFY(as(QStringLiteral("auth_op")));
    const Actor op = resolveIdentity(tdb.config()).value().actor(Interface::Cli);
    const auto cancelled = service.cancel({id}, op);
    QVERIFY(QSqlQuery(db).exec(QStringLiteral("RESET ROLE")));

    QVERIFY(!refused.first().ok);
    QVERIFY2(cancelled.first().ok, qPrintable(cancelled.first().message));
    QCOMPARE(
        rowCount(tdb.config(), QStringLiteral("audit_log"),
                 QStringLiteral("actor = 'auth_view' AND outcome = 'refused' AND action = 'jobs.cancel'")),
        1);
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_log"),
                      QStringLiteral("actor = 'auth_op' AND outcome = 'done' AND action = 'jobs.cancel'")),
             1);
    QCOMPARE(
        rowCount(tdb.config(), QStringLiteral("audit_targets"), QStringLiteral("target_id = '%1'").arg(id)),
        2);
}

void TestAuth::lastSystemAdminStays()
{
    HCM_TEMP_DATABASE(tdb);
    if (tdb.isPostgres())
        QVERIFY(ensureLogin(QStringLiteral("auth_bob")) && ensureLogin(QStringLiteral("auth_carol")));
    UserService users(tdb.config());
    const Actor admin = adminActor(QStringLiteral("root-of-trust"), Interface::Cli);
    // Only one enabled system administrator: the file's creator on SQLite; on PostgreSQL bob.
    QString only = osUserName();
    if (tdb.isPostgres()) {
        QVERIFY(users.add(QStringLiteral("auth_bob"), Role::SystemAdmin, {}, admin));
        only = QStringLiteral("auth_bob");
    }
    const QString before = everythingButAudit(tdb.config());
    auto demoted = users.setRole(only, Role::Operator, admin);
    QVERIFY(!demoted);
    QCOMPARE(int(demoted.error().code), int(Error::Code::Conflict));
    QVERIFY2(demoted.error().message.contains(QLatin1String("last system administrator")),
             qPrintable(demoted.error().message));
    auto disabled = users.setDisabled(only, true, admin);
    QVERIFY(!disabled);
    QCOMPARE(int(disabled.error().code), int(Error::Code::Conflict));
    QCOMPARE(everythingButAudit(tdb.config()), before);

    // With a second one, the first may go.
    QVERIFY(users.add(QStringLiteral("auth_carol"), Role::SystemAdmin, QStringLiteral("Carol"), admin));
    auto nowOperator = users.setRole(only, Role::Operator, admin);
    QVERIFY2(nowOperator, qPrintable(nowOperator ? QString() : nowOperator.error().message));
    QCOMPARE(roleToString(nowOperator->role), QStringLiteral("operator"));
    // carol is now the last one.
    QVERIFY(!users.setDisabled(QStringLiteral("auth_carol"), true, admin));
    // A disabled system administrator does not count.
    QVERIFY(users.setRole(only, Role::SystemAdmin, admin));
    QVERIFY(users.setDisabled(only, true, admin));
    QVERIFY(!users.setRole(QStringLiteral("auth_carol"), Role::Viewer, admin));
}

void TestAuth::identity()
{
    HCM_TEMP_DATABASE(tdb);
    auto me = resolveIdentity(tdb.config());
    QVERIFY2(me, qPrintable(me ? QString() : me.error().message));
    // The creator of the file (SQLite) or the owner of the schema (PostgreSQL) administers it.
    QCOMPARE(roleToString(me->role), QStringLiteral("systemadmin"));
    QCOMPARE(me->actor(Interface::Gui).via, Interface::Gui);
    QVERIFY2(me->signedInText().contains(me->name), qPrintable(me->signedInText()));
    QVERIFY(me->signedInText().contains(roleDisplayName(Role::SystemAdmin)));

    if (!tdb.isPostgres()) {
        // The OS user disabled in the file: refused with the way back.
        QVERIFY(UserService(tdb.config()).add(QStringLiteral("auth_other"), Role::SystemAdmin, {}, kSetup));
        QVERIFY(UserService(tdb.config()).setDisabled(osUserName(), true, kSetup));
        auto refused = resolveIdentity(tdb.config());
        QVERIFY(!refused);
        QCOMPARE(int(refused.error().code), int(Error::Code::Forbidden));
        QVERIFY2(refused.error().message.contains(QLatin1String("disabled")),
                 qPrintable(refused.error().message));
        // Unknown: the file does not know the OS user at all. Rows of users are never deleted by the
        // program; a file whose creator was someone else is the same case.
        QSqlQuery q(Database::connection(tdb.config()).value());
        QVERIFY(q.exec(
            QStringLiteral("UPDATE users SET name = 'someone_else' WHERE name = '%1'").arg(osUserName())));
        auto unknown = resolveIdentity(tdb.config());
        QVERIFY(!unknown);
        QCOMPARE(int(unknown.error().code), int(Error::Code::Forbidden));
        QVERIFY2(unknown.error().message.contains(QStringLiteral("users add %1 --role").arg(osUserName())),
                 qPrintable(unknown.error().message));
        return;
    }
    // PostgreSQL: a login in no group is refused with the GRANT to run; in hcm_operator it is an
    // Operator.
    QVERIFY(ensureLogin(QStringLiteral("auth_nobody")));
    QSqlDatabase db = Database::connection(tdb.config()).value();
    QVERIFY(QSqlQuery(db).exec(QStringLiteral("SET ROLE auth_nobody")));
    auto nobody = resolveIdentity(tdb.config());
    QVERIFY(QSqlQuery(db).exec(QStringLiteral("RESET ROLE")));
    QVERIFY(!nobody);
    QCOMPARE(int(nobody.error().code), int(Error::Code::Forbidden));
    QVERIFY2(nobody.error().message.contains(QLatin1String("GRANT hcm_viewer TO auth_nobody")),
             qPrintable(nobody.error().message));
    QVERIFY(ensureLogin(QStringLiteral("auth_alice")));
    QVERIFY(postgresAdmin(QStringLiteral("GRANT hcm_operator TO auth_alice")));
    QVERIFY(QSqlQuery(db).exec(QStringLiteral("SET ROLE auth_alice")));
    auto alice = resolveIdentity(tdb.config());
    QVERIFY(QSqlQuery(db).exec(QStringLiteral("RESET ROLE")));
    QVERIFY2(alice, qPrintable(alice ? QString() : alice.error().message));
    QCOMPARE(alice->name, QStringLiteral("auth_alice"));
    QCOMPARE(roleToString(alice->role), QStringLiteral("operator"));
    QCOMPARE(alice->signedInText(), QStringLiteral("Signed in as auth_alice — Operator"));
}

void TestAuth::userNamesAreChecked()
{
    HCM_TEMP_DATABASE(tdb);
    const QString before = everythingButAudit(tdb.config());
    for (const QString &bad : {QString(), QStringLiteral("bob; DROP TABLE users"), QStringLiteral("a b"),
                               QString(64, QLatin1Char('x'))}) {
        auto r = UserService(tdb.config()).add(bad, Role::Viewer, {}, adminActor());
        QVERIFY(!r);
        QCOMPARE(int(r.error().code), int(Error::Code::Invalid));
    }
    QCOMPARE(everythingButAudit(tdb.config()), before);
}

// The stored and typed names of roles and interfaces, both ways, and what a number from outside the
// enum (a cast) gets.
void TestAuth::roleAndInterfaceNames()
{
    const QList<std::pair<Role, QString>> roles = {{Role::Viewer, QStringLiteral("viewer")},
                                                   {Role::Operator, QStringLiteral("operator")},
                                                   {Role::SystemAdmin, QStringLiteral("systemadmin")}};
    for (const auto &[role, name] : roles) {
        QCOMPARE(roleToString(role), name);
        Role parsed = Role::Viewer;
        QVERIFY(roleFromString(QStringLiteral("  ") + name.toUpper() + QStringLiteral(" "), &parsed));
        QCOMPARE(int(parsed), int(role));
    }
    QCOMPARE(roleDisplayName(Role::Viewer), QStringLiteral("Viewer"));
    QCOMPARE(roleDisplayName(Role::SystemAdmin), QStringLiteral("System administrator"));
    Role parsed = Role::Viewer;
    QVERIFY(roleFromString(QStringLiteral("Admin"), &parsed));
    QCOMPARE(int(parsed), int(Role::SystemAdmin));
    for (const QString &bad : {QString(), QStringLiteral("root"), QStringLiteral("admins")}) {
        parsed = Role::Operator;
        QVERIFY(!roleFromString(bad, &parsed));
        QCOMPARE(int(parsed), int(Role::Operator));
    }
    QCOMPARE(roleToString(Role(0)), QStringLiteral("viewer"));
    QCOMPARE(roleToString(Role(4)), QStringLiteral("viewer"));
    QCOMPARE(roleDisplayName(Role(0)), QString());

    QCOMPARE(interfaceToString(Interface::Gui), QStringLiteral("gui"));
    QCOMPARE(interfaceToString(Interface::Cli), QStringLiteral("cli"));
    QCOMPARE(interfaceToString(Interface::Api), QStringLiteral("api"));
    QCOMPARE(interfaceToString(Interface::Worker), QStringLiteral("worker"));
    QCOMPARE(interfaceToString(Interface::System), QStringLiteral("system"));
    QCOMPARE(interfaceToString(Interface(99)), QStringLiteral("system"));
}

QTEST_GUILESS_MAIN(TestAuth)
#include "tst_auth.moc"
