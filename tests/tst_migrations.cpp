// The schema and its upgrades on SQLite and PostgreSQL: a new database gets every migration once, a
// database of a newer program is refused unchanged, and old databases (built here as a program at an
// earlier migration left them, with jobs in every state and their attempts) keep every job, attempt and
// id through the migrations that rebuild or split the job tables.

#include "testutil.h"

#include "db/database.h"
#include "db/migrator.h"
#include "jobs/jobservice.h"
#include "jobs/jobstatsstore.h"

#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QtTest>

using namespace hcm;
using namespace hcm::test;

namespace {

// A cleanup job: a type every build knows.
qint64 enqueueCleanup(JobService &service)
{
    auto id = service.enqueue(NewJob{QStringLiteral("cleanup"), JobPriority::Normal, {}, 3, std::nullopt},
                              test::adminActor(QStringLiteral("tester")));
    return id ? id.value() : -1;
}

// The schema as a program at migration `version` left it, with jobs 1-5 (completed, failed, queued,
// processing, cancelled) and six attempts: what the upgrade tests start from. `q` runs on a raw
// connection to an empty database.
void createOldDatabase(QSqlQuery &q, DbConfig::Backend backend, int version)
{
    QVERIFY(q.exec(QStringLiteral("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                                  "name TEXT NOT NULL, applied_at BIGINT NOT NULL)")));
    for (const Migrator::Migration &m : Migrator::available(backend)) {
        if (m.version > version)
            break;
        for (const QString &statement : Migrator::splitStatements(m.sql))
            QVERIFY2(q.exec(statement), qPrintable(q.lastError().text()));
        QVERIFY(q.exec(
            QStringLiteral("INSERT INTO schema_migrations VALUES (%1, '%2', 0)").arg(m.version).arg(m.name)));
    }
    const char *rows[] = {
        "(1, 'cleanup', 'completed', '{}', 1, 10, 10, 11, 12, 'test', 'w1')",
        "(2, 'cleanup', 'failed', '{}', 4, 10, 10, 11, 12, 'test', 'w1')",
        "(3, 'cache_flush', 'queued', '{\"action\":\"full\"}', 0, 10, 10, NULL, 10, 'test', NULL)",
        "(4, 'cache_flush', 'processing', '{}', 1, 10, 10, 11, 11, 'test', 'w2')",
        "(5, 'cleanup', 'cancelled', '{}', 0, 10, 10, NULL, 12, 'test', NULL)"};
    for (const char *row : rows)
        QVERIFY2(
            q.exec(QStringLiteral("INSERT INTO background_jobs (id, job_type, status, payload, attempts, "
                                  "run_at, created_at, started_at, updated_at, created_by, worker_id) "
                                  "VALUES ") +
                   QLatin1String(row)),
            qPrintable(q.lastError().text()));
    QVERIFY(
        q.exec(QStringLiteral("INSERT INTO job_attempts VALUES (1, 1, 'w1', 11, 12, 'completed', NULL), "
                              "(2, 1, 'w1', 11, 12, 'failed', 'x'), (2, 2, 'w1', 11, 12, 'lost', NULL), "
                              "(2, 3, 'w1', 11, 12, 'timed_out', 'y'), (2, 4, 'w1', 11, 12, 'failed', 'z'), "
                              "(4, 1, 'w2', 11, 12, 'interrupted', NULL)")));
}

// The job columns an old database had: later migrations may add columns (schedule_id in 011), which
// the upgrade leaves empty.
// The attempt columns an old database has: later migrations add columns (018: error_code, error_args)
// that an upgrade fills with NULL.
const QString kOldAttemptColumnsDump = QStringLiteral(
    "SELECT job_id, attempt, worker_id, started_at, finished_at, outcome, error FROM job_attempts "
    "ORDER BY job_id, attempt");
const QString kOldJobColumnsDump = QStringLiteral(
    "SELECT id, job_type, status, priority, payload, result, error_message, retry_count, max_retries, "
    "attempts, run_at, created_at, started_at, completed_at, updated_at, created_by, worker_id, "
    "lease_expires_at, cancel_requested, progress FROM background_jobs ORDER BY id");

// Every row the queries return, one line each, columns joined by '|': a database's content to compare
// before and after a migration.
QString dumpRows(QSqlDatabase db, const QStringList &queries)
{
    QString out;
    QSqlQuery q(db);
    for (const QString &sql : queries) {
        if (!q.exec(sql))
            return q.lastError().text();
        while (q.next()) {
            for (int c = 0; c < q.record().count(); ++c)
                out += q.value(c).toString() + QLatin1Char('|');
            out += QLatin1Char('\n');
        }
    }
    return out;
}
} // namespace

class TestMigrations : public QObject {
    Q_OBJECT

private slots:
    void initTestCase_data() { addBackendRows(); }
    void cleanup() { Database::closeThreadConnections(); }

    void migrationsCreateSchemaOnce()
    {
        HCM_TEMP_DATABASE(tdb);
        QVERIFY(tdb.isValid());
        auto db = Database::connection(tdb.config());
        QVERIFY(db.ok());
        QSqlDatabase handle = db.value();
        auto info = Migrator::info(handle, tdb.config());
        QVERIFY(info.ok());
        QVERIFY(info->currentVersion >= 1);
        QCOMPARE(info->currentVersion, info->latestVersion);
        QVERIFY(info->pending.isEmpty());
        // Applying again is a no-op.
        QVERIFY(Database::openAndMigrate(tdb.config()).ok());
        // One row per migration file (the numbers need not be contiguous in a branch).
        QCOMPARE(rowCount(tdb.config(), QStringLiteral("schema_migrations")),
                 qint64(Migrator::available(tdb.config().backend).size()));
        for (const char *table :
             {"background_jobs", "job_attempts", "workers", "cache_entries", "app_settings"})
            QVERIFY2(rowCount(tdb.config(), QString::fromLatin1(table)) >= 0, table);
    }

    void newerDatabaseIsRefused()
    {
        HCM_TEMP_DATABASE(tdb);
        {
            auto db = Database::connection(tdb.config());
            QSqlQuery q(db.value());
            QVERIFY(q.exec(QStringLiteral("INSERT INTO schema_migrations VALUES (999, 'future', 0)")));
        }
        const QString before = snapshot(tdb.config());
        const Status st = Database::openAndMigrate(tdb.config());
        QVERIFY(!st.ok());
        QVERIFY2(st.error().message.contains(QLatin1String("newer version")), qPrintable(st.error().message));
        QVERIFY(st.error().message.contains(QLatin1String("999")));
        QCOMPARE(snapshot(tdb.config()), before);
    }

    // Migration 007 rebuilds both job tables on SQLite: nothing may be lost or renumbered.
    void upgradeKeepsJobsAttemptsAndIds()
    {
        QFETCH_GLOBAL(QString, backend);
        if (backend == QLatin1String("postgresql"))
            QSKIP("the rebuild is SQLite's (PostgreSQL's 007 changes nothing)");
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("old.db"));
        const QString name = QStringLiteral("upgrade-test");
        {
            QSqlDatabase raw = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            raw.setDatabaseName(path);
            QVERIFY(raw.open());
            QSqlQuery q(raw);
            QVERIFY(q.exec(QStringLiteral("PRAGMA foreign_keys=ON")));
            createOldDatabase(q, DbConfig::Backend::Sqlite, 6);
            if (QTest::currentTestFailed())
                return;
            QVERIFY(
                q.exec(QStringLiteral("INSERT INTO background_jobs (id, job_type, status, payload, attempts, "
                                      "run_at, created_at, updated_at, created_by) VALUES (9, 'cleanup', "
                                      "'queued', '{}', 0, 10, 10, 10, 'test')")));
            QVERIFY(q.exec(QStringLiteral("DELETE FROM background_jobs WHERE id = 9"))); // ids are not reused
        }
        const auto dump = [](QSqlDatabase db) {
            return dumpRows(db, {kOldJobColumnsDump, kOldAttemptColumnsDump,
                                 QStringLiteral("SELECT * FROM job_counts ORDER BY status")});
        };
        const QString before = dump(QSqlDatabase::database(name));
        QVERIFY(before.count(QLatin1Char('\n')) == 5 + 6 + 5);
        QSqlDatabase::removeDatabase(name);

        const DbConfig config = DbConfig::sqlite(path);
        QVERIFY(Database::openAndMigrate(config).ok());
        auto db = Database::connection(config);
        QVERIFY(db.ok());
        QCOMPARE(dump(db.value()), before);
        // 018: the rows written before have no error code (their texts are shown as they are).
        QCOMPARE(rowCount(config, QStringLiteral("job_attempts"),
                          QStringLiteral("error_code IS NULL AND error_args IS NULL")),
                 qint64(6));
        QCOMPARE(rowCount(config, QStringLiteral("background_jobs"),
                          QStringLiteral("error_code IS NULL AND error_args IS NULL")),
                 qint64(5));
        QSqlQuery q(db.value());
        QVERIFY(q.exec(QStringLiteral("SELECT sql FROM sqlite_schema WHERE name = 'background_jobs'")) &&
                q.next());
        QVERIFY(!q.value(0).toString().contains(QLatin1String(" IN (")));
        // The constraints still hold, the ids go on after the highest ever used, attempts still cascade.
        QVERIFY(!q.exec(QStringLiteral("UPDATE background_jobs SET status = 'lost' WHERE id = 3")));
        QVERIFY(!q.exec(QStringLiteral("UPDATE job_attempts SET outcome = 'done' WHERE job_id = 1")));
        JobService service{JobStore(config)};
        QCOMPARE(enqueueCleanup(service), qint64(10));
        QVERIFY(q.exec(QStringLiteral("DELETE FROM background_jobs WHERE id = 2")));
        QCOMPARE(rowCount(config, QStringLiteral("job_attempts")), qint64(2));
        auto counts = JobStatsStore(config).maintainedCounts();
        QVERIFY(counts.ok() && counts->has_value());
        QCOMPARE(counts->value(), JobStore(config).countByStatus({}).value());
    }

    // Migration 009 splits PostgreSQL's job table into job_queue (queued, running) and job_archive
    // (finished) under the view background_jobs: every job, attempt and id survives, each row lands in
    // its table, roles keep their rights, and the view still takes an operator's writes.
    void postgresUpgradeSplitsQueueFromArchive()
    {
        QFETCH_GLOBAL(QString, backend);
        if (backend != QLatin1String("postgresql"))
            QSKIP("the split is PostgreSQL's (SQLite's 009 changes nothing)");
        HCM_REQUIRE_POSTGRES_OR_SKIP();
        const QString dbName =
            QStringLiteral("hcm_upgrade_%1").arg(QRandomGenerator::system()->generate64(), 0, 36);
        const QString role = dbName + QStringLiteral("_worker");
        QString error;
        QVERIFY2(postgresAdmin(QStringLiteral("CREATE DATABASE %1").arg(dbName), &error), qPrintable(error));
        QVERIFY2(postgresAdmin(QStringLiteral("CREATE ROLE %1 NOLOGIN").arg(role), &error),
                 qPrintable(error));
        const auto cleanup = qScopeGuard([&] {
            Database::closeThreadConnections();
            postgresAdmin(QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(dbName));
            postgresAdmin(QStringLiteral("DROP ROLE IF EXISTS %1").arg(role));
        });
        const DbConfig config = DbConfig::postgresFromEnvironment(dbName);
        {
            auto raw = Database::connection(config);
            QVERIFY(raw.ok());
            QSqlQuery q(raw.value());
            createOldDatabase(q, DbConfig::Backend::Postgres, 8);
            if (QTest::currentTestFailed())
                return;
            // Ids up to 9 were drawn (jobs since deleted): they are not used again.
            QVERIFY(
                q.exec(QStringLiteral("SELECT setval(pg_get_serial_sequence('background_jobs', 'id'), 9)")));
            QVERIFY(
                q.exec(QStringLiteral("GRANT SELECT, INSERT, UPDATE ON background_jobs TO %1").arg(role)));
            // PUBLIC is a keyword in GRANT, not a role: the migration must not quote it.
            QVERIFY(q.exec(QStringLiteral("GRANT SELECT ON background_jobs TO PUBLIC")));
        }
        const auto dump = [&] {
            return dumpRows(Database::connection(config).value(),
                            {kOldJobColumnsDump, kOldAttemptColumnsDump});
        };
        const QString before = dump();
        QCOMPARE(before.count(QLatin1Char('\n')), 5 + 6);

        QVERIFY(Database::openAndMigrate(config).ok());
        QCOMPARE(dump(), before);
        // 018: the rows written before have no error code (their texts are shown as they are).
        QCOMPARE(rowCount(config, QStringLiteral("job_attempts"),
                          QStringLiteral("error_code IS NULL AND error_args IS NULL")),
                 qint64(6));
        QCOMPARE(rowCount(config, QStringLiteral("background_jobs"),
                          QStringLiteral("error_code IS NULL AND error_args IS NULL")),
                 qint64(5));
        QCOMPARE(rowCount(config, QStringLiteral("job_queue")), qint64(2));
        QCOMPARE(rowCount(config, QStringLiteral("job_queue"), QStringLiteral("id IN (3, 4)")), qint64(2));
        QCOMPARE(rowCount(config, QStringLiteral("job_archive"), QStringLiteral("id IN (1, 2, 5)")),
                 qint64(3));
        QSqlQuery q(Database::connection(config).value());
        // A role that could change jobs may now move them between the two tables (without DELETE before).
        QVERIFY(q.exec(QStringLiteral("SELECT has_table_privilege('%1', 'job_queue', 'UPDATE'), "
                                      "has_table_privilege('%1', 'background_jobs', 'INSERT'), "
                                      "has_sequence_privilege('%1', 'job_ids', 'USAGE'), "
                                      "has_table_privilege('%1', 'job_queue', 'DELETE'), "
                                      "has_table_privilege('%1', 'job_archive', 'INSERT')")
                           .arg(role)) &&
                q.next());
        for (int c = 0; c < 5; ++c)
            QVERIFY2(q.value(c).toBool(), qPrintable(QString::number(c)));

        // New jobs go on after the highest id ever drawn; a finished job leaves the queue for the
        // archive; a retried one comes back.
        JobStore store(config);
        JobService service{JobStore(config)};
        QCOMPARE(enqueueCleanup(service), qint64(10));
        auto claimed = store.claim(QStringLiteral("w3"), 10, 60000, {QStringLiteral("cleanup")});
        QVERIFY(claimed.ok());
        QCOMPARE(claimed->size(), 1);
        JobOutcome done;
        done.id = 10;
        done.attempt = 1;
        done.kind = JobOutcome::Kind::Completed;
        auto report = store.finish(QStringLiteral("w3"), {done});
        QVERIFY(report.ok());
        QCOMPARE(report->applied.size(), 1);
        QCOMPARE(rowCount(config, QStringLiteral("job_archive"),
                          QStringLiteral("id = 10 AND status = "
                                         "'completed'")),
                 qint64(1));
        QCOMPARE(rowCount(config, QStringLiteral("job_queue"), QStringLiteral("id = 10")), qint64(0));
        QVERIFY(store.retryNow({2}, QStringLiteral("test")).first().ok);
        QCOMPARE(rowCount(config, QStringLiteral("job_queue"),
                          QStringLiteral("id = 2 AND status = 'queued' "
                                         "AND retry_count = 0")),
                 qint64(1));
        QCOMPARE(rowCount(config, QStringLiteral("job_archive"), QStringLiteral("id = 2")), qint64(0));

        // Through the view: the constraints still hold, a status change moves the row, a delete takes
        // the attempts along.
        QVERIFY(!q.exec(QStringLiteral("UPDATE background_jobs SET status = 'lost' WHERE id = 3")));
        QVERIFY(q.exec(QStringLiteral("UPDATE background_jobs SET status = 'cancelled' WHERE id = 3")));
        QCOMPARE(q.numRowsAffected(), 1);
        QCOMPARE(rowCount(config, QStringLiteral("job_archive"), QStringLiteral("id = 3")), qint64(1));
        QCOMPARE(rowCount(config, QStringLiteral("job_queue"), QStringLiteral("id = 3")), qint64(0));
        QVERIFY(q.exec(QStringLiteral("DELETE FROM background_jobs WHERE id = 1")));
        QCOMPARE(q.numRowsAffected(), 1);
        QCOMPARE(rowCount(config, QStringLiteral("job_attempts"), QStringLiteral("job_id = 1")), qint64(0));
        QVERIFY(
            q.exec(QStringLiteral("INSERT INTO background_jobs (job_type, status, run_at, created_at, "
                                  "updated_at, created_by) VALUES ('cleanup', 'completed', 1, 1, 1, 'sql') "
                                  "RETURNING id")) &&
            q.next());
        QCOMPARE(q.value(0).toLongLong(), qint64(11));
        QCOMPARE(rowCount(config, QStringLiteral("job_archive"), QStringLiteral("id = 11")), qint64(1));
    }
};

QTEST_GUILESS_MAIN(TestMigrations)
#include "tst_migrations.moc"
