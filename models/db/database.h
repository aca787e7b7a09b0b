#pragma once

#include "common/error.h"
#include "db/dbconfig.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>
#include <QVariantMap>

namespace hcm {

class SqliteStatement;

// Per-thread database connections. Every thread that runs SQL gets its own connection, opened in that
// thread on first use under a name derived from the thread, and removed when the thread ends (or when
// closeThreadConnections() is called). Never store the returned handle in a member: fetch it again.
class Database final {
public:
    Database() = delete;

    // The calling thread's open connection for `config`, opening and configuring it on first use.
    static Result<QSqlDatabase> connection(const DbConfig &config);
    // A connection under `name` that the caller owns (closes and removes): for a LISTEN connection.
    static Result<QSqlDatabase> open(const DbConfig &config, const QString &name);
    // Runs SELECT 1 on the calling thread's connection (reopening a lost one first).
    static Status ping(const DbConfig &config);
    // True when the error means the server is gone (restart, network, shutdown): the connection is
    // reopened on next use, and callers may retry with backoff.
    static bool isConnectionLost(const QSqlError &error);
    // Opens the connection and applies pending migrations: what every program does at start.
    static Status openAndMigrate(const DbConfig &config);
    // Closes and removes every connection that the calling thread opened.
    static void closeThreadConnections();

    // A sentence for an admin out of a Qt SQL error, with the context of what was being done.
    static QString describe(const QSqlError &error);
    static Error error(const QSqlError &sqlError, const QString &doing = {});
    static bool isBusy(const QSqlError &error);

private:
    static QString describeText(const QSqlError &error);
    static Result<QSqlDatabase> openPostgres(const DbConfig &config, const QString &name);
};

// A write transaction: BEGIN IMMEDIATE on SQLite (a deferred BEGIN fails with SQLITE_BUSY_SNAPSHOT when
// another process writes between our read and our write). Rolls back on destruction unless committed.
class Transaction final {
public:
    explicit Transaction(QSqlDatabase db);
    ~Transaction();
    Q_DISABLE_COPY_MOVE(Transaction)

    Status begin();
    Status commit();
    void rollback();

private:
    QSqlDatabase m_db;
    bool m_active = false;
    bool m_savepoint = false; // inside a WriteGroup's transaction: a savepoint of it
};

// SQLite only: while it lives, triggers do not fire for statements run on this connection. The job
// queue's hot path (claims, batches of completions) changes hundreds of rows per statement and keeps
// job_counts right itself, with one UPDATE per batch in the same transaction: a trigger costs about as
// much as the row change it follows. Every other writer, in this program or not, keeps the triggers.
// Does nothing (active() is false) on PostgreSQL or when the driver does not expose its handle.
class SqliteTriggersOff final {
public:
    explicit SqliteTriggersOff(const QSqlDatabase &db);
    ~SqliteTriggersOff();
    Q_DISABLE_COPY_MOVE(SqliteTriggersOff)

    bool active() const { return m_handle != nullptr; }

private:
    void *m_handle = nullptr; // sqlite3 *
};

// Small helpers for prepared statements with the error mapping applied.
class Sql final {
public:
    Sql() = delete;
    static Status exec(QSqlQuery &query, const QString &doing = {});
    static Status exec(QSqlDatabase db, const QString &statement, const QString &doing = {});
    static Status prepare(QSqlQuery &query, const QString &statement);
    // `statement` prepared once per connection of this thread and kept until the connection closes (a
    // hot path that would otherwise parse the same SQL on every call), forward only. Bind with
    // bindValue(index, …), run, read with next(), finish(); one user at a time (one thread). On a connection
    // that is not this thread's Database::connection() the statement is prepared afresh and the reference is
    // good for the next few calls only.
    static QSqlQuery &cached(const QSqlDatabase &db, const QString &statement);
    // The same on SQLite's own handle (SqliteStatement: no QVariant per value, no result cache), for the
    // few statements every API request runs; reset and ready to bind. nullptr when `db` is not an open
    // SQLite connection of this thread's Database::connection() or the statement does not prepare: use
    // cached() then (which reports the error).
    static SqliteStatement *cachedSqlite(const QSqlDatabase &db, const QByteArray &statement);
    // A statement without values or rows (BEGIN, COMMIT, SAVEPOINT …): on SQLite kept per connection
    // (cachedSqlite), elsewhere run as it is.
    static Status runFixed(const QSqlDatabase &db, const char *statement, const QString &doing);
    // One statement with its named values (":cutoff") in a write transaction of its own; the rows it
    // changed.
    static Result<qint64> execInTransaction(QSqlDatabase db, const QString &statement,
                                            const QVariantMap &binds, const QString &doing);
    // A list of integer ids as SQL text ("1,2,3"): safe because the values are integers.
    static QString idList(const QList<qint64> &ids);
    // NULL for a time or an id of 0 or less (the domain types' "none"), the value otherwise.
    static QVariant nullIfZero(qint64 value);
    // Reads the columns 0, 1, 2, … of the query's current row into these members of `row`, in the
    // order of the SELECT list, each converted to its member's type (NULL: the type's empty value).
    template<typename Row, typename... Members>
    static void readRow(const QSqlQuery &query, Row &row, Members Row::*...members)
    {
        int column = 0;
        ((row.*members = query.value(column++).template value<Members>()), ...);
    }
};

} // namespace hcm
