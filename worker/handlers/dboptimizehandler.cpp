#include "dboptimizehandler.h"

#include "common/logcategories.h"
#include "db/database.h"
#include "db/postgresmaintenance.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonValue>
#include <QSet>

#include <cmath>

namespace hcm {

namespace {

struct PageStats {
    qint64 pageCount = 0;
    qint64 pageSize = 0;
    qint64 freePages = 0;
    qint64 bytes() const { return pageCount * pageSize; }
};

Result<qint64> pragmaValue(QSqlDatabase db, const QString &pragma)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("PRAGMA ") + pragma))
        return Database::error(q.lastError(), DbOptimizeHandler::tr("reading PRAGMA %1").arg(pragma));
    if (!q.next())
        return Error{Error::Code::Database,
                     DbOptimizeHandler::tr("PRAGMA %1 returned no value.").arg(pragma)};
    return q.value(0).toLongLong();
}

Result<PageStats> pageStats(QSqlDatabase db)
{
    PageStats s;
    const auto count = pragmaValue(db, QStringLiteral("page_count"));
    if (!count)
        return count.error();
    const auto size = pragmaValue(db, QStringLiteral("page_size"));
    if (!size)
        return size.error();
    const auto free = pragmaValue(db, QStringLiteral("freelist_count"));
    if (!free)
        return free.error();
    s.pageCount = *count;
    s.pageSize = *size;
    s.freePages = *free;
    return s;
}

Status exec(QSqlDatabase db, const QString &statement, const QString &doing)
{
    QSqlQuery q(db);
    if (!q.exec(statement))
        return Database::error(q.lastError(), doing);
    return {};
}

// Pages released per write transaction by the incremental vacuum.
constexpr int IncrementalBatch = 256;

// PRAGMA incremental_vacuum releases one page per step of its statement, and Qt's SQLite driver steps a
// statement without result columns only once: so the pragma is run once per page, in short write
// transactions, until the free list is empty or stops shrinking (it never shrinks unless the database
// uses auto_vacuum=INCREMENTAL). Returns false when stopped.
Result<bool> releaseFreePages(JobContext &ctx, QSqlDatabase db, qint64 freePages, double progressFrom,
                              double progressTo)
{
    const qint64 total = freePages;
    qint64 remaining = freePages;
    while (remaining > 0) {
        if (ctx.isStopRequested())
            return false;
        Transaction tx(db);
        if (Status st = tx.begin(); !st)
            return st.error();
        for (qint64 i = 0; i < qMin<qint64>(remaining, IncrementalBatch); ++i) {
            if (Status st = exec(db, QStringLiteral("PRAGMA incremental_vacuum(1)"),
                                 DbOptimizeHandler::tr("releasing free pages"));
                !st)
                return st.error();
        }
        if (Status st = tx.commit(); !st)
            return st.error();
        const auto left = pragmaValue(db, QStringLiteral("freelist_count"));
        if (!left)
            return left.error();
        if (*left >= remaining)
            break; // nothing was released: auto_vacuum is not INCREMENTAL
        remaining = *left;
        ctx.setProgress(progressFrom +
                        (progressTo - progressFrom) * double(total - remaining) / double(total));
    }
    return true;
}

QString autoVacuumName(qint64 mode)
{
    switch (mode) {
    case 0:
        return QStringLiteral("none");
    case 1:
        return QStringLiteral("full");
    case 2:
        return QStringLiteral("incremental");
    default:
        return QString::number(mode);
    }
}

// Why a table or an index was left alone, as the result JSON names it (fixed words for scripts).
const QString ReasonNotOwner = QStringLiteral("not the owner");
const QString ReasonLocked = QStringLiteral("lock not available");

