// End-to-end tests of hcmctl: the real binary started with QProcess against a temporary SQLite database;
// each test checks stdout, stderr and the exit code the way a script would.
// Over 800 lines on purpose: one suite per component, so that its shared fixtures (databases of both
// backends, servers, processes) are set up once; each test function is self-contained.

#include "testutil.h"

#include "auth/identity.h"

#include "db/database.h"
#include "db/migrator.h"
#include "jobs/jobstore.h"
#include "settings/notificationsettingsstore.h"
#include "settings/secretbox.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

#include <memory>

#include <sys/resource.h>
#include <sys/stat.h>

using namespace hcm;

namespace {

using Run = test::ProgramRun;

} // namespace

class TestHcmctl : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void helpAndVersion();
    void enqueueListShow();
    void listFiltersSortAndPaging();
    void cancelTwice();
    void cancelRunningJobIsRequested();
    void retryCancelledJob();
    void deleteFinishedJobs();
    void counts();
    void jobTypes();
    void dbMigrateAndInfo();
    void dbInfoPerBackend_data();
    void dbInfoPerBackend();
    void usageErrors_data();
    void usageErrors();
    void badInput_data();
    void badInput();
    void largePayloadFromStdinAndFile();
    void unboundedInputRefusedUnread();
    void settingLimits();
    void secretsUnderAnotherUsersKey();
    void sqlMetacharactersInSearch();
    void notADatabase();
    void enqueueThenWorkerCompletes();
    void mistypedDbIsRefused();
    void tildeIsTheHomeFolder();
    void deviceIsNotADatabase();
    void keyFileIsPrivate();

private:
    // Runs hcmctl with --db pointing to the test database (unless `withDb` is false).
    Run ctl(const QStringList &args,
            const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(),
            const QByteArray &input = {}, bool withDb = true);
    QString enqueue(const QStringList &args);

    std::unique_ptr<test::TempDatabase> m_db;
};

void TestHcmctl::initTestCase()
{
    const QString program = test::programPath(QStringLiteral("hcmctl"));
    QVERIFY2(QFileInfo(program).isExecutable(), qPrintable(program + QStringLiteral(" is not built")));
}

void TestHcmctl::init()
{
    m_db = std::make_unique<test::TempDatabase>();
    QVERIFY(m_db->isValid());
}

void TestHcmctl::cleanup()
{
    m_db.reset();
}

Run TestHcmctl::ctl(const QStringList &args, const QProcessEnvironment &env, const QByteArray &input,
                    bool withDb)
{
    QStringList all;
    if (withDb)
        all << QStringLiteral("--db") << m_db->path();
    all << args;
    return test::runProcess(test::programPath(QStringLiteral("hcmctl")), all, env, input, 60000);
}

// Enqueues a job and returns its public id ("job_3"), or an empty string on failure.
QString TestHcmctl::enqueue(const QStringList &args)
{
    const Run r = ctl(QStringList{QStringLiteral("jobs"), QStringLiteral("enqueue")} + args);
    if (r.code != 0)
        qWarning("enqueue failed: %s", r.describe().constData());
    return r.code == 0 ? r.out.trimmed() : QString();
}

void TestHcmctl::helpAndVersion()
{
    Run r = ctl({QStringLiteral("--help")}, QProcessEnvironment::systemEnvironment(), {}, false);
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains(QLatin1String("jobs enqueue")) && r.out.contains(QLatin1String("db info")),
             r.describe().constData());
    QVERIFY(r.err.isEmpty());

    r = ctl({QStringLiteral("--version")}, QProcessEnvironment::systemEnvironment(), {}, false);
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out.trimmed(), QStringLiteral("hcmctl " HCM_VERSION));

    r = ctl({QStringLiteral("jobs"), QStringLiteral("list"), QStringLiteral("--help")});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.startsWith(QLatin1String("Usage: hcmctl")) && r.out.contains(QLatin1String("--status")),
             r.describe().constData());
}

