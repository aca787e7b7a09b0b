#pragma once

#include "common/error.h"
#include "db/dbconfig.h"

#include <QList>
#include <QString>

namespace hcm {

// What is true about the database a program uses, per backend: for `hcmctl db info`. SQLite: the
// file and its write-ahead log; PostgreSQL: the server, the connection (never its password) and the
// database's size. Both: the schema version and the migrations applied.
struct DatabaseInfo {
    struct AppliedMigration {
        int version = 0;
        QString name;
        qint64 appliedAt = 0; // UTC ms
    };

    DbConfig::Backend backend = DbConfig::Backend::Sqlite;

    // SQLite
    QString path;
    qint64 fileBytes = 0;
    qint64 walBytes = 0;
    QString sqliteVersion;
    QString journalMode;

    // PostgreSQL
    QString serverVersion; // server_version, e.g. "15.5 (Debian 15.5-0+deb12u1)"
    QString host;          // as connected to: a name, an address or a socket folder
    int port = 0;
    QString database; // current_database()
    QString user;     // current_user
    qint64 databaseBytes = 0;
    bool ssl = false;
    QString sslVersion; // "TLSv1.3"; empty without TLS

    qint64 schemaVersion = 0;
    qint64 latestSchemaVersion = 0;
    QList<AppliedMigration> migrations; // oldest first
    qint64 nowMs = 0; // the database's clock (PostgreSQL: the server's), for the age of heartbeats

    // Reads it on the calling thread's connection.
    static Result<DatabaseInfo> read(const DbConfig &config);
};

} // namespace hcm
