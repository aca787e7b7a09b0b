// Pausing and resuming job types (migration 012, PauseService), on a real SQLite file and a real
// PostgreSQL database: who paused and when, precise refusals that change nothing, an in-process pool
// that holds a paused type's jobs while other types run and claims them the moment the type is resumed,
// and two real hcm-worker processes doing the same when hcmctl pauses and resumes.

#include "testutil.h"

#include "auth/identity.h"

#include "db/database.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "jobs/pauseservice.h"
#include "worker/handlers/diagnostichandlers.h"
#include "worker/workerpool.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("tester"));

HandlerRegistry diagnostics()
{
    HandlerRegistry registry;
    registerDiagnosticHandlers(registry);
    return registry;
}

WorkerPool::Options poolOptions(const DbConfig &db)
{
    WorkerPool::Options o;
    o.env.db = db;
    o.concurrency = 2;
    o.pollIntervalMs = 600'000; // wake-ups must come from the pause service, not from the poll
    o.changeCheckMs = 0;
    o.leaseMs = 10'000;
    o.graceMs = 10'000;
    return o;
}

qint64 enqueue(JobService &service, const QString &type, const QJsonObject &payload = {})
{
    auto id = service.enqueue(NewJob{type, JobPriority::Normal, payload, 3, std::nullopt}, kActor);
    return id ? id.value() : -1;
}

