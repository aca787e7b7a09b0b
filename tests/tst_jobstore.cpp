// The job store and service on SQLite and PostgreSQL: every status × action, validation, backoff
// through an injectable clock, leases and fencing, claim races between threads. The migrations and
// upgrades of old databases are tst_migrations'.
// Over 800 lines on purpose: one suite per component, so that its shared fixtures (databases of both
// backends, servers, processes) are set up once; each test function is self-contained.

#include "testutil.h"

#include "db/database.h"
#include "db/migrator.h"
#include "db/sqlitestatement.h"
#include "jobs/jobimport.h"
#include "jobs/jobrules.h"
#include "jobs/jobservice.h"
#include "jobs/jobstatsstore.h"
#include "jobs/jobtypes.h"

#include <QBuffer>
#include <QFile>
#include <QJsonDocument>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <latch>

using namespace hcm;
using namespace hcm::test;

namespace {

const QString kWorker = QStringLiteral("worker-a");
const Actor kActor = test::adminActor(QStringLiteral("tester"));

qint64 enqueue(JobService &service, const QString &type, const QJsonObject &payload = {}, int maxRetries = 3,
               JobPriority priority = JobPriority::Normal, std::optional<qint64> runAt = std::nullopt)
{
    NewJob job;
    job.type = type;
    job.payload = payload;
    job.maxRetries = maxRetries;
    job.priority = priority;
    job.runAt = runAt;
    auto id = service.enqueue(job, kActor);
    if (!id) {
        qWarning("enqueue failed: %s", qPrintable(id.error().message));
        return -1;
    }
    return id.value();
}

// Puts a job into `status` the way the system would: a claim for processing, an outcome for the rest.
void driveTo(JobStore &store, qint64 id, JobStatus status)
{
    if (status == JobStatus::Queued)
        return;
    auto claimed = store.claim(kWorker, 1, 30000, {QStringLiteral("test.noop")});
    QVERIFY2(claimed.ok(), claimed.ok() ? "" : qPrintable(claimed.error().message));
    QCOMPARE(claimed->size(), 1);
    QCOMPARE(claimed->first().id, id);
    if (status == JobStatus::Processing)
        return;
    JobOutcome o;
    o.id = id;
    o.attempt = claimed->first().attempt;
    o.kind = status == JobStatus::Completed   ? JobOutcome::Kind::Completed
             : status == JobStatus::Cancelled ? JobOutcome::Kind::Cancelled
                                              : JobOutcome::Kind::Failed;
    o.retryable = false;
    o.error = status == JobStatus::Completed ? QString() : QStringLiteral("boom");
    auto report = store.finish(kWorker, {o});
    QVERIFY(report.ok());
    QCOMPARE(report->applied.size(), 1);
    QCOMPARE_ENUM(report->applied.first().status, status);
}

} // namespace