void TestHcmctl::enqueueListShow()
{
    Run r = ctl({QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
                 QStringLiteral("--priority"), QStringLiteral("high"), QStringLiteral("--payload"),
                 QStringLiteral("{\"action\":\"full\"}")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.out, QStringLiteral("job_1\n"));
    QVERIFY2(r.err.isEmpty(), r.describe().constData());

    // --json prints the created job in the API shape.
    r = ctl({QStringLiteral("--json"), QStringLiteral("jobs"), QStringLiteral("enqueue"),
             QStringLiteral("db_optimize"), QStringLiteral("--max-retries"), QStringLiteral("5"),
             QStringLiteral("--run-at"), QStringLiteral("2030-01-02T03:04:05Z")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QJsonObject created = r.json().object();
    QCOMPARE(created.value(QLatin1String("id")).toString(), QStringLiteral("job_2"));
    QCOMPARE(created.value(QLatin1String("max_retries")).toInt(), 5);
    QCOMPARE(created.value(QLatin1String("run_at")).toString(), QStringLiteral("2030-01-02T03:04:05.000Z"));
    // hcmctl acts as the identity it resolved: on SQLite the OS user, the file's administrator.
    QCOMPARE(created.value(QLatin1String("created_by")).toString(), osUserName());

    // The table: aligned columns and a footer.
    r = ctl({QStringLiteral("jobs"), QStringLiteral("list")});
    QVERIFY2(r.code == 0, r.describe().constData());
    const QStringList lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 4);
    const QString header = lines.at(0);
    for (const char *column : {"ID", "TYPE", "STATUS", "PRIORITY", "ATTEMPTS", "CREATED", "ERROR"})
        QVERIFY2(header.contains(QLatin1String(column)), qPrintable(header));
    const QString row1 = lines.at(2); // newest first: job_2, then job_1
    QVERIFY2(row1.startsWith(QLatin1String("job_1")), qPrintable(r.out));
    QCOMPARE(row1.indexOf(QLatin1String("cache_flush")), header.indexOf(QLatin1String("TYPE")));
    QCOMPARE(row1.indexOf(QLatin1String("queued")), header.indexOf(QLatin1String("STATUS")));
    QCOMPARE(row1.indexOf(QLatin1String("high")), header.indexOf(QLatin1String("PRIORITY")));
    QCOMPARE(row1.indexOf(QLatin1String("0/4")), header.indexOf(QLatin1String("ATTEMPTS")));
    QVERIFY(lines.at(1).contains(QLatin1String("0/6")));
    QCOMPARE(lines.at(3), QStringLiteral("2 of 2 jobs"));

    // --json list: an array of API objects.
    r = ctl({QStringLiteral("jobs"), QStringLiteral("list"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.describe().constData());
    const QJsonArray array = r.json().array();
    QCOMPARE(array.size(), 2);
    const QJsonObject job1 = array.at(1).toObject();
    for (const char *field : {"id", "job_type", "status", "priority", "payload", "result", "error_message",
                              "retry_count", "max_retries", "created_at", "started_at", "completed_at"})
        QVERIFY2(job1.contains(QLatin1String(field)), field);
    QCOMPARE(job1.value(QLatin1String("id")).toString(), QStringLiteral("job_1"));
    QCOMPARE(job1.value(QLatin1String("job_type")).toString(), QStringLiteral("cache_flush"));
    QCOMPARE(job1.value(QLatin1String("status")).toString(), QStringLiteral("queued"));
    QCOMPARE(job1.value(QLatin1String("priority")).toString(), QStringLiteral("high"));
    QCOMPARE(job1.value(QLatin1String("payload")).toObject().value(QLatin1String("action")).toString(),
             QStringLiteral("full"));
    QVERIFY(job1.value(QLatin1String("result")).isNull());
    QVERIFY(job1.value(QLatin1String("error_message")).isNull());
    QCOMPARE(job1.value(QLatin1String("retry_count")).toInt(-1), 0);
    QCOMPARE(job1.value(QLatin1String("max_retries")).toInt(), 3);
    QVERIFY(job1.value(QLatin1String("created_at")).toString().endsWith(QLatin1Char('Z')));
    QVERIFY(job1.value(QLatin1String("started_at")).isNull());

    // show, plain and --json; the id as job_1 or 1.
    r = ctl({QStringLiteral("jobs"), QStringLiteral("show"), QStringLiteral("job_1")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY2(r.out.contains(QLatin1String("cache_flush")) &&
                 r.out.contains(QLatin1String("\"action\": \"full\"")) &&
                 r.out.contains(QLatin1String("Attempt history")),
             r.describe().constData());
    r = ctl({QStringLiteral("jobs"), QStringLiteral("show"), QStringLiteral("1"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.describe().constData());
    const QJsonObject shown = r.json().object();
    QCOMPARE(shown.value(QLatin1String("id")).toString(), QStringLiteral("job_1"));
    QVERIFY(shown.value(QLatin1String("attempt_history")).isArray());

    r = ctl({QStringLiteral("jobs"), QStringLiteral("show"), QStringLiteral("job_99")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("job_99 does not exist")), r.describe().constData());
    QVERIFY(r.out.isEmpty());
}

void TestHcmctl::listFiltersSortAndPaging()
{
    QCOMPARE(enqueue({QStringLiteral("cache_flush")}), QStringLiteral("job_1"));
    QCOMPARE(enqueue({QStringLiteral("log_rotate"), QStringLiteral("--priority"), QStringLiteral("low")}),
             QStringLiteral("job_2"));
    QCOMPARE(enqueue({QStringLiteral("db_optimize")}), QStringLiteral("job_3"));
    QCOMPARE(enqueue({QStringLiteral("cleanup")}), QStringLiteral("job_4"));
    QCOMPARE(ctl({QStringLiteral("jobs"), QStringLiteral("cancel"), QStringLiteral("job_3")}).code, 0);

    const auto ids = [&](const QStringList &args) {
        const Run r =
            ctl(QStringList{QStringLiteral("jobs"), QStringLiteral("list"), QStringLiteral("--json")} + args);
        QStringList out;
        if (r.code != 0) {
            out << QStringLiteral("exit %1: %2").arg(r.code).arg(r.err);
            return out;
        }
        for (const QJsonValue &v : r.json().array())
            out << v.toObject().value(QLatin1String("id")).toString();
        return out;
    };
    QCOMPARE(ids({}), QStringList({"job_4", "job_3", "job_2", "job_1"}));
    QCOMPARE(ids({QStringLiteral("--asc")}), QStringList({"job_1", "job_2", "job_3", "job_4"}));
    QCOMPARE(ids({QStringLiteral("--status"), QStringLiteral("cancelled")}), QStringList({"job_3"}));
    QCOMPARE(ids({QStringLiteral("--status"), QStringLiteral("queued,cancelled"), QStringLiteral("--limit"),
                  QStringLiteral("2"), QStringLiteral("--offset"), QStringLiteral("1")}),
             QStringList({"job_3", "job_2"}));
    QCOMPARE(ids({QStringLiteral("--type"), QStringLiteral("log_rotate")}), QStringList({"job_2"}));
    QCOMPARE(ids({QStringLiteral("--search"), QStringLiteral("job_4")}), QStringList({"job_4"}));
    QCOMPARE(ids({QStringLiteral("--sort"), QStringLiteral("type"), QStringLiteral("--asc")}),
             QStringList({"job_1", "job_4", "job_3", "job_2"}));

    // The footer counts every match, not only the page.
    const Run r =
        ctl({QStringLiteral("jobs"), QStringLiteral("list"), QStringLiteral("--limit"), QStringLiteral("1")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY2(r.out.endsWith(QLatin1String("1 of 4 jobs\n")), r.describe().constData());
}

void TestHcmctl::cancelTwice()
{
    QCOMPARE(enqueue({QStringLiteral("cache_flush")}), QStringLiteral("job_1"));
    Run r = ctl({QStringLiteral("jobs"), QStringLiteral("cancel"), QStringLiteral("job_1")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.out, QStringLiteral("job_1: cancelled\n"));
    QVERIFY(r.err.isEmpty());

    const QString before = test::snapshot(m_db->config());
    r = ctl({QStringLiteral("jobs"), QStringLiteral("cancel"), QStringLiteral("1")});
    QCOMPARE(r.code, 1);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.contains(QLatin1String("job_1")) &&
                 r.err.contains(QLatin1String("finished jobs cannot be cancelled")),
             r.describe().constData());
    QCOMPARE(test::snapshot(m_db->config()), before);
}

void TestHcmctl::cancelRunningJobIsRequested()
{
    QCOMPARE(enqueue({QStringLiteral("cache_flush")}), QStringLiteral("job_1"));
    // Pretend a worker claimed it: the CLI only asks, the worker acknowledges.
    {
        auto db = Database::connection(m_db->config());
        QVERIFY(db);
        QSqlQuery q(db.value());
        QVERIFY(q.exec(QStringLiteral("UPDATE background_jobs SET status = 'processing', worker_id = 'w1', "
                                      "started_at = 1 WHERE id = 1")));
    }
    Run r = ctl({QStringLiteral("jobs"), QStringLiteral("cancel"), QStringLiteral("job_1")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.out, QStringLiteral("job_1: cancellation requested (running)\n"));
    QCOMPARE(test::rowCount(m_db->config(), QStringLiteral("background_jobs"),
                            QStringLiteral("cancel_requested = 1")),
             1);
    r = ctl({QStringLiteral("jobs"), QStringLiteral("list")});
    QVERIFY2(r.out.contains(QLatin1String("cancelling")), r.describe().constData());
}

void TestHcmctl::retryCancelledJob()
{
    QCOMPARE(enqueue({QStringLiteral("cache_flush")}), QStringLiteral("job_1"));
    QCOMPARE(ctl({QStringLiteral("jobs"), QStringLiteral("cancel"), QStringLiteral("job_1")}).code, 0);
    Run r = ctl({QStringLiteral("jobs"), QStringLiteral("retry"), QStringLiteral("job_1")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.out, QStringLiteral("job_1: queued for retry\n"));
    r = ctl(
        {QStringLiteral("jobs"), QStringLiteral("show"), QStringLiteral("job_1"), QStringLiteral("--json")});
    QCOMPARE(r.json().object().value(QLatin1String("status")).toString(), QStringLiteral("queued"));

    // One bad id among good ones: the good one is done, the bad one reported, exit 1.
    r = ctl(
        {QStringLiteral("jobs"), QStringLiteral("retry"), QStringLiteral("job_1"), QStringLiteral("job_42")});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.out, QStringLiteral("job_1: queued for retry\n"));
    QVERIFY2(r.err.contains(QLatin1String("job_42 does not exist")), r.describe().constData());

    // --json reports every id.
    r = ctl({QStringLiteral("jobs"), QStringLiteral("cancel"), QStringLiteral("job_1"),
             QStringLiteral("--json")});
    QCOMPARE(r.code, 0);
    const QJsonObject o = r.json().array().at(0).toObject();
    QCOMPARE(o.value(QLatin1String("id")).toString(), QStringLiteral("job_1"));
    QCOMPARE(o.value(QLatin1String("ok")).toBool(), true);
    QCOMPARE(o.value(QLatin1String("status")).toString(), QStringLiteral("cancelled"));
}

void TestHcmctl::deleteFinishedJobs()
{
    QCOMPARE(enqueue({QStringLiteral("cache_flush")}), QStringLiteral("job_1"));
    QCOMPARE(enqueue({QStringLiteral("cache_flush")}), QStringLiteral("job_2"));
    Run r = ctl({QStringLiteral("jobs"), QStringLiteral("delete"), QStringLiteral("job_1")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("only finished jobs can be deleted")), r.describe().constData());
    QCOMPARE(test::rowCount(m_db->config(), QStringLiteral("background_jobs")), 2);

    QCOMPARE(ctl({QStringLiteral("jobs"), QStringLiteral("cancel"), QStringLiteral("1"), QStringLiteral("2")})
                 .code,
             0);
    r = ctl(
        {QStringLiteral("jobs"), QStringLiteral("delete"), QStringLiteral("job_1"), QStringLiteral("job_2")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.out, QStringLiteral("job_1: deleted\njob_2: deleted\n"));
    QCOMPARE(test::rowCount(m_db->config(), QStringLiteral("background_jobs")), 0);
}

void TestHcmctl::counts()
{
    for (int i = 0; i < 3; ++i)
        QVERIFY(!enqueue({QStringLiteral("cache_flush")}).isEmpty());
    QCOMPARE(ctl({QStringLiteral("jobs"), QStringLiteral("cancel"), QStringLiteral("job_2")}).code, 0);

    Run r = ctl({QStringLiteral("jobs"), QStringLiteral("counts"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.describe().constData());
    const QJsonObject o = r.json().object();
    QCOMPARE(o.value(QLatin1String("queued")).toInt(), 2);
    QCOMPARE(o.value(QLatin1String("cancelled")).toInt(), 1);
    QCOMPARE(o.value(QLatin1String("processing")).toInt(-1), 0);
    QCOMPARE(o.value(QLatin1String("completed")).toInt(-1), 0);
    QCOMPARE(o.value(QLatin1String("failed")).toInt(-1), 0);
    QCOMPARE(o.value(QLatin1String("total")).toInt(), 3);

    r = ctl({QStringLiteral("jobs"), QStringLiteral("counts")});
    QVERIFY2(r.code == 0, r.describe().constData());
    static const QRegularExpression queued(QStringLiteral("^queued\\s+2$"),
                                           QRegularExpression::MultilineOption);
    static const QRegularExpression total(QStringLiteral("^total\\s+3$"),
                                          QRegularExpression::MultilineOption);
    QVERIFY2(queued.match(r.out).hasMatch() && total.match(r.out).hasMatch(), r.describe().constData());
}

void TestHcmctl::jobTypes()
{
    Run r = ctl({QStringLiteral("jobs"), QStringLiteral("types"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QStringList names;
    for (const QJsonValue &v : r.json().array()) {
        const QJsonObject t = v.toObject();
        names << t.value(QLatin1String("name")).toString();
        QVERIFY(!t.value(QLatin1String("description")).toString().isEmpty());
        QVERIFY(t.value(QLatin1String("payload_template")).isObject());
    }
    QCOMPARE(names,
             QStringList({"cache_flush", "db_optimize", "log_rotate", "email_send", "cleanup", "notify"}));

    // The diagnostic types exist only when the environment enables them.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("HCM_ENABLE_TEST_JOB_TYPES"));
    r = ctl({QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("test.noop")}, env);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("Unknown job type")), r.describe().constData());
    env.insert(QStringLiteral("HCM_ENABLE_TEST_JOB_TYPES"), QStringLiteral("1"));
    r = ctl({QStringLiteral("jobs"), QStringLiteral("types")}, env);
    QVERIFY2(r.code == 0 && r.out.contains(QLatin1String("test.noop")), r.describe().constData());
    r = ctl({QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("test.noop")}, env);
    QVERIFY2(r.code == 0 && r.out == QLatin1String("job_1\n"), r.describe().constData());
}

void TestHcmctl::dbMigrateAndInfo()
{
    QTemporaryDir dir;
    const QString fresh = dir.filePath(QStringLiteral("sub/fresh.sqlite"));
    Run r = ctl({QStringLiteral("--db"), fresh, QStringLiteral("db"), QStringLiteral("migrate")},
                QProcessEnvironment::systemEnvironment(), {}, false);
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY2(r.out.contains(QLatin1String("applied migration 001_")), r.describe().constData());
    static const QRegularExpression upToDate(QStringLiteral("^schema version (\\d+) \\(up to date\\)$"),
                                             QRegularExpression::MultilineOption);
    QVERIFY2(upToDate.match(r.out).hasMatch(), r.describe().constData());
    const int version = upToDate.match(r.out).captured(1).toInt();
    QVERIFY(version >= 1);

    r = ctl({QStringLiteral("--db"), fresh, QStringLiteral("db"), QStringLiteral("migrate")},
            QProcessEnvironment::systemEnvironment(), {}, false);
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.out, QStringLiteral("schema version %1 (up to date)\n").arg(version));

    QVERIFY(!enqueue({QStringLiteral("cache_flush")}).isEmpty());
    r = ctl({QStringLiteral("db"), QStringLiteral("info"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.describe().constData());
    const QJsonObject o = r.json().object();
    QCOMPARE(o.value(QLatin1String("backend")).toString(), QStringLiteral("sqlite"));
    QCOMPARE(o.value(QLatin1String("location")).toString(), m_db->path());
    QCOMPARE(o.value(QLatin1String("schema_version")).toInt(), version);
    QCOMPARE(o.value(QLatin1String("latest_schema_version")).toInt(), version);
    QVERIFY(o.value(QLatin1String("file_size_bytes")).toDouble() > 0);
    QCOMPARE(o.value(QLatin1String("jobs")).toObject().value(QLatin1String("queued")).toInt(), 1);

    r = ctl({QStringLiteral("db"), QStringLiteral("info")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY2(r.out.contains(QLatin1String("sqlite")) && r.out.contains(m_db->path()) &&
                 r.out.contains(QStringLiteral("schema version:  %1").arg(version)),
             r.describe().constData());
}

void TestHcmctl::dbInfoPerBackend_data()
{
    test::addBackendRows();
}

// db info reports what is true of each backend: the file on SQLite; the server, the connection and
// the database's size on PostgreSQL (never the password, even when the URL carries it). Both: schema,
// migrations, jobs per status and workers per state.
void TestHcmctl::dbInfoPerBackend()
{
    HCM_TEMP_DATABASE_OF_ROW(tdb);

    // Two jobs (one queued, one held by a worker that went quiet ten minutes ago), a live worker and
    // a stopped one.
    const qint64 now = Clock::system()->nowMs();
    auto past = std::make_shared<ManualClock>(now - 10 * 60'000);
    JobStore old(tdb.config(), past);
    JobStore store(tdb.config());
    QVERIFY(old.insert({NewJob{QStringLiteral("cache_flush"), JobPriority::Normal, {}, 3, {}},
                        NewJob{QStringLiteral("cleanup"), JobPriority::Normal, {}, 3, {}}},
                       QStringLiteral("tester"))
                .ok());
    QVERIFY(old.registerWorker(WorkerInfo{QStringLiteral("quiet"), QStringLiteral("app02"), 2, 0, 0, 4, 0,
                                          QStringLiteral("0.1.0"), 0})
                .ok());
    QCOMPARE(old.claim(QStringLiteral("quiet"), 1, 30'000, {QStringLiteral("cache_flush")})->size(), 1);
    QVERIFY(store
                .registerWorker(WorkerInfo{QStringLiteral("live"), QStringLiteral("app01"), 1, 0, 0, 4, 0,
                                           QStringLiteral("0.1.0"), 0})
                .ok());
    QVERIFY(store
                .registerWorker(WorkerInfo{QStringLiteral("gone"), QStringLiteral("app03"), 3, 0, 0, 4, 0,
                                           QStringLiteral("0.1.0"), 0})
                .ok());
    QVERIFY(store.unregisterWorker(QStringLiteral("gone")).ok());
    // A worker started with a 300 s lease heartbeats every 100 s: quiet for 100 s, it is running, not
    // lost (the cut-off is three of its own leases, not a fixed 90 s).
    WorkerInfo patient{
        QStringLiteral("patient"), QStringLiteral("app04"), 4, 0, 0, 4, 0, QStringLiteral("0.1.0"), 0};
    patient.leaseMs = 300'000;
    QVERIFY(
        JobStore(tdb.config(), std::make_shared<ManualClock>(now - 100'000)).registerWorker(patient).ok());

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QString spec = tdb.spec();
    QString password;
    QString serverVersion;
    const DbConfig &c = tdb.config();
    if (tdb.isPostgres()) {
        // The password only in the URL: the connection works with it, and nothing may print it.
        password = c.password;
        QVERIFY2(password.size() >= 8, "the PostgreSQL test cluster needs a password (PGPASSWORD)");
        env.remove(QStringLiteral("PGPASSWORD"));
        QUrl url;
        url.setScheme(QStringLiteral("postgresql"));
        url.setHost(c.host);
        url.setPort(c.port);
        url.setUserName(c.user);
        url.setPassword(password);
        url.setPath(QLatin1Char('/') + c.databaseName);
        spec = url.toString();
        auto db = Database::connection(c);
        QVERIFY(db.ok());
        QSqlQuery q(db.value());
        QVERIFY(q.exec(QStringLiteral("SHOW server_version")) && q.next());
        serverVersion = q.value(0).toString();
    }
    const auto noPassword = [&](const Run &r) {
        return password.isEmpty() || (!r.out.contains(password) && !r.err.contains(password) &&
                                      !r.out.contains(QLatin1String("password"), Qt::CaseInsensitive));
    };
    const QStringList base{QStringLiteral("--db"), spec, QStringLiteral("db"), QStringLiteral("info")};

    Run r = ctl(base, env, {}, false);
    QVERIFY2(r.code == 0 && r.err.isEmpty(), r.describe().constData());
    QVERIFY2(noPassword(r), "db info printed the password");
    const auto line = [&](const QString &label, const QString &value) {
        const QRegularExpression re(
            QStringLiteral("^%1:\\s+%2$")
                .arg(QRegularExpression::escape(label), QRegularExpression::escape(value)),
            QRegularExpression::MultilineOption);
        return re.match(r.out).hasMatch();
    };
    const auto count = [&](const QString &label, int n) {
        const QRegularExpression re(QStringLiteral("^  %1\\s+%2$").arg(label).arg(n),
                                    QRegularExpression::MultilineOption);
        return re.match(r.out).hasMatch();
    };
    QVERIFY2(line(QStringLiteral("backend"), c.backendName()), r.describe().constData());
    QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("^schema version:\\s+(\\d+) \\(latest \\1\\)$"),
                                               QRegularExpression::MultilineOption)),
             r.describe().constData());
    QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("^  001_initial\\s+applied \\d{4}-"),
                                               QRegularExpression::MultilineOption)),
             r.describe().constData());
    QVERIFY2(count(QStringLiteral("queued"), 1) && count(QStringLiteral("processing"), 1) &&
                 count(QStringLiteral("total"), 2),
             r.describe().constData());
    QVERIFY2(count(QStringLiteral("running"), 2) && count(QStringLiteral("lost"), 1) &&
                 count(QStringLiteral("stopped"), 1),
             r.describe().constData());
    if (tdb.isPostgres()) {
        QVERIFY2(line(QStringLiteral("server"), QStringLiteral("PostgreSQL ") + serverVersion),
                 r.describe().constData());
        QVERIFY2(line(QStringLiteral("host"), c.host) &&
                     line(QStringLiteral("port"), QString::number(c.port)) &&
                     line(QStringLiteral("database"), c.databaseName) && line(QStringLiteral("user"), c.user),
                 r.describe().constData());
        QVERIFY2(line(QStringLiteral("connection"), QStringLiteral("not encrypted")) ||
                     r.out.contains(QRegularExpression(QStringLiteral("^connection:\\s+encrypted \\(TLS"),
                                                       QRegularExpression::MultilineOption)),
                 r.describe().constData());
        QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("^database size:\\s+\\d"),
                                                   QRegularExpression::MultilineOption)),
                 r.describe().constData());
        for (const char *sqliteOnly : {"location:", "file size:", "journal mode:", "SQLite:", "write-ahead"})
            QVERIFY2(!r.out.contains(QLatin1String(sqliteOnly)), r.describe().constData());
    } else {
        QVERIFY2(line(QStringLiteral("location"), c.sqlitePath) &&
                     line(QStringLiteral("journal mode"), QStringLiteral("wal")),
                 r.describe().constData());
        QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("^file size:\\s+\\d"),
                                                   QRegularExpression::MultilineOption)),
                 r.describe().constData());
        for (const char *serverOnly : {"server:", "host:", "port:", "user:", "database size:", "connection:"})
            QVERIFY2(!r.out.contains(QLatin1String(serverOnly)), r.describe().constData());
    }

    r = ctl(base + QStringList{QStringLiteral("--json")}, env, {}, false);
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY2(noPassword(r), "db info --json printed the password");
    const QJsonObject o = r.json().object();
    QCOMPARE(o.value(QLatin1String("backend")).toString(), c.backendName());
    QVERIFY(o.value(QLatin1String("schema_version")).toInt() >= 4);
    QCOMPARE(o.value(QLatin1String("schema_version")), o.value(QLatin1String("latest_schema_version")));
    const QJsonArray migrations = o.value(QLatin1String("migrations")).toArray();
    // One entry per migration file, the newest last (the numbers need not be contiguous in a branch).
    QCOMPARE(migrations.size(), Migrator::available(c.backend).size());
    QCOMPARE(migrations.last().toObject().value(QLatin1String("version")).toInt(),
             o.value(QLatin1String("schema_version")).toInt());
    QCOMPARE(migrations.first().toObject().value(QLatin1String("name")).toString(),
             QStringLiteral("initial"));
    QVERIFY(!migrations.first().toObject().value(QLatin1String("applied_at")).toString().isEmpty());
    const QJsonObject jobs = o.value(QLatin1String("jobs")).toObject();
    QCOMPARE(jobs.value(QLatin1String("queued")).toInt(), 1);
    QCOMPARE(jobs.value(QLatin1String("processing")).toInt(), 1);
    const QJsonObject workers = o.value(QLatin1String("workers")).toObject();
    QCOMPARE(workers.value(QLatin1String("running")).toInt(), 2);
    QCOMPARE(workers.value(QLatin1String("lost")).toInt(), 1);
    QCOMPARE(workers.value(QLatin1String("stopped")).toInt(), 1);
    QCOMPARE(workers.value(QLatin1String("total")).toInt(), 4);
    const QStringList sqliteKeys{QStringLiteral("file_size_bytes"), QStringLiteral("wal_size_bytes"),
                                 QStringLiteral("sqlite_version"), QStringLiteral("journal_mode")};
    const QStringList serverKeys{
        QStringLiteral("server_version"),     QStringLiteral("host"), QStringLiteral("port"),
        QStringLiteral("database"),           QStringLiteral("user"), QStringLiteral("ssl"),
        QStringLiteral("database_size_bytes")};
    const QStringList present = tdb.isPostgres() ? serverKeys : sqliteKeys;
    const QStringList absent = tdb.isPostgres() ? sqliteKeys : serverKeys;
    for (const QString &key : present)
        QVERIFY2(o.contains(key), qPrintable(key));
    for (const QString &key : absent)
        QVERIFY2(!o.contains(key), qPrintable(key));
    if (tdb.isPostgres()) {
        QCOMPARE(o.value(QLatin1String("server_version")).toString(), serverVersion);
        QCOMPARE(o.value(QLatin1String("host")).toString(), c.host);
        QCOMPARE(o.value(QLatin1String("port")).toInt(), c.port);
        QCOMPARE(o.value(QLatin1String("database")).toString(), c.databaseName);
        QCOMPARE(o.value(QLatin1String("user")).toString(), c.user);
        QVERIFY(o.value(QLatin1String("database_size_bytes")).toDouble() > 0);
        QCOMPARE(o.value(QLatin1String("location")).toString(), tdb.spec());
    } else {
        QCOMPARE(o.value(QLatin1String("location")).toString(), c.sqlitePath);
        QCOMPARE(o.value(QLatin1String("journal_mode")).toString(), QStringLiteral("wal"));
        QVERIFY(o.value(QLatin1String("file_size_bytes")).toDouble() > 0);
    }

    if (tdb.isPostgres()) {
        // A wrong address with the password in it: the error names the problem, not the password.
        QString bad = spec;
        bad.replace(QStringLiteral(":%1/").arg(c.port), QStringLiteral(":99999/"));
        r = ctl({QStringLiteral("--db"), bad, QStringLiteral("db"), QStringLiteral("info")}, env, {}, false);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QLatin1String("The port \"99999\"")), r.describe().constData());
        QVERIFY2(noPassword(r), r.describe().constData());
        r = ctl({QStringLiteral("--db"), spec + QStringLiteral("?sslmode=sometimes"), QStringLiteral("db"),
                 QStringLiteral("info")},
                env, {}, false);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QLatin1String("must be one of disable, allow")), r.describe().constData());
        QVERIFY2(noPassword(r), r.describe().constData());
    }
}

void TestHcmctl::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("no command") << QStringList{} << QStringLiteral("Usage: hcmctl");
    QTest::newRow("unknown group") << QStringList{"frobnicate"}
                                   << QStringLiteral("Unknown command \"frobnicate\"");
    QTest::newRow("group only") << QStringList{"jobs"} << QStringLiteral("\"jobs\" needs a command");
    QTest::newRow("unknown verb") << QStringList{"jobs", "frob"}
                                  << QStringLiteral("Unknown command \"jobs frob\"");
    QTest::newRow("enqueue without type")
        << QStringList{"jobs", "enqueue"} << QStringLiteral("missing: TYPE");
    QTest::newRow("show without id") << QStringList{"jobs", "show"} << QStringLiteral("missing: ID");
    QTest::newRow("cancel without id") << QStringList{"jobs", "cancel"} << QStringLiteral("missing: ID");
    QTest::newRow("show bad id") << QStringList{"jobs", "show", "abc"}
                                 << QStringLiteral("\"abc\" is not a job id");
    QTest::newRow("cancel bad id") << QStringList{"jobs", "cancel", "1", "job_x"}
                                   << QStringLiteral("\"job_x\" is not a job id");
    QTest::newRow("extra argument") << QStringList{"jobs", "list", "extra"}
                                    << QStringLiteral("Unexpected argument \"extra\"");
    QTest::newRow("limit abc") << QStringList{"jobs", "list", "--limit", "abc"}
                               << QStringLiteral("--limit needs");
    QTest::newRow("limit 0") << QStringList{"jobs", "list", "--limit", "0"}
                             << QStringLiteral("--limit needs");
    QTest::newRow("offset -1") << QStringList{"jobs", "list", "--offset", "-1"}
                               << QStringLiteral("--offset needs");
    QTest::newRow("bad sort") << QStringList{"jobs", "list", "--sort", "colour"}
                              << QStringLiteral("Unknown sort column \"colour\"");
    QTest::newRow("bad status") << QStringList{"jobs", "list", "--status", "queued,done"}
                                << QStringLiteral("Unknown status \"done\"");
    QTest::newRow("unknown option") << QStringList{"jobs", "list", "--colour"} << QStringLiteral("colour");
    QTest::newRow("missing value") << QStringList{"jobs", "list", "--limit"} << QStringLiteral("limit");
}

void TestHcmctl::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const QString before = test::snapshot(m_db->config());
    const Run r = ctl(args);
    QVERIFY2(!r.crashed, r.describe().constData());
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(message), r.describe().constData());
    QVERIFY2(r.err.contains(QLatin1String("Usage: hcmctl")), r.describe().constData());
    QVERIFY2(r.out.isEmpty(), r.describe().constData());
    QCOMPARE(test::snapshot(m_db->config()), before);
}

void TestHcmctl::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const auto enqueue = [](const QStringList &more) {
        return QStringList{QStringLiteral("jobs"), QStringLiteral("enqueue")} + more;
    };
    QTest::newRow("malformed json") << enqueue(
                                           {"cache_flush", "--payload", "{\"action\": \"full\",\n  oops}"})
                                    << QStringLiteral("not valid JSON: ");
    QTest::newRow("malformed json position")
        << enqueue({"cache_flush", "--payload", "{\"action\": \"full\",\n  oops}"})
        << QStringLiteral("at line 2, column ");
    QTest::newRow("array payload") << enqueue({"cache_flush", "--payload", "[1, 2]"})
                                   << QStringLiteral("must be a JSON object ({…}), not an array");
    QTest::newRow("scalar payload") << enqueue({"cache_flush", "--payload", "42"})
                                    << QStringLiteral("not a single value");
    QTest::newRow("unknown payload field") << enqueue({"cache_flush", "--payload", "{\"acton\":\"full\"}"})
                                           << QStringLiteral("unknown payload field \"acton\"");
    QTest::newRow("unknown type") << enqueue({"cache_flash"})
                                  << QStringLiteral("Unknown job type \"cache_flash\"");
    QTest::newRow("priority urgent") << enqueue({"cache_flush", "--priority", "urgent"})
                                     << QStringLiteral("Unknown priority \"urgent\"");
    QTest::newRow("max_retries -1") << enqueue({"cache_flush", "--max-retries", "-1"})
                                    << QStringLiteral("max_retries must be from 0 to 25; -1 was given");
    QTest::newRow("max_retries 26") << enqueue({"cache_flush", "--max-retries", "26"})
                                    << QStringLiteral("max_retries must be from 0 to 25; 26 was given");
    QTest::newRow("max_retries abc") << enqueue({"cache_flush", "--max-retries", "abc"})
                                     << QStringLiteral("\"abc\" was given");
    QTest::newRow("bad run-at") << enqueue({"cache_flush", "--run-at", "tomorrow"})
                                << QStringLiteral("\"tomorrow\" is not a date and time");
    QTest::newRow("bad email") << enqueue(
                                      {"email_send", "--payload", "{\"to\":\"nobody\",\"subject\":\"x\"}"})
                               << QStringLiteral("\"nobody\" is not an email address");
    QTest::newRow("payload file missing")
        << enqueue({"cache_flush", "--payload", "@/nonexistent/payload.json"})
        << QStringLiteral("Cannot read the payload file /nonexistent/payload.json");
    QTest::newRow("postgres url") << QStringList{"--db", "postgresql://localhost/hcm", "jobs", "list"}
                                  << QStringLiteral("PostgreSQL");
    // Addresses with a password: the message says what is wrong and never shows the password.
    QTest::newRow("db bad port") << QStringList{"--db", "postgresql://alice:Sup3rS3cret@db1:99999/hcm",
                                                "jobs", "list"}
                                 << QStringLiteral("The port \"99999\" in the database address");
    QTest::newRow("db unknown scheme")
        << QStringList{"--db", "mysql://alice:Sup3rS3cret@db1/hcm", "jobs", "list"}
        << QStringLiteral("Unknown database address \"mysql://alice@db1/hcm\"");
    QTest::newRow("db bad password characters")
        << QStringList{"--db", "postgresql://alice:Sup3r S3cret@db1/hcm", "jobs", "list"}
        << QStringLiteral("\"postgresql://alice@db1/hcm\" is not a valid PostgreSQL address");
    // '#' and '?' in a password are fine as they are (the user info ends at the last '@'); a '/' is not.
    QTest::newRow("db slash in password")
        << QStringList{"--db", "postgresql://alice:S3cret/x@db1/hcm", "jobs", "list"}
        << QStringLiteral("\"postgresql://alice@db1/hcm\" is not a valid PostgreSQL address: it has an '@' "
                          "after the first '/'");
    QTest::newRow("db option injection")
        << QStringList{"--db",
                       "postgresql://alice:Sup3rS3cret@db1/hcm?application_name=x%3Bsslmode%3Ddisable",
                       "jobs", "list"}
        << QStringLiteral("The option application_name of the database address contains a semicolon");
}

void TestHcmctl::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const QString before = test::snapshot(m_db->config());
    const qint64 rows = test::rowCount(m_db->config(), QStringLiteral("background_jobs"));
    const Run r = ctl(args);
    QVERIFY2(!r.crashed, r.describe().constData());
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(message), r.describe().constData());
    QVERIFY2(r.err.startsWith(QLatin1String("hcmctl: ")), r.describe().constData());
    QVERIFY2(!r.err.contains(QLatin1String("S3cret")), r.describe().constData());
    QVERIFY2(r.out.isEmpty(), r.describe().constData());
    QCOMPARE(test::snapshot(m_db->config()), before);
    QCOMPARE(test::rowCount(m_db->config(), QStringLiteral("background_jobs")), rows);
}

void TestHcmctl::largePayloadFromStdinAndFile()
{
    // 1 MiB does not fit in one command-line argument (Linux caps one at 128 KiB): --payload - and @FILE.
    const QByteArray big = "{\"action\":\"full\",\"pad\":\"" + QByteArray(1024 * 1024, 'x') + "\"}";
    const QString before = test::snapshot(m_db->config());
    Run r = ctl({QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
                 QStringLiteral("--payload"), QStringLiteral("-")},
                QProcessEnvironment::systemEnvironment(), big);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("The payload on standard input is larger than the limit of 256 KiB "
                                          "(262144 bytes); nothing was enqueued.")),
             r.describe().constData());
    QCOMPARE(test::snapshot(m_db->config()), before);

    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("payload.json")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(big);
    file.close();
    r = ctl({QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
             QStringLiteral("--payload"), QLatin1Char('@') + file.fileName()});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("is larger than the limit of 256 KiB")), r.describe().constData());
    QCOMPARE(test::snapshot(m_db->config()), before);

    // A payload within the limit from standard input is accepted.
    r = ctl({QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
             QStringLiteral("--payload"), QStringLiteral("-")},
            QProcessEnvironment::systemEnvironment(), QByteArrayLiteral("{\"action\": \"expired\"}\n"));
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.out, QStringLiteral("job_1\n"));
}

