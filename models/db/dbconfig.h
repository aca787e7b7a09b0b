#pragma once

#include "common/error.h"

#include <QString>

namespace hcm {

// Where the data lives. Parsed from the `--db` option: a file path selects the embedded SQLite
// database, a postgresql:// URL selects PostgreSQL. Parts missing from the URL come from libpq's
// environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), so `--db postgresql://` and
// `--db postgresql:///dbname` work in a shell where those are set.
struct DbConfig {
    enum class Backend { Sqlite, Postgres };

    Backend backend = Backend::Sqlite;
    QString sqlitePath; // absolute path of the SQLite file
    // Whether opening a missing SQLite file creates it (and its folders). hcmctl turns this off for every
    // command but "db migrate": a mistyped --db path is an error, not a new empty database.
    bool createIfMissing = true;
    int busyTimeoutMs = 10000;

    // PostgreSQL
    QString host; // host name, IP address or a Unix socket folder
    int port = 5432;
    QString user;
    QString password; // never shown: displayName() and key() leave it out
    QString databaseName;
    // Extra libpq options from the URL query, checked against allowedOptions() and quoted for libpq:
    // "sslmode=require;connect_timeout=5" (Qt's QPSQL driver takes them separated by ';').
    QString connectOptions;

    // Empty spec means the embedded default under the application data location. A SQLite path "~" or
    // "~/…" is taken from the home folder; "~name/…" is refused. The password of a postgresql:// address
    // is handed to Redaction, which takes it out of every message and log line from then on.
    static Result<DbConfig> parse(const QString &spec);
    static DbConfig sqlite(const QString &path);
    // PostgreSQL from the PG* environment variables, with `database` overriding PGDATABASE when given.
    static DbConfig postgresFromEnvironment(const QString &database = {});
    static QString defaultSqlitePath();
    // A --db value fit to show in a message or a log: the password of the user info and any
    // password= query item are removed. The address is cut where parse() cuts it (the user info ends at
    // the last '@' before the path), so the two never disagree about what the password is.
    static QString redacted(const QString &spec);
    // The libpq options a postgresql:// URL may carry in its query, besides host, port, user,
    // password and dbname. Anything else is refused: a value can never smuggle in another option.
    static QStringList allowedOptions();

    bool isSqlite() const { return backend == Backend::Sqlite; }
    bool isPostgres() const { return backend == Backend::Postgres; }
    // A stable identity used to name per-thread connections.
    QString key() const;
    // For people: backend and location, never a password.
    QString displayName() const;
    QString backendName() const;
    // A --db value that selects this database again (PostgreSQL: without the password, which other
    // programs take from PGPASSWORD or ~/.pgpass).
    QString spec() const;
};

} // namespace hcm