class TestJobStore : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase()
    {
        JobTypeCatalog::enableTestTypes();
        (void)QSqlDatabase::drivers();
    }
    void cleanup() { Database::closeThreadConnections(); }

    void notADatabaseGivesClearError()
    {
        QFETCH_GLOBAL(QString, backend);
        if (backend == QLatin1String("postgresql")) {
            // A server that does not answer, and a database that does not exist: both say which.
            DbConfig closed = DbConfig::postgresFromEnvironment(QStringLiteral("hcm_nowhere"));
            closed.host = QStringLiteral("127.0.0.1");
            closed.port = 1; // nothing listens there
            const Status down = Database::openAndMigrate(closed);
            QVERIFY(!down.ok());
            QVERIFY2(down.error().message.contains(QLatin1String("Cannot connect to PostgreSQL")),
                     qPrintable(down.error().message));
            QVERIFY2(down.error().message.contains(QLatin1String("127.0.0.1:1/hcm_nowhere")),
                     qPrintable(down.error().message));
            HCM_REQUIRE_POSTGRES_OR_SKIP();
            const Status missing = Database::openAndMigrate(
                DbConfig::postgresFromEnvironment(QStringLiteral("hcm_no_such_database")));
            QVERIFY(!missing.ok());
            QVERIFY2(missing.error().message.contains(QLatin1String("hcm_no_such_database")),
                     qPrintable(missing.error().message));
            QVERIFY2(
                !missing.error().message.contains(qEnvironmentVariable("PGPASSWORD", QStringLiteral("\x01"))),
                "the password leaked into a message");
            return;
        }
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("garbage.sqlite"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QByteArray junk(8192, '\0');
        for (int i = 0; i < junk.size(); ++i)
            junk[i] = char((i * 7919) % 251);
        f.write(junk);
        f.close();
        const Status st = Database::openAndMigrate(DbConfig::sqlite(path));
        QVERIFY(!st.ok());
        QVERIFY2(st.error().message.contains(QLatin1String("is not an SQLite database file")),
                 qPrintable(st.error().message));

        const Status dirStatus = Database::openAndMigrate(DbConfig::sqlite(dir.path()));
        QVERIFY(!dirStatus.ok());
        QVERIFY2(dirStatus.error().message.contains(QLatin1String("folder")),
                 qPrintable(dirStatus.error().message));
    }

    void databaseAddressesAreParsed()
    {
        QFETCH_GLOBAL(QString, backend);
        if (backend != QLatin1String("sqlite"))
            QSKIP("parsing is backend-independent: checked once");
        // The suite's own PG* variables come back at the end of this test.
        struct EnvGuard {
            QHash<QByteArray, QByteArray> saved;
            EnvGuard()
            {
                for (const char *n : {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"})
                    saved.insert(n, qgetenv(n));
            }
            ~EnvGuard()
            {
                for (auto it = saved.cbegin(); it != saved.cend(); ++it) {
                    if (it.value().isEmpty())
                        qunsetenv(it.key().constData());
                    else
                        qputenv(it.key().constData(), it.value());
                }
            }
        } guard;
        qputenv("PGHOST", "envhost");
        qputenv("PGPORT", "6543");
        qputenv("PGUSER", "envuser");
        qputenv("PGPASSWORD", "envsecret");
        qputenv("PGDATABASE", "envdb");
        const auto full = DbConfig::parse(
            QStringLiteral("postgresql://alice:s%40cret@db.example:5999/hcm?sslmode=require"));
        QVERIFY(full.ok());
        QVERIFY(full->isPostgres());
        QCOMPARE(full->host, QStringLiteral("db.example"));
        QCOMPARE(full->port, 5999);
        QCOMPARE(full->user, QStringLiteral("alice"));
        QCOMPARE(full->password, QStringLiteral("s@cret"));
        QCOMPARE(full->databaseName, QStringLiteral("hcm"));
        QCOMPARE(full->connectOptions, QStringLiteral("sslmode=require"));
        QVERIFY(!full->displayName().contains(QLatin1String("cret")));
        QVERIFY(!full->spec().contains(QLatin1String("cret")));
        const auto bare = DbConfig::parse(QStringLiteral("postgresql://"));
        QVERIFY(bare.ok());
        QCOMPARE(bare->host, QStringLiteral("envhost"));
        QCOMPARE(bare->port, 6543);
        QCOMPARE(bare->user, QStringLiteral("envuser"));
        QCOMPARE(bare->password, QStringLiteral("envsecret"));
        QCOMPARE(bare->databaseName, QStringLiteral("envdb"));
        const auto named = DbConfig::parse(QStringLiteral("postgres:///other"));
        QVERIFY(named.ok());
        QCOMPARE(named->databaseName, QStringLiteral("other"));
        QCOMPARE(named->host, QStringLiteral("envhost"));
        const auto again = DbConfig::parse(named->spec());
        QVERIFY(again.ok());
        QCOMPARE(again->key(), named->key());
        QVERIFY(!DbConfig::parse(QStringLiteral("mysql://x/y")).ok());
        QVERIFY(DbConfig::parse(QStringLiteral("relative/file.sqlite"))->isSqlite());
    }

    void enqueueAndGetRoundTrip()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobService service{JobStore(tdb.config(), clock)};
        const qint64 id = enqueue(service, QStringLiteral("cache_flush"),
                                  {{QStringLiteral("action"), QStringLiteral("full")}}, 5, JobPriority::High);
        QVERIFY(id > 0);
        auto job = service.get(id);
        QVERIFY(job.ok());
        QCOMPARE(job->type, QStringLiteral("cache_flush"));
        QCOMPARE_ENUM(job->status, JobStatus::Queued);
        QCOMPARE_ENUM(job->priority, JobPriority::High);
        QCOMPARE(job->maxRetries, 5);
        QCOMPARE(job->createdAt, clock->nowMs());
        QCOMPARE(job->runAt, clock->nowMs());
        QCOMPARE(job->createdBy, kActor.name);
        QCOMPARE(job->payload.value(QStringLiteral("action")).toString(), QStringLiteral("full"));
        const QJsonObject json = job->toJson();
        QCOMPARE(json.value(QStringLiteral("id")).toString(), QStringLiteral("job_%1").arg(id));
        QCOMPARE(json.value(QStringLiteral("priority")).toString(), QStringLiteral("high"));
        QCOMPARE(json.value(QStringLiteral("status")).toString(), QStringLiteral("queued"));
        QVERIFY(json.value(QStringLiteral("created_at")).toString().endsWith(QLatin1Char('Z')));
        QVERIFY(json.value(QStringLiteral("result")).isNull());
    }

    void badInputChangesNothing_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("priority");
        QTest::addColumn<QString>("payload");
        QTest::addColumn<QString>("maxRetries");
        QTest::addColumn<QString>("runAt");
        QTest::addColumn<QString>("expected");
        const QString ok = QStringLiteral("{\"action\":\"full\"}");
        const auto row = [](const char *name, const char *type, const char *priority, const QString &payload,
                            const char *maxRetries, const char *runAt, const char *expected) {
            QTest::newRow(name) << QString::fromUtf8(type) << QString::fromUtf8(priority) << payload
                                << QString::fromUtf8(maxRetries) << QString::fromUtf8(runAt)
                                << QString::fromUtf8(expected);
        };
        row("malformed json", "cache_flush", "", QStringLiteral("{\"action\": \"full\",\n \"x\": }"), "", "",
            "line 2, column");
        row("array payload", "cache_flush", "", QStringLiteral("[1,2]"), "", "", "must be a JSON object");
        row("scalar payload", "cache_flush", "", QStringLiteral("42"), "", "", "must be a JSON object");
        row("1 MiB payload", "cache_flush", "",
            QStringLiteral("{\"action\":\"full\",\"pad\":\"%1\"}").arg(QString(1 << 20, QLatin1Char('x'))),
            "", "", "limit is 256 KiB");
        row("unknown type", "send_rockets", "", ok, "", "", "Unknown job type \"send_rockets\"");
        row("empty type", "", "", ok, "", "", "Unknown job type");
        row("priority urgent", "cache_flush", "urgent", ok, "", "", "Unknown priority \"urgent\"");
        row("max_retries -1", "cache_flush", "", ok, "-1", "", "max_retries must be from 0 to 25");
        row("max_retries 26", "cache_flush", "", ok, "26", "", "max_retries must be from 0 to 25");
        row("max_retries text", "cache_flush", "", ok, "three", "", "whole number");
        row("bad run_at", "cache_flush", "", ok, "", "tomorrow", "not a date and time");
        row("run_at 9999-12-31", "cache_flush", "", ok, "", "9999-12-31", "more than 10 years ahead");
        row("bad action", "cache_flush", "", QStringLiteral("{\"action\":\"most\"}"), "", "",
            "must be one of: full, expired");
        row("unknown field", "cleanup", "", QStringLiteral("{\"tpye\":\"all\"}"), "", "",
            "unknown payload field \"tpye\"");
        row("sql in type", "x'); DROP TABLE background_jobs; --", "", ok, "", "", "Unknown job type");
        row("bad email", "email_send", "", QStringLiteral("{\"to\":\"nobody\",\"subject\":\"s\"}"), "", "",
            "not an email address");
    }

    void badInputChangesNothing()
    {
        QFETCH(QString, type);
        QFETCH(QString, priority);
        QFETCH(QString, payload);
        QFETCH(QString, maxRetries);
        QFETCH(QString, runAt);
        QFETCH(QString, expected);
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        QVERIFY(enqueue(service, QStringLiteral("test.noop")) > 0); // something to compare against
        const QString before = snapshot(tdb.config());
        auto parsed = JobService::parse(type, priority, payload, maxRetries, runAt);
        if (parsed) {
            // Parsing passed: the service must still refuse it.
            auto id = service.enqueue(parsed.value(), kActor);
            QVERIFY2(!id.ok(), "bad input was accepted");
            QVERIFY2(id.error().message.contains(expected), qPrintable(id.error().message));
        } else {
            QVERIFY2(parsed.error().message.contains(expected), qPrintable(parsed.error().message));
            QCOMPARE(parsed.error().code, Error::Code::Invalid);
        }
        QCOMPARE(snapshot(tdb.config()), before);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), qint64(1));
    }

    void batchEnqueueIsAllOrNothing()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        NewJob good;
        good.type = QStringLiteral("test.noop");
        NewJob bad;
        bad.type = QStringLiteral("nope");
        auto r = service.enqueueMany({good, good, bad}, kActor);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.startsWith(QLatin1String("Job 3 of 3")), qPrintable(r.error().message));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), qint64(0));
        auto ok = service.enqueueMany({good, good, good}, kActor);
        QVERIFY(ok.ok());
        QCOMPARE(ok->size(), 3);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), qint64(3));
    }

    // A start time may lie at most ten years ahead of the service's clock: the latest allowed moment is
    // accepted, a millisecond later is refused with a message naming the limit, and nothing is written.
    void runAtIsCappedTenYearsAhead()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobService service{JobStore(tdb.config(), clock)};
        const qint64 latest = QDateTime::fromMSecsSinceEpoch(clock->nowMs(), Qt::UTC)
                                  .addYears(JobService::kMaxScheduleYears)
                                  .toMSecsSinceEpoch();
        NewJob job;
        job.type = QStringLiteral("test.noop");
        job.runAt = latest + 1;
        auto refused = service.enqueue(job, kActor);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, Error::Code::Invalid);
        QVERIFY2(refused.error().message.contains(QLatin1String("more than 10 years ahead")),
                 qPrintable(refused.error().message));
        QVERIFY2(refused.error().message.contains(isoUtc(latest)), qPrintable(refused.error().message));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), qint64(0));
        job.runAt = latest;
        auto accepted = service.enqueue(job, kActor);
        QVERIFY2(accepted.ok(), qPrintable(accepted ? QString() : accepted.error().message));
        QCOMPARE(service.get(accepted.value())->runAt, latest);
        // The same limit through the text a person types (hcmctl --run-at, the new-job dialog).
        auto parsed = JobService::parse(QStringLiteral("test.noop"), {}, {}, {},
                                        QStringLiteral("9999-12-31T00:00:00Z"));
        QVERIFY(!parsed.ok());
        QVERIFY2(parsed.error().message.contains(QLatin1String("more than 10 years ahead")),
                 qPrintable(parsed.error().message));
    }

    // Every status × every action: the outcome and the status afterwards.
    void stateTransitions_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("action");
        QTest::addColumn<bool>("allowed");
        QTest::addColumn<int>("after");
        QTest::addColumn<QString>("reason");
        enum { Cancel, Retry, Delete, Duplicate };
        using S = JobStatus;
        const auto row = [](const char *name, S s, int a, bool ok, S after, const char *reason) {
            QTest::newRow(name) << int(s) << a << ok << int(after) << QString::fromLatin1(reason);
        };
        row("queued/cancel", S::Queued, Cancel, true, S::Cancelled, "");
        row("queued/retry", S::Queued, Retry, true, S::Queued, "");
        row("queued/delete", S::Queued, Delete, false, S::Queued, "only finished jobs can be deleted");
        row("queued/duplicate", S::Queued, Duplicate, true, S::Queued, "");
        row("processing/cancel", S::Processing, Cancel, true, S::Processing, "");
        row("processing/retry", S::Processing, Retry, false, S::Processing, "running now");
        row("processing/delete", S::Processing, Delete, false, S::Processing,
            "only finished jobs can be deleted");
        row("processing/duplicate", S::Processing, Duplicate, true, S::Processing, "");
        row("completed/cancel", S::Completed, Cancel, false, S::Completed,
            "finished jobs cannot be cancelled");
        row("completed/retry", S::Completed, Retry, false, S::Completed, "duplicate it to run it again");
        row("completed/delete", S::Completed, Delete, true, S::Completed, "");
        row("completed/duplicate", S::Completed, Duplicate, true, S::Completed, "");
        row("failed/cancel", S::Failed, Cancel, false, S::Failed, "finished jobs cannot be cancelled");
        row("failed/retry", S::Failed, Retry, true, S::Queued, "");
        row("failed/delete", S::Failed, Delete, true, S::Failed, "");
        row("failed/duplicate", S::Failed, Duplicate, true, S::Failed, "");
        row("cancelled/cancel", S::Cancelled, Cancel, false, S::Cancelled,
            "finished jobs cannot be cancelled");
        row("cancelled/retry", S::Cancelled, Retry, true, S::Queued, "");
        row("cancelled/delete", S::Cancelled, Delete, true, S::Cancelled, "");
        row("cancelled/duplicate", S::Cancelled, Duplicate, true, S::Cancelled, "");
    }

    void stateTransitions()
    {
        QFETCH(int, status);
        QFETCH(int, action);
        QFETCH(bool, allowed);
        QFETCH(int, after);
        QFETCH(QString, reason);
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        const qint64 id = enqueue(service, QStringLiteral("test.noop"));
        driveTo(service.store(), id, JobStatus(status));
        if (QTest::currentTestFailed())
            return;
        const QString before = snapshot(tdb.config());

        bool ok = false;
        QString message;
        switch (action) {
        case 0:
        case 1:
        case 2: {
            const auto results = action == 0   ? service.cancel({id}, kActor)
                                 : action == 1 ? service.retryNow({id}, kActor)
                                               : service.deleteFinished({id}, kActor);
            QCOMPARE(results.size(), 1);
            ok = results.first().ok;
            message = results.first().message;
            break;
        }
        case 3: {
            auto copy = service.duplicate(id, kActor);
            ok = copy.ok();
            QVERIFY(copy.ok());
            auto job = service.get(copy.value());
            QCOMPARE_ENUM(job->status, JobStatus::Queued);
            QCOMPARE(job->type, QStringLiteral("test.noop"));
            break;
        }
        }
        QCOMPARE(ok, allowed);
        // The rules the UI uses to enable menu entries agree with what the store did.
        const JobAction ruleAction = std::array{JobAction::Cancel, JobAction::RetryNow, JobAction::Delete,
                                                JobAction::Duplicate}[size_t(action)];
        QCOMPARE(JobRules::allows(ruleAction, JobStatus(status)), allowed);
        if (!allowed) {
            QVERIFY2(message.contains(reason), qPrintable(message));
            QVERIFY(message.startsWith(QStringLiteral("job_%1").arg(id)));
            QCOMPARE(snapshot(tdb.config()), before);
        }
        if (action == 2 && allowed) {
            QVERIFY(!service.get(id).ok());
            QCOMPARE(service.get(id).error().code, Error::Code::NotFound);
            QCOMPARE(
                rowCount(tdb.config(), QStringLiteral("job_attempts"), QStringLiteral("job_id = %1").arg(id)),
                qint64(0));
        } else {
            auto job = service.get(id);
            QVERIFY(job.ok());
            QCOMPARE(int(job->status), after);
            if (JobStatus(status) == JobStatus::Processing && action == 0)
                QVERIFY(job->cancelRequested);
            if (action == 1 && allowed)
                QCOMPARE(job->retryCount, 0);
        }
    }

    void actionsOnMissingJobs()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        for (const auto &results : {service.cancel({4242}, kActor), service.retryNow({4242}, kActor),
                                    service.deleteFinished({4242}, kActor)}) {
            QCOMPARE(results.size(), 1);
            QVERIFY(!results.first().ok);
            QCOMPARE(results.first().message, QStringLiteral("job_4242 does not exist"));
        }
        QVERIFY(!service.duplicate(4242, kActor).ok());
    }

    void claimOrderIsPriorityThenRunAtThenId()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobService service{JobStore(tdb.config(), clock)};
        const qint64 now = clock->nowMs();
        const qint64 low = enqueue(service, QStringLiteral("test.noop"), {}, 3, JobPriority::Low);
        const qint64 normalLate =
            enqueue(service, QStringLiteral("test.noop"), {}, 3, JobPriority::Normal, now - 10);
        const qint64 normalEarly =
            enqueue(service, QStringLiteral("test.noop"), {}, 3, JobPriority::Normal, now - 20);
        const qint64 critical = enqueue(service, QStringLiteral("test.noop"), {}, 3, JobPriority::Critical);
        const qint64 high = enqueue(service, QStringLiteral("test.noop"), {}, 3, JobPriority::High);
        const qint64 future =
            enqueue(service, QStringLiteral("test.noop"), {}, 3, JobPriority::Critical, now + 60000);
        QList<qint64> order;
        for (int i = 0; i < 6; ++i) {
            auto c = service.store().claim(kWorker, 1, 30000, {QStringLiteral("test.noop")});
            QVERIFY(c.ok());
            if (c->isEmpty())
                break;
            order.append(c->first().id);
        }
        QCOMPARE(order, (QList<qint64>{critical, high, normalEarly, normalLate, low}));
        Q_UNUSED(future)
        // Types this worker cannot run are left for others.
        const qint64 other = enqueue(service, QStringLiteral("cache_flush"));
        auto c = service.store().claim(kWorker, 10, 30000, {QStringLiteral("test.noop")});
        QVERIFY(c->isEmpty());
        c = service.store().claim(kWorker, 10, 30000, {QStringLiteral("cache_flush")});
        QCOMPARE(c->size(), 1);
        QCOMPARE(c->first().id, other);
    }

    // A job that always fails retries after 2, 4 and 8 minutes, then fails with every attempt's error.
    void backoffScheduleTwoFourEight()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobStore store(tdb.config(), clock);
        JobService service{store};
        const qint64 id =
            enqueue(service, QStringLiteral("test.fail"), {{QStringLiteral("message"), QStringLiteral("x")}});
        const QStringList types{QStringLiteral("test.fail")};
        const QList<int> delaysMinutes{2, 4, 8};
        for (int attempt = 1; attempt <= 4; ++attempt) {
            auto claimed = store.claim(kWorker, 5, 30000, types);
            QVERIFY(claimed.ok());
            QCOMPARE(claimed->size(), 1);
            QCOMPARE(claimed->first().attempt, attempt);
            clock->advanceMs(1500); // the handler ran for 1.5 s
            JobOutcome o{id,
                         attempt,
                         JobOutcome::Kind::Failed,
                         {},
                         QStringLiteral("error of attempt %1").arg(attempt),
                         true,
                         0,
                         clock->nowMs()};
            auto report = store.finish(kWorker, {o});
            QVERIFY(report.ok());
            QCOMPARE(report->applied.size(), 1);
            const JobTransition t = report->applied.first();
            if (attempt <= 3) {
                QCOMPARE_ENUM(t.status, JobStatus::Queued);
                QCOMPARE(t.retryCount, attempt);
                const qint64 delay = qint64(delaysMinutes.at(attempt - 1)) * 60'000;
                QCOMPARE(t.runAt, clock->nowMs() + delay);
                // Not due a millisecond early…
                clock->advanceMs(delay - 1);
                QVERIFY(store.claim(kWorker, 5, 30000, types)->isEmpty());
                // …and due on time.
                clock->advanceMs(1);
            } else {
                QCOMPARE_ENUM(t.status, JobStatus::Failed);
                QCOMPARE(t.retryCount, 3);
            }
        }
        auto job = service.get(id);
        QCOMPARE_ENUM(job->status, JobStatus::Failed);
        QCOMPARE(job->errorMessage, QStringLiteral("error of attempt 4"));
        QCOMPARE(job->attemptList.size(), 4);
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(job->attemptList.at(i).attempt, i + 1);
            QCOMPARE(job->attemptList.at(i).outcome, QStringLiteral("failed"));
            QCOMPARE(job->attemptList.at(i).error, QStringLiteral("error of attempt %1").arg(i + 1));
        }
        // The gaps between attempt starts: 2, 4 and 8 minutes after each failure.
        for (int i = 1; i < 4; ++i) {
            const qint64 gap = job->attemptList.at(i).startedAt - job->attemptList.at(i - 1).finishedAt;
            QCOMPARE(gap, qint64(delaysMinutes.at(i - 1)) * 60'000);
        }
        // The UI's prediction agrees with the store.
        const QList<qint64> predicted = RetryPolicy{}.predictedRetries(0, 0, 3);
        QCOMPARE(predicted, (QList<qint64>{120'000, 360'000, 840'000}));
    }

    void permanentFailureSkipsRetries()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        JobService service{store};
        const qint64 id = enqueue(service, QStringLiteral("test.fail"));
        auto claimed = store.claim(kWorker, 1, 30000, {QStringLiteral("test.fail")});
        JobOutcome o{id, 1, JobOutcome::Kind::Failed, {}, QStringLiteral("bad config"), false, 0, 0};
        auto report = store.finish(kWorker, {o});
        QCOMPARE_ENUM(report->applied.first().status, JobStatus::Failed);
        QCOMPARE(report->applied.first().retryCount, 0);
    }

    // The store's own messages (the reaper's, a cancel before the run) carry their codes; a failure's
    // code and arguments reach the job and its attempt; a row written without a code (by an older
    // program) reads back with none and shows its text.
    void storeMessagesCarryCodes()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobStore store(tdb.config(), clock);
        JobService service{store};
        const QStringList types{QStringLiteral("test.noop")};

        // A failure with a code: job and attempt.
        const qint64 failing = enqueue(service, QStringLiteral("test.noop"));
        QCOMPARE(store.claim(kWorker, 1, 1000, types)->size(), 1);
        const JobError error = JobError::make("log_rotate.open_folder",
                                              {{QStringLiteral("folder"), QStringLiteral("/var/log/hcm")},
                                               {QStringLiteral("reason"), QStringLiteral("EACCES")}});
        JobOutcome o{failing, 1, JobOutcome::Kind::Failed, {}, error.text, false, 0, 0};
        o.errorCode = error.code;
        o.errorArgs = error.args;
        QVERIFY(store.finish(kWorker, {o}).ok());
        auto job = service.get(failing);
        QVERIFY(job.ok());
        QCOMPARE(job->errorMessage, QStringLiteral("Cannot open the log folder /var/log/hcm: EACCES."));
        QCOMPARE(job->errorCode, QStringLiteral("log_rotate.open_folder"));
        QCOMPARE(job->errorArgs, error.args);
        QCOMPARE(job->attemptList.first().errorCode, QStringLiteral("log_rotate.open_folder"));
        QCOMPARE(job->attemptList.first().errorArgs, error.args);

        // The reaper: the job and the lost attempt.
        const qint64 lost = enqueue(service, QStringLiteral("test.noop"));
        QCOMPARE(store.claim(QStringLiteral("A"), 1, 1000, types)->size(), 1);
        QVERIFY(store.queue().markStarted(QStringLiteral("A"), {{lost, 1}}, false).ok());
        clock->advanceMs(2000);
        QCOMPARE(store.queue().reapExpired()->size(), 1);
        job = service.get(lost);
        QCOMPARE(job->errorCode, QStringLiteral("store.lease_expired"));
        QCOMPARE(job->errorMessage,
                 QStringLiteral("The worker running this job stopped responding (its lease expired)."));
        QCOMPARE(job->attemptList.first().errorCode, QStringLiteral("store.lease_expired"));

        // A cancel before the run names who cancelled, as an argument.
        const qint64 cancelled = enqueue(service, QStringLiteral("test.noop"));
        QVERIFY(service.cancel({cancelled}, kActor).first().ok);
        job = service.get(cancelled);
        QCOMPARE(job->errorCode, QStringLiteral("store.cancelled_before_run"));
        QCOMPARE(job->errorArgs.value(QStringLiteral("actor")).toString(), kActor.name);
        QCOMPARE(job->errorMessage, QStringLiteral("Cancelled by %1 before it ran.").arg(kActor.name));

        // A row without a code (written before migration 018): its text as it is.
        QVERIFY(test::execSql(
            tdb.config(), QStringLiteral("UPDATE background_jobs SET error_code = NULL, error_args = NULL, "
                                         "error_message = 'old text' WHERE id = %1")
                              .arg(failing)));
        job = service.get(failing);
        QVERIFY(job->errorCode.isEmpty());
        QCOMPARE(job->errorDetail().display(), QStringLiteral("old text"));
        // A text changed by hand keeps its stale code out of the way.
        QVERIFY(test::execSql(
            tdb.config(),
            QStringLiteral("UPDATE job_attempts SET error = 'edited' WHERE job_id = %1").arg(failing)));
        job = service.get(failing);
        QCOMPARE(job->attemptList.first().errorDetail().display(), QStringLiteral("edited"));
    }

    void expiredLeaseIsRescuedAndOldOwnerIsFenced()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobStore store(tdb.config(), clock);
        JobService service{store};
        const qint64 id = enqueue(service, QStringLiteral("test.noop"));
        const QStringList types{QStringLiteral("test.noop")};
        auto a = store.claim(QStringLiteral("A"), 1, 1000, types);
        QCOMPARE(a->size(), 1);
        QVERIFY(store.queue().markStarted(QStringLiteral("A"), {{id, 1}}, false).ok());
        // Heartbeats keep it alive…
        clock->advanceMs(900);
        QVERIFY(store.queue().heartbeat(QStringLiteral("A"), 1000, 1).ok());
        clock->advanceMs(900);
        QVERIFY(store.queue().reapExpired()->isEmpty());
        // …until they stop.
        clock->advanceMs(200);
        auto reaped = store.queue().reapExpired();
        QVERIFY(reaped.ok());
        QCOMPARE(reaped->size(), 1);
        QCOMPARE_ENUM(reaped->first().status, JobStatus::Queued);
        QCOMPARE(reaped->first().retryCount, 1);
        auto b = store.claim(QStringLiteral("B"), 1, 1000, types);
        QCOMPARE(b->size(), 1);
        QCOMPARE(b->first().attempt, 2);
        // A comes back from the dead: its late result must not overwrite B's ownership.
        auto late = store.finish(QStringLiteral("A"),
                                 {JobOutcome{id, 1, JobOutcome::Kind::Completed, {}, {}, true, 0, 0}});
        QVERIFY(late.ok());
        QCOMPARE(late->rejected, QList<qint64>{id});
        QCOMPARE_ENUM(service.get(id)->status, JobStatus::Processing);
        QCOMPARE(service.get(id)->workerId, QStringLiteral("B"));
        auto done = store.finish(
            QStringLiteral("B"),
            {JobOutcome{id, 2, JobOutcome::Kind::Completed, {{QStringLiteral("ok"), true}}, {}, true, 0, 0}});
        QCOMPARE(done->applied.size(), 1);
        auto job = service.get(id);
        QCOMPARE_ENUM(job->status, JobStatus::Completed);
        QCOMPARE(job->attemptList.size(), 2);
        QCOMPARE(job->attemptList.at(0).outcome, QStringLiteral("lost"));
        QCOMPARE(job->attemptList.at(0).workerId, QStringLiteral("A"));
        QCOMPARE(job->attemptList.at(1).outcome, QStringLiteral("completed"));
        QCOMPARE(job->attemptList.at(1).workerId, QStringLiteral("B"));
    }

    void reaperFailsJobsWithoutRetriesAndHonoursCancel()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobStore store(tdb.config(), clock);
        JobService service{store};
        const qint64 noRetry = enqueue(service, QStringLiteral("test.noop"), {}, 0);
        const qint64 cancelled = enqueue(service, QStringLiteral("test.noop"));
        QCOMPARE(store.claim(kWorker, 2, 1000, {QStringLiteral("test.noop")})->size(), 2);
        QVERIFY(store.queue().markStarted(kWorker, {{noRetry, 1}, {cancelled, 1}}, false).ok());
        QVERIFY(service.cancel({cancelled}, kActor).first().ok);
        clock->advanceMs(1001);
        QCOMPARE(store.queue().reapExpired()->size(), 2);
        QCOMPARE_ENUM(service.get(noRetry)->status, JobStatus::Failed);
        QCOMPARE_ENUM(service.get(cancelled)->status, JobStatus::Cancelled);
    }

    void heartbeatReportsCancelRequests()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        JobService service{store};
        const qint64 id = enqueue(service, QStringLiteral("test.noop"));
        QCOMPARE(store.claim(kWorker, 1, 30000, {QStringLiteral("test.noop")})->size(), 1);
        QVERIFY(store.queue().heartbeat(kWorker, 30000, 1)->isEmpty());
        QVERIFY(service.cancel({id}, kActor).first().ok);
        QCOMPARE(store.queue().heartbeat(kWorker, 30000, 1).value(), QList<qint64>{id});
        auto r = store.finish(
            kWorker,
            {JobOutcome{id, 1, JobOutcome::Kind::Cancelled, {}, QStringLiteral("stopped"), true, 0, 0}});
        QCOMPARE_ENUM(r->applied.first().status, JobStatus::Cancelled);
        QCOMPARE(service.get(id)->attemptList.first().outcome, QStringLiteral("cancelled"));
    }

    // A cancel that arrives while the handler fails with a retryable error wins: the job ends cancelled
    // instead of running again.
    void cancelWinsOverRetryableFailure()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        JobService service{store};
        const qint64 id = enqueue(service, QStringLiteral("test.fail"));
        QCOMPARE(store.claim(kWorker, 1, 30000, {QStringLiteral("test.fail")})->size(), 1);
        QVERIFY(service.cancel({id}, kActor).first().ok);
        auto r = store.finish(
            kWorker, {JobOutcome{id, 1, JobOutcome::Kind::Failed, {}, QStringLiteral("boom"), true, 0, 0}});
        QVERIFY(r.ok());
        QCOMPARE(r->applied.size(), 1);
        QCOMPARE_ENUM(r->applied.first().status, JobStatus::Cancelled);
        auto job = service.get(id);
        QCOMPARE_ENUM(job->status, JobStatus::Cancelled);
        QCOMPARE(job->retryCount, 0);
        QVERIFY(store.claim(kWorker, 1, 30000, {QStringLiteral("test.fail")})->isEmpty());
    }

    // The same worker claimed the job again after its own lease expired: the first run's late result
    // must not land on the second run.
    void staleAttemptOfTheSameWorkerIsFenced()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobStore store(tdb.config(), clock);
        JobService service{store};
        const qint64 id = enqueue(service, QStringLiteral("test.noop"));
        const QStringList types{QStringLiteral("test.noop")};
        QCOMPARE(store.claim(kWorker, 1, 1000, types)->first().attempt, 1);
        QVERIFY(store.queue().markStarted(kWorker, {{id, 1}}, false).ok());
        clock->advanceMs(1001);
        QCOMPARE(store.queue().reapExpired()->size(), 1);
        QCOMPARE(store.claim(kWorker, 1, 1000, types)->first().attempt, 2);
        auto late =
            store.finish(kWorker, {JobOutcome{id, 1, JobOutcome::Kind::Completed, {}, {}, true, 0, 0}});
        QVERIFY(late.ok());
        QCOMPARE(late->rejected, QList<qint64>{id});
        QCOMPARE_ENUM(service.get(id)->status, JobStatus::Processing);
        auto current =
            store.finish(kWorker, {JobOutcome{id, 2, JobOutcome::Kind::Completed, {}, {}, true, 0, 0}});
        QCOMPARE(current->applied.size(), 1);
        auto job = service.get(id);
        QCOMPARE_ENUM(job->status, JobStatus::Completed);
        QCOMPARE(job->attemptList.size(), 2);
        QCOMPARE(job->attemptList.at(0).outcome, QStringLiteral("lost"));
        QCOMPARE(job->attemptList.at(1).outcome, QStringLiteral("completed"));
    }

    void releaseReturnsUnstartedJobs()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        JobService service{store};
        const qint64 id = enqueue(service, QStringLiteral("test.noop"));
        QCOMPARE(store.claim(kWorker, 1, 30000, {QStringLiteral("test.noop")})->size(), 1);
        QCOMPARE(store.queue().release(kWorker, {id}).value(), 1);
        auto job = service.get(id);
        QCOMPARE_ENUM(job->status, JobStatus::Queued);
        QCOMPARE(job->attempts, 0);
        QCOMPARE(job->retryCount, 0);
        QCOMPARE(store.claim(kWorker, 1, 30000, {QStringLiteral("test.noop")})->first().attempt, 1);
    }

    // The reaper tells a job whose handler began from one that was only claimed: the first spends a
    // retry ('lost'; with none left it fails), the second goes back for free ('not_started', even with
    // max_retries 0). Start records are fenced by attempt, and a sweep drops those of finished runs.
    void rescueSpendsRetriesOnlyOnStartedJobs()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobStore store(tdb.config(), clock);
        JobService service{store};
        const QStringList types{QStringLiteral("test.noop")};
        const qint64 ran = enqueue(service, QStringLiteral("test.noop"), {}, 0);
        const qint64 waited = enqueue(service, QStringLiteral("test.noop"), {}, 0);
        const qint64 done = enqueue(service, QStringLiteral("test.noop"), {}, 0);
        const qint64 late = enqueue(service, QStringLiteral("test.noop"), {}, 0);
        QCOMPARE(store.claim(kWorker, 4, 1000, types)->size(), 4);
        // A record for a wrong attempt or another worker is not written.
        QVERIFY(store.queue().markStarted(kWorker, {{waited, 2}}, false).ok());
        QVERIFY(store.queue().markStarted(QStringLiteral("other"), {{waited, 1}}, false).ok());
        QVERIFY(store.queue().markStarted(kWorker, {{ran, 1}, {done, 1}}, false).ok());
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_starts")), qint64(2));
        const auto complete = [&](qint64 id) {
            return store
                .finish(kWorker, {JobOutcome{id, 1, JobOutcome::Kind::Completed, {}, {}, true, 0, 0}})
                ->applied.size();
        };
        QCOMPARE(complete(done), 1);
        QVERIFY(store.queue().markStarted(kWorker, {{late, 1}}, true).ok()); // sweeps the record of done
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_starts")), qint64(2));
        QCOMPARE(complete(late), 1); // the worker dies before it sweeps this record: the rescue does

        clock->advanceMs(1001);
        auto reaped = store.queue().reapExpired();
        QVERIFY(reaped.ok());
        QCOMPARE(reaped->size(), 2);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_starts")), qint64(0));
        auto jobRan = service.get(ran);
        QCOMPARE_ENUM(jobRan->status, JobStatus::Failed);
        QCOMPARE(jobRan->attemptList.size(), 1);
        QCOMPARE(jobRan->attemptList.first().outcome, QStringLiteral("lost"));
        auto jobWaited = service.get(waited);
        QCOMPARE_ENUM(jobWaited->status, JobStatus::Queued);
        QCOMPARE(jobWaited->retryCount, 0);
        QCOMPARE(jobWaited->attemptList.size(), 1);
        QCOMPARE(jobWaited->attemptList.first().outcome, QStringLiteral("not_started"));
        QVERIFY2(jobWaited->attemptList.first().error.contains(QLatin1String("before the job started")),
                 qPrintable(jobWaited->attemptList.first().error));
        // Its next run is attempt 2 and completes normally.
        auto again = store.claim(kWorker, 1, 1000, types);
        QCOMPARE(again->size(), 1);
        QCOMPARE(again->first().id, waited);
        QCOMPARE(again->first().attempt, 2);
        QCOMPARE(
            store.finish(kWorker, {JobOutcome{waited, 2, JobOutcome::Kind::Completed, {}, {}, true, 0, 0}})
                ->applied.size(),
            1);
        QCOMPARE_ENUM(service.get(waited)->status, JobStatus::Completed);
    }

    // A job that kills its worker before its start is recorded goes back for free only kFreeRescues
    // times; after that its rescues spend retries, so it cannot loop forever. The same holds for a
    // worker restarted under its own id (rescueOrphans).
    void freeRescuesAreBounded()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobStore store(tdb.config(), clock);
        JobService service{store};
        const QStringList types{QStringLiteral("test.noop")};
        const qint64 id = enqueue(service, QStringLiteral("test.noop"), {}, 1);
        for (int i = 0; i < JobQueue::kFreeRescues; ++i) {
            QCOMPARE(store.claim(kWorker, 1, 1000, types)->size(), 1);
            auto rescued = store.queue().rescueOrphans(kWorker);
            QCOMPARE(rescued->size(), 1);
            QCOMPARE_ENUM(rescued->first().status, JobStatus::Queued);
            QCOMPARE(rescued->first().retryCount, 0);
        }
        QCOMPARE(store.claim(kWorker, 1, 1000, types)->size(), 1);
        QCOMPARE(store.queue().rescueOrphans(kWorker)->first().retryCount, 1);
        QCOMPARE(store.claim(kWorker, 1, 1000, types)->size(), 1);
        QCOMPARE_ENUM(store.queue().rescueOrphans(kWorker)->first().status, JobStatus::Failed);
        auto job = service.get(id);
        QCOMPARE(job->attemptList.size(), JobQueue::kFreeRescues + 2);
        QCOMPARE(job->attemptList.at(JobQueue::kFreeRescues - 1).outcome, QStringLiteral("not_started"));
        QCOMPARE(job->attemptList.at(JobQueue::kFreeRescues).outcome, QStringLiteral("lost"));
        QCOMPARE(job->attemptList.last().outcome, QStringLiteral("lost"));
    }

    // A worker's lasting error travels with its heartbeat into its row, keeps the time it was first
    // reported while it stays, and is cleared by a heartbeat without one.
    void heartbeatStoresTheWorkersLastError()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobStore store(tdb.config(), clock);
        QVERIFY(store
                    .registerWorker(
                        WorkerInfo{kWorker, QStringLiteral("host"), 1, 0, 0, 2, 0, QStringLiteral("1"), 0})
                    .ok());
        const QString error = QStringLiteral("no such index: idx_jobs_queue");
        QVERIFY(store.queue().heartbeat(kWorker, 1000, 0, error).ok());
        const qint64 first = clock->nowMs();
        clock->advanceMs(5000);
        QVERIFY(store.queue().heartbeat(kWorker, 1000, 0, error).ok());
        auto workers = store.workers();
        QCOMPARE(workers->first().lastError, error);
        QCOMPARE(workers->first().lastErrorAt, first);
        QVERIFY(store.queue().heartbeat(kWorker, 1000, 0).ok());
        QVERIFY(store.workers()->first().lastError.isEmpty());
        QCOMPARE(store.workers()->first().lastErrorAt, qint64(0));
    }

    void listFiltersSortsAndSearches()
    {
        HCM_TEMP_DATABASE(tdb);
        JobStore store(tdb.config());
        JobService service{store};
        QList<qint64> ids;
        for (int i = 0; i < 5; ++i)
            ids << enqueue(service, QStringLiteral("test.noop"));
        for (int i = 0; i < 3; ++i)
            ids << enqueue(service, QStringLiteral("cache_flush"));
        const qint64 failing = enqueue(service, QStringLiteral("test.fail"), {}, 0);
        auto c = store.claim(kWorker, 1, 30000, {QStringLiteral("test.fail")});
        QVERIFY(store
                    .finish(kWorker, {JobOutcome{failing,
                                                 1,
                                                 JobOutcome::Kind::Failed,
                                                 {},
                                                 QStringLiteral("disk 100% full_of cats"),
                                                 true,
                                                 0,
                                                 0}})
                    .ok());

        JobFilter all;
        QCOMPARE(store.count(all).value(), qint64(9));
        QCOMPARE(store.list(all)->first().id, failing); // newest first by default
        JobFilter type;
        type.type = QStringLiteral("cache_flush");
        QCOMPARE(store.count(type).value(), qint64(3));
        JobFilter failed;
        failed.statuses = {JobStatus::Failed};
        QCOMPARE(store.list(failed)->size(), 1);
        JobFilter asc;
        asc.order = Qt::AscendingOrder;
        asc.limit = 2;
        asc.offset = 1;
        const auto page = store.list(asc).value();
        QCOMPARE(page.size(), 2);
        QCOMPARE(page.at(0).id, ids.at(1));
        QCOMPARE(page.at(1).id, ids.at(2));
        JobFilter byType;
        byType.sort = JobSortColumn::Type;
        byType.order = Qt::AscendingOrder;
        QCOMPARE(store.list(byType)->first().type, QStringLiteral("cache_flush"));

        // Search: id, type, error text; LIKE wildcards and quotes are literal characters.
        const auto searchCount = [&](const QString &text) {
            JobFilter f;
            f.search = text;
            return store.count(f).value();
        };
        QCOMPARE(searchCount(QStringLiteral("job_%1").arg(ids.at(0))), qint64(1));
        QCOMPARE(searchCount(QStringLiteral("cache")), qint64(3));
        QCOMPARE(searchCount(QStringLiteral("100%")), qint64(1));
        QCOMPARE(searchCount(QStringLiteral("l_of")), qint64(1));
        QCOMPARE(searchCount(QStringLiteral("%")), qint64(1));
        QCOMPARE(searchCount(QStringLiteral("_")), qint64(3 + 1)); // three cache_flush, one "full_of"
        QCOMPARE(searchCount(QStringLiteral("'; DROP TABLE background_jobs; --")), qint64(0));
        QCOMPARE(searchCount(QStringLiteral("\\")), qint64(0));
        QCOMPARE(store.count(all).value(), qint64(9));

        auto counts = store.countByStatus(all);
        QVERIFY(counts.ok());
        QCOMPARE(counts.value()[size_t(JobStatus::Queued)], qint64(8));
        QCOMPARE(counts.value()[size_t(JobStatus::Failed)], qint64(1));
        QCOMPARE(counts.value()[size_t(JobStatus::Completed)], qint64(0));
    }

    // Several threads, each with its own connection, claim from one file: every job exactly once.
    // Claims and batches of completions keep the per-status counts themselves (triggers off on their
    // connection); whatever path a batch takes, the counts must stay those of the rows.
    void countsStayExactThroughClaimsAndBatches()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobStore store(tdb.config(), clock);
        JobService service{store};
        const QStringList types{QStringLiteral("test.noop")};
        for (int i = 0; i < 40; ++i)
            QVERIFY(enqueue(service, QStringLiteral("test.noop")) > 0);
        auto expectCounts = [&] {
            const QString mismatch = countsMismatch(tdb.config());
            QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        };
        auto claimed = store.claim(QStringLiteral("A"), 30, 60000, types);
        QVERIFY(claimed.ok());
        QCOMPARE(claimed->size(), 30);
        expectCounts();
        const auto outcome = [&](int i, const QJsonObject &result) {
            const ClaimedJob &c = claimed->at(i);
            JobOutcome o;
            o.id = c.id;
            o.attempt = c.attempt;
            o.result = result;
            o.startedAt = clock->nowMs();
            o.finishedAt = clock->nowMs();
            o.type = c.type;
            o.retryCount = c.retryCount;
            o.maxRetries = c.maxRetries;
            return o;
        };
        // 12 different results: one UPDATE over the whole batch.
        QList<JobOutcome> distinct;
        for (int i = 0; i < 12; ++i)
            distinct.append(outcome(i, {{QStringLiteral("n"), i}}));
        auto r1 = store.finish(QStringLiteral("A"), distinct);
        QVERIFY(r1.ok());
        QCOMPARE(r1->applied.size(), 12);
        QVERIFY(r1->rejected.isEmpty());
        expectCounts();
        // Two results among 10 jobs, one of which another worker took over meanwhile, and one outcome
        // without the job's type (looked up): grouped UPDATEs, undone and redone without the lost job.
        const qint64 stolen = claimed->at(15).id;
        {
            auto db = Database::connection(tdb.config());
            QSqlQuery q(db.value());
            QVERIFY(q.exec(
                QStringLiteral("UPDATE background_jobs SET worker_id = 'B' WHERE id = %1").arg(stolen)));
        }
        QList<JobOutcome> grouped;
        for (int i = 12; i < 22; ++i)
            grouped.append(outcome(i, {{QStringLiteral("even"), i % 2 == 0}}));
        grouped[1].type.clear();
        auto r2 = store.finish(QStringLiteral("A"), grouped);
        QVERIFY(r2.ok());
        QCOMPARE(r2->rejected, QList<qint64>{stolen});
        QCOMPARE(r2->applied.size(), 9);
        for (const JobTransition &t : std::as_const(r2->applied)) {
            QCOMPARE(t.type, QStringLiteral("test.noop"));
            QCOMPARE_ENUM(t.status, JobStatus::Completed);
            QCOMPARE(t.maxRetries, 3);
        }
        QCOMPARE_ENUM(service.get(stolen)->status, JobStatus::Processing);
        QCOMPARE(service.get(stolen)->workerId, QStringLiteral("B"));
        QCOMPARE(service.get(stolen)->attemptList.size(), 0);
        const auto job13 = service.get(claimed->at(13).id);
        QCOMPARE(job13->result, QJsonObject({{QStringLiteral("even"), false}}));
        QCOMPARE(job13->attemptList.size(), 1);
        QCOMPARE(service.get(claimed->at(0).id)->result, QJsonObject({{QStringLiteral("n"), 0}}));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_attempts")), qint64(21));
        expectCounts();
        // Other writers still count through the triggers on the same connection.
        QVERIFY(enqueue(service, QStringLiteral("test.noop")) > 0);
        // Running jobs: their cancellation is asked for (no status change yet).
        for (const JobActionResult &r :
             service.cancel({claimed->at(25).id, claimed->at(26).id}, Actor::system(QStringLiteral("test"))))
            QVERIFY2(r.ok, qPrintable(r.message));
        JobFilter onlyQueued;
        onlyQueued.statuses = {JobStatus::Queued};
        onlyQueued.limit = 1;
        auto queued = store.list(onlyQueued);
        QVERIFY(queued.ok() && !queued->isEmpty());
        QVERIFY(service.cancel({queued->first().id}, Actor::system(QStringLiteral("test"))).first().ok);
        expectCounts();
    }

    // The maintained counts equal a GROUP BY after every path that changes a job: enqueue, claim,
    // completion, retryable and final failure, cancel (queued and running), the reaper, a restarted
    // worker's rescue, retry from the archive, delete, a cleanup's DELETE, an operator's writes through
    // the view (PostgreSQL) or the table (SQLite), an import, and the fold of PostgreSQL's slots.
    void countsExactAfterEveryPath()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>();
        JobStore store(tdb.config(), clock);
        JobService service{store};
        const QStringList noop{QStringLiteral("test.noop")};
        const auto scalarOf = [](const DbConfig &config, const QString &statement) {
            QSqlQuery q(Database::connection(config).value());
            return q.exec(statement) && q.next() ? q.value(0).toLongLong() : qint64(-1);
        };
        const auto expectCounts = [&](const char *after) {
            const QString mismatch = countsMismatch(tdb.config());
            QVERIFY2(mismatch.isEmpty(),
                     qPrintable(QStringLiteral("after %1: %2").arg(QLatin1String(after), mismatch)));
        };
        const auto sql = [&](const QString &statement) {
            QSqlQuery q(Database::connection(tdb.config()).value());
            QVERIFY2(q.exec(statement), qPrintable(q.lastError().text() + QLatin1String(": ") + statement));
        };
        for (int i = 0; i < 12; ++i)
            QVERIFY(enqueue(service, QStringLiteral("test.noop"), {}, 1) > 0);
        QVERIFY(enqueue(service, QStringLiteral("cache_flush"),
                        {{QStringLiteral("action"), QStringLiteral("expired")}}) > 0);
        expectCounts("enqueue");

        auto claimed = store.claim(kWorker, 8, 30000, noop);
        QVERIFY(claimed.ok());
        QCOMPARE(claimed->size(), 8);
        expectCounts("claim");

        const auto outcome = [&](int i, JobOutcome::Kind kind, bool retryable) {
            JobOutcome o;
            o.id = claimed->at(i).id;
            o.attempt = claimed->at(i).attempt;
            o.kind = kind;
            o.retryable = retryable;
            o.error = kind == JobOutcome::Kind::Completed ? QString() : QStringLiteral("boom");
            o.startedAt = o.finishedAt = clock->nowMs();
            return o;
        };
        auto report = store.finish(kWorker, {outcome(0, JobOutcome::Kind::Completed, false),
                                             outcome(1, JobOutcome::Kind::Completed, false)});
        QVERIFY(report.ok() && report->applied.size() == 2);
        expectCounts("completion");
        report = store.finish(kWorker, {outcome(2, JobOutcome::Kind::Failed, true),
                                        outcome(3, JobOutcome::Kind::Failed, false)});
        QVERIFY(report.ok() && report->applied.size() == 2);
        QCOMPARE_ENUM(report->applied.at(0).status, JobStatus::Queued);
        QCOMPARE_ENUM(report->applied.at(1).status, JobStatus::Failed);
        expectCounts("failure");

        JobFilter queuedOnly;
        queuedOnly.statuses = {JobStatus::Queued};
        queuedOnly.type = QStringLiteral("test.noop");
        queuedOnly.limit = 1;
        const qint64 queuedId = store.list(queuedOnly)->first().id;
        for (const JobActionResult &r : service.cancel({queuedId, claimed->at(4).id}, kActor))
            QVERIFY2(r.ok, qPrintable(r.message));
        expectCounts("cancel");
        report = store.finish(kWorker, {outcome(4, JobOutcome::Kind::Cancelled, false)});
        QVERIFY(report.ok() && report->applied.size() == 1);
        expectCounts("cancelled run");

        // Jobs 5 and 6 outlive their lease: the reaper takes them back (one retry left: queued).
        clock->advanceMs(31000);
        auto reaped = store.queue().reapExpired();
        QVERIFY(reaped.ok());
        QCOMPARE(reaped->size(), 3);
        expectCounts("reaper");
        if (tdb.isPostgres()) // the reaper folded the deltas: one row per status and type
            QCOMPARE(
                scalarOf(tdb.config(), QStringLiteral("SELECT COUNT(*) FROM (SELECT 1 FROM job_counts "
                                                      "GROUP BY status, job_type HAVING COUNT(*) > 1) AS d")),
                qint64(0));

        claimed = store.claim(kWorker, 2, 30000, noop);
        QVERIFY(claimed.ok() && claimed->size() == 2);
        auto rescued = store.queue().rescueOrphans(kWorker);
        QVERIFY(rescued.ok());
        QCOMPARE(rescued->size(), 2);
        expectCounts("rescue");

        JobFilter failedOnly;
        failedOnly.statuses = {JobStatus::Failed};
        const auto failed = store.list(failedOnly).value();
        QVERIFY(!failed.isEmpty());
        QVERIFY(service.retryNow({failed.first().id}, kActor).first().ok);
        expectCounts("retry from the archive");

        JobFilter completedOnly;
        completedOnly.statuses = {JobStatus::Completed};
        const auto completed = store.list(completedOnly).value();
        QCOMPARE(completed.size(), 2);
        QVERIFY(service.deleteFinished({completed.first().id}, kActor).first().ok);
        expectCounts("delete");

        // What the cleanup handler runs: finished jobs deleted straight from their table.
        sql(tdb.isPostgres() ? QStringLiteral("DELETE FROM job_archive WHERE status = 'cancelled'")
                             : QStringLiteral("DELETE FROM background_jobs WHERE status = 'cancelled'"));
        expectCounts("cleanup");

        // An operator's SQL (through the view on PostgreSQL): new rows queued and finished, a status and
        // a type changed, rows deleted.
        sql(QStringLiteral("INSERT INTO background_jobs (job_type, status, payload, run_at, created_at, "
                           "updated_at, completed_at, created_by) SELECT 'legacy', "
                           "CASE WHEN g % 3 = 0 THEN 'queued' ELSE 'completed' END, '{}', 1, 1, 1, "
                           "CASE WHEN g % 3 = 0 THEN NULL ELSE 1 END, 'sql' FROM (SELECT 1 AS g UNION ALL "
                           "SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) AS s"));
        expectCounts("an INSERT of the operator");
        sql(QStringLiteral("UPDATE background_jobs SET status = 'failed', completed_at = 2 "
                           "WHERE job_type = 'legacy' AND status = 'queued'"));
        sql(QStringLiteral("UPDATE background_jobs SET job_type = 'legacy2' WHERE job_type = 'legacy' "
                           "AND id IN (SELECT min(id) FROM background_jobs WHERE job_type = 'legacy')"));
        expectCounts("an UPDATE of the operator");
        sql(QStringLiteral("DELETE FROM background_jobs WHERE job_type = 'legacy2'"));
        expectCounts("a DELETE of the operator");
        if (tdb.isPostgres()) {
            // Jobs that finished within the last day count per minute too (job_minute_counts): put in,
            // changed and taken out through the view and straight in the archive.
            const QString nowMs = QStringLiteral("(extract(epoch FROM now()) * 1000)::bigint");
            sql(QStringLiteral("INSERT INTO background_jobs (job_type, status, payload, run_at, created_at, "
                               "updated_at, completed_at, created_by) SELECT 'recent', CASE WHEN g % 2 = 0 "
                               "THEN 'completed' ELSE 'failed' END, '{}', 1, 1, 1, %1 - g * 60000, 'sql' "
                               "FROM generate_series(1, 5) AS g")
                    .arg(nowMs));
            expectCounts("recent finished jobs put in");
            sql(QStringLiteral("UPDATE job_archive SET status = 'completed' WHERE job_type = 'recent' AND "
                               "status = 'failed' AND completed_at < %1 - 240000")
                    .arg(nowMs));
            sql(QStringLiteral("UPDATE background_jobs SET completed_at = completed_at - 60000 WHERE "
                               "job_type = 'recent' AND status = 'failed'"));
            expectCounts("recent finished jobs changed");
            sql(QStringLiteral(
                "DELETE FROM background_jobs WHERE job_type = 'recent' AND status = 'completed'"));
            expectCounts("recent finished jobs deleted");
        }

        QBuffer input;
        input.setData("{\"id\": 5000, \"job_type\": \"old.export\", \"status\": \"completed\", "
                      "\"completed_at\": \"2026-01-07T10:15:32.123Z\"}\n"
                      "{\"job_type\": \"old.export\", \"status\": \"failed\", \"error_message\": \"gone\", "
                      "\"completed_at\": \"2026-01-07T10:15:32.123Z\"}\n"
                      "{\"job_type\": \"test.noop\", \"status\": \"queued\"}\n");
        QVERIFY(input.open(QIODevice::ReadOnly));
        auto imported = JobImport(tdb.config(), clock).run(input, kActor);
        QVERIFY2(imported.ok(), imported.ok() ? "" : qPrintable(imported.error().message));
        QVERIFY2(imported->errors.isEmpty(), qPrintable(imported->errors.join(QLatin1Char('\n'))));
        expectCounts("import");

        QVERIFY(JobStatsStore(tdb.config()).foldCounts().ok());
        expectCounts("fold");
    }

    // Two sessions that change jobs of the same type and status at the same time do not wait for each
    // other's counter (PostgreSQL: each inserts its own delta rows). The first holds its transaction open;
    // the second must finish under a lock timeout before the first commits.
    void countsHaveNoHotRow()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!tdb.isPostgres())
            QSKIP("SQLite has one writer at a time");
        JobService service{JobStore(tdb.config())};
        const qint64 a = enqueue(service, QStringLiteral("test.noop"));
        const qint64 b = enqueue(service, QStringLiteral("test.noop"));
        QVERIFY(a > 0 && b > 0);
        QSqlDatabase first = Database::connection(tdb.config()).value();
        QSqlDatabase second = QSqlDatabase::cloneDatabase(first, QStringLiteral("second-session"));
        const auto closeSecond = qScopeGuard([&] {
            second.close();
            second = QSqlDatabase();
            QSqlDatabase::removeDatabase(QStringLiteral("second-session"));
        });
        QVERIFY(second.open());
        const QString cancel =
            QStringLiteral("UPDATE job_queue SET status = 'cancelled', completed_at = 1 WHERE id = %1");
        QSqlQuery q1(first);
        QVERIFY(q1.exec(QStringLiteral("BEGIN")));
        QVERIFY2(q1.exec(cancel.arg(a)), qPrintable(q1.lastError().text()));
        QSqlQuery q2(second);
        QVERIFY(q2.exec(QStringLiteral("SET lock_timeout = '10s'")));
        QVERIFY2(q2.exec(cancel.arg(b)), qPrintable(q2.lastError().text()));
        QVERIFY(q1.exec(QStringLiteral("COMMIT")));
        const QString mismatch = countsMismatch(tdb.config());
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        QCOMPARE(JobStatsStore(tdb.config()).maintainedCounts()->value().at(size_t(JobStatus::Cancelled)),
                 qint64(2));
    }

    // The store writes some statements with their values spelled out: text in a payload or a result
    // that looks like one of its placeholders ({now}, {queue}, %2) is stored as written.
    void placeholderTextInDataIsStoredAsWritten()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        JobStore store(tdb.config());
        const QJsonObject payload{{QStringLiteral("tag"), QStringLiteral("{now} {queue} %1 %2 %3")}};
        const qint64 id = enqueue(service, QStringLiteral("test.noop"), payload);
        QVERIFY(id > 0);
        QCOMPARE(service.get(id)->payload, payload);
        auto claimed = store.claim(kWorker, 1, 30000, {QStringLiteral("test.noop")});
        QVERIFY(claimed.ok() && claimed->size() == 1);
        QCOMPARE(claimed->first().payload, payload);
        JobOutcome done;
        done.id = id;
        done.attempt = 1;
        done.kind = JobOutcome::Kind::Completed;
        done.result = QJsonObject{{QStringLiteral("note"), QStringLiteral("%2 {now} {queue}")}};
        auto report = store.finish(kWorker, {done});
        QVERIFY(report.ok() && report->applied.size() == 1);
        QCOMPARE(service.get(id)->result, done.result);
    }

    // A job created alone (a person's create, the API's) is inserted by one statement prepared once per
    // connection and kept: it runs again with the time of each call (not the first call's), still runs
    // after another connection changed the table (SQLite prepares it again by itself), and a new
    // connection of the thread prepares its own.
    void singleJobInsertIsPreparedOncePerConnection()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!tdb.config().isSqlite())
            QSKIP("PostgreSQL sends each insert as a statement of its own (nothing is kept)");
        auto clock = std::make_shared<ManualClock>();
        JobService service{JobStore(tdb.config(), clock)};
        const auto insertRuns = [&]() -> qint64 {
            auto conn = Database::connection(tdb.config());
            if (!conn)
                return -1;
            QSqlQuery q(conn.value());
            if (!q.exec(QStringLiteral(
                    "SELECT run FROM sqlite_stmt WHERE sql LIKE 'INSERT INTO background_jobs%'")))
                return -2; // no sqlite_stmt in this build of SQLite
            qint64 runs = 0;
            int statements = 0;
            while (q.next()) {
                runs = q.value(0).toLongLong();
                ++statements;
            }
            return statements == 1 ? runs : -3 - statements;
        };
        const qint64 first = enqueue(service, QStringLiteral("test.noop"));
        QVERIFY(first > 0);
        // One kept statement, and what one insert adds to its count of runs.
        const qint64 perInsert = insertRuns();
        if (perInsert == -2)
            QSKIP("this SQLite has no sqlite_stmt table (SQLITE_ENABLE_STMTVTAB)");
        QVERIFY2(perInsert > 0, qPrintable(QString::number(perInsert)));
        clock->advanceMs(5000);
        const qint64 second =
            enqueue(service, QStringLiteral("cache_flush"),
                    {{QStringLiteral("action"), QStringLiteral("full")}}, 7, JobPriority::High);
        QVERIFY(second > first);
        QCOMPARE(insertRuns(), 2 * perInsert); // the same statement ran again
        auto job = service.get(second);
        QVERIFY(job.ok());
        QCOMPARE(job->createdAt, service.get(first)->createdAt + 5000);
        QCOMPARE(job->runAt, job->createdAt);
        QCOMPARE(job->updatedAt, job->createdAt);
        QCOMPARE(job->type, QStringLiteral("cache_flush"));
        QCOMPARE(job->maxRetries, 7);
        QCOMPARE_ENUM(job->priority, JobPriority::High);
        QCOMPARE(job->payload.value(QStringLiteral("action")).toString(), QStringLiteral("full"));
        QCOMPARE(job->createdBy, kActor.name);

        // Another connection changes the table under the kept statement.
        {
            QSqlDatabase other =
                QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("other"));
            other.setDatabaseName(tdb.config().sqlitePath);
            QVERIFY(other.open());
            QSqlQuery alter(other);
            QVERIFY2(
                alter.exec(QStringLiteral("ALTER TABLE background_jobs ADD COLUMN note TEXT DEFAULT 'n'")),
                qPrintable(alter.lastError().text()));
            other.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("other"));
        clock->advanceMs(1000);
        const qint64 runAt = clock->nowMs() + 60'000;
        const qint64 third = enqueue(service, QStringLiteral("test.noop"), {}, 3, JobPriority::Low, runAt);
        QVERIFY(third > second);
        // Still one statement (SQLite prepared it again for the new schema), run once more.
        QVERIFY(insertRuns() > 2 * perInsert);
        job = service.get(third);
        QVERIFY(job.ok());
        QCOMPARE(job->createdAt, clock->nowMs());
        QCOMPARE(job->runAt, runAt);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("note = 'n'")), 3);

        // A new connection of this thread: its own statement.
        Database::closeThreadConnections();
        const qint64 fourth = enqueue(service, QStringLiteral("test.noop"));
        QVERIFY(fourth > third);
        QCOMPARE(insertRuns(), perInsert);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), 4);
    }

    // Sql::cached keeps one statement per connection and text, forward only (Qt's SQLite result would
    // otherwise set up a cache of 128 rows on every run), and still reads every row.
    void cachedStatementsAreKeptAndForwardOnly()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        for (int i = 0; i < 3; ++i)
            QVERIFY(enqueue(service, QStringLiteral("test.noop")) > 0);
        const QString sql = QStringLiteral("SELECT id FROM background_jobs WHERE id > ? ORDER BY id");
        {
            auto conn = Database::connection(tdb.config());
            QVERIFY(conn.ok());
            QSqlQuery &q = Sql::cached(conn.value(), sql);
            QVERIFY(q.isForwardOnly());
            for (int round = 0; round < 2; ++round) {
                QSqlQuery &again = Sql::cached(conn.value(), sql);
                QCOMPARE(&again, &q); // kept
                again.bindValue(0, 0);
                QVERIFY(Sql::exec(again).ok());
                QList<qint64> ids;
                while (again.next())
                    ids.append(again.value(0).toLongLong());
                again.finish();
                QCOMPARE(ids.size(), 3);
                QVERIFY(ids.at(0) < ids.at(1) && ids.at(1) < ids.at(2));
            }
            // A connection that is not this thread's: prepared afresh, forward only too.
            QSqlDatabase other = QSqlDatabase::cloneDatabase(conn.value(), QStringLiteral("cached-other"));
            QVERIFY(other.open());
            QSqlQuery &foreign = Sql::cached(other, sql);
            QVERIFY(foreign.isForwardOnly());
            foreign.bindValue(0, 0);
            QVERIFY(Sql::exec(foreign).ok());
            QVERIFY(foreign.next());
            foreign.finish();
        }
        Database::closeThreadConnections(); // the scratch statements go before their connection
        QSqlDatabase::removeDatabase(QStringLiteral("cached-other"));
    }

    // Sql::cachedSqlite: one SQLite statement per connection and text, reset for each use, prepared again
    // by SQLite after another connection changed the table, gone with its connection; nothing on
    // PostgreSQL or on a connection that is not this thread's (the caller takes the Qt path).
    void cachedSqliteStatementsAreKeptPerConnection()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        const qint64 first = enqueue(service, QStringLiteral("test.noop"));
        QVERIFY(first > 0);
        const QByteArray sql = "SELECT id, job_type FROM background_jobs WHERE id >= ? ORDER BY id";
        {
            auto conn = Database::connection(tdb.config());
            QVERIFY(conn.ok());
            SqliteStatement *s = Sql::cachedSqlite(conn.value(), sql);
            if (tdb.config().isPostgres()) {
                QVERIFY(s == nullptr);
                return;
            }
            QVERIFY(s != nullptr);
            s->bind(1, first);
            QVERIFY(s->next()); // a row read, the statement left in the middle
            QCOMPARE(s->int64(0), first);
            SqliteStatement *again = Sql::cachedSqlite(conn.value(), sql);
            QCOMPARE(again, s);    // kept
            again->bind(1, first); // and reset: it starts over
            QVERIFY(again->next());
            QCOMPARE(again->int64(0), first);
            QCOMPARE(again->text(1), QStringLiteral("test.noop"));
            QVERIFY(!again->next());
            QVERIFY(again->status(QString()).ok());
            QVERIFY(Sql::cachedSqlite(conn.value(), "SELECT no_such_column FROM background_jobs") == nullptr);
            QSqlDatabase other = QSqlDatabase::cloneDatabase(conn.value(), QStringLiteral("raw-other"));
            QVERIFY(other.open());
            QVERIFY(Sql::cachedSqlite(other, sql) == nullptr);
            // Another connection changes the table: the kept statement still runs.
            QSqlQuery alter(other);
            QVERIFY2(alter.exec(QStringLiteral("ALTER TABLE background_jobs ADD COLUMN note TEXT")),
                     qPrintable(alter.lastError().text()));
            other.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("raw-other"));
        const qint64 second = enqueue(service, QStringLiteral("cache_flush"),
                                      {{QStringLiteral("action"), QStringLiteral("full")}});
        QVERIFY(second > first);
        {
            auto conn = Database::connection(tdb.config());
            SqliteStatement *s = Sql::cachedSqlite(conn.value(), sql);
            QVERIFY(s != nullptr);
            s->bind(1, first);
            QList<qint64> ids;
            while (s->next())
                ids.append(s->int64(0));
            QVERIFY(s->status(QString()).ok());
            QCOMPARE(ids, (QList<qint64>{first, second}));
        }
        // The connection closes with its statements (finalised first: the close succeeds) and the next
        // one prepares its own.
        Database::closeThreadConnections();
        auto conn = Database::connection(tdb.config());
        SqliteStatement *fresh = Sql::cachedSqlite(conn.value(), sql);
        QVERIFY(fresh != nullptr);
        fresh->bind(1, second);
        QVERIFY(fresh->next());
        QCOMPARE(fresh->int64(0), second);
    }

    // An operator's UPDATE through the view reads the row, then writes it: when a worker changed the row
    // in between, the write is skipped (as a plain UPDATE re-checks its WHERE clause), never applied
    // over the worker's change. And an id the archive holds cannot be inserted again.
    void postgresViewWritesAreFenced()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!tdb.isPostgres())
            QSKIP("background_jobs is a view on PostgreSQL only");
        JobService service{JobStore(tdb.config())};
        const qint64 id = enqueue(service, QStringLiteral("test.noop"));
        QVERIFY(id > 0);
        auto conn = Database::connection(tdb.config());
        QVERIFY(conn.ok());
        QSqlQuery q(conn.value());
        QVERIFY(q.exec(QStringLiteral("BEGIN")));
        QVERIFY(q.exec(
            QStringLiteral("UPDATE job_queue SET status = 'processing', worker_id = 'w9', attempts = 1 "
                           "WHERE id = %1")
                .arg(id)));

        std::atomic<int> affected{-2};
        QString threadError;
        QThread *writer = QThread::create([&] {
            auto own = Database::connection(tdb.config());
            if (!own) {
                threadError = own.error().message;
                return;
            }
            QSqlQuery w(own.value());
            if (!w.exec(
                    QStringLiteral("UPDATE background_jobs SET cancel_requested = 1, worker_id = 'operator' "
                                   "WHERE id = %1 AND status = 'queued'")
                        .arg(id)))
                threadError = w.lastError().text();
            else
                affected = w.numRowsAffected();
        });
        writer->start();
        // The operator's statement has read the queued row and waits for the worker's lock. (Activity is
        // read afresh each time: inside a transaction PostgreSQL would show the first reading again.)
        const auto operatorWaits = [&] {
            QSqlQuery activity(conn.value());
            return activity.exec(QStringLiteral("SELECT pg_stat_clear_snapshot()")) &&
                   activity.exec(
                       QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                      "'Lock' AND query LIKE 'UPDATE background_jobs%' AND datname = "
                                      "current_database()")) &&
                   activity.next() && activity.value(0).toInt() == 1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(operatorWaits(), 10000);
        QVERIFY(q.exec(QStringLiteral("COMMIT")));
        QVERIFY(writer->wait(10000));
        delete writer;
        QVERIFY2(threadError.isEmpty(), qPrintable(threadError));
        QCOMPARE(affected.load(), 0);
        auto job = service.get(id);
        QVERIFY(job.ok());
        QCOMPARE_ENUM(job->status, JobStatus::Processing);
        QCOMPARE(job->workerId, QStringLiteral("w9"));
        QVERIFY(!job->cancelRequested);

        // Unchanged since read: the write goes through.
        QVERIFY(
            q.exec(QStringLiteral("UPDATE background_jobs SET cancel_requested = 1 WHERE id = %1").arg(id)));
        QCOMPARE(q.numRowsAffected(), 1);
        QVERIFY(service.get(id)->cancelRequested);

        QVERIFY(
            q.exec(QStringLiteral("UPDATE background_jobs SET status = 'cancelled' WHERE id = %1").arg(id)));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_archive"), QStringLiteral("id = %1").arg(id)),
                 qint64(1));
        QVERIFY(!q.exec(
            QStringLiteral("INSERT INTO background_jobs (id, job_type, run_at, created_at, updated_at, "
                           "created_by) VALUES (%1, 'cleanup', 1, 1, 1, 'sql')")
                .arg(id)));
        QCOMPARE(q.lastError().nativeErrorCode(), QStringLiteral("23505"));
        QVERIFY(!q.exec(QStringLiteral("UPDATE background_jobs SET id = id + 1000 WHERE id = %1").arg(id)));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs")), qint64(1));
    }

    void concurrentClaimsAreExclusive()
    {
        HCM_TEMP_DATABASE(tdb);
        JobService service{JobStore(tdb.config())};
        constexpr int kJobs = 5000;
        QList<NewJob> batch(kJobs,
                            NewJob{QStringLiteral("test.noop"), JobPriority::Normal, {}, 3, std::nullopt});
        QVERIFY(service.enqueueMany(batch, kActor).ok());
        constexpr int kThreads = 4;
        QList<QList<qint64>> claimedBy(kThreads);
        std::atomic<int> errors{0};
        std::latch start(kThreads);
        QList<QThread *> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads << QThread::create([&, t] {
                JobStore store(tdb.config());
                (void)Database::connection(tdb.config());
                start.arrive_and_wait();
                const QString worker = QStringLiteral("thread-%1").arg(t);
                for (;;) {
                    auto c = store.claim(worker, 5, 30000, {QStringLiteral("test.noop")});
                    if (!c) {
                        ++errors;
                        break;
                    }
                    if (c->isEmpty())
                        break;
                    QList<JobOutcome> outcomes;
                    for (const auto &job : c.value()) {
                        claimedBy[t].append(job.id);
                        outcomes.append(
                            JobOutcome{job.id, job.attempt, JobOutcome::Kind::Completed, {}, {}, true, 0, 0});
                    }
                    auto r = store.finish(worker, outcomes);
                    if (!r || !r->rejected.isEmpty())
                        ++errors;
                }
                Database::closeThreadConnections();
            });
        }
        for (QThread *t : threads)
            t->start();
        for (QThread *t : threads) {
            QVERIFY(t->wait(60000));
            delete t;
        }
        QCOMPARE(errors.load(), 0);
        QSet<qint64> seen;
        int total = 0;
        for (const auto &list : claimedBy) {
            total += int(list.size());
            for (qint64 id : list)
                seen.insert(id);
        }
        QCOMPARE(total, kJobs);
        QCOMPARE(int(seen.size()), kJobs);
        QCOMPARE(
            rowCount(tdb.config(), QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
            qint64(kJobs));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_attempts")), qint64(kJobs));
        int threadsWithJobs = 0;
        for (int t = 0; t < kThreads; ++t)
            threadsWithJobs += claimedBy[t].isEmpty() ? 0 : 1;
        QVERIFY2(threadsWithJobs >= 2, "only one thread got jobs: the test did not race");
    }
};

QTEST_GUILESS_MAIN(TestJobStore)
#include "tst_jobstore.moc"
