#include "sqlitestatement.h"

#include "db/database.h"

#include <QCoreApplication>
#include <QSqlDriver>
#include <QSqlError>

#include <sqlite3.h>

namespace hcm {

namespace {
struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::Database)
};
} // namespace

sqlite3 *sqliteHandle(const QSqlDatabase &db)
{
    if (!db.isOpen() || !db.driver() || db.driverName() != QLatin1String("QSQLITE"))
        return nullptr;
    const QVariant v = db.driver()->handle();
    if (!v.isValid() || qstrcmp(v.typeName(), "sqlite3*") != 0)
        return nullptr;
    return *static_cast<sqlite3 *const *>(v.constData());
}

SqliteStatement::SqliteStatement(const QSqlDatabase &db, const QByteArray &sql)
    : m_db(sqliteHandle(db))
{
    m_rc =
        m_db ? sqlite3_prepare_v2(m_db, sql.constData(), int(sql.size()), &m_stmt, nullptr) : SQLITE_MISUSE;
}

SqliteStatement::~SqliteStatement()
{
    sqlite3_finalize(m_stmt);
}

void SqliteStatement::bind(int index, qint64 value)
{
    if (m_stmt)
        sqlite3_bind_int64(m_stmt, index, value);
}

void SqliteStatement::bindReal(int index, double value)
{
    if (m_stmt)
        sqlite3_bind_double(m_stmt, index, value);
}

void SqliteStatement::bind(int index, const QByteArray &utf8)
{
    if (m_stmt)
        sqlite3_bind_text(m_stmt, index, utf8.constData(), int(utf8.size()), SQLITE_TRANSIENT);
}

void SqliteStatement::bindNull(int index)
{
    if (m_stmt)
        sqlite3_bind_null(m_stmt, index);
}

Status SqliteStatement::run(const QString &doing)
{
    if (m_stmt) {
        m_rc = sqlite3_step(m_stmt);
        if (m_rc == SQLITE_ROW)
            m_rc = SQLITE_DONE; // rows of a statement run for its effect are not wanted
        finish();
    }
    return status(doing);
}

bool SqliteStatement::next()
{
    if (!m_stmt || (m_rc != SQLITE_OK && m_rc != SQLITE_ROW))
        return false;
    m_rc = sqlite3_step(m_stmt);
    if (m_rc == SQLITE_ROW)
        return true;
    finish();
    return false;
}

void SqliteStatement::finish()
{
    if (m_rc != SQLITE_OK && m_rc != SQLITE_DONE && m_db) {
        m_errorText = QByteArray(sqlite3_errmsg(m_db));
        m_errorCode = sqlite3_extended_errcode(m_db);
    }
    sqlite3_reset(m_stmt);
}

Status SqliteStatement::status(const QString &doing) const
{
    if (m_rc == SQLITE_OK || m_rc == SQLITE_ROW || m_rc == SQLITE_DONE)
        return {};
    if (!m_db)
        return Error{Error::Code::Database,
                     Tr::tr("Database error while %1: the connection is not an open SQLite "
                            "database.")
                         .arg(doing)};
    // Through the Qt error mapping, so that "busy" and friends read the same everywhere. A failed prepare
    // (no statement) reports the connection's current error.
    const bool kept = m_stmt != nullptr;
    const QSqlError error(QString(), QString::fromUtf8(kept ? m_errorText.constData() : sqlite3_errmsg(m_db)),
                          QSqlError::StatementError,
                          QString::number(kept ? m_errorCode : sqlite3_extended_errcode(m_db)));
    return Database::error(error, doing);
}

void SqliteStatement::reset()
{
    if (!m_stmt)
        return;
    sqlite3_reset(m_stmt);
    m_rc = SQLITE_OK;
}

qint64 SqliteStatement::int64(int column) const
{
    return sqlite3_column_int64(m_stmt, column);
}

QString SqliteStatement::text(int column) const
{
    const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, column));
    return QString::fromUtf8(data, sqlite3_column_bytes(m_stmt, column));
}

QByteArray SqliteStatement::utf8(int column) const
{
    const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, column));
    return QByteArray(data, sqlite3_column_bytes(m_stmt, column));
}

bool SqliteStatement::isNull(int column) const
{
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

int SqliteStatement::changes() const
{
    return m_db ? sqlite3_changes(m_db) : 0;
}

} // namespace hcm