namespace {

// The environment of another OS user as far as hcmctl can tell: its own HOME, so its own key file.
QProcessEnvironment userEnvironment(const QString &home)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"HCM_SECRET_KEY", "HCM_SECRET_KEY_FILE", "XDG_DATA_HOME", "XDG_CONFIG_HOME"})
        env.remove(QString::fromLatin1(name));
    env.insert(QStringLiteral("HOME"), home);
    return env;
}

QString keyFileOf(const QString &home)
{
    return home + QStringLiteral("/.local/share/hcm/hcm-admin/secret.key");
}

// The stored version and secret columns, to check that a refused command changed nothing.
QString storedSecrets(const DbConfig &config)
{
    auto db = Database::connection(config);
    QSqlQuery q(db.value());
    if (!q.exec(QStringLiteral("SELECT version, smtp_password_enc, twilio_auth_token_enc, "
                               "slack_webhook_url_enc FROM notification_settings WHERE id = 1")) ||
        !q.next())
        return QStringLiteral("unreadable");
    return QStringList{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(),
                       q.value(3).toString()}
        .join(QLatin1Char('|'));
}

} // namespace

void TestHcmctl::unboundedInputRefusedUnread()
{
#if defined(__SANITIZE_ADDRESS__)
    QSKIP("AddressSanitizer needs more address space for its shadow memory than the limit this test sets");
#endif
    // hcmctl runs with 2 GiB of address space: reading an endless input before checking its size ends in
    // std::bad_alloc (exit 134), as it did; reading no more than the limit ends with the message.
    const auto limited = [&](const QStringList &args, const QString &stdinFile) {
        QProcess p;
        p.setProcessEnvironment(QProcessEnvironment::systemEnvironment());
        p.setChildProcessModifier([] {
            const rlimit limit{rlim_t(2) << 30, rlim_t(2) << 30};
            ::setrlimit(RLIMIT_AS, &limit);
        });
        if (!stdinFile.isEmpty())
            p.setStandardInputFile(stdinFile);
        p.start(test::programPath(QStringLiteral("hcmctl")),
                QStringList{QStringLiteral("--db"), m_db->path()} + args);
        Run r;
        if (!p.waitForFinished(60000)) {
            p.kill();
            p.waitForFinished();
        }
        r.code = p.exitCode();
        r.crashed = p.exitStatus() != QProcess::NormalExit;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    };
    const QString before = test::snapshot(m_db->config()) + storedSecrets(m_db->config());
    Run r = limited({QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
                     QStringLiteral("--payload"), QStringLiteral("@/dev/zero")},
                    {});
    QVERIFY2(!r.crashed && r.code == 1, r.describe().constData());
    QCOMPARE(r.err,
             QStringLiteral("hcmctl: The payload file /dev/zero is larger than the limit of 256 KiB (262144 "
                            "bytes); nothing was enqueued.\n"));
    r = limited({QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush"),
                 QStringLiteral("--payload"), QStringLiteral("-")},
                QStringLiteral("/dev/zero"));
    QVERIFY2(!r.crashed && r.code == 1, r.describe().constData());
    QCOMPARE(r.err,
             QStringLiteral("hcmctl: The payload on standard input is larger than the limit of 256 KiB "
                            "(262144 bytes); nothing was enqueued.\n"));
    r = limited({QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("--secret-stdin"),
                 QStringLiteral("twilio_auth_token")},
                QStringLiteral("/dev/zero"));
    QVERIFY2(!r.crashed && r.code == 1, r.describe().constData());
    QCOMPARE(r.err,
             QStringLiteral("hcmctl: The Twilio auth token on standard input is longer than the limit of 256 "
                            "bytes; nothing was saved.\n"));
    QCOMPARE(test::snapshot(m_db->config()) + storedSecrets(m_db->config()), before);

    // A secret one byte over its limit is refused; at the limit (with or without a line break) it is taken.
    const QStringList setToken{QStringLiteral("settings"), QStringLiteral("set"),
                               QStringLiteral("--secret-stdin"), QStringLiteral("twilio_auth_token")};
    r = ctl(setToken, QProcessEnvironment::systemEnvironment(), QByteArray(257, 'x'));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("longer than the limit of 256 bytes")), r.describe().constData());
    r = ctl(setToken, QProcessEnvironment::systemEnvironment(), QByteArray(257, 'x') + '\n');
    QCOMPARE(r.code, 1);
    QCOMPARE(test::snapshot(m_db->config()) + storedSecrets(m_db->config()), before);
    QTemporaryDir keys;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("HCM_SECRET_KEY"));
    env.insert(QStringLiteral("HCM_SECRET_KEY_FILE"), keys.filePath(QStringLiteral("secret.key")));
    r = ctl(setToken, env, QByteArray(256, 'x') + "\r\n");
    QVERIFY2(r.code == 0, r.describe().constData());
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(keys.filePath(QStringLiteral("secret.key"))));
    const auto stored = NotificationSettingsStore(m_db->config()).loadForDelivery();
    qunsetenv("HCM_SECRET_KEY_FILE");
    QVERIFY(stored);
    QCOMPARE(stored->twilioAuthToken.value(), QString(256, QLatin1Char('x')));
}

