#include "postgresmaintenance.h"

#include "db/database.h"

#include <QCoreApplication>
#include <QSqlQuery>

#include <atomic>
#include <cmath>

namespace hcm {

namespace {

struct Tr {
    Q_DECLARE_TR_FUNCTIONS(hcm::PostgresMaintenance)
};

// Bytes of a B-tree page that hold entries: the page minus its 24-byte header and the 16-byte B-tree
// special space.
constexpr int BtreePageOverhead = 24 + 16;
// An index entry's header (IndexTupleData: heap pointer and flags) and its line pointer.
constexpr int IndexTupleHeader = 8;
constexpr int LinePointer = 4;

qint64 maxAlign(qint64 bytes)
{
    return (bytes + 7) & ~qint64(7);
}

// The share of an index's size that its entries do not explain, from the catalog alone (no extension
// such as pgstattuple is needed, and nothing is read from the index itself):
//   entry    = MAXALIGN(8-byte tuple header + the key columns' average widths from pg_stats) + 4-byte line
//              pointer
//   expected = 1 meta page + max(1, ceil(entries * entry / ((block_size - 40) * fillfactor))) leaf pages
//   bloat    = 1 - expected / actual pages, clamped to 0..1
// `entries` is the index's reltuples, which the VACUUM run just before keeps current. The estimate
// leaves out the inner pages (about 1 % of a B-tree), null bitmaps and per-column alignment, and it
// errs toward "not bloated" where it errs: deduplication (PostgreSQL 13+) stores repeated keys once, so
// an index of repeated keys is smaller than estimated (bloat 0). An index filled in random key order
// settles around 70 % full, which reads as about 20 %: under the default threshold of 30 %.
double estimateBloat(qint64 bytes, double entries, int blockSize, qint64 keyWidth, int fillfactor)
{
    if (bytes <= 0 || entries < 0 || blockSize <= BtreePageOverhead || fillfactor <= 0)
        return -1;
    const double entryBytes = double(maxAlign(IndexTupleHeader + keyWidth) + LinePointer);
    const double perPage = double(blockSize - BtreePageOverhead) * fillfactor / 100.0;
    // A B-tree keeps its root page when it is empty.
    const double expectedPages = 1.0 + qMax(1.0, std::ceil(entries * entryBytes / perPage));
    const double actualPages = double(bytes) / blockSize;
    return qBound(0.0, 1.0 - expectedPages / actualPages, 1.0);
}

std::atomic<quint64> g_connections{0};

} // namespace

PostgresMaintenance::PostgresMaintenance(const DbConfig &config, int lockTimeoutMs)
    : m_config(config)
    , m_lockTimeoutMs(lockTimeoutMs)
    , m_name(QStringLiteral("hcm-maintenance:%1").arg(++g_connections))
{}

PostgresMaintenance::~PostgresMaintenance()
{
    if (!QSqlDatabase::contains(m_name))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_name, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(m_name);
}

Error PostgresMaintenance::failure(const QSqlQuery &query, const QString &doing) const
{
    const QSqlError e = query.lastError();
    Error error = Database::error(e, doing);
    if (e.nativeErrorCode() == QLatin1String("55P03")) // lock_not_available: lock_timeout expired
        error.code = Error::Code::Timeout;
    return error;
}

Status PostgresMaintenance::open()
{
    auto db = Database::open(m_config, m_name);
    if (!db)
        return db.error();
    QSqlQuery q(db.value());
    // A lock that cannot be had soon is skipped, never queued for: a VACUUM waiting in the lock queue
    // would hold up whoever queues behind it (a migration, and the workers behind that).
    if (!q.exec(QStringLiteral("SET lock_timeout = %1").arg(m_lockTimeoutMs)) ||
        !q.exec(QStringLiteral("SET statement_timeout = 0")))
        return failure(q, Tr::tr("configuring the maintenance connection"));
    if (!q.exec(QStringLiteral("SHOW server_version_num")) || !q.next())
        return failure(q, Tr::tr("reading the server version"));
    m_serverVersion = q.value(0).toInt();
    return {};
}

Result<QString> PostgresMaintenance::currentRole()
{
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    if (!q.exec(QStringLiteral("SELECT current_user")) || !q.next())
        return failure(q, Tr::tr("reading the current role"));
    return q.value(0).toString();
}

Result<QList<PostgresMaintenance::Table>> PostgresMaintenance::tables()
{
    // Who may VACUUM a table: its owner (or a role with the owner's privileges), a superuser, the
    // database's owner (for every table but the shared catalogs), and from PostgreSQL 17 a role with
    // the MAINTAIN privilege. REINDEX of one index: the same without the database owner. A VACUUM of a
    // table the role may not vacuum is no error, only a warning, so the rules are checked here first.
    const QString maintain =
        m_serverVersion >= 170000 ? QStringLiteral(" OR has_table_privilege(c.oid, 'MAINTAIN')") : QString();
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    const QString sql =
        QStringLiteral("SELECT c.relname, format('%I.%I', n.nspname, c.relname), "
                       "pg_get_userbyid(c.relowner), "
                       "pg_has_role(current_user, c.relowner, 'USAGE')%1 AS owns, "
                       "pg_has_role(current_user, d.datdba, 'USAGE') AS owns_database "
                       "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "JOIN pg_database d ON d.datname = current_database() "
                       "WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname")
            .arg(maintain);
    if (!q.exec(sql))
        return failure(q, Tr::tr("listing the tables"));
    QList<Table> out;
    while (q.next()) {
        Table t;
        t.name = q.value(0).toString();
        t.qualified = q.value(1).toString();
        t.owner = q.value(2).toString();
        t.mayReindex = q.value(3).toBool();
        t.mayVacuum = t.mayReindex || q.value(4).toBool();
        out.append(t);
    }
    return out;
}

Result<PostgresMaintenance::TableFigures> PostgresMaintenance::figures(const Table &table)
{
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    q.prepare(QStringLiteral("SELECT coalesce(s.n_dead_tup, 0), coalesce(s.n_live_tup, 0), "
                             "coalesce(s.vacuum_count, 0), pg_total_relation_size(c.oid) "
                             "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
                             "WHERE n.nspname = current_schema() AND c.relname = ?"));
    q.addBindValue(table.name);
    if (!q.exec())
        return failure(q, Tr::tr("reading the statistics of %1").arg(table.name));
    if (!q.next()) {
        return Error{Error::Code::NotFound, Tr::tr("The table %1 no longer exists.").arg(table.name)};
    }
    TableFigures f;
    f.deadTuples = q.value(0).toLongLong();
    f.liveTuples = q.value(1).toLongLong();
    f.vacuumCount = q.value(2).toLongLong();
    f.totalBytes = q.value(3).toLongLong();
    return f;
}

Status PostgresMaintenance::vacuum(const Table &table, bool analyzeOnly)
{
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    // Not VACUUM FULL: it rewrites the table under an ACCESS EXCLUSIVE lock, which stops every worker.
    // A plain VACUUM's lock lets reads and writes go on; it takes the exclusive lock only to cut empty
    // pages off the end of the table, without waiting for it, and gives it back as soon as anybody
    // waits (PostgreSQL checks every 20 ms).
    const QString statement = analyzeOnly ? QStringLiteral("ANALYZE ") + table.qualified
                                          : QStringLiteral("VACUUM (ANALYZE) ") + table.qualified;
    if (!q.exec(statement)) {
        return failure(q, analyzeOnly ? Tr::tr("analyzing %1").arg(table.name)
                                      : Tr::tr("vacuuming %1").arg(table.name));
    }
    return {};
}

Result<QList<PostgresMaintenance::Index>> PostgresMaintenance::indexes(const Table &table)
{
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    q.prepare(QStringLiteral(
        "SELECT ic.relname, format('%I.%I', n.nspname, ic.relname), pg_relation_size(ic.oid), "
        "ic.reltuples::float8, current_setting('block_size')::int, w.expressions, w.with_stats, "
        "x.indnatts, w.key_width, "
        "coalesce((SELECT o.option_value::int FROM pg_options_to_table(ic.reloptions) AS o "
        "          WHERE o.option_name = 'fillfactor'), 90) "
        "FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = ic.relam "
        "CROSS JOIN LATERAL ("
        "  SELECT count(*) FILTER (WHERE k.attnum = 0) AS expressions, count(s.avg_width) AS with_stats, "
        "         coalesce(sum(s.avg_width), 0) AS key_width "
        "  FROM unnest(x.indkey::int2[]) AS k(attnum) "
        "  LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum "
        "  LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname "
        "                      AND s.attname = a.attname AND NOT s.inherited) AS w "
        "WHERE n.nspname = current_schema() AND t.relname = ? AND am.amname = 'btree' "
        "AND x.indisvalid AND x.indisready ORDER BY ic.relname"));
    q.addBindValue(table.name);
    if (!q.exec())
        return failure(q, Tr::tr("listing the indexes of %1").arg(table.name));
    QList<Index> out;
    while (q.next()) {
        Index i;
        i.name = q.value(0).toString();
        i.qualified = q.value(1).toString();
        i.bytes = q.value(2).toLongLong();
        const double entries = q.value(3).toDouble(); // -1: never vacuumed nor analyzed
        const bool estimable = q.value(5).toInt() == 0 && q.value(6).toInt() == q.value(7).toInt();
        i.estimatedBloat = estimable ? estimateBloat(i.bytes, entries, q.value(4).toInt(),
                                                     q.value(8).toLongLong(), q.value(9).toInt())
                                     : -1;
        out.append(i);
    }
    return out;
}

Result<qint64> PostgresMaintenance::indexBytes(const Index &index)
{
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    q.prepare(QStringLiteral("SELECT pg_relation_size(c.oid) FROM pg_class c "
                             "JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE n.nspname = current_schema() AND c.relname = ?"));
    q.addBindValue(index.name);
    if (!q.exec() || !q.next())
        return failure(q, Tr::tr("reading the size of %1").arg(index.name));
    return q.value(0).toLongLong();
}

Status PostgresMaintenance::reindexConcurrently(const Index &index)
{
    QSqlDatabase db = QSqlDatabase::database(m_name, false);
    QSqlQuery q(db);
    // CONCURRENTLY builds a copy beside the index and swaps them, under locks that let the workers read
    // and write the table throughout.
    if (q.exec(QStringLiteral("REINDEX INDEX CONCURRENTLY ") + index.qualified))
        return {};
    const Error error = failure(q, Tr::tr("rebuilding the index %1").arg(index.name));
    // A REINDEX CONCURRENTLY that failed leaves its invalid copy, <name>_ccnew (…_ccnew1, …), behind.
    QSqlQuery leftovers(db);
    leftovers.prepare(QStringLiteral("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index x "
                                     "JOIN pg_class c ON c.oid = x.indexrelid "
                                     "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                     "WHERE NOT x.indisvalid AND n.nspname = current_schema() "
                                     "AND left(c.relname, length(?)) = ? AND c.relname ~ '_ccnew[0-9]*$'"));
    const QString stem = index.name + QStringLiteral("_ccnew");
    leftovers.addBindValue(stem);
    leftovers.addBindValue(stem);
    if (leftovers.exec()) {
        QStringList names;
        while (leftovers.next())
            names << leftovers.value(0).toString();
        for (const QString &name : std::as_const(names)) {
            QSqlQuery drop(db);
            (void)drop.exec(QStringLiteral("DROP INDEX CONCURRENTLY IF EXISTS ") + name);
        }
    }
    return error;
}

} // namespace hcm
