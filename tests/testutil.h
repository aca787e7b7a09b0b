#pragma once

#include "db/dbconfig.h"
#include "jobs/job.h"

#include <QString>
#include <QTemporaryDir>
#include <QtTest/qtestcase.h>

#include <memory>

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

// Adds the global data rows "sqlite" and "postgresql" (column "backend"): every test function of the
// suite runs once per backend. Call from initTestCase_data().
void addBackendRows();

// Path of a built program (hcm-worker, hcmctl, hcm-admin).
QString programPath(const QString &name);

// Counts rows of `table` (optionally with a WHERE clause) on the calling thread's connection.
qint64 rowCount(const DbConfig &config, const QString &table, const QString &where = {});
// A digest of every row of the job tables, to check that a rejected call changed nothing.
QString snapshot(const DbConfig &config);
// Runs one statement on a maintenance connection to the PostgreSQL server (the PG* database).
bool postgresAdmin(const QString &statement, QString *error = nullptr);

} // namespace hcm::test

// QCOMPARE for the domain enums, with their names in a failure message.
#define QCOMPARE_ENUM(actual, expected) QCOMPARE(hcm::toString(actual), hcm::toString(expected))

// A fresh database of the current global data row's backend; skips the row (or fails it, when
// PostgreSQL is required) when the backend is not available.
#define HCM_TEMP_DATABASE(var)                                                                               \
    QFETCH_GLOBAL(QString, backend);                                                                         \
    hcm::test::TempDatabase var(backend);                                                                    \
    if (!var.skipReason().isEmpty()) {                                                                       \
        if (hcm::test::TempDatabase::postgresRequired())                                                     \
            QFAIL(qPrintable(var.skipReason()));                                                             \
        QSKIP(qPrintable(var.skipReason()));                                                                 \
    }                                                                                                        \
    QVERIFY2(var.isValid(), "the test database could not be created")