void TestHcmctl::settingLimits()
{
    const auto version = [&] { return NotificationSettingsStore(m_db->config()).load()->version; };
    Run r = ctl({QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("smtp_port=2525"),
                 QStringLiteral("email_from_name=") + QString(201, QLatin1Char('n'))});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(
                 QLatin1String("hcmctl: email_from_name: From name is 201 characters long; the limit is "
                               "200.\nNothing was saved.")),
             r.describe().constData());
    QCOMPARE(version(), 1);

    // 120 KB in one value: refused with the limit, and not repeated back.
    r = ctl({QStringLiteral("settings"), QStringLiteral("set"),
             QStringLiteral("smtp_host=") + QString(120 * 1024, QLatin1Char('h'))});
    QCOMPARE(r.code, 1);
    QVERIFY2(
        r.err.contains(QLatin1String("smtp_host: SMTP server is 122880 characters long; the limit is 253.")),
        r.describe().left(2000).constData());
    QVERIFY2(r.err.size() < 500, qPrintable(r.err.left(500)));
    QCOMPARE(version(), 1);

    // At the limit it is taken.
    r = ctl({QStringLiteral("settings"), QStringLiteral("set"),
             QStringLiteral("email_from_name=") + QString(200, QLatin1Char('n'))});
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(version(), 2);

    // The help says the limits.
    r = ctl({QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("--help")});
    QCOMPARE(r.code, 0);
    static const QRegularExpression host(QStringLiteral("\n  smtp_host +253 characters\n"));
    static const QRegularExpression token(
        QStringLiteral("\n  twilio_auth_token +256 bytes \\(from standard input\\)\n"));
    static const QRegularExpression list(
        QStringLiteral("\n  email_recipients +50 entries of 254 characters\n"));
    QVERIFY2(r.out.contains(host) && r.out.contains(token) && r.out.contains(list) &&
                 r.out.contains(QLatin1String("HCM_ALLOW_CUSTOM_PROVIDER_URL=1")),
             qPrintable(r.out));
    r = ctl({QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("--help")});
    QVERIFY2(r.out.contains(QLatin1String("The payload is at most 256 KiB")), qPrintable(r.out));
}

