#pragma once

#include "common/error.h"
#include "db/dbconfig.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>

namespace hcm {

// Applies the versioned SQL files of resources/sql/<dialect>/NNN_name.sql in order, all pending ones in
// one transaction, and records each in schema_migrations. A database written by a newer program is
// refused rather than touched.
class Migrator final {
public:
    struct Migration {
        int version = 0;
        QString name;
        QString sql;
    };
    struct Info {
        qint64 currentVersion = 0; // highest applied version, 0 for an empty database
        qint64 latestVersion = 0;  // highest version this program knows
        QList<Migration> pending;
    };

    Migrator() = delete;

    static QList<Migration> available(DbConfig::Backend backend);
    static Result<Info> info(QSqlDatabase &db, const DbConfig &config);
    static Status migrate(QSqlDatabase &db, const DbConfig &config);
    // Splits a migration file into statements (semicolons ending a line, outside BEGIN…END blocks and
    // outside $$-quoted function bodies).
    static QStringList splitStatements(const QString &sql);
    // A statement with the values only the running program knows put in (see 011_schedules.sql and
    // 015_users_audit.sql).
    static QString withProgramValues(QString statement);
};

} // namespace hcm
