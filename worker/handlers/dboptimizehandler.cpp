#include "dboptimizehandler.h"

#include "common/logcategories.h"
#include "db/database.h"

#include <QDir>
#include <QJsonValue>

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

} // namespace

HandlerResult DbOptimizeHandler::run(JobContext &ctx)
{
    const QString mode = ctx.payload().value(QStringLiteral("mode")).toString(QStringLiteral("vacuum"));
    if (mode != QLatin1String("vacuum") && mode != QLatin1String("incremental") &&
        mode != QLatin1String("analyze"))
        return HandlerResult::failure(
            tr("Unknown optimize mode \"%1\" (expected vacuum, incremental or analyze).").arg(mode), false);
    if (!ctx.env().db.isSqlite())
        return HandlerResult::failure(tr("Database optimization is only implemented for SQLite databases."),
                                      false);

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
            tr("Stopped after %1 of %2 optimization steps.").arg(done).arg(steps.size()));
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