void TestHcmctl::secretsUnderAnotherUsersKey()
{
    QTemporaryDir homeA;
    QTemporaryDir homeB;
    const QProcessEnvironment alice = userEnvironment(homeA.path());
    const QProcessEnvironment bob = userEnvironment(homeB.path());
    const QString keyA = keyFileOf(homeA.path());
    const QString keyB = keyFileOf(homeB.path());
    const auto setSecret = [](const char *key) {
        return QStringList{QStringLiteral("settings"), QStringLiteral("set"),
                           QStringLiteral("--secret-stdin"), QString::fromLatin1(key)};
    };
    const auto noSecretIn = [](const Run &r) {
        for (const char *secret : {"alice-password", "alice/hook", "bob-token", "alice-token"})
            if (r.out.contains(QLatin1String(secret)) || r.err.contains(QLatin1String(secret)))
                return false;
        return true;
    };

    // Alice stores two secrets; her key file is created on the way.
    Run r = ctl({QStringLiteral("settings"), QStringLiteral("set"),
                 QStringLiteral("smtp_host=mail.example.com"), QStringLiteral("smtp_username=mailer"),
                 QStringLiteral("--secret-stdin"), QStringLiteral("smtp_password")},
                alice, "alice-password\n");
    QVERIFY2(r.code == 0, r.describe().constData());
    r = ctl(setSecret("slack_webhook_url"), alice, "https://hooks.slack.com/services/T1/B1/alice/hook\n");
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY(QFile::exists(keyA));
    const QString byAlice = storedSecrets(m_db->config());

    // Bob, without a key file: refused, his key file is not created, nothing changes.
    r = ctl(setSecret("twilio_auth_token"), bob, "bob-token\n");
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.startsWith(
                 QLatin1String("hcmctl: Nothing was saved: the secret key file ") + keyB +
                 QLatin1String(" does not exist, but the stored SMTP password was encrypted with a key.")) &&
                 r.err.contains(QLatin1String("hcmctl settings rekey --old-key-file PATH")),
             r.describe().constData());
    QVERIFY(!QFile::exists(keyB));
    QCOMPARE(storedSecrets(m_db->config()), byAlice);

    // Bob with a key file of his own, or with HCM_SECRET_KEY: refused, the message names the key in use.
    QVERIFY(QDir().mkpath(QFileInfo(keyB).path()));
    {
        QFile f(keyB);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        f.write(SecretBox::generateKeyText().toLatin1() + '\n');
    }
    r = ctl(setSecret("twilio_auth_token"), bob, "bob-token\n");
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.startsWith(QLatin1String("hcmctl: Nothing was saved: the key in use (key file ") + keyB +
                              QLatin1String(") does not open the stored SMTP password.")),
             r.describe().constData());
    QCOMPARE(storedSecrets(m_db->config()), byAlice);
    QProcessEnvironment bobEnvKey = bob;
    bobEnvKey.insert(QStringLiteral("HCM_SECRET_KEY"), SecretBox::generateKeyText());
    r = ctl(setSecret("smtp_password"), bobEnvKey, "bob-token\n");
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("the key in use (HCM_SECRET_KEY from the environment)")),
             r.describe().constData());
    QCOMPARE(storedSecrets(m_db->config()), byAlice);
    QVERIFY(noSecretIn(r));

    // rekey: the old key file is required, must exist and must open the secrets.
    r = ctl({QStringLiteral("settings"), QStringLiteral("rekey")}, bob);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QLatin1String("--old-key-file PATH")), r.describe().constData());
    r = ctl({QStringLiteral("settings"), QStringLiteral("rekey"), QStringLiteral("--old-key-file"),
             homeB.filePath(QStringLiteral("nope.key"))},
            bob);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("does not exist")), r.describe().constData());
    const QString keyC = homeB.filePath(QStringLiteral("unrelated.key"));
    {
        QFile f(keyC);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(SecretBox::generateKeyText().toLatin1() + '\n');
    }
    r = ctl({QStringLiteral("settings"), QStringLiteral("rekey"), QStringLiteral("--old-key-file"), keyC},
            bob);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("hcmctl: Nothing was re-encrypted: the stored SMTP password opens "
                                          "neither with the old key (key file ") +
                            keyC + QLatin1String(") nor with the key in use (key file ") + keyB),
             r.describe().constData());
    QCOMPARE(storedSecrets(m_db->config()), byAlice);

    // Bob re-encrypts the secrets from Alice's key to his, then he may write and Alice may not.
    r = ctl({QStringLiteral("settings"), QStringLiteral("rekey"), QStringLiteral("--old-key-file"), keyA},
            bob);
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY2(r.out.startsWith(QLatin1String("2 secret(s) re-encrypted for the key file ") + keyB),
             r.describe().constData());
    QVERIFY(noSecretIn(r));
    r = ctl(setSecret("twilio_auth_token"), bob, "bob-token\n");
    QVERIFY2(r.code == 0, r.describe().constData());
    r = ctl(setSecret("twilio_auth_token"), alice, "alice-token\n");
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("the key in use (key file ") + keyA), r.describe().constData());
    r = ctl({QStringLiteral("--json"), QStringLiteral("settings"), QStringLiteral("rekey"),
             QStringLiteral("--old-key-file"), keyA},
            bob);
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(r.json().object().value(QLatin1String("already_current")).toInt(), 3);

    // Every secret now opens with Bob's key.
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(keyB));
    const auto stored = NotificationSettingsStore(m_db->config()).loadForDelivery();
    qunsetenv("HCM_SECRET_KEY_FILE");
    QVERIFY2(stored, stored ? "" : qPrintable(stored.error().message));
    QCOMPARE(stored->smtpPassword.value(), QStringLiteral("alice-password"));
    QCOMPARE(stored->slackWebhookUrl.value(),
             QStringLiteral("https://hooks.slack.com/services/T1/B1/alice/hook"));
    QCOMPARE(stored->twilioAuthToken.value(), QStringLiteral("bob-token"));
}

