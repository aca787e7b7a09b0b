#pragma once

#include "common/error.h"

#include <QString>

namespace hcm {

// Where the data lives. Parsed from the `--db` option: a file path selects the embedded SQLite
// database, a postgresql:// URL selects PostgreSQL (arrives with the PostgreSQL backend).
struct DbConfig {
    enum class Backend { Sqlite, Postgres };

    Backend backend = Backend::Sqlite;
    QString sqlitePath;      // absolute path of the SQLite file
    int busyTimeoutMs = 10000;

    // Empty spec means the embedded default under the application data location.
    static Result<DbConfig> parse(const QString &spec);
    static DbConfig sqlite(const QString &path);
    static QString defaultSqlitePath();

    bool isSqlite() const { return backend == Backend::Sqlite; }
    // A stable identity used to name per-thread connections.
    QString key() const;
    // For people: backend and location, never a password.
    QString displayName() const;
    QString backendName() const;
};

} // namespace hcm