QString statusOf(const DbConfig &db, qint64 id)
{
    auto conn = Database::connection(db);
    QSqlQuery q(conn.value());
    q.prepare(QStringLiteral("SELECT status FROM background_jobs WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec() || !q.next())
        return {};
    return q.value(0).toString();
}

int countWithStatus(const DbConfig &db, const QList<qint64> &ids, const QString &status)
{
    int n = 0;
    for (qint64 id : ids)
        n += statusOf(db, id) == status ? 1 : 0;
    return n;
}

QStringList pausedNames(const DbConfig &db)
{
    QStringList out;
    auto paused = PausedTypeStore(db).list();
    if (paused)
        for (const PausedType &p : paused.value())
            out << p.type;
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
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HCM_ENABLE_TEST_JOB_TYPES"), QStringLiteral("1"));
    p.setProcessEnvironment(env);
    p.start(programPath(QStringLiteral("hcmctl")), QStringList{QStringLiteral("--db"), tdb.spec()} + args);
    Run r;
    if (!p.waitForFinished(30'000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QByteArray describe(const Run &r)
{
    return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(r.code).arg(r.out, r.err).toUtf8();
}

// A real worker process whose log (one file per worker) tells when it has read a new set of paused
// types. The poll is an hour: only a wake-up (NOTIFY, or a commit noticed on the SQLite file) can make
// it read the paused types again or claim what a resume released.
std::unique_ptr<QProcess> startWorker(const TempDatabase &tdb, const QString &id)
{
    auto p = std::make_unique<QProcess>();
    p->setProgram(programPath(QStringLiteral("hcm-worker")));
    p->setArguments({QStringLiteral("--db"), tdb.spec(), QStringLiteral("--worker-id"), id,
                     QStringLiteral("--enable-test-job-types"), QStringLiteral("--concurrency"),
                     QStringLiteral("2"), QStringLiteral("--poll-interval"), QStringLiteral("3600"),
                     QStringLiteral("--log-dir"), tdb.dir() + QStringLiteral("/logs-") + id,
                     QStringLiteral("--cache-dir"), tdb.dir() + QStringLiteral("/cache")});
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start();
    return p;
}

// Everything the worker `id` has logged so far.
QString workerLog(const TempDatabase &tdb, const QString &id)
{
    QString text;
    const QDir dir(tdb.dir() + QStringLiteral("/logs-") + id);
    for (const QString &name : dir.entryList({QStringLiteral("*.log")}, QDir::Files)) {
        QFile f(dir.filePath(name));
        if (f.open(QIODevice::ReadOnly))
            text += QString::fromUtf8(f.readAll());
    }
    return text;
}

int occurrences(const QString &text, const QString &what)
{
    return int(text.count(what));
}

} // namespace

class TestPause : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase()
    {
        JobTypeCatalog::enableTestTypes();
        qRegisterMetaType<QStringList>();
    }
    void cleanup() { Database::closeThreadConnections(); }

    // Who paused a type and when is kept; pausing twice keeps the first; resuming removes it.
    void pauseAndResumeRecordWhoAndWhen()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>(1'767'225'600'000); // 2026-01-01T00:00:00Z
        PauseService service(tdb.config(), clock);
        QSignalSpy notified(JobNotifier::instance(), &JobNotifier::pausedTypesChanged);

        auto first =
            service.setPaused(QStringLiteral("email_send"), true, test::adminActor(QStringLiteral("alice")));
        QVERIFY2(first.ok(), first.ok() ? "" : qPrintable(first.error().message));
        QVERIFY(first->changed);
        QCOMPARE(first->pausedNow.size(), 1);
        QCOMPARE(first->pausedNow.first().type, QStringLiteral("email_send"));
        QCOMPARE(first->pausedNow.first().pausedBy, QStringLiteral("alice"));
        QCOMPARE(first->pausedNow.first().pausedAt, qint64(1'767'225'600'000));
        QCOMPARE(notified.size(), 1);

        clock->advanceMs(60'000);
        auto again =
            service.setPaused(QStringLiteral("email_send"), true, test::adminActor(QStringLiteral("bob")));
        QVERIFY(again.ok());
        QVERIFY(!again->changed);
        QCOMPARE(again->pausedNow.first().pausedBy, QStringLiteral("alice")); // the first pause stays
        QCOMPARE(again->pausedNow.first().pausedAt, qint64(1'767'225'600'000));
        QCOMPARE(notified.size(), 1); // nothing changed, nothing announced

        QVERIFY(
            service.setPaused(QStringLiteral("notify"), true, test::adminActor(QStringLiteral("bob"))).ok());
        QCOMPARE(pausedNames(tdb.config()),
                 (QStringList{QStringLiteral("email_send"), QStringLiteral("notify")}));

        auto resumed = service.setPaused(QStringLiteral("email_send"), false, kActor);
        QVERIFY(resumed.ok());
        QVERIFY(resumed->changed);
        QCOMPARE(pausedNames(tdb.config()), QStringList{QStringLiteral("notify")});
        auto resumedAgain = service.setPaused(QStringLiteral("email_send"), false, kActor);
        QVERIFY(resumedAgain.ok());
        QVERIFY(!resumedAgain->changed);

        // Pause all, then resume all: every row goes.
        QVERIFY(service.setPaused(kAllJobTypes, true, kActor).ok());
        QCOMPARE(pausedNames(tdb.config()), (QStringList{kAllJobTypes, QStringLiteral("notify")}));
        QVERIFY(service.setPaused(kAllJobTypes, false, kActor).ok());
        QVERIFY(pausedNames(tdb.config()).isEmpty());
    }

    // Bad input gets a precise error and changes nothing.
    void refusalsChangeNothing()
    {
        HCM_TEMP_DATABASE(tdb);
        PauseService service(tdb.config());
        auto unknown = service.setPaused(QStringLiteral("emial_send"), true, kActor);
        QVERIFY(!unknown.ok());
        QCOMPARE(unknown.error().code, Error::Code::Invalid);
        QVERIFY2(unknown.error().message.contains(QLatin1String("Unknown job type \"emial_send\"")),
                 qPrintable(unknown.error().message));
        QVERIFY(unknown.error().message.contains(QLatin1String("email_send")));
        QVERIFY(pausedNames(tdb.config()).isEmpty());

        // While every type is paused, resuming one would change nothing: refused with the reason.
        QVERIFY(service.setPaused(kAllJobTypes, true, test::adminActor(QStringLiteral("alice"))).ok());
        auto one = service.setPaused(QStringLiteral("email_send"), false, kActor);
        QVERIFY(!one.ok());
        QCOMPARE(one.error().code, Error::Code::Conflict);
        QVERIFY2(one.error().message.contains(QLatin1String("Every job type is paused (by alice")),
                 qPrintable(one.error().message));
        QCOMPARE(pausedNames(tdb.config()), QStringList{kAllJobTypes});
    }

    void claimableTypes()
    {
        const QStringList types{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
        QCOMPARE(PausedTypeStore::claimable(types, {}), types);
        QCOMPARE(PausedTypeStore::claimable(types, {PausedType{QStringLiteral("b"), {}, 0}}),
                 (QStringList{QStringLiteral("a"), QStringLiteral("c")}));
        QCOMPARE(PausedTypeStore::claimable(types, {PausedType{QStringLiteral("x"), {}, 0}}), types);
        QVERIFY(PausedTypeStore::claimable(types, {PausedType{kAllJobTypes, {}, 0}}).isEmpty());
        const QList<PausedType> paused{PausedType{kAllJobTypes, QStringLiteral("root"), 1},
                                       PausedType{QStringLiteral("b"), QStringLiteral("bob"), 2}};
        // "All types" holds every type back, those paused on their own too.
        QCOMPARE(PausedTypeStore::pauseOf(paused, QStringLiteral("b"))->pausedBy, QStringLiteral("root"));
        QCOMPARE(PausedTypeStore::pauseOf(paused, QStringLiteral("a"))->pausedBy, QStringLiteral("root"));
        QCOMPARE(PausedTypeStore::pauseOf(paused.mid(1), QStringLiteral("b"))->pausedBy,
                 QStringLiteral("bob"));
        QVERIFY(!PausedTypeStore::pauseOf({}, QStringLiteral("a")));
    }

    // An in-process pool: jobs queued before the pool starts, jobs enqueued while paused, a running
    // job of the type when it is paused; the other type runs all along; resume claims at once.
    void poolHoldsPausedTypeUntilResumed()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService jobs{JobStore(tdb.config())};
        PauseService pauses(tdb.config());

        // Paused before any worker runs: these wait from the start.
        QVERIFY(pauses.setPaused(QStringLiteral("test.sleep"), true, kActor).ok());
        QList<qint64> held;
        for (int i = 0; i < 3; ++i)
            held << enqueue(jobs, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 1}});

        WorkerPool pool(poolOptions(tdb.config()), diagnostics());
        QSignalSpy applied(&pool, &WorkerPool::pausedTypesApplied);
        pool.start();
        QTRY_VERIFY_WITH_TIMEOUT(pool.isRunning(), 15'000);
        QTRY_COMPARE_WITH_TIMEOUT(applied.size(), 1, 10'000);
        QCOMPARE(applied.last().first().toStringList(), QStringList{QStringLiteral("test.sleep")});

        QList<qint64> others;
        for (int i = 0; i < 5; ++i)
            others << enqueue(jobs, QStringLiteral("test.noop"));
        held << enqueue(jobs, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 1}}); // new while paused
        QTRY_COMPARE_WITH_TIMEOUT(countWithStatus(tdb.config(), others, QStringLiteral("completed")), 5,
                                  15'000);
        QCOMPARE(countWithStatus(tdb.config(), held, QStringLiteral("queued")), int(held.size()));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_attempts"),
                          QStringLiteral("job_id IN (%1)").arg(Sql::idList(held))),
                 qint64(0));

        // Resume: claimed at once (the poll is ten minutes away).
        QVERIFY(pauses.setPaused(QStringLiteral("test.sleep"), false, kActor).ok());
        QTRY_COMPARE_WITH_TIMEOUT(countWithStatus(tdb.config(), held, QStringLiteral("completed")),
                                  int(held.size()), 15'000);

        // Paused while one of its jobs runs: the running one finishes, the next waits.
        const qint64 running = enqueue(jobs, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 1500}});
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb.config(), running), QStringLiteral("processing"), 15'000);
        applied.clear();
        QVERIFY(pauses.setPaused(QStringLiteral("test.sleep"), true, kActor).ok());
        QTRY_COMPARE_WITH_TIMEOUT(applied.size(), 1, 10'000);
        const qint64 next = enqueue(jobs, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 1}});
        const qint64 other = enqueue(jobs, QStringLiteral("test.noop"));
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb.config(), running), QStringLiteral("completed"), 15'000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb.config(), other), QStringLiteral("completed"), 15'000);
        QCOMPARE(statusOf(tdb.config(), next), QStringLiteral("queued"));

        // Pause all holds every type; resume all releases them.
        applied.clear();
        QVERIFY(pauses.setPaused(kAllJobTypes, true, kActor).ok());
        QTRY_COMPARE_WITH_TIMEOUT(applied.size(), 1, 10'000);
        const qint64 noop = enqueue(jobs, QStringLiteral("test.noop"));
        QVERIFY(pauses.setPaused(kAllJobTypes, false, kActor).ok());
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb.config(), noop), QStringLiteral("completed"), 15'000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb.config(), next), QStringLiteral("completed"), 15'000);
        pool.stopAndWait(5000);
    }

    // Two real worker processes: hcmctl pauses a type; both hold its jobs (queued before, enqueued
    // while paused) while the other type runs and the running job of the paused type finishes; hcmctl
    // resumes it and both start its jobs at once (their poll is an hour away).
    void pauseHoldsJobsInTwoWorkerProcesses()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!QFile::exists(programPath(QStringLiteral("hcm-worker"))) ||
            !QFile::exists(programPath(QStringLiteral("hcmctl"))))
            QFAIL("hcm-worker and hcmctl must be built");
        JobService jobs{JobStore(tdb.config())};
        const QStringList ids{QStringLiteral("pause-a"), QStringLiteral("pause-b")};
        std::vector<std::unique_ptr<QProcess>> workers;
        for (const QString &id : ids)
            workers.push_back(startWorker(tdb, id));
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("workers"), QStringLiteral("stopped_at IS NULL")),
            qint64(2), 20'000);

        // A job of the type that runs when the pause comes.
        const qint64 running = enqueue(jobs, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 2000}});
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb.config(), running), QStringLiteral("processing"), 15'000);

        Run r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("pause"), QStringLiteral("test.sleep")});
        QVERIFY2(r.code == 0, describe(r).constData());
        QVERIFY2(r.out.contains(QLatin1String("test.sleep paused")), describe(r).constData());
        // Each worker says when it holds the type back.
        const QString pausedLine = QStringLiteral("paused job types: test.sleep -");
        for (const QString &id : ids)
            QTRY_VERIFY2_WITH_TIMEOUT(occurrences(workerLog(tdb, id), pausedLine) == 1,
                                      qPrintable(id + QStringLiteral(": ") + workerLog(tdb, id)), 15'000);

        QList<qint64> held;
        QList<qint64> others;
        for (int i = 0; i < 6; ++i)
            held << enqueue(jobs, QStringLiteral("test.sleep"), {{QStringLiteral("ms"), 1}});
        for (int i = 0; i < 40; ++i)
            others << enqueue(jobs, QStringLiteral("test.noop"));
        QTRY_COMPARE_WITH_TIMEOUT(countWithStatus(tdb.config(), others, QStringLiteral("completed")),
                                  int(others.size()), 20'000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(tdb.config(), running), QStringLiteral("completed"), 15'000);
        QCOMPARE(countWithStatus(tdb.config(), held, QStringLiteral("queued")), int(held.size()));

        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("counts"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, describe(r).constData());
        const QJsonArray paused =
            QJsonDocument::fromJson(r.out.toUtf8()).object().value(QLatin1String("paused_types")).toArray();
        QCOMPARE(paused.size(), 1);
        QCOMPARE(paused.first().toObject().value(QLatin1String("type")).toString(),
                 QStringLiteral("test.sleep"));
        // hcmctl acts as the identity it resolved: the OS user on SQLite, the login on PostgreSQL.
        QCOMPARE(paused.first().toObject().value(QLatin1String("paused_by")).toString(),
                 resolveIdentity(tdb.config()).value().name);

        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("resume"), QStringLiteral("test.sleep"),
                         QStringLiteral("--json")});
        QVERIFY2(r.code == 0, describe(r).constData());
        const QJsonObject resumed = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(resumed.value(QLatin1String("changed")).toBool(), true);
        QCOMPARE(resumed.value(QLatin1String("paused_types")).toArray().size(), 0);
        // Both processes learn it from the database at once (NOTIFY, or the commit they watch for).
        for (const QString &id : ids)
            QTRY_VERIFY2_WITH_TIMEOUT(workerLog(tdb, id).contains(QLatin1String("paused job types: none")),
                                      qPrintable(id + QStringLiteral(": ") + workerLog(tdb, id)), 15'000);
        QTRY_COMPARE_WITH_TIMEOUT(countWithStatus(tdb.config(), held, QStringLiteral("completed")),
                                  int(held.size()), 20'000);

        for (auto &w : workers) {
            w->terminate();
            QVERIFY(w->waitForFinished(20'000));
            QCOMPARE(w->exitCode(), 0);
        }
    }

    // hcmctl: pause and resume round trip, --all, and usage errors that change nothing.
    void hcmctlPauseAndResume()
    {
        HCM_TEMP_DATABASE(tdb);
        Run r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("pause"), QStringLiteral("email_send")});
        QVERIFY2(r.code == 0, describe(r).constData());
        QCOMPARE(pausedNames(tdb.config()), QStringList{QStringLiteral("email_send")});
        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("pause"), QStringLiteral("email_send")});
        QVERIFY2(r.code == 0 && r.out.contains(QStringLiteral("was paused already (by %1 at")
                                                   .arg(resolveIdentity(tdb.config()).value().name)),
                 describe(r).constData());

        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("counts")});
        QVERIFY2(r.code == 0 && r.out.contains(QStringLiteral("paused: email_send (by %1 at")
                                                   .arg(resolveIdentity(tdb.config()).value().name)),
                 describe(r).constData());

        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("pause"), QStringLiteral("--all"),
                         QStringLiteral("--json")});
        QVERIFY2(r.code == 0, describe(r).constData());
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8())
                     .object()
                     .value(QLatin1String("paused_types"))
                     .toArray()
                     .size(),
                 2);

        // Refused: each with its reason, nothing changed.
        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("resume"), QStringLiteral("email_send")});
        QVERIFY2(r.code == 1 && r.err.contains(QLatin1String("resume all types")), describe(r).constData());
        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("pause"), QStringLiteral("no_such_type")});
        QVERIFY2(r.code == 1 && r.err.contains(QLatin1String("Unknown job type \"no_such_type\"")),
                 describe(r).constData());
        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("pause")});
        QVERIFY2(r.code == 2 && r.err.contains(QLatin1String("or --all")), describe(r).constData());
        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("pause"), QStringLiteral("email_send"),
                         QStringLiteral("--all")});
        QVERIFY2(r.code == 2 && r.err.contains(QLatin1String("not both")), describe(r).constData());
        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("resume"), QStringLiteral("*")});
        QVERIFY2(r.code == 2 && r.err.contains(QLatin1String("--all")), describe(r).constData());
        QCOMPARE(pausedNames(tdb.config()), (QStringList{kAllJobTypes, QStringLiteral("email_send")}));

        r = hcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("resume"), QStringLiteral("--all")});
        QVERIFY2(r.code == 0 && r.out.contains(QLatin1String("every job type resumed")),
                 describe(r).constData());
        QVERIFY(pausedNames(tdb.config()).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestPause)
#include "tst_pause.moc"