void TestHcmctl::sqlMetacharactersInSearch()
{
    QVERIFY(!enqueue({QStringLiteral("cache_flush")}).isEmpty());
    QVERIFY(!enqueue({QStringLiteral("db_optimize")}).isEmpty());
    const QString before = test::snapshot(m_db->config());
    for (const QString &search : {QStringLiteral("'; DROP TABLE background_jobs; --"), QStringLiteral("%"),
                                  QStringLiteral("cach__flush"), QStringLiteral("h%f"), QStringLiteral("\\"),
                                  QStringLiteral("\" OR 1=1 --")}) {
        Run r = ctl({QStringLiteral("jobs"), QStringLiteral("list"), QStringLiteral("--search"), search});
        QVERIFY2(r.code == 0, r.describe().constData());
        QCOMPARE(r.out, QStringLiteral("0 of 0 jobs\n"));
        r = ctl({QStringLiteral("jobs"), QStringLiteral("list"), QStringLiteral("--json"),
                 QStringLiteral("--search"), search});
        QVERIFY2(r.code == 0, r.describe().constData());
        QCOMPARE(r.json().array().size(), 0);
    }
    // Wildcards are literal: "e_f" is found in cache_flush only.
    const Run r = ctl(
        {QStringLiteral("jobs"), QStringLiteral("list"), QStringLiteral("--search"), QStringLiteral("e_f")});
    QVERIFY2(r.code == 0 && r.out.endsWith(QLatin1String("1 of 1 jobs\n")) &&
                 r.out.contains(QLatin1String("job_1")),
             r.describe().constData());
    QCOMPARE(test::rowCount(m_db->config(), QStringLiteral("background_jobs")), 2);
    QCOMPARE(test::snapshot(m_db->config()), before);
}