// PostgreSQL: VACUUM (ANALYZE) (or ANALYZE) table by table on a connection of its own, then, when asked,
// REINDEX CONCURRENTLY of the indexes whose estimated bloat reaches the threshold. The SQL lives in
// PostgresMaintenance.
HandlerResult runPostgres(JobContext &ctx, const QString &mode)
{
    const QJsonObject &payload = ctx.payload();
    const QJsonValue reindexValue = payload.value(QStringLiteral("reindex"));
    if (!reindexValue.isUndefined() && !reindexValue.isBool())
        return HandlerResult::failure(JobError::make("db_optimize.bad_reindex"), false);
    const bool reindex = reindexValue.toBool(false);
    const QJsonValue thresholdValue = payload.value(QStringLiteral("bloat_threshold"));
    const double threshold = thresholdValue.toDouble(0.3);
    if (!thresholdValue.isUndefined() && (!thresholdValue.isDouble() || threshold < 0 || threshold > 1)) {
        return HandlerResult::failure(JobError::make("db_optimize.bad_bloat_threshold"), false);
    }
    const QJsonValue lockValue = payload.value(QStringLiteral("lock_timeout_ms"));
    const qint64 lockTimeoutMs = lockValue.toInteger(5000);
    if (!lockValue.isUndefined() && (!lockValue.isDouble() || lockValue.toDouble() != double(lockTimeoutMs) ||
                                     lockTimeoutMs < 1 || lockTimeoutMs > 3'600'000)) {
        return HandlerResult::failure(JobError::make("db_optimize.bad_lock_timeout"), false);
    }
    // Smaller indexes are left as they are: rebuilding one gains next to nothing, and one page more or
    // less is a large share of it, so its estimate says little.
    const QJsonValue minIndexValue = payload.value(QStringLiteral("min_index_bytes"));
    const qint64 minIndexBytes = minIndexValue.toInteger(64 * 1024);
    if (!minIndexValue.isUndefined() &&
        (!minIndexValue.isDouble() || minIndexValue.toDouble() != double(minIndexBytes) ||
         minIndexBytes < 0)) {
        return HandlerResult::failure(JobError::make("db_optimize.bad_min_index_bytes"), false);
    }
    const bool analyzeOnly = mode == QLatin1String("analyze");

    PostgresMaintenance store(ctx.env().db, int(lockTimeoutMs));
    if (Status st = store.open(); !st)
        return HandlerResult::failure(st.error().message);
    const auto role = store.currentRole();
    if (!role)
        return HandlerResult::failure(role.error().message);
    const auto tables = store.tables();
    if (!tables)
        return HandlerResult::failure(tables.error().message);

    QJsonArray done;
    QJsonArray skipped;
    qint64 bytesBefore = 0;
    qint64 bytesAfter = 0;
    qint64 deadRemoved = 0;
    qint64 reindexed = 0;
    bool anyLocked = false;
    QSet<QString> owners;
    const auto skip = [&](const QString &kind, const QString &name, const QString &reason,
                          const QString &owner = {}) {
        QJsonObject entry{{kind, name}, {QStringLiteral("reason"), reason}};
        if (!owner.isEmpty())
            entry.insert(QStringLiteral("owner"), owner);
        skipped.append(entry);
        anyLocked = anyLocked || reason == ReasonLocked;
        // Tables of another owner are the normal case for a worker role: worth a line, not a warning.
        if (reason == ReasonLocked)
            qCWarning(lcHandlers).noquote() << "db_optimize: left" << kind << name << "alone:" << reason;
        else
            qCInfo(lcHandlers).noquote() << "db_optimize: left" << kind << name << "alone:" << reason
                                         << QStringLiteral("(owner %1)").arg(owner);
    };
    const auto stopped = [&](qsizetype at) {
        return HandlerResult::failure(JobError::make(
            "db_optimize.stopped_tables",
            {{QStringLiteral("done"), qint64(at)}, {QStringLiteral("total"), qint64(tables->size())}}));
    };

    for (qsizetype i = 0; i < tables->size(); ++i) {
        const PostgresMaintenance::Table &table = tables->at(i);
        if (ctx.isStopRequested())
            return stopped(i);
        if (!table.mayVacuum) {
            owners.insert(table.owner);
            skip(QStringLiteral("table"), table.name, ReasonNotOwner, table.owner);
            continue;
        }
        const auto before = store.figures(table);
        if (!before) {
            if (before.error().code == Error::Code::NotFound)
                continue; // dropped since the listing
            return HandlerResult::failure(before.error().message);
        }
        if (Status st = store.vacuum(table, analyzeOnly); !st) {
            if (!PostgresMaintenance::isLockTimeout(st.error()))
                return HandlerResult::failure(st.error().message);
            skip(QStringLiteral("table"), table.name, ReasonLocked);
            continue;
        }
        const auto after = store.figures(table);
        if (!after)
            return HandlerResult::failure(after.error().message);

        QJsonArray rebuilt;
        if (reindex && !table.mayReindex) {
            // The database owner may vacuum a table it does not own, but not rebuild its indexes.
            skip(QStringLiteral("reindex"), table.name, ReasonNotOwner, table.owner);
        } else if (reindex) {
            const auto indexes = store.indexes(table);
            if (!indexes)
                return HandlerResult::failure(indexes.error().message);
            for (const PostgresMaintenance::Index &index : *indexes) {
                if (index.estimatedBloat < 0 || index.estimatedBloat < threshold ||
                    index.bytes < minIndexBytes)
                    continue;
                if (ctx.isStopRequested())
                    return stopped(i + 1); // this table is vacuumed
                if (Status st = store.reindexConcurrently(index); !st) {
                    if (!PostgresMaintenance::isLockTimeout(st.error()))
                        return HandlerResult::failure(st.error().message);
                    skip(QStringLiteral("index"), index.name, ReasonLocked);
                    continue;
                }
                const auto size = store.indexBytes(index);
                if (!size)
                    return HandlerResult::failure(size.error().message);
                ++reindexed;
                rebuilt.append(QJsonObject{
                    {QStringLiteral("index"), index.name},
                    // Rounded to 0.001: an estimate (see PostgresMaintenance), not a measurement.
                    {QStringLiteral("estimated_bloat"), std::round(index.estimatedBloat * 1000) / 1000},
                    {QStringLiteral("bytes_before"), index.bytes},
                    {QStringLiteral("bytes_after"), *size},
                });
            }
        }
        // The sizes after the reindex: the table entry tells what the whole run did to the table.
        const auto finalFigures = rebuilt.isEmpty() ? after : store.figures(table);
        if (!finalFigures)
            return HandlerResult::failure(finalFigures.error().message);
        const qint64 removed = qMax<qint64>(0, before->deadTuples - after->deadTuples);
        deadRemoved += removed;
        bytesBefore += before->totalBytes;
        bytesAfter += finalFigures->totalBytes;
        QJsonObject entry{
            {QStringLiteral("table"), table.name},
            // n_dead_tup of pg_stat_user_tables: what the statistics system counted before the VACUUM, and
            // what the VACUUM left (dead rows still visible to a running transaction).
            {QStringLiteral("dead_tuples_before"), before->deadTuples},
            {QStringLiteral("dead_tuples_after"), after->deadTuples},
            {QStringLiteral("dead_tuples_removed"), removed},
            {QStringLiteral("bytes_before"), before->totalBytes},
            {QStringLiteral("bytes_after"), finalFigures->totalBytes},
        };
        if (reindex)
            entry.insert(QStringLiteral("reindexed"), rebuilt);
        done.append(entry);
        ctx.setProgress(double(i + 1) / double(tables->size()));
    }
    ctx.setProgress(1.0);

    if (done.isEmpty()) {
        if (anyLocked) {
            return HandlerResult::failure(JobError::make(
                "db_optimize.all_locked", {{QStringLiteral("role"), *role},
                                           {QStringLiteral("lock_timeout_ms"), qint64(lockTimeoutMs)}}));
        }
        QStringList ownerList = owners.values();
        ownerList.sort();
        return HandlerResult::failure(
            JobError::make("db_optimize.owns_none",
                           {{QStringLiteral("role"), *role},
                            {QStringLiteral("tables"), qint64(tables->size())},
                            {QStringLiteral("owners"), ownerList.join(QStringLiteral(", "))}}),
            false);
    }
    qCInfo(lcHandlers).noquote() << "db_optimize" << mode << "on PostgreSQL:" << done.size() << "tables,"
                                 << skipped.size() << "skipped," << deadRemoved << "dead tuples removed,"
                                 << reindexed << "indexes rebuilt," << bytesBefore << "->" << bytesAfter
                                 << "bytes";
    return HandlerResult::success(QJsonObject{
        {QStringLiteral("mode"), mode},
        {QStringLiteral("backend"), QStringLiteral("postgresql")},
        {QStringLiteral("role"), *role},
        {QStringLiteral("tables_optimized"), qint64(done.size())},
        {QStringLiteral("tables"), done},
        {QStringLiteral("skipped"), skipped},
        {QStringLiteral("dead_tuples_removed"), deadRemoved},
        {QStringLiteral("indexes_reindexed"), reindexed},
        {QStringLiteral("bytes_before"), bytesBefore},
        {QStringLiteral("bytes_after"), bytesAfter},
        // The first VACUUM of a table adds its free space and visibility maps: the size can grow.
        {QStringLiteral("bytes_freed"), qMax<qint64>(0, bytesBefore - bytesAfter)},
    });
}

} // namespace

