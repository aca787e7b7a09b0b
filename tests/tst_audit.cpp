// The audit trail (models/auth/auditstore): a row for each covered action in the transaction of the
// change, with its diff; no secret value anywhere; append-only; retention by the cleanup job; filters
// and keyset paging; the worker's own work is not audited; hcmctl audit list and users.
#include "testutil.h"

#include "auth/auditstore.h"
#include "auth/identity.h"
#include "auth/userstore.h"
#include "common/logsink.h"
#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "schedules/scheduleservice.h"
#include "settings/notificationsettingsstore.h"
#include "settings/secretbox.h"
#include "worker/handlers/cleanuphandler.h"
#include "worker/jobcontext.h"
#include "worker/notify/notificationservice.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kAlice(QStringLiteral("alice"), Role::Operator, Interface::Gui);
const Actor kRoot(QStringLiteral("root"), Role::SystemAdmin, Interface::Cli);
const NewJob kJob{QStringLiteral("test.noop"), JobPriority::Normal, {}, 3, std::nullopt};

AuditEntry newest(const DbConfig &config, const QString &action = {})
{
    AuditFilter f;
    f.action = action;
    f.limit = 1;
    auto rows = AuditStore(config).list(f);
    return rows && !rows->isEmpty() ? rows->first() : AuditEntry{};
}

// Every text of every row of audit_log and audit_targets, for "no secret anywhere".
QString allAuditText(const DbConfig &config)
{
    QString out;
    for (const QString &table : {QStringLiteral("audit_log"), QStringLiteral("audit_targets")}) {
        QSqlQuery q(Database::connection(config).value());
        q.exec(QStringLiteral("SELECT * FROM %1").arg(table));
        while (q.next())
            for (int i = 0; i < q.record().count(); ++i)
                out += q.value(i).toString() + QLatin1Char('\n');
    }
    return out;
}

struct Run {
    int code = -1;
    QString out;
    QString err;
};