void TestHcmctl::notADatabase()
{
    QTemporaryDir dir;
    QFile junk(dir.filePath(QStringLiteral("junk.db")));
    QVERIFY(junk.open(QIODevice::WriteOnly));
    QByteArray bytes(64 * 1024, '\0');
    for (char &c : bytes)
        c = char(QRandomGenerator::global()->bounded(256));
    junk.write(bytes);
    junk.close();

    Run r = ctl({QStringLiteral("--db"), junk.fileName(), QStringLiteral("jobs"), QStringLiteral("list")},
                QProcessEnvironment::systemEnvironment(), {}, false);
    QVERIFY2(!r.crashed, r.describe().constData());
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("is not an SQLite database file")), r.describe().constData());
    QVERIFY(r.out.isEmpty());

    r = ctl({QStringLiteral("--db"), dir.path(), QStringLiteral("db"), QStringLiteral("info")},
            QProcessEnvironment::systemEnvironment(), {}, false);
    QVERIFY2(!r.crashed, r.describe().constData());
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("is a folder")), r.describe().constData());
}

void TestHcmctl::enqueueThenWorkerCompletes()
{
    const QString worker = test::programPath(QStringLiteral("hcm-worker"));
    if (!QFileInfo(worker).isExecutable())
        QSKIP("hcm-worker is not built");

    QTemporaryDir cache;
    QTemporaryDir logs;
    for (const char *name : {"a.cache", "b.cache"}) {
        QFile f(cache.filePath(QLatin1String(name)));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("cached data");
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HCM_CACHE_DIR"), cache.path());
    env.insert(QStringLiteral("HCM_LOG_DIR"), logs.path());

    QCOMPARE(enqueue({QStringLiteral("cache_flush"), QStringLiteral("--priority"), QStringLiteral("high"),
                      QStringLiteral("--payload"), QStringLiteral("{\"action\":\"full\"}")}),
             QStringLiteral("job_1"));
    const Run w =
        test::runProcess(worker, {QStringLiteral("--db"), m_db->path(), QStringLiteral("--once")}, env);
    QVERIFY2(!w.crashed && w.code == 0, w.describe().constData());

    const Run r = ctl(
        {QStringLiteral("jobs"), QStringLiteral("show"), QStringLiteral("job_1"), QStringLiteral("--json")});
    QVERIFY2(r.code == 0, r.describe().constData());
    const QJsonObject job = r.json().object();
    QCOMPARE(job.value(QLatin1String("status")).toString(), QStringLiteral("completed"));
    const QJsonObject result = job.value(QLatin1String("result")).toObject();
    QVERIFY2(result.contains(QLatin1String("items_cleared")), r.describe().constData());
    QVERIFY(result.value(QLatin1String("items_cleared")).toInt() >= 2);
    QVERIFY(!job.value(QLatin1String("completed_at")).isNull());
    const QJsonArray attempts = job.value(QLatin1String("attempt_history")).toArray();
    QCOMPARE(attempts.size(), 1);
    QCOMPARE(attempts.at(0).toObject().value(QLatin1String("outcome")).toString(),
             QStringLiteral("completed"));
}

// Only "db migrate" (and hcm-admin, hcm-worker) make a new database: a mistyped --db path is an error
// that creates nothing, not an empty database that answers "0 jobs".
void TestHcmctl::mistypedDbIsRefused()
{
    const mode_t oldMask = ::umask(022);
    const auto restoreMask = qScopeGuard([&] { ::umask(oldMask); });
    QTemporaryDir dir;
    const QString typo = dir.filePath(QStringLiteral("typo/dir/x.db"));
    const QList<QStringList> commands{
        {QStringLiteral("jobs"), QStringLiteral("list")},
        {QStringLiteral("jobs"), QStringLiteral("counts")},
        {QStringLiteral("jobs"), QStringLiteral("enqueue"), QStringLiteral("cache_flush")},
        {QStringLiteral("settings"), QStringLiteral("show")},
        {QStringLiteral("notify"), QStringLiteral("log")},
        {QStringLiteral("db"), QStringLiteral("info")},
    };
    for (const QStringList &command : commands) {
        const Run r = ctl(QStringList{QStringLiteral("--db"), typo} + command,
                          QProcessEnvironment::systemEnvironment(), {}, false);
        QVERIFY2(!r.crashed, r.describe().constData());
        QVERIFY2(r.code == 1, r.describe().constData());
        QVERIFY2(
            r.err.contains(
                QStringLiteral("There is no database at %1; create it with \"hcmctl db migrate").arg(typo)),
            r.describe().constData());
        QVERIFY(r.out.isEmpty());
        QVERIFY2(!QFileInfo::exists(dir.filePath(QStringLiteral("typo"))), qPrintable(command.join(u' ')));
    }

    Run r = ctl({QStringLiteral("--db"), typo, QStringLiteral("db"), QStringLiteral("migrate")},
                QProcessEnvironment::systemEnvironment(), {}, false);
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY(QFileInfo(typo).isFile());
    struct stat st = {};
    QVERIFY(::stat(QFile::encodeName(typo).constData(), &st) == 0);
    QCOMPARE(QString::number(st.st_mode & 07777, 8), QStringLiteral("600"));
    QVERIFY(::stat(QFile::encodeName(dir.filePath(QStringLiteral("typo"))).constData(), &st) == 0);
    QCOMPARE(QString::number(st.st_mode & 07777, 8), QStringLiteral("700"));
    r = ctl({QStringLiteral("--db"), typo, QStringLiteral("jobs"), QStringLiteral("list")},
            QProcessEnvironment::systemEnvironment(), {}, false);
    QVERIFY2(r.code == 0, r.describe().constData());

    // hcm-worker may start on a new database.
    const QString worker = test::programPath(QStringLiteral("hcm-worker"));
    const QString workerDb = dir.filePath(QStringLiteral("worker/new.db"));
    r = test::runProcess(
        worker,
        {QStringLiteral("--db"), workerDb, QStringLiteral("--once"), QStringLiteral("--log-dir"), dir.path()},
        QProcessEnvironment::systemEnvironment());
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY(QFileInfo(workerDb).isFile());
}

// "--db ~/x.db" in quotes (or from a config file) reaches the program with its '~': it is the home
// folder, never a folder named "~" in the current one.
void TestHcmctl::tildeIsTheHomeFolder()
{
    QTemporaryDir home;
    QTemporaryDir cwd;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), home.path());
    const auto runIn = [&](const QStringList &args) {
        QProcess p;
        p.setProcessEnvironment(env);
        p.setWorkingDirectory(cwd.path());
        p.start(test::programPath(QStringLiteral("hcmctl")), args);
        Run r;
        if (!p.waitForFinished(60000)) {
            p.kill();
            p.waitForFinished();
        }
        r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    };
    Run r = runIn({QStringLiteral("--db"), QStringLiteral("~/hcm/x.db"), QStringLiteral("db"),
                   QStringLiteral("migrate")});
    QVERIFY2(r.code == 0, r.describe().constData());
    QVERIFY(QFileInfo(home.filePath(QStringLiteral("hcm/x.db"))).isFile());
    QVERIFY(!QFileInfo::exists(cwd.filePath(QStringLiteral("~"))));
    r = runIn({QStringLiteral("--db"), QStringLiteral("~/hcm/x.db"), QStringLiteral("jobs"),
               QStringLiteral("list")});
    QVERIFY2(r.code == 0, r.describe().constData());

    r = runIn({QStringLiteral("--db"), QStringLiteral("~bob/x.db"), QStringLiteral("db"),
               QStringLiteral("migrate")});
    QVERIFY2(r.code == 1, r.describe().constData());
    QVERIFY2(r.err.contains(QLatin1String("starts with \"~\" followed by a name")), r.describe().constData());
    QVERIFY(QDir(cwd.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).isEmpty());
}

