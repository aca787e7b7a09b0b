#pragma once

#include "db/dbconfig.h"
#include "jobs/job.h"

#include <QString>
#include <QTemporaryDir>
#include <QtTest/qtestcase.h>

#include <memory>

namespace hcm::test {

// A fresh SQLite database file in its own temporary folder, migrated, removed at destruction.
class TempDatabase final {
public:
    TempDatabase();
    ~TempDatabase();
    const DbConfig &config() const { return m_config; }
    QString path() const { return m_config.sqlitePath; }
    QString dir() const { return m_dir.path(); }
    bool isValid() const { return m_valid; }

private:
    QTemporaryDir m_dir;
    DbConfig m_config;
    bool m_valid = false;
};

// Path of a built program (hcm-worker, hcmctl, hcm-admin).
QString programPath(const QString &name);

// Counts rows of `table` (optionally with a WHERE clause) on the calling thread's connection.
qint64 rowCount(const DbConfig &config, const QString &table, const QString &where = {});
// A digest of every row of the job tables, to check that a rejected call changed nothing.
QString snapshot(const DbConfig &config);

} // namespace hcm::test

// QCOMPARE for the domain enums, with their names in a failure message.
#define QCOMPARE_ENUM(actual, expected) QCOMPARE(hcm::toString(actual), hcm::toString(expected))