Run hcmctl(const TempDatabase &tdb, const QStringList &args)
{
    QProcess p;
    p.start(programPath(QStringLiteral("hcmctl")), QStringList{QStringLiteral("--db"), tdb.spec()} + args);
    if (!p.waitForFinished(60'000))
        return {};
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

} // namespace

class TestAudit : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase()
    {
        JobTypeCatalog::enableTestTypes();
        SecretBox::setDefaultKeyFile(m_dir.filePath(QStringLiteral("secret.key")));
        QVERIFY(LogSink::instance().open(m_dir.filePath(QStringLiteral("hcm.log")), false));
    }

    void jobActionsAreAudited();
    void bulkActionIsOneRow();
    void settingsDiffWithoutSecrets();
    void scheduleAndUserChanges();
    void appendOnly();
    void retentionByTheCleanupJob();
    void filtersAndKeysetPaging();
    void workerHotPathIsNotAudited();
    void csvExport();
    void hcmctlAuditAndUsers();

private:
    QTemporaryDir m_dir;
};

void TestAudit::jobActionsAreAudited()
{
    HCM_TEMP_DATABASE(tdb);
    JobService service{JobStore(tdb.config())};
    const qint64 a = service.enqueue(kJob, kAlice).value();
    AuditEntry e = newest(tdb.config());
    QCOMPARE(e.action, QStringLiteral("jobs.create"));
    QCOMPARE(e.actor, QStringLiteral("alice"));
    QCOMPARE(roleToString(e.actorRole), QStringLiteral("operator"));
    QCOMPARE(interfaceToString(e.via), QStringLiteral("gui"));
    QCOMPARE(e.targetType, QStringLiteral("job"));
    QCOMPARE(e.targetIds, QStringList{QString::number(a)});
    QCOMPARE(e.diff.value(QLatin1String("job_type")).toString(), QStringLiteral("test.noop"));
    QVERIFY(e.at > 0);

    // Cancel a queued job and a running one (the running one: cancel requested).
    const qint64 b = service.enqueue(kJob, kAlice).value();
    auto claimed =
        JobStore(tdb.config()).claim(QStringLiteral("w1"), 1, 60'000, {QStringLiteral("test.noop")});
    QVERIFY(claimed && claimed->size() == 1);
    const qint64 running = claimed->first().id;
    const qint64 queued = running == a ? b : a;
    for (const auto &r : service.cancel({queued, running}, kAlice))
        QVERIFY2(r.ok, qPrintable(r.message));
    e = newest(tdb.config());
    QCOMPARE(e.action, QStringLiteral("jobs.cancel"));
    QCOMPARE(e.targetIds.size(), 2);
    QVERIFY(e.targetIds.contains(QString::number(queued)) && e.targetIds.contains(QString::number(running)));
    QCOMPARE(e.diff.value(QLatin1String("cancel_requested")).toArray(), QJsonArray{QString::number(running)});

    // Retry records who retried (JobStore::retryNow no longer drops its actor).
    const Actor bob(QStringLiteral("bob"), Role::Operator, Interface::Cli);
    QVERIFY(service.retryNow({queued}, bob).first().ok);
    e = newest(tdb.config());
    QCOMPARE(e.action, QStringLiteral("jobs.retry"));
    QCOMPARE(e.actor, QStringLiteral("bob"));
    QCOMPARE(e.targetIds, QStringList{QString::number(queued)});

    QVERIFY(service.cancel({queued}, bob).first().ok);
    QVERIFY(service.deleteFinished({queued}, bob).first().ok);
    e = newest(tdb.config());
    QCOMPARE(e.action, QStringLiteral("jobs.delete"));
    QCOMPARE(e.targetIds, QStringList{QString::number(queued)});

    const qint64 copy = service.duplicate(running, bob).value();
    e = newest(tdb.config());
    QCOMPARE(e.action, QStringLiteral("jobs.create"));
    QCOMPARE(e.targetIds, QStringList{QString::number(copy)});
    QCOMPARE(e.diff.value(QLatin1String("duplicate_of")).toString(), QString::number(running));

    // A job's history: the rows about it, newest first, through audit_targets.
    AuditFilter history;
    history.targetType = QStringLiteral("job");
    history.targetId = QString::number(queued);
    auto rows = AuditStore(tdb.config()).list(history);
    QVERIFY(rows);
    QStringList actions;
    for (const AuditEntry &r : rows.value())
        actions.append(r.action);
    QCOMPARE(actions, (QStringList{QStringLiteral("jobs.delete"), QStringLiteral("jobs.cancel"),
                                   QStringLiteral("jobs.retry"), QStringLiteral("jobs.cancel"),
                                   QStringLiteral("jobs.create")}));

    // An action that changed nothing (a finished job cannot be cancelled) writes no row.
    const qint64 rowsBefore = rowCount(tdb.config(), QStringLiteral("audit_log"));
    QVERIFY(!service.cancel({copy + 1000}, bob).first().ok);
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_log")), rowsBefore);
}

void TestAudit::bulkActionIsOneRow()
{
    HCM_TEMP_DATABASE(tdb);
    JobService service{JobStore(tdb.config())};
    auto ids = service.enqueueMany(QList<NewJob>(25, kJob), kAlice);
    QVERIFY(ids);
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_log")), 1);
    QCOMPARE(newest(tdb.config()).targetIds.size(), 25);
    const qint64 before = rowCount(tdb.config(), QStringLiteral("audit_log"));
    service.cancel(ids.value(), kAlice);
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_log")), before + 1);
    QCOMPARE(newest(tdb.config()).targetIds, AuditEntry::ids(ids.value()));
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_targets"), QStringLiteral("target_type = 'job'")),
             50);
}

void TestAudit::settingsDiffWithoutSecrets()
{
    HCM_TEMP_DATABASE(tdb);
    NotificationSettingsStore store(tdb.config());
    NotificationSettings s = store.load().value();
    const QString oldHost = s.smtpHost;
    s.smtpHost = QStringLiteral("smtp.new.example.org");
    s.smtpPort = 2525;
    const QString password = QStringLiteral("pw-%1-never-stored").arg(QDateTime::currentMSecsSinceEpoch());
    s.secret(QStringLiteral("smtp_password"))->change = SecretField::Change::Replace;
    s.secret(QStringLiteral("smtp_password"))->replacement = password;
    const SettingsSaveResult r = store.save(s, s.version, kRoot);
    QVERIFY2(r.ok, qPrintable(r.error.message));
    const AuditEntry e = newest(tdb.config());
    QCOMPARE(e.action, QStringLiteral("settings.write"));
    QCOMPARE(e.diff.value(QLatin1String("smtp_host")).toObject(),
             (QJsonObject{{QStringLiteral("old"), oldHost},
                          {QStringLiteral("new"), QStringLiteral("smtp.new.example.org")}}));
    QCOMPARE(e.diff.value(QLatin1String("smtp_port")).toObject().value(QLatin1String("new")).toString(),
             QStringLiteral("2525"));
    QCOMPARE(e.diff.value(QLatin1String("smtp_password")).toString(), QStringLiteral("changed"));
    // Unchanged fields are not in the diff.
    QVERIFY(!e.diff.contains(QLatin1String("sms_enabled")));

    // A test send is audited with where it went (an SMTP port where nothing listens: it fails).
    NotificationSettings t = store.load().value();
    t.emailEnabled = true;
    t.smtpHost = QStringLiteral("127.0.0.1");
    t.smtpPort = 1;
    t.smtpSecurity = SmtpSecurity::None;
    t.smtpUsername.clear();
    t.emailFromAddress = QStringLiteral("hcm@example.org");
    t.emailRecipients = {QStringLiteral("ops@example.org")};
    t.secret(QStringLiteral("smtp_password"))->change = SecretField::Change::Clear;
    const SettingsSaveResult unreachable = store.save(t, t.version, kRoot);
    QVERIFY2(unreachable.ok, qPrintable(unreachable.error.message));
    auto sent = NotificationService(tdb.config())
                    .sendTest(NotifyChannel::Email, QStringLiteral("it@example.org"), kAlice);
    QVERIFY2(sent, qPrintable(sent ? QString() : sent.error().message));
    const AuditEntry test = newest(tdb.config());
    QCOMPARE(test.action, QStringLiteral("settings.test"));
    QCOMPARE(test.targetIds, QStringList{QStringLiteral("email")});
    QCOMPARE(test.diff.value(QLatin1String("recipients")).toArray(),
             QJsonArray{QStringLiteral("it@example.org")});
    QCOMPARE(test.diff.value(QLatin1String("failed")).toInt(), 1);

    // The secret's value is nowhere in the audit trail, nor in the log.
    QVERIFY(!allAuditText(tdb.config()).contains(password));
    QFile log(m_dir.filePath(QStringLiteral("hcm.log")));
    QVERIFY(log.open(QIODevice::ReadOnly));
    QVERIFY(!QString::fromUtf8(log.readAll()).contains(password));
}

void TestAudit::scheduleAndUserChanges()
{
    HCM_TEMP_DATABASE(tdb);
    ScheduleService schedules{ScheduleStore(tdb.config())};
    Schedule s;
    s.name = QStringLiteral("nightly");
    s.jobType = QStringLiteral("test.noop");
    s.cron = QStringLiteral("0 3 * * *");
    s.timeZone = QStringLiteral("UTC");
    const qint64 id = schedules.add(s, kRoot).value();
    QCOMPARE(newest(tdb.config()).action, QStringLiteral("schedules.add"));
    Schedule changed = schedules.get(id).value();
    changed.cron = QStringLiteral("0 4 * * *");
    QVERIFY(schedules.edit(changed, kRoot));
    AuditEntry e = newest(tdb.config());
    QCOMPARE(e.action, QStringLiteral("schedules.edit"));
    QCOMPARE(e.diff.keys(), QStringList{QStringLiteral("cron")});
    QCOMPARE(e.diff.value(QLatin1String("cron")).toObject().value(QLatin1String("old")).toString(),
             QStringLiteral("0 3 * * *"));
    const qint64 job = schedules.runNow(id, kAlice).value();
    e = newest(tdb.config());
    QCOMPARE(e.action, QStringLiteral("schedules.run"));
    QCOMPARE(e.diff.value(QLatin1String("job_id")).toString(), QString::number(job));

    if (tdb.isPostgres())
        QVERIFY(
            postgresAdmin(QStringLiteral("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                                         "'audit_bob') THEN CREATE ROLE audit_bob LOGIN; END IF; END $$")));
    UserService users(tdb.config());
    QVERIFY(users.add(QStringLiteral("audit_bob"), Role::Viewer, QStringLiteral("Bob"), kRoot));
    QCOMPARE(newest(tdb.config()).action, QStringLiteral("users.add"));
    QVERIFY(users.setRole(QStringLiteral("audit_bob"), Role::Operator, kRoot));
    e = newest(tdb.config());
    QCOMPARE(e.action, QStringLiteral("users.set_role"));
    QCOMPARE(e.targetIds, QStringList{QStringLiteral("audit_bob")});
    QCOMPARE(e.diff.value(QLatin1String("role")).toObject(),
             (QJsonObject{{QStringLiteral("old"), QStringLiteral("viewer")},
                          {QStringLiteral("new"), QStringLiteral("operator")}}));
    QVERIFY(users.setDisabled(QStringLiteral("audit_bob"), true, kRoot));
    QCOMPARE(newest(tdb.config()).action, QStringLiteral("users.disable"));
}

void TestAudit::appendOnly()
{
    HCM_TEMP_DATABASE(tdb);
    QVERIFY(AuditStore(tdb.config())
                .record(AuditEntry::of(kAlice, QStringLiteral("jobs.cancel"), QStringLiteral("job"),
                                       {QStringLiteral("7")})));
    QSqlDatabase db = Database::connection(tdb.config()).value();
    // Even the owner of the database (the tests' connection) cannot change or delete a row.
    for (const QString &sql :
         {QStringLiteral("UPDATE audit_log SET actor = 'mallory'"), QStringLiteral("DELETE FROM audit_log"),
          QStringLiteral("UPDATE audit_targets SET target_id = '8'"),
          QStringLiteral("DELETE FROM audit_targets")}) {
        QSqlQuery q(db);
        QVERIFY2(!q.exec(sql), qPrintable(sql));
        QVERIFY2(q.lastError().text().contains(QLatin1String("append-only")),
                 qPrintable(q.lastError().text()));
    }
    if (tdb.isPostgres()) {
        QSqlQuery q(db);
        QVERIFY(!q.exec(QStringLiteral("TRUNCATE audit_log CASCADE")));
    }
    QCOMPARE(newest(tdb.config()).actor, QStringLiteral("alice"));
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_targets")), 1);
}

void TestAudit::retentionByTheCleanupJob()
{
    HCM_TEMP_DATABASE(tdb);
    QVERIFY(AuditStore(tdb.config()).record(AuditEntry::of(kAlice, QStringLiteral("jobs.cancel"))));
    // A row from 401 days ago (the retention is 400): written past the triggers that stamp the time.
    QSqlDatabase db = Database::connection(tdb.config()).value();
    const qint64 old = QDateTime::currentMSecsSinceEpoch() - 401LL * 86'400'000;
    if (tdb.isPostgres())
        QVERIFY(QSqlQuery(db).exec(
            QStringLiteral("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")));
    QSqlQuery q(db);
    QVERIFY2(
        q.exec(QStringLiteral("INSERT INTO audit_log (at, actor, actor_role, interface, action, outcome) "
                              "VALUES (%1, 'ancient', 'viewer', 'cli', 'jobs.cancel', 'done')")
                   .arg(old)),
        qPrintable(q.lastError().text()));
    if (tdb.isPostgres())
        QVERIFY(
            QSqlQuery(db).exec(QStringLiteral("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")));
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_log")), 2);

    HandlerEnvironment env;
    env.db = tdb.config();
    env.cacheDir = m_dir.filePath(QStringLiteral("cache"));
    env.logDir = m_dir.filePath(QStringLiteral("logs"));
    CleanupHandler handler;
    JobContext ctx(
        42, 1, QStringLiteral("cleanup"), QJsonObject{{QStringLiteral("type"), QStringLiteral("audit")}}, env,
        std::make_shared<CancellationToken>(), std::chrono::steady_clock::now() + std::chrono::hours(1));
    const HandlerResult r = handler.run(ctx);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(
        r.result.value(QLatin1String("deleted")).toObject().value(QLatin1String("audit_log")).toInteger(), 1);
    // The fresh row stays; the cleanup audited itself.
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_log"), QStringLiteral("actor = 'ancient'")), 0);
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_log"), QStringLiteral("actor = 'alice'")), 1);
    const AuditEntry e = newest(tdb.config());
    QCOMPARE(e.action, QStringLiteral("audit.purge"));
    QCOMPARE(e.actor, QStringLiteral("system:cleanup"));
    QCOMPARE(interfaceToString(e.via), QStringLiteral("worker"));
    QCOMPARE(e.diff.value(QLatin1String("removed")).toInteger(), 1);
    QCOMPARE(e.diff.value(QLatin1String("retention_days")).toInteger(), 400);
}

void TestAudit::filtersAndKeysetPaging()
{
    HCM_TEMP_DATABASE(tdb);
    AuditStore store(tdb.config());
    {
        QSqlDatabase db = Database::connection(tdb.config()).value();
        Transaction tx(db);
        QVERIFY(tx.begin());
        for (int i = 0; i < 250; ++i) {
            const Actor who(i % 2 ? QStringLiteral("alice") : QStringLiteral("bob"), Role::Operator,
                            Interface::Cli);
            QVERIFY(AuditStore::append(
                db,
                AuditEntry::of(who, i % 5 ? QStringLiteral("jobs.cancel") : QStringLiteral("settings.write"),
                               QStringLiteral("job"), {QString::number(i)},
                               QJsonObject{{QStringLiteral("n"), QStringLiteral("value-%1").arg(i)}})));
        }
        QVERIFY(tx.commit());
    }
    AuditFilter f;
    f.limit = 100;
    QList<qint64> seen;
    for (;;) {
        auto page = store.list(f);
        QVERIFY(page);
        if (page->isEmpty())
            break;
        for (const AuditEntry &e : page.value()) {
            QVERIFY(seen.isEmpty() || e.id < seen.last()); // newest first, no repeats
            seen.append(e.id);
        }
        f.beforeId = page->last().id;
    }
    QCOMPARE(seen.size(), 250);

    f = AuditFilter{};
    f.limit = 1000;
    f.actor = QStringLiteral("alice");
    QCOMPARE(store.list(f)->size(), 125);
    f.action = QStringLiteral("settings.");
    QCOMPARE(store.list(f)->size(), 25); // odd i that are multiples of 5
    f = AuditFilter{};
    f.text = QStringLiteral("VALUE-17"); // value-17, value-170…179
    QCOMPARE(store.list(f)->size(), 11);
    f = AuditFilter{};
    f.targetType = QStringLiteral("job");
    f.targetId = QStringLiteral("42");
    QCOMPARE(store.list(f)->size(), 1);
    f = AuditFilter{};
    f.until = 1; // before 1970
    QCOMPARE(store.list(f)->size(), 0);
    f = AuditFilter{};
    f.since = QDateTime::currentMSecsSinceEpoch() - 3'600'000;
    f.limit = 1000;
    QCOMPARE(store.list(f)->size(), 250);
}

void TestAudit::workerHotPathIsNotAudited()
{
    HCM_TEMP_DATABASE(tdb);
    JobService service{JobStore(tdb.config())};
    // The program's own jobs (alerts, schedules) are not audited row by row …
    QVERIFY(service.enqueueMany(QList<NewJob>(10, kJob), Actor::system(QStringLiteral("alerts"))));
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_log")), 0);
    // … nor what the workers do with jobs: claims, completions, failures.
    JobStore store(tdb.config());
    auto claimed = store.claim(QStringLiteral("w1"), 10, 60'000, {QStringLiteral("test.noop")});
    QVERIFY(claimed && claimed->size() == 10);
    QList<JobOutcome> outcomes;
    for (const ClaimedJob &c : claimed.value())
        outcomes.append(JobOutcome{c.id,
                                   c.attempt,
                                   c.id % 2 ? JobOutcome::Kind::Completed : JobOutcome::Kind::Failed,
                                   {},
                                   QStringLiteral("boom"),
                                   true,
                                   1,
                                   2});
    QVERIFY(store.finish(QStringLiteral("w1"), outcomes));
    QVERIFY(store.queue().heartbeat(QStringLiteral("w1"), 60'000, 0));
    QCOMPARE(rowCount(tdb.config(), QStringLiteral("audit_log")), 0);
}

void TestAudit::csvExport()
{
    AuditEntry e = AuditEntry::of(kAlice, QStringLiteral("settings.write"), QStringLiteral("settings"),
                                  {QStringLiteral("notifications")},
                                  QJsonObject{{QStringLiteral("smtp_host"), QStringLiteral("a, \"b\"")}});
    e.id = 7;
    e.at = 1000;
    e.actor = QStringLiteral("=cmd|' /C calc'!A0"); // a spreadsheet formula stays text
    const QByteArray csv = AuditStore::toCsv({e});
    const QList<QByteArray> lines = csv.split('\n');
    QCOMPARE(lines.first(),
             QByteArray("id,at,actor,actor_role,interface,action,target_type,target_ids,outcome,"
                        "client_address,diff\r"));
    QVERIFY2(
        lines.at(1).startsWith("7,1970-01-01T00:00:01.000Z,'=cmd|' /C calc'!A0,operator,gui,settings.write,"),
        lines.at(1).constData());
    QVERIFY2(lines.at(1).contains("\"{\"\"smtp_host\"\":\"\"a, \\\"\"b\\\"\"\"\"}\""),
             lines.at(1).constData());
}

void TestAudit::hcmctlAuditAndUsers()
{
    HCM_TEMP_DATABASE(tdb);
    if (tdb.isPostgres())
        QSKIP("the hcmctl identity on PostgreSQL is the server's login: tested in tst_auth");
    const QString me = osUserName();
    JobService service{JobStore(tdb.config())};
    const qint64 id = service.enqueue(kJob, kAlice).value();
    Run r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("cancel"), QString::number(id)});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = hcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("audit"), QStringLiteral("list"),
                     QStringLiteral("--action"), QStringLiteral("jobs.cancel")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonArray rows = QJsonDocument::fromJson(r.out.toUtf8()).array();
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.first().toObject().value(QLatin1String("actor")).toString(), me);
    QCOMPARE(rows.first().toObject().value(QLatin1String("interface")).toString(), QStringLiteral("cli"));
    QCOMPARE(rows.first().toObject().value(QLatin1String("target_ids")).toArray(),
             QJsonArray{QString::number(id)});

    r = hcmctl(tdb, {QStringLiteral("users"), QStringLiteral("add"), QStringLiteral("bob"),
                     QStringLiteral("--role"), QStringLiteral("viewer")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = hcmctl(tdb, {QStringLiteral("users"), QStringLiteral("add"), QStringLiteral("carl"),
                     QStringLiteral("--role"), QStringLiteral("boss")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QLatin1String("Unknown role \"boss\"")), qPrintable(r.err));
    r = hcmctl(tdb, {QStringLiteral("users"), QStringLiteral("list")});
    QVERIFY2(r.code == 0 && r.out.contains(QLatin1String("bob")) && r.out.contains(me),
             qPrintable(r.out + r.err));
    r = hcmctl(tdb, {QStringLiteral("users"), QStringLiteral("set-role"), me, QStringLiteral("viewer")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("last system administrator")), qPrintable(r.err));
    r = hcmctl(tdb, {QStringLiteral("audit"), QStringLiteral("list"), QStringLiteral("--actor"), me,
                     QStringLiteral("--since"), QStringLiteral("2020-01-01T00:00:00Z")});
    QVERIFY2(r.code == 0 && r.out.contains(QLatin1String("users.add")) &&
                 r.out.contains(QLatin1String("jobs.cancel")),
             qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains(QStringLiteral("role: - → viewer")), qPrintable(r.out));
}

QTEST_GUILESS_MAIN(TestAudit)
#include "tst_audit.moc"
