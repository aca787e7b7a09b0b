// Schedules on both backends: migration 011 (the maintenance schedules, the jobs' schedule_id through
// the PostgreSQL view), the service's validation, the claim of due slots with a manual clock (one job per
// slot, catch-up after a gap, missed-run and overlap policies, switching off), claims racing in threads
// and in real hcm-worker processes, and the scheduler component waking on its own.
// Over 800 lines on purpose: one suite per component, so that its shared fixtures (databases of both
// backends, servers, processes) are set up once; each test function is self-contained.

#include "testutil.h"

#include "db/database.h"
#include "db/migrator.h"
#include "jobs/jobservice.h"
#include "jobs/jobstatsstore.h"
#include "jobs/jobtypes.h"
#include "schedules/schedulenotifier.h"
#include "schedules/scheduler.h"
#include "schedules/scheduleservice.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QTimeZone>
#include <QtTest>

#include <latch>

using namespace hcm;
using namespace hcm::test;

namespace {

const Actor kActor = test::adminActor(QStringLiteral("tester"));

qint64 utc(const char *iso)
{
    return QDateTime::fromString(QLatin1String(iso), Qt::ISODateWithMs).toMSecsSinceEpoch();
}

Schedule makeSchedule(const QString &name, const QString &cron, const QString &zone = QStringLiteral("UTC"))
{
    Schedule s;
    s.name = name;
    s.jobType = QStringLiteral("test.noop");
    s.cron = cron;
    s.timeZone = zone;
    return s;
}

// Jobs the schedule made (schedule_id), on the calling thread's connection.
qint64 jobsOf(const TempDatabase &tdb, qint64 scheduleId)
{
    return rowCount(tdb.config(), QStringLiteral("background_jobs"),
                    QStringLiteral("schedule_id = %1").arg(scheduleId));
}

std::unique_ptr<QProcess> startWorker(const TempDatabase &tdb, const QString &id)
{
    auto p = std::make_unique<QProcess>();
    p->setProgram(programPath(QStringLiteral("hcm-worker")));
    p->setArguments(QStringList{QStringLiteral("--db"), tdb.spec(), QStringLiteral("--worker-id"), id,
                                QStringLiteral("--enable-test-job-types"), QStringLiteral("--log-dir"),
                                tdb.dir() + QStringLiteral("/logs-") + id, QStringLiteral("--cache-dir"),
                                tdb.dir() + QStringLiteral("/cache")});
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start();
    return p;
}

using CtlRun = ProgramRun;

QJsonValue jsonOf(const CtlRun &r)
{
    const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8());
    return doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
}

} // namespace

