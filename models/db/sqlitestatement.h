#pragma once

#include "common/error.h"

#include <QByteArray>
#include <QSqlDatabase>
#include <QString>

struct sqlite3;
struct sqlite3_stmt;

namespace hcm {

// The SQLite handle behind a Qt connection, or nullptr (another driver, or not open).
sqlite3 *sqliteHandle(const QSqlDatabase &db);

// A statement run on a Qt connection's own SQLite handle, for the job queue's hot path: binding
// integers and UTF-8 text and reading columns without QVariant and UTF-16 round trips (a claim read
// through QSqlQuery spent more on converting its rows than SQLite on finding them). Same connection,
// same transaction as the QSqlQuery statements around it. One thread, like the connection.
class SqliteStatement final {
public:
    SqliteStatement(const QSqlDatabase &db, const QByteArray &sql);
    ~SqliteStatement();
    Q_DISABLE_COPY_MOVE(SqliteStatement)

    void bind(int index, qint64 value); // index from 1, as in SQL
    void bindReal(int index, double value);
    void bind(int index, const QByteArray &utf8);
    void bindNull(int index);

    // Runs a statement that returns no rows; the number of rows it changed is changes().
    Status run(const QString &doing);
    // The next row: true while there is one. After false, status() tells an end from an error.
    bool next();
    Status status(const QString &doing) const;
    // Makes the statement ready to run again with new bindings (the bindings are kept until rebound).
    void reset();

    qint64 int64(int column) const; // column from 0
    QString text(int column) const;
    QByteArray utf8(int column) const;
    bool isNull(int column) const;
    int changes() const;

private:
    // The statement ran to its end or failed: what status() reports is kept, and the statement is reset at
    // once, so that it holds no lock and no read snapshot (a BEGIN IMMEDIATE that failed with SQLITE_BUSY
    // and stayed un-reset kept the connection a writer: its next autocommit writes were never committed).
    void finish();

    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_stmt = nullptr;
    int m_rc = 0;
    QByteArray m_errorText;
    int m_errorCode = 0;
};

} // namespace hcm
