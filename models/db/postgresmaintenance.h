#pragma once

#include "common/error.h"
#include "db/dbconfig.h"

#include <QList>
#include <QString>

class QSqlQuery;

namespace hcm {

// The SQL of PostgreSQL maintenance (the db_optimize job): VACUUM, ANALYZE and REINDEX CONCURRENTLY of
// the tables in the schema that holds the product's tables, and the figures reported about them.
//
// None of these statements may run in a transaction block, so the store opens a connection of its own
// (autocommit, never the thread's shared connection, which a caller may have left in a transaction),
// and closes it at destruction. Every statement waits at most `lockTimeoutMs` for a lock: maintenance
// takes SHARE UPDATE EXCLUSIVE locks, which the workers' reads and writes never conflict with, but a
// migration or another maintenance run does.
class PostgresMaintenance final {
public:
    struct Table {
        QString name;      // relname, as the result JSON reports it
        QString qualified; // schema.name, quoted by the server: safe to put into a statement
        QString owner;
        bool mayVacuum = false;  // owner (or a member of the owner role), superuser, database owner, MAINTAIN
        bool mayReindex = false; // owner (or member), superuser, MAINTAIN: REINDEX has no database-owner rule
    };
    struct TableFigures {
        qint64 deadTuples = 0; // n_dead_tup of pg_stat_user_tables: the statistics system's count
        qint64 liveTuples = 0;
        qint64 vacuumCount = 0; // manual VACUUMs so far
        qint64 totalBytes = 0; // pg_total_relation_size: heap, indexes, TOAST, free space and visibility maps
    };
    struct Index {
        QString name;
        QString qualified;
        qint64 bytes = 0;
        // 0..1, the share of the index's size that its entries do not explain; negative when it cannot be
        // estimated (an expression key, no statistics, never vacuumed). See estimateBloat() in the .cpp.
        double estimatedBloat = -1;
    };

    PostgresMaintenance(const DbConfig &config, int lockTimeoutMs);
    ~PostgresMaintenance();
    Q_DISABLE_COPY_MOVE(PostgresMaintenance)

    Status open();
    // The role the checks are made for (current_user).
    Result<QString> currentRole();
    // The ordinary tables of the current schema (where the migrations create the product's tables), by
    // name, with what this role may do to them.
    Result<QList<Table>> tables();
    Result<TableFigures> figures(const Table &table);
    // VACUUM (ANALYZE) table, or ANALYZE only.
    Status vacuum(const Table &table, bool analyzeOnly);
    // The valid B-tree indexes of `table`, with their estimated bloat (meaningful after an ANALYZE).
    Result<QList<Index>> indexes(const Table &table);
    Result<qint64> indexBytes(const Index &index);
    // REINDEX INDEX CONCURRENTLY; when it fails, the invalid copy it leaves behind is dropped.
    Status reindexConcurrently(const Index &index);

    // True when the statement gave up waiting for a lock (lock_timeout).
    static bool isLockTimeout(const Error &error) { return error.code == Error::Code::Timeout; }

private:
    Error failure(const QSqlQuery &query, const QString &doing) const;

    DbConfig m_config;
    int m_lockTimeoutMs;
    QString m_name; // the connection's name: fetched by name, never kept as a handle
    int m_serverVersion = 0;
};

} // namespace hcm