class TstSchedules : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void initTestCase() { JobTypeCatalog::enableTestTypes(); }
    void cleanup() { Database::closeThreadConnections(); }

    // A new database has the two maintenance schedules, enabled, in this machine's zone.
    void newDatabaseHasMaintenanceSchedules()
    {
        HCM_TEMP_DATABASE(tdb);
        ScheduleService service{ScheduleStore(tdb.config())};
        auto all = ScheduleStore(tdb.config()).list();
        QVERIFY(all.ok());
        QCOMPARE(all->size(), 2);
        QByteArray zone = QTimeZone::systemTimeZoneId();
        if (zone.isEmpty() || !QTimeZone::isTimeZoneIdAvailable(zone))
            zone = QByteArrayLiteral("UTC");
        const Schedule cleanup = all->at(0);
        const Schedule rotate = all->at(1);
        QCOMPARE(cleanup.name, QStringLiteral("cleanup"));
        QCOMPARE(cleanup.jobType, QStringLiteral("cleanup"));
        QCOMPARE(cleanup.cron, QStringLiteral("30 3 * * *"));
        QCOMPARE(rotate.name, QStringLiteral("log_rotate"));
        QCOMPARE(rotate.jobType, QStringLiteral("log_rotate"));
        QCOMPARE(rotate.cron, QStringLiteral("0 3 * * *"));
        for (const Schedule &s : *all) {
            QVERIFY(s.enabled);
            QCOMPARE(s.timeZone, QString::fromLatin1(zone));
            QCOMPARE(s.nextRunAt, qint64(0)); // computed by the first scheduler
        }
        // Listed with the next run they will get.
        auto shown = service.list();
        QVERIFY(shown.ok());
        QVERIFY(shown->at(0).nextRunAt > QDateTime::currentMSecsSinceEpoch());
        // The first scheduler pass fills in the next runs: the next 03:00 / 03:30 in the zone.
        ScheduleStore store(tdb.config());
        auto filled = store.fillMissingNextRuns();
        QVERIFY(filled.ok());
        QCOMPARE(*filled, 2);
        auto rotated = service.find(QStringLiteral("log_rotate"));
        QVERIFY(rotated.ok());
        const QDateTime local = QDateTime::fromMSecsSinceEpoch(rotated->nextRunAt, QTimeZone(zone));
        QCOMPARE(local.time(), QTime(3, 0));
        QVERIFY(rotated->nextRunAt > QDateTime::currentMSecsSinceEpoch());
        QVERIFY(rotated->nextRunAt <= QDateTime::currentMSecsSinceEpoch() + 25 * 3600 * 1000LL);
    }

    // Jobs carry schedule_id on both backends; on PostgreSQL through the view too (its INSTEAD OF trigger
    // moves whole rows between job_queue and job_archive, the new column included).
    void jobsCarryScheduleIdThroughTheView()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(execSql(
            tdb.config(),
            QStringLiteral("INSERT INTO background_jobs (job_type, status, payload, run_at, created_at, "
                           "updated_at, created_by, schedule_id) VALUES ('test.noop', 'queued', '{}', 1, "
                           "1, 1, 'sql', 42)")));
        QCOMPARE(jobsOf(tdb, 42), qint64(1));
        // Finished through the view: the row moves to the archive (PostgreSQL) and keeps its schedule.
        QVERIFY(execSql(tdb.config(), QStringLiteral("UPDATE background_jobs SET status = 'completed', "
                                                     "completed_at = 2 WHERE schedule_id = 42")));
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                          QStringLiteral("schedule_id = 42 AND status = 'completed'")),
                 qint64(1));
        if (tdb.isPostgres()) {
            QCOMPARE(
                rowCount(tdb.config(), QStringLiteral("job_archive"), QStringLiteral("schedule_id = 42")),
                qint64(1));
            QCOMPARE(rowCount(tdb.config(), QStringLiteral("job_queue")), qint64(0));
        }
        // The job service still reads and lists every job.
        JobService jobs{JobStore(tdb.config())};
        auto listed = jobs.list(JobFilter{});
        QVERIFY(listed.ok());
        QCOMPARE(listed->size(), 1);
    }

    // A schedule's recent jobs carry the error's code and arguments (migration 018), so the schedules
    // page shows the error in the reader's language; a text without code stays as it is.
    void recentJobsCarryTheErrorCode()
    {
        HCM_TEMP_DATABASE(tdb);
        const JobError coded =
            JobError::make("log_rotate.open_folder",
                           QJsonObject{{QStringLiteral("folder"), QStringLiteral("/var/log/hcm")},
                                       {QStringLiteral("reason"), QStringLiteral("Permission denied")}});
        auto db = Database::connection(tdb.config());
        QVERIFY(db.ok());
        QSqlQuery q(db.value());
        q.prepare(
            QStringLiteral("INSERT INTO background_jobs (job_type, status, payload, run_at, created_at, "
                           "completed_at, updated_at, created_by, schedule_id, error_message, "
                           "error_code, error_args) VALUES ('log_rotate', 'failed', '{}', 1, 1, 2, 2, "
                           "'sql', 42, ?, ?, ?)"));
        q.addBindValue(coded.text);
        q.addBindValue(coded.codeValue());
        q.addBindValue(coded.argsValue());
        QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
        QVERIFY(execSql(tdb.config(),
                        QStringLiteral("INSERT INTO background_jobs (job_type, status, payload, run_at, "
                                       "created_at, completed_at, updated_at, created_by, schedule_id, "
                                       "error_message) VALUES ('email_send', 'failed', '{}', 1, 1, 3, 3, "
                                       "'sql', 42, '550 mailbox unavailable')")));
        const auto runs = ScheduleStore(tdb.config()).recentJobs(42);
        QVERIFY2(runs.ok(), qPrintable(runs.ok() ? QString() : runs.error().message));
        QCOMPARE(runs->size(), 2);
        const JobError &provider = runs->at(0).error; // newest first
        QVERIFY(!provider.hasCode());
        QCOMPARE(provider.display(), QStringLiteral("550 mailbox unavailable"));
        const JobError &stored = runs->at(1).error;
        QCOMPARE(stored.code, coded.code);
        QCOMPARE(stored.args, coded.args);
        QCOMPARE(stored.display(), coded.text); // no translator installed: the English text
    }

    // Jobs read from the store carry their schedule's id (0 when none; "schedule_id" in the JSON, null
    // when none), and JobFilter::scheduleId narrows the list, the count and the counts by status to one
    // schedule's jobs, finished ones included (on PostgreSQL they live in job_archive).
    void jobFilterBySchedule()
    {
        HCM_TEMP_DATABASE(tdb);
        ScheduleService schedules{ScheduleStore(tdb.config())};
        auto a = schedules.add(makeSchedule(QStringLiteral("a"), QStringLiteral("@yearly")), kActor);
        auto b = schedules.add(makeSchedule(QStringLiteral("b"), QStringLiteral("@yearly")), kActor);
        QVERIFY(a.ok() && b.ok());
        auto a1 = schedules.runNow(*a, kActor);
        auto a2 = schedules.runNow(*a, kActor);
        auto b1 = schedules.runNow(*b, kActor);
        QVERIFY(a1.ok() && a2.ok() && b1.ok());
        JobService jobs{JobStore(tdb.config())};
        NewJob plain;
        plain.type = QStringLiteral("test.noop");
        auto p1 = jobs.enqueue(plain, kActor);
        QVERIFY(p1.ok());
        QVERIFY(execSql(tdb.config(), QStringLiteral("UPDATE background_jobs SET status = 'completed', "
                                                     "completed_at = 2 WHERE id = %1")
                                          .arg(*a1)));

        auto one = jobs.get(*a1);
        QVERIFY(one.ok());
        QCOMPARE(one->scheduleId, *a);
        QCOMPARE(one->toJson().value(QStringLiteral("schedule_id")).toInteger(), *a);
        auto none = jobs.get(*p1);
        QVERIFY(none.ok());
        QCOMPARE(none->scheduleId, qint64(0));
        QVERIFY(none->toJson().contains(QStringLiteral("schedule_id")));
        QVERIFY(none->toJson().value(QStringLiteral("schedule_id")).isNull());

        JobFilter filter;
        filter.scheduleId = *a;
        auto listed = jobs.list(filter);
        QVERIFY(listed.ok());
        QList<qint64> ids;
        for (const Job &j : *listed) {
            QCOMPARE(j.scheduleId, *a);
            ids << j.id;
        }
        QCOMPARE(ids, (QList<qint64>{*a2, *a1})); // newest first
        QCOMPARE(jobs.count(filter).value(), qint64(2));
        JobStore store(tdb.config());
        auto byStatus = store.countByStatus(filter);
        QVERIFY(byStatus.ok());
        QCOMPARE(byStatus->at(size_t(JobStatus::Queued)), qint64(1));
        QCOMPARE(byStatus->at(size_t(JobStatus::Completed)), qint64(1));
        // The counts the jobs page reads: the maintained totals know no schedules, so they must not
        // answer a schedule filter.
        JobStatsStore stats(tdb.config());
        QCOMPARE(stats.count(filter).value(), qint64(2));
        auto statsByStatus = stats.countByStatus(filter);
        QVERIFY(statsByStatus.ok());
        QCOMPARE(statsByStatus->at(size_t(JobStatus::Queued)), qint64(1));
        QCOMPARE(statsByStatus->at(size_t(JobStatus::Completed)), qint64(1));
        // With the other filters.
        filter.statuses = {JobStatus::Completed};
        QCOMPARE(jobs.count(filter).value(), qint64(1));
        QCOMPARE(stats.count(filter).value(), qint64(1));
        filter.statuses.clear();
        filter.scheduleId = *b;
        QCOMPARE(jobs.list(filter)->size(), 1);
        QCOMPARE(jobs.list(filter)->at(0).id, *b1);
        filter.scheduleId = 0;
        QCOMPARE(jobs.count(filter).value(), qint64(4));
        QCOMPARE(stats.count(filter).value(), qint64(4));
    }

    // A database of schema 9 (before schedules) gets the table, the column and the two schedules; its
    // jobs stay as they were.
    void upgradeAddsSchedules()
    {
        QFETCH_GLOBAL(QString, backend);
        if (backend != QLatin1String("sqlite"))
            QSKIP("the upgrade path is the same SQL on PostgreSQL; this test builds the old file by hand");
        QTemporaryDir dir;
        DbConfig config;
        config.backend = DbConfig::Backend::Sqlite;
        config.sqlitePath = dir.filePath(QStringLiteral("old.db"));
        {
            auto db = Database::connection(config);
            QVERIFY(db.ok());
            QSqlQuery q(db.value());
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                                          "name TEXT NOT NULL, applied_at BIGINT NOT NULL)")));
            for (const Migrator::Migration &m : Migrator::available(config.backend)) {
                if (m.version > 9)
                    break;
                for (const QString &statement : Migrator::splitStatements(m.sql))
                    QVERIFY2(q.exec(statement), qPrintable(q.lastError().text()));
                QVERIFY(q.exec(QStringLiteral("INSERT INTO schema_migrations VALUES (%1, '%2', 0)")
                                   .arg(m.version)
                                   .arg(m.name)));
            }
            QVERIFY(
                q.exec(QStringLiteral("INSERT INTO background_jobs (job_type, status, payload, run_at, "
                                      "created_at, updated_at, created_by) VALUES ('cleanup', 'completed', "
                                      "'{}', 1, 1, 1, 'old')")));
            auto db2 = db.value();
            QVERIFY(Migrator::migrate(db2, config).ok());
        }
        ScheduleService service{ScheduleStore(config)};
        auto all = service.list();
        QVERIFY(all.ok());
        QCOMPARE(all->size(), 2);
        QCOMPARE(rowCount(config, QStringLiteral("background_jobs"),
                          QStringLiteral("created_by = 'old' AND schedule_id IS NULL")),
                 qint64(1));
        Database::closeThreadConnections();
    }

    void validation_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("empty name") << "name"
                                    << ""
                                    << "The schedule needs a name.";
        QTest::newRow("blank name") << "name"
                                    << "   "
                                    << "The schedule needs a name.";
        QTest::newRow("padded name") << "name"
                                     << " x"
                                     << "The name must not start or end with a space.";
        QTest::newRow("long name") << "name" << QString(101, QLatin1Char('n'))
                                   << "The name has 101 characters; the limit is 100.";
        QTest::newRow("unknown type")
            << "type"
            << "nope"
            << QStringLiteral("Unknown job type \"nope\". Known types: %1.")
                   .arg(JobTypeCatalog::instance().names().join(QLatin1String(", ")));
        QTest::newRow("bad cron") << "cron"
                                  << "0 0 32 * *"
                                  << "Invalid cron expression: day-of-month: 32 is out of range 1–31.";
        QTest::newRow("bad zone")
            << "zone"
            << "Mars/Olympus"
            << "Unknown time zone \"Mars/Olympus\": use an IANA name such as Europe/Berlin "
               "or UTC.";
        QTest::newRow("retries") << "retries"
                                 << "26"
                                 << "max_retries must be from 0 to 25; 26 was given.";
    }

    // Bad input gets a precise error and writes nothing.
    void validation()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, message);
        HCM_TEMP_DATABASE(tdb);
        ScheduleService service{ScheduleStore(tdb.config())};
        Schedule s = makeSchedule(QStringLiteral("ok"), QStringLiteral("* * * * *"));
        if (field == QLatin1String("name"))
            s.name = value;
        else if (field == QLatin1String("type"))
            s.jobType = value;
        else if (field == QLatin1String("cron"))
            s.cron = value;
        else if (field == QLatin1String("zone"))
            s.timeZone = value;
        else if (field == QLatin1String("retries"))
            s.maxRetries = value.toInt();
        auto id = service.add(s, kActor);
        QVERIFY(!id.ok());
        QCOMPARE(id.error().code, Error::Code::Invalid);
        QCOMPARE(id.error().message, message);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("schedules")), qint64(2));
    }

    void namesAreUnique()
    {
        HCM_TEMP_DATABASE(tdb);
        ScheduleService service{ScheduleStore(tdb.config())};
        QVERIFY(service.add(makeSchedule(QStringLiteral("a"), QStringLiteral("* * * * *")), kActor).ok());
        auto again = service.add(makeSchedule(QStringLiteral("a"), QStringLiteral("0 * * * *")), kActor);
        QVERIFY(!again.ok());
        QCOMPARE(again.error().code, Error::Code::Conflict);
        QCOMPARE(again.error().message, QStringLiteral("A schedule named \"a\" exists already."));
        auto b = service.add(makeSchedule(QStringLiteral("b"), QStringLiteral("* * * * *")), kActor);
        QVERIFY(b.ok());
        auto renamed = service.get(*b).value();
        renamed.name = QStringLiteral("log_rotate");
        auto st = service.edit(renamed, kActor);
        QVERIFY(!st.ok());
        QCOMPARE(st.error().code, Error::Code::Conflict);
        QCOMPARE(service.get(*b)->name, QStringLiteral("b"));
    }

    // One job per due slot, none before it, none twice; the job carries the schedule's id and fields.
    void claimMakesOneJobPerSlot()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>(utc("2026-05-04T10:00:00Z"));
        ScheduleService service{ScheduleStore(tdb.config(), clock)};
        Schedule s = makeSchedule(QStringLiteral("five"), QStringLiteral("*/5 * * * *"));
        s.priority = JobPriority::High;
        s.payload = QJsonObject{{QStringLiteral("tag"), QStringLiteral("x")}};
        s.maxRetries = 7;
        auto id = service.add(s, kActor);
        QVERIFY2(id.ok(), id.ok() ? "" : qPrintable(id.error().message));
        QCOMPARE(service.get(*id)->nextRunAt, utc("2026-05-04T10:05:00Z"));
        ScheduleStore &store = service.store();

        clock->setMs(utc("2026-05-04T10:04:59.999Z"));
        auto r = store.claimDue();
        QVERIFY(r.ok());
        QCOMPARE(r->made, 0);
        clock->setMs(utc("2026-05-04T10:05:00Z"));
        r = store.claimDue();
        QVERIFY(r.ok());
        QCOMPARE(r->due, 1);
        QCOMPARE(r->made, 1);
        r = store.claimDue();
        QVERIFY(r.ok());
        QCOMPARE(r->made, 0);
        QCOMPARE(jobsOf(tdb, *id), qint64(1));

        const Schedule after = service.get(*id).value();
        QCOMPARE(after.nextRunAt, utc("2026-05-04T10:10:00Z"));
        QCOMPARE(after.lastRunAt, utc("2026-05-04T10:05:00Z"));
        QVERIFY(after.lastJobId > 0);
        QVERIFY(after.lastJobStatus == JobStatus::Queued);
        JobService jobs{JobStore(tdb.config(), clock)};
        auto job = jobs.get(after.lastJobId);
        QVERIFY(job.ok());
        QCOMPARE(job->type, QStringLiteral("test.noop"));
        QCOMPARE_ENUM(job->priority, JobPriority::High);
        QCOMPARE(job->maxRetries, 7);
        QCOMPARE(job->payload, s.payload);
        QCOMPARE(job->createdBy, QStringLiteral("schedule:five"));
    }

    void catchUpAfterGap_data()
    {
        QTest::addColumn<QString>("policy");
        QTest::addColumn<int>("jobs");
        QTest::newRow("run once") << "run_once" << 1;
        QTest::newRow("skip") << "skip" << 0;
    }

    // All workers were down for a day and a half: a daily schedule makes one job on return (or none),
    // never one per missed slot, and its next run is the next 03:00 after now.
    void catchUpAfterGap()
    {
        QFETCH(QString, policy);
        QFETCH(int, jobs);
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>(utc("2026-05-04T10:00:00Z"));
        ScheduleService service{ScheduleStore(tdb.config(), clock)};
        Schedule s = makeSchedule(QStringLiteral("nightly"), QStringLiteral("0 3 * * *"),
                                  QStringLiteral("Europe/Berlin"));
        s.missed = missedPolicyFromString(policy).value();
        // Hourly too: 36 missed slots.
        Schedule hourly = makeSchedule(QStringLiteral("hourly"), QStringLiteral("@hourly"));
        hourly.missed = s.missed;
        auto id = service.add(s, kActor);
        auto hourlyId = service.add(hourly, kActor);
        QVERIFY(id.ok() && hourlyId.ok());
        clock->setMs(utc("2026-05-05T22:00:00Z"));
        for (int i = 0; i < 3; ++i)
            QVERIFY(service.store().claimDue().ok());
        QCOMPARE(jobsOf(tdb, *id), qint64(jobs));
        QCOMPARE(jobsOf(tdb, *hourlyId), qint64(jobs));
        QCOMPARE(service.get(*id)->nextRunAt, utc("2026-05-06T01:00:00Z")); // 03:00 CEST
        QCOMPARE(service.get(*hourlyId)->nextRunAt, utc("2026-05-05T23:00:00Z"));
    }

    // Overlap skip: while the previous job is queued or running, a slot makes no job (and is used up);
    // once it finished, the next slot makes one. Allow makes one every slot.
    void overlapPolicy()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>(utc("2026-05-04T10:00:00Z"));
        ScheduleService service{ScheduleStore(tdb.config(), clock)};
        JobService jobs{JobStore(tdb.config(), clock)};
        auto skip = service.add(makeSchedule(QStringLiteral("skip"), QStringLiteral("* * * * *")), kActor);
        Schedule allowSchedule = makeSchedule(QStringLiteral("allow"), QStringLiteral("* * * * *"));
        allowSchedule.overlap = OverlapPolicy::Allow;
        auto allow = service.add(allowSchedule, kActor);
        QVERIFY(skip.ok() && allow.ok());
        auto minute = [&](int n) {
            clock->setMs(utc("2026-05-04T10:00:00Z") + n * 60'000LL);
            return service.store().claimDue();
        };
        QCOMPARE(minute(1)->made, 2);
        // The skip schedule's job is still queued: no new one, the slot is used up.
        auto r = minute(2);
        QCOMPARE(r->made, 1);
        QCOMPARE(r->skippedOverlap, 1);
        QCOMPARE(jobsOf(tdb, *skip), qint64(1));
        QCOMPARE(jobsOf(tdb, *allow), qint64(2));
        QCOMPARE(service.get(*skip)->nextRunAt, utc("2026-05-04T10:03:00Z"));
        // Running counts as well.
        auto claimed = jobs.store().claim(QStringLiteral("w"), 10, 60'000, {QStringLiteral("test.noop")});
        QVERIFY(claimed.ok());
        QCOMPARE(minute(3)->skippedOverlap, 1);
        // Finished: the next slot makes a job again.
        QCOMPARE(claimed->size(), 3);
        QVERIFY(
            execSql(tdb.config(), QStringLiteral("UPDATE background_jobs SET status = 'completed', "
                                                 "completed_at = 1, worker_id = NULL WHERE schedule_id = %1")
                                      .arg(*skip)));
        r = minute(4);
        QCOMPARE(r->skippedOverlap, 0);
        QCOMPARE(jobsOf(tdb, *skip), qint64(2));
    }

    // Switched off, a schedule makes nothing, even for a slot that was due; switched on, its next run
    // is computed from now.
    void disabledMakesNothing()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>(utc("2026-05-04T10:00:00Z"));
        ScheduleService service{ScheduleStore(tdb.config(), clock)};
        auto id = service.add(makeSchedule(QStringLiteral("m"), QStringLiteral("* * * * *")), kActor);
        QVERIFY(id.ok());
        QVERIFY(service.setEnabled(*id, false, kActor).ok());
        QCOMPARE(service.get(*id)->nextRunAt, qint64(0));
        clock->advanceMs(10 * 60'000);
        QCOMPARE(service.store().claimDue()->made, 0);
        QCOMPARE(jobsOf(tdb, *id), qint64(0));
        QVERIFY(service.setEnabled(*id, true, kActor).ok());
        QCOMPARE(service.get(*id)->nextRunAt, utc("2026-05-04T10:11:00Z"));
        QCOMPARE(service.store().claimDue()->made, 0);
        auto missing = service.setEnabled(999, true, kActor);
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().code, Error::Code::NotFound);
    }

    void runNowAndDelete()
    {
        HCM_TEMP_DATABASE(tdb);
        ScheduleService service{ScheduleStore(tdb.config())};
        auto id = service.add(makeSchedule(QStringLiteral("r"), QStringLiteral("@yearly")), kActor);
        QVERIFY(id.ok());
        const qint64 next = service.get(*id)->nextRunAt;
        auto job = service.runNow(*id, kActor);
        QVERIFY(job.ok());
        QCOMPARE(jobsOf(tdb, *id), qint64(1));
        QCOMPARE(service.get(*id)->lastJobId, *job);
        QCOMPARE(service.get(*id)->nextRunAt, next); // the slot is untouched
        QVERIFY(service.remove(*id, kActor).ok());
        QCOMPARE(service.get(*id).error().code, Error::Code::NotFound);
        QCOMPARE(jobsOf(tdb, *id), qint64(1)); // the history stays
        QCOMPARE(service.runNow(*id, kActor).error().code, Error::Code::NotFound);
        QCOMPARE(service.remove(*id, kActor).error().code, Error::Code::NotFound);
    }

    // Four threads, each with its own connection, claim 200 due slots at once: 200 jobs, one each.
    void claimRaceBetweenThreads()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>(utc("2026-05-04T10:00:00Z"));
        ScheduleService service{ScheduleStore(tdb.config(), clock)};
        for (int i = 0; i < 200; ++i) {
            Schedule s = makeSchedule(QStringLiteral("s%1").arg(i), QStringLiteral("* * * * *"));
            s.overlap = OverlapPolicy::Allow; // the jobs of earlier rounds still wait
            QVERIFY(service.add(s, kActor).ok());
        }
        for (int round = 1; round <= 3; ++round) {
            clock->setMs(utc("2026-05-04T10:00:00Z") + round * 60'000LL);
            std::latch go(4);
            std::atomic<int> made{0};
            std::atomic<int> errors{0};
            QList<QThread *> threads;
            for (int t = 0; t < 4; ++t) {
                threads << QThread::create([&] {
                    ScheduleStore store(tdb.config(), clock);
                    go.arrive_and_wait();
                    for (;;) {
                        auto r = store.claimDue(7);
                        if (!r) {
                            ++errors;
                            break;
                        }
                        made += r->made;
                        if (r->due == 0)
                            break;
                    }
                    Database::closeThreadConnections();
                });
                threads.last()->start();
            }
            for (QThread *t : threads) {
                QVERIFY(t->wait(60'000));
                delete t;
            }
            QCOMPARE(errors.load(), 0);
            QCOMPARE(made.load(), 200);
            QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                              QStringLiteral("schedule_id IS NOT NULL")),
                     qint64(200 * round));
            QCOMPARE(rowCount(tdb.config(), QStringLiteral("schedules"),
                              QStringLiteral("next_run_at = %1").arg(clock->nowMs() + 60'000)),
                     qint64(200));
        }
    }

    // The scheduler component: sleeps until the slot, makes the job once; a change wakes it at once.
    void schedulerWakesAndMakesOneJob()
    {
        HCM_TEMP_DATABASE(tdb);
        auto clock = std::make_shared<ManualClock>(utc("2026-05-04T10:00:30Z"));
        ScheduleService service{ScheduleStore(tdb.config(), clock)};
        Schedule every = makeSchedule(QStringLiteral("m"), QStringLiteral("* * * * *"));
        every.overlap = OverlapPolicy::Allow;
        auto id = service.add(every, kActor);
        QVERIFY(id.ok());
        Scheduler::Options options{tdb.config(), clock};
        Scheduler scheduler(options);
        QSignalSpy passes(&scheduler, &Scheduler::passFinished);
        scheduler.start();
        clock->setMs(utc("2026-05-04T10:01:00Z"));
        scheduler.wake();
        QTRY_COMPARE(jobsOf(tdb, *id), qint64(1));
        QTRY_COMPARE(passes.size(), 1);
        // More passes in the same minute make nothing more.
        scheduler.passAndWait();
        scheduler.passAndWait();
        QCOMPARE(jobsOf(tdb, *id), qint64(1));
        // A change in this process wakes it at once (its timer is a minute away).
        clock->setMs(utc("2026-05-04T10:02:00Z"));
        emit ScheduleNotifier::instance()->schedulesChanged();
        QTRY_COMPARE(jobsOf(tdb, *id), qint64(2));
        QCOMPARE(passes.size(), 2);
        scheduler.stop();
    }

    // Real hcm-worker processes (4 on PostgreSQL, 2 on one SQLite file) race over 200 due slots, twice:
    // every schedule has exactly one job per slot.
    void exactlyOnceAcrossProcesses()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!QFile::exists(programPath(QStringLiteral("hcm-worker"))))
            QSKIP("hcm-worker is not built");
        const int processes = tdb.isPostgres() ? 4 : 2;
        ScheduleService service{ScheduleStore(tdb.config())};
        for (int i = 0; i < 200; ++i) {
            Schedule s = makeSchedule(QStringLiteral("p%1").arg(i), QStringLiteral("0 0 1 1 *"));
            s.overlap = OverlapPolicy::Allow;
            QVERIFY(service.add(s, kActor).ok());
        }
        QVERIFY(execSql(tdb.config(),
                        QStringLiteral("UPDATE schedules SET enabled = 0 WHERE job_type <> 'test.noop'")));
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        QVERIFY(execSql(
            tdb.config(),
            QStringLiteral("UPDATE schedules SET next_run_at = %1 WHERE enabled = 1").arg(now - 1000)));
        std::vector<std::unique_ptr<QProcess>> workers;
        for (int i = 0; i < processes; ++i)
            workers.push_back(startWorker(tdb, QStringLiteral("sched-%1").arg(i)));
        for (auto &w : workers)
            QVERIFY(w->waitForStarted());
        const QString allAdvanced = QStringLiteral("enabled = 1 AND next_run_at > %1").arg(now);
        QTRY_COMPARE_WITH_TIMEOUT(rowCount(tdb.config(), QStringLiteral("schedules"), allAdvanced),
                                  qint64(200), 60'000);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                          QStringLiteral("schedule_id IS NOT NULL")),
                 qint64(200));
        // Round two: every slot due again at once (the processes learn of it by NOTIFY or by PRAGMA
        // data_version, or start with it: changeInAnotherProcessWakesTheScheduler checks the wake-up).
        const qint64 now2 = QDateTime::currentMSecsSinceEpoch();
        QVERIFY(execSql(
            tdb.config(),
            QStringLiteral("UPDATE schedules SET next_run_at = %1 WHERE enabled = 1").arg(now2 - 500)));
        if (tdb.isPostgres())
            QVERIFY(execSql(tdb.config(), QStringLiteral("NOTIFY hcm_schedules")));
        QTRY_COMPARE_WITH_TIMEOUT(rowCount(tdb.config(), QStringLiteral("schedules"),
                                           QStringLiteral("enabled = 1 AND next_run_at > %1").arg(now2)),
                                  qint64(200), 60'000);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("background_jobs"),
                          QStringLiteral("schedule_id IS NOT NULL")),
                 qint64(400));
        auto db = Database::connection(tdb.config());
        QSqlQuery q(db.value());
        QVERIFY(q.exec(
            QStringLiteral("SELECT count(*) FROM (SELECT schedule_id FROM background_jobs WHERE "
                           "schedule_id IS NOT NULL GROUP BY schedule_id HAVING count(*) <> 2) AS x")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), 0);
        q.finish();
        for (auto &w : workers)
            w->terminate();
        for (auto &w : workers)
            QVERIFY(w->waitForFinished(30'000));
    }

    // A change made by another process reaches a running hcm-worker's scheduler at once (NOTIFY on
    // PostgreSQL, PRAGMA data_version on SQLite), not at its 60 s safety poll.
    void changeInAnotherProcessWakesTheScheduler()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!QFile::exists(programPath(QStringLiteral("hcm-worker"))))
            QSKIP("hcm-worker is not built");
        ScheduleService service{ScheduleStore(tdb.config())};
        Schedule s = makeSchedule(QStringLiteral("yearly"), QStringLiteral("0 0 1 1 *"));
        auto id = service.add(s, kActor);
        QVERIFY(id.ok());
        // The maintenance schedules get their first next run from the worker's first pass: once it is
        // there, the scheduler sleeps (nothing is due for weeks; its safety poll is 60 s away).
        QVERIFY(execSql(tdb.config(),
                        QStringLiteral("UPDATE schedules SET next_run_at = NULL WHERE id <> %1").arg(*id)));
        auto worker = startWorker(tdb, QStringLiteral("wake"));
        QVERIFY(worker->waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(
            rowCount(tdb.config(), QStringLiteral("schedules"), QStringLiteral("next_run_at IS NULL")),
            qint64(0), 30'000);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        QVERIFY(execSql(
            tdb.config(),
            QStringLiteral("UPDATE schedules SET next_run_at = %1 WHERE id = %2").arg(now - 500).arg(*id)));
        if (tdb.isPostgres())
            QVERIFY(execSql(tdb.config(), QStringLiteral("NOTIFY hcm_schedules")));
        QTRY_COMPARE_WITH_TIMEOUT(jobsOf(tdb, *id), qint64(1), 20'000);
        worker->terminate();
        QVERIFY(worker->waitForFinished(30'000));
    }

    // hcmctl schedules: every verb, --json, and bad input that changes nothing.
    void hcmctlSchedules()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!QFile::exists(programPath(QStringLiteral("hcmctl"))))
            QSKIP("hcmctl is not built");
        const QStringList add{
            QStringLiteral("schedules"),  QStringLiteral("add"),     QStringLiteral("nightly"),
            QStringLiteral("--type"),     QStringLiteral("cleanup"), QStringLiteral("--cron"),
            QStringLiteral("30 2 * * *"), QStringLiteral("--zone"),  QStringLiteral("Europe/Berlin")};
        CtlRun r = runHcmctl(tdb, add);
        QCOMPARE(r.code, 0);
        const qint64 id = r.out.trimmed().toLongLong();
        QVERIFY(id > 0);
        // Bad input: precise message, exit 1, nothing written.
        r = runHcmctl(tdb, {QStringLiteral("schedules"), QStringLiteral("add"), QStringLiteral("bad"),
                            QStringLiteral("--type"), QStringLiteral("cleanup"), QStringLiteral("--cron"),
                            QStringLiteral("0 0 32 * *")});
        QCOMPARE(r.code, 1);
        QCOMPARE(r.err.trimmed(),
                 QStringLiteral("hcmctl: Invalid cron expression: day-of-month: 32 is out of range 1–31."));
        r = runHcmctl(tdb, add);
        QCOMPARE(r.code, 1);
        QCOMPARE(r.err.trimmed(), QStringLiteral("hcmctl: A schedule named \"nightly\" exists already."));
        r = runHcmctl(tdb, {QStringLiteral("schedules"), QStringLiteral("add"), QStringLiteral("x"),
                            QStringLiteral("--type"), QStringLiteral("cleanup")});
        QCOMPARE(r.code, 2);
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("schedules")), qint64(3));

        r = runHcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("schedules"), QStringLiteral("list")});
        QCOMPARE(r.code, 0);
        QStringList names;
        for (const QJsonValue &v : jsonOf(r).toArray())
            names << v[QStringLiteral("name")].toString();
        QCOMPARE(names, (QStringList{QStringLiteral("cleanup"), QStringLiteral("log_rotate"),
                                     QStringLiteral("nightly")}));

        r = runHcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("schedules"), QStringLiteral("show"),
                            QStringLiteral("nightly")});
        QCOMPARE(r.code, 0);
        QJsonObject o = jsonOf(r).toObject();
        QCOMPARE(o[QStringLiteral("description")].toString(), QStringLiteral("At 02:30, every day"));
        QCOMPARE(o[QStringLiteral("time_zone")].toString(), QStringLiteral("Europe/Berlin"));
        const QJsonArray runs = o[QStringLiteral("next_runs")].toArray();
        QCOMPARE(runs.size(), 5);
        for (const QJsonValue &t : runs) {
            const QDateTime local =
                QDateTime::fromString(t.toString(), Qt::ISODateWithMs).toTimeZone(QTimeZone("Europe/Berlin"));
            QVERIFY2(local.time() == QTime(2, 30) || local.time() == QTime(3, 0), qPrintable(t.toString()));
        }

        r = runHcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("schedules"), QStringLiteral("edit"),
                            QString::number(id), QStringLiteral("--cron"), QStringLiteral("*/15 * * * *"),
                            QStringLiteral("--overlap"), QStringLiteral("allow")});
        QCOMPARE(r.code, 0);
        o = jsonOf(r).toObject();
        QCOMPARE(o[QStringLiteral("cron")].toString(), QStringLiteral("*/15 * * * *"));
        QCOMPARE(o[QStringLiteral("overlap_policy")].toString(), QStringLiteral("allow"));
        r = runHcmctl(tdb, {QStringLiteral("schedules"), QStringLiteral("edit"), QStringLiteral("nightly"),
                            QStringLiteral("--overlap"), QStringLiteral("sometimes")});
        QCOMPARE(r.code, 2);

        r = runHcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("schedules"), QStringLiteral("disable"),
                            QStringLiteral("nightly")});
        QCOMPARE(r.code, 0);
        QCOMPARE(jsonOf(r)[QStringLiteral("enabled")].toBool(), false);
        QVERIFY(jsonOf(r)[QStringLiteral("next_run_at")].isNull());
        r = runHcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("schedules"), QStringLiteral("enable"),
                            QStringLiteral("nightly")});
        QCOMPARE(r.code, 0);
        QVERIFY(jsonOf(r)[QStringLiteral("next_run_at")].isString());

        r = runHcmctl(tdb, {QStringLiteral("schedules"), QStringLiteral("run"), QStringLiteral("nightly")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.trimmed().startsWith(QLatin1String("job_")));
        QCOMPARE(jobsOf(tdb, id), qint64(1));

        r = runHcmctl(tdb,
                      {QStringLiteral("schedules"), QStringLiteral("delete"), QStringLiteral("nightly")});
        QCOMPARE(r.code, 0);
        r = runHcmctl(tdb, {QStringLiteral("schedules"), QStringLiteral("show"), QStringLiteral("nightly")});
        QCOMPARE(r.code, 1);
        QCOMPARE(r.err.trimmed(), QStringLiteral("hcmctl: There is no schedule named \"nightly\"."));
    }

    // hcmctl jobs list --schedule ID|NAME lists only that schedule's jobs; jobs show/list --json carry
    // "schedule_id" (null when none); a schedule that is not there is a precise error.
    void hcmctlJobsListBySchedule()
    {
        HCM_TEMP_DATABASE(tdb);
        if (!QFile::exists(programPath(QStringLiteral("hcmctl"))))
            QSKIP("hcmctl is not built");
        ScheduleService schedules{ScheduleStore(tdb.config())};
        // A type hcmctl knows (it runs without the test types), for the re-import below.
        auto cleanupSchedule = [](const QString &name) {
            Schedule s = makeSchedule(name, QStringLiteral("@yearly"));
            s.jobType = QStringLiteral("cleanup");
            return s;
        };
        auto a = schedules.add(cleanupSchedule(QStringLiteral("nightly-cleanup")), kActor);
        auto b = schedules.add(cleanupSchedule(QStringLiteral("other")), kActor);
        QVERIFY(a.ok() && b.ok());
        QSet<qint64> mine;
        for (int i = 0; i < 2; ++i)
            mine.insert(schedules.runNow(*a, kActor).value());
        QVERIFY(schedules.runNow(*b, kActor).ok());
        JobService jobs{JobStore(tdb.config())};
        NewJob plain;
        plain.type = QStringLiteral("cleanup");
        const qint64 plainId = jobs.enqueue(plain, kActor).value();
        Database::closeThreadConnections();

        for (const QString &key : {QStringLiteral("nightly-cleanup"), QString::number(*a)}) {
            CtlRun r = runHcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("jobs"),
                                       QStringLiteral("list"), QStringLiteral("--schedule"), key});
            QCOMPARE(r.code, 0);
            QSet<qint64> listed;
            for (const QJsonValue &v : jsonOf(r).toArray()) {
                QCOMPARE(v[QStringLiteral("schedule_id")].toInteger(), *a);
                listed.insert(Job::parseId(v[QStringLiteral("id")].toString()).value_or(0));
            }
            QCOMPARE(listed, mine);
        }
        CtlRun r = runHcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("list"),
                                   QStringLiteral("--schedule"), QStringLiteral("nightly-cleanup")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.trimmed().endsWith(QLatin1String("2 of 2 jobs")), qPrintable(r.out));
        r = runHcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("jobs"), QStringLiteral("list")});
        QCOMPARE(r.code, 0);
        QCOMPARE(jsonOf(r).toArray().size(), 4);
        r = runHcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("jobs"), QStringLiteral("show"),
                            QString::number(plainId)});
        QCOMPARE(r.code, 0);
        QVERIFY(jsonOf(r).toObject().contains(QStringLiteral("schedule_id")));
        QVERIFY(jsonOf(r)[QStringLiteral("schedule_id")].isNull());

        // What jobs list --json prints imports again (jq -c '.[]'), schedule_id included; without its id
        // the line becomes a new job of the same schedule.
        r = runHcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("jobs"), QStringLiteral("list"),
                            QStringLiteral("--schedule"), QStringLiteral("nightly-cleanup"),
                            QStringLiteral("--limit"), QStringLiteral("1")});
        QCOMPARE(r.code, 0);
        QJsonObject exported = jsonOf(r).toArray().at(0).toObject();
        exported.remove(QStringLiteral("id"));
        QFile file(tdb.dir() + QStringLiteral("/jobs.jsonl"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QJsonDocument(exported).toJson(QJsonDocument::Compact) + '\n');
        file.close();
        r = runHcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("import"), file.fileName()});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        r = runHcmctl(tdb, {QStringLiteral("--json"), QStringLiteral("jobs"), QStringLiteral("list"),
                            QStringLiteral("--schedule"), QString::number(*a)});
        QCOMPARE(r.code, 0);
        QCOMPARE(jsonOf(r).toArray().size(), 3);

        r = runHcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("list"), QStringLiteral("--schedule"),
                            QStringLiteral("nope")});
        QCOMPARE(r.code, 1);
        QCOMPARE(r.err.trimmed(), QStringLiteral("hcmctl: There is no schedule named \"nope\"."));
        QVERIFY(r.out.isEmpty());
        r = runHcmctl(tdb, {QStringLiteral("jobs"), QStringLiteral("list"), QStringLiteral("--schedule"),
                            QStringLiteral("0")});
        QCOMPARE(r.code, 2);
        QVERIFY2(
            r.err.startsWith(QLatin1String("hcmctl: \"0\" is not a schedule; write its id or its name.")),
            qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TstSchedules)
#include "tst_schedules.moc"