HandlerResult DbOptimizeHandler::run(JobContext &ctx)
{
    const QString mode = ctx.payload().value(QStringLiteral("mode")).toString(QStringLiteral("vacuum"));
    if (mode != QLatin1String("vacuum") && mode != QLatin1String("incremental") &&
        mode != QLatin1String("analyze"))
        return HandlerResult::failure(
            JobError::make("db_optimize.unknown_mode", {{QStringLiteral("mode"), mode}}), false);
    if (ctx.env().db.isPostgres())
        return runPostgres(ctx, mode);

    auto conn = Database::connection(ctx.env().db);
    if (!conn)
        return HandlerResult::failure(conn.error().message);
    QSqlDatabase db = conn.value();

    const auto before = pageStats(db);
    if (!before)
        return HandlerResult::failure(before.error().message);
    const auto autoVacuum = pragmaValue(db, QStringLiteral("auto_vacuum"));
    if (!autoVacuum)
        return HandlerResult::failure(autoVacuum.error().message);

    QSqlQuery tables(db);
    if (!tables.exec(
            QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                           "'sqlite\\_%' ESCAPE '\\'")) ||
        !tables.next())
        return HandlerResult::failure(Database::error(tables.lastError(), tr("listing the tables")).message);
    const qint64 tableCount = tables.value(0).toLongLong();
    tables.finish();

    // VACUUM cannot run inside a transaction, so no step is wrapped in one: each statement is its own
    // atomic unit in autocommit mode. The stop request is honoured between steps.
    enum class Step { Analyze, Vacuum, Incremental, Optimize, Checkpoint };
    QList<Step> steps{Step::Analyze};
    if (mode == QLatin1String("vacuum"))
        steps.append(Step::Vacuum);
    else if (mode == QLatin1String("incremental"))
        steps.append(Step::Incremental);
    steps.append(Step::Optimize);
    // In WAL mode the rebuilt pages sit in the write-ahead log until a checkpoint copies them back and
    // truncates the database file: only then is the space returned to the file system.
    if (mode != QLatin1String("analyze"))
        steps.append(Step::Checkpoint);

    const auto units = double(steps.size());
    qsizetype done = 0;
    bool checkpointed = false;
    const auto stopped = [&] {
        return HandlerResult::failure(
            JobError::make("db_optimize.stopped_steps", {{QStringLiteral("done"), qint64(done)},
                                                         {QStringLiteral("total"), qint64(steps.size())}}));
    };
    for (const Step step : std::as_const(steps)) {
        if (ctx.isStopRequested())
            return stopped();
        Status st;
        switch (step) {
        case Step::Analyze:
            st = exec(db, QStringLiteral("ANALYZE"), tr("updating the planner statistics"));
            break;
        case Step::Vacuum:
            st = exec(db, QStringLiteral("VACUUM"), tr("rebuilding the database file"));
            break;
        case Step::Incremental: {
            if (*autoVacuum != 2)
                break; // the pragma is a no-op: nothing to release (logged below)
            const auto freePages = pragmaValue(db, QStringLiteral("freelist_count"));
            if (!freePages)
                return HandlerResult::failure(freePages.error().message);
            const Result<bool> finished =
                releaseFreePages(ctx, db, *freePages, done / units, (done + 1) / units);
            if (!finished)
                return HandlerResult::failure(finished.error().message);
            if (!*finished)
                return stopped();
            break;
        }
        case Step::Optimize:
            st = exec(db, QStringLiteral("PRAGMA optimize"), tr("optimizing the database"));
            break;
        case Step::Checkpoint: {
            QSqlQuery q(db);
            if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"))) {
                st = Database::error(q.lastError(), tr("writing the log back to the database file"));
                break;
            }
            // One row: busy (1 when readers or writers prevented a complete checkpoint), log pages,
            // checkpointed pages. Outside WAL mode there is nothing to write back.
            checkpointed = q.next() && q.value(0).toInt() == 0;
            break;
        }
        }
        if (!st)
            return HandlerResult::failure(st.error().message);
        ctx.setProgress(double(++done) / units);
    }

    const auto after = pageStats(db);
    if (!after)
        return HandlerResult::failure(after.error().message);

    if (mode == QLatin1String("incremental") && *autoVacuum != 2) {
        qCInfo(lcHandlers)
            << "db_optimize: incremental vacuum released nothing: the database uses auto_vacuum ="
            << autoVacuumName(*autoVacuum) << "(run mode \"vacuum\" to reclaim" << before->freePages
            << "free pages)";
    }
    qCInfo(lcHandlers).noquote() << "db_optimize" << mode << "mode:" << before->bytes() << "->"
                                 << after->bytes() << "bytes," << before->freePages << "->"
                                 << after->freePages << "free pages";

    return HandlerResult::success(QJsonObject{
        {QStringLiteral("mode"), mode},
        {QStringLiteral("tables_optimized"), tableCount},
        {QStringLiteral("bytes_before"), before->bytes()},
        {QStringLiteral("bytes_after"), after->bytes()},
        // Signed: ANALYZE can grow the file by the pages of its statistics table.
        {QStringLiteral("bytes_freed"), before->bytes() - after->bytes()},
        {QStringLiteral("free_pages_before"), before->freePages},
        {QStringLiteral("free_pages_after"), after->freePages},
        {QStringLiteral("auto_vacuum"), autoVacuumName(*autoVacuum)},
        {QStringLiteral("checkpointed"), checkpointed},
    });
}

} // namespace hcm