// /dev/null was "rollback failed" and "the connection to the database server was lost".
void TestHcmctl::deviceIsNotADatabase()
{
    const Run r = ctl(
        {QStringLiteral("--db"), QStringLiteral("/dev/null"), QStringLiteral("jobs"), QStringLiteral("list")},
        QProcessEnvironment::systemEnvironment(), {}, false);
    QVERIFY2(r.code == 1, r.describe().constData());
    QCOMPARE(r.err,
             QStringLiteral("hcmctl: /dev/null is not an SQLite database file: it is a device, a pipe or "
                            "a socket.\n"));
}

// The key that decrypts the stored secrets: its new folders 0700 whatever the umask, and a key file an
// older version left readable is repaired when hcm-worker starts, with a log line.
void TestHcmctl::keyFileIsPrivate()
{
    const mode_t oldMask = ::umask(022);
    const auto restoreMask = qScopeGuard([&] { ::umask(oldMask); });
    QTemporaryDir dir;
    const QString key = dir.filePath(QStringLiteral("keys/new/secret.key"));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HCM_SECRET_KEY_FILE"), key);
    env.remove(QStringLiteral("HCM_SECRET_KEY"));
    const auto modeOf = [](const QString &path) {
        struct stat st = {};
        return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? QString::number(st.st_mode & 07777, 8)
                                                                     : QString();
    };
    Run r = ctl({QStringLiteral("settings"), QStringLiteral("set"),
                 QStringLiteral("smtp_host=mail.example.com"), QStringLiteral("smtp_username=mailer"),
                 QStringLiteral("--secret-stdin"), QStringLiteral("smtp_password")},
                env, "Zq8-key-file-test\n");
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(modeOf(key), QStringLiteral("600"));
    QCOMPARE(modeOf(dir.filePath(QStringLiteral("keys"))), QStringLiteral("700"));
    QCOMPARE(modeOf(dir.filePath(QStringLiteral("keys/new"))), QStringLiteral("700"));

    QVERIFY(::chmod(QFile::encodeName(key).constData(), 0644) == 0);
    r = test::runProcess(test::programPath(QStringLiteral("hcm-worker")),
                         {QStringLiteral("--db"), m_db->path(), QStringLiteral("--once"),
                          QStringLiteral("--log-dir"), dir.path()},
                         env);
    QVERIFY2(r.code == 0, r.describe().constData());
    QCOMPARE(modeOf(key), QStringLiteral("600"));
    QFile log(dir.filePath(QStringLiteral("hcm-worker.log")));
    QVERIFY(log.open(QIODevice::ReadOnly));
    QVERIFY(QString::fromUtf8(log.readAll())
                .contains(QStringLiteral("restricted the mode of %1 from 0644 to 0600").arg(key)));
}

QTEST_GUILESS_MAIN(TestHcmctl)
#include "tst_hcmctl.moc"
