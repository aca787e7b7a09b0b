#pragma once

#include "common/error.h"
#include "db/dbconfig.h"
#include "jobs/job.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QString>
#include <QTemporaryDir>
#include <QtTest/qtestcase.h>

#include <memory>

class QProcess;

namespace hcm::test {

// A fresh, migrated database removed at destruction. SQLite: a file in its own temporary folder.
// PostgreSQL: CREATE DATABASE hcm_test_<random> on the server the PG* environment variables name
// (scripts/test.sh runs the suite inside pg_virtualenv), dropped at destruction.
class TempDatabase final {
public:
    TempDatabase(); // SQLite
    explicit TempDatabase(DbConfig::Backend backend);
    explicit TempDatabase(const QString &backendName); // "sqlite" or "postgresql"
    ~TempDatabase();
    Q_DISABLE_COPY_MOVE(TempDatabase)

    const DbConfig &config() const { return m_config; }
    QString path() const { return m_config.sqlitePath; }
    // The --db value for another program (the PostgreSQL password comes from PGPASSWORD).
    QString spec() const { return m_config.spec(); }
    QString dir() const { return m_dir.path(); }
    bool isValid() const { return m_valid; }
    // Why this backend cannot run here (no PostgreSQL server configured); empty when it can.
    QString skipReason() const { return m_skipReason; }
    bool isPostgres() const { return m_config.isPostgres(); }

    // True when the PG* variables name a server. With HCM_TEST_REQUIRE_POSTGRES=1 (scripts/test.sh)
    // a missing server is a failure, not a skip.
    static bool postgresConfigured();
    static bool postgresRequired();

private:
    void createPostgres();
    QTemporaryDir m_dir;
    DbConfig m_config;
    QString m_skipReason;
    bool m_valid = false;
};

// A system administrator: what the suites that test the queue, the settings and the pages act as,
// so that the permission check lets them do what they test (tst_auth tests the other roles).
inline Actor adminActor(const QString &name = QStringLiteral("tester"), Interface via = Interface::System)
{
    return Actor(name, Role::SystemAdmin, via);
}

// Adds the data rows "sqlite" and "postgresql" (column "backend"). From initTestCase_data() they are
// global rows: every test function of the suite runs once per backend (HCM_TEMP_DATABASE). From one
// function's _data(), only that function does (HCM_TEMP_DATABASE_OF_ROW).
void addBackendRows();

// The HTTPS stand-in for Slack and Twilio (tests/servers/http_recorder.py), a real server process on a
// free loopback port: it writes every request to its folder as req-N.json (N counts from 1 over the
// whole run) and answers as the providers document, or as respond() configures.
class HttpRecorder final {
public:
    HttpRecorder() = default;
    ~HttpRecorder(); // stops the server
    Q_DISABLE_COPY_MOVE(HttpRecorder)

    // Starts it with TLS (`certFile`, `keyFile`), recording into `dir`; false when it does not start.
    bool start(const QString &dir, const QString &certFile, const QString &keyFile);
    void stop();
    QString baseUrl() const; // https://127.0.0.1:<port>
    int requestCount() const;
    // Request `n`, waiting up to 30 s for it to arrive; an empty object when it does not.
    QJsonObject waitForRequest(int n) const;
    // From now on, a well-formed request to `path` gets this answer (a provider's own error).
    void respond(const QString &path, int status, const QString &body, const QString &contentType) const;
    // Every path gets the providers' normal answers again.
    void clearResponses() const;

private:
    QProcess *m_process = nullptr;
    QString m_dir;
    int m_port = 0;
};

// The JSON object in a file; empty when it cannot be read.
QJsonObject readJsonFile(const QString &path);

// Path of a built program (hcm-worker, hcmctl, hcm-admin).
QString programPath(const QString &name);

// What a program started by runProcess() did.
struct ProgramRun {
    int code = -1; // the exit code; -1 when it did not start or did not exit normally
    QString out;
    QString err;
    bool crashed = false; // killed by a signal, or by runProcess() when it overran its time

    QJsonDocument json() const { return QJsonDocument::fromJson(out.toUtf8()); }
    // The exit code and both outputs, for a failure message.
    QByteArray describe() const;
};

// Runs `program` (a path) with `args` and `env`, writes `input` to its standard input and closes it,
// and waits up to `timeoutMs` for it to exit (then kills it).
ProgramRun runProcess(const QString &program, const QStringList &args,
                      const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(),
                      const QByteArray &input = {}, int timeoutMs = 120'000);
// The built hcmctl on the test database: `hcmctl --db <db.spec()> args...`.
ProgramRun runHcmctl(const TempDatabase &db, const QStringList &args, const QByteArray &input = {},
                     const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());

// For a GUI suite's initTestCase(): QSettings of its own (organisation "hcm-tests", application
// `suite`), emptied, and the SQL driver registry touched on the main thread before a worker thread
// opens a connection (QTBUG-112961).
void initGuiSuite(const QString &suite);

// Where a GUI test saves the screenshot `fileName`: in HCM_SCREENSHOT_DIR when it is set (the
// `screenshots` build target sets it to docs/screenshots), otherwise in <build>/screenshots, so that a
// test run leaves the source tree alone. The folder is created when missing.
QString screenshotPath(const QString &fileName);

// The queue the screenshots show (tst_gui_jobs, tst_gui_screenshots): 22 jobs of every type enqueued
// by `actor`, most completed by the registered worker "hcm-worker@app01:4211", one failed and
// retrying (its id is returned), one running, two scheduled for later.
Result<qint64> fillScreenshotQueue(const DbConfig &config, const Actor &actor);

// Lets posted layout requests run (three rounds: a layout can post another), so that a grab or a
// geometry check sees the final geometry.
void settleLayout();

// Runs one statement, unprepared (DDL cannot be prepared on PostgreSQL), on the calling thread's
// connection. On failure: false, the database's message in `error` when given, else in a warning.
bool execSql(const DbConfig &config, const QString &sql, QString *error = nullptr);
// Counts rows of `table` (optionally with a WHERE clause) on the calling thread's connection.
qint64 rowCount(const DbConfig &config, const QString &table, const QString &where = {});
// A digest of every row of the job tables, to check that a rejected call changed nothing.
QString snapshot(const DbConfig &config);
// The maintained job counts (JobStatsStore::maintainedCounts, job_counts) against a GROUP BY over every
// job: per status on both backends, and per status and type on PostgreSQL. Empty when they agree, else
// each difference ("completed/test.noop: maintained 3, rows 4"); "no maintained counts" when the
// database keeps none.
QString countsMismatch(const DbConfig &config);
// Runs one statement on a maintenance connection to the PostgreSQL server (the PG* database).
bool postgresAdmin(const QString &statement, QString *error = nullptr);

} // namespace hcm::test

// QCOMPARE for the domain enums, with their names in a failure message.
#define QCOMPARE_ENUM(actual, expected) QCOMPARE(hcm::toString(actual), hcm::toString(expected))

// Skips the current row (or fails it, when PostgreSQL is required) when the backend of the TempDatabase
// `db` is not available here; fails it when the database could not be created.
#define HCM_REQUIRE_BACKEND(db)                                                                              \
    if (!(db).skipReason().isEmpty()) {                                                                      \
        if (hcm::test::TempDatabase::postgresRequired())                                                     \
            QFAIL(qPrintable((db).skipReason()));                                                            \
        QSKIP(qPrintable((db).skipReason()));                                                                \
    }                                                                                                        \
    QVERIFY2((db).isValid(), "the test database could not be created")

// For a test (or the rest of one) that needs the PostgreSQL server itself rather than a TempDatabase:
// when no server is configured (PGHOST/PGPORT), fails it with HCM_TEST_REQUIRE_POSTGRES=1
// (scripts/test.sh) and skips it otherwise, so that a missing server is never counted as a pass.
#define HCM_REQUIRE_POSTGRES_OR_SKIP()                                                                       \
    if (!hcm::test::TempDatabase::postgresConfigured()) {                                                    \
        if (hcm::test::TempDatabase::postgresRequired())                                                     \
            QFAIL("PostgreSQL is required (HCM_TEST_REQUIRE_POSTGRES=1) but PGHOST/PGPORT are not set");     \
        QSKIP("needs a PostgreSQL server (PGHOST/PGPORT)");                                                  \
    }                                                                                                        \
    static_assert(true, "a statement follows")

// A fresh database of the current global data row's backend (addBackendRows() in initTestCase_data()),
// or skipped as HCM_REQUIRE_BACKEND says.
#define HCM_TEMP_DATABASE(var)                                                                               \
    QFETCH_GLOBAL(QString, backend);                                                                         \
    hcm::test::TempDatabase var(backend);                                                                    \
    HCM_REQUIRE_BACKEND(var)

// The same for a test function's own rows (addBackendRows() in its _data()).
#define HCM_TEMP_DATABASE_OF_ROW(var)                                                                        \
    QFETCH(QString, backend);                                                                                \
    hcm::test::TempDatabase var(backend);                                                                    \
    HCM_REQUIRE_BACKEND(var)
