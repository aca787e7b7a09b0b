#include "dboptimizehandler.h"

#include "common/logcategories.h"
#include "db/database.h"

#include <QDir>
#include <QJsonValue>

namespace hcm {

namespace {

using H = DbOptimizeHandler;

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
        return Database::error(q.lastError(), H::tr("reading PRAGMA %1").arg(pragma));
    if (!q.next())
        return Error{Error::Code::Database, H::tr("PRAGMA %1 returned no value.").arg(pragma)};
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

// Runs a statement to completion: PRAGMA incremental_vacuum releases pages while it is stepped, so a
// single step would release only the first one.
Status execAll(QSqlDatabase db, const QString &statement, const QString &doing)
{
    QSqlQuery q(db);
    if (!q.exec(statement))
        return Database::error(q.lastError(), doing);
    while (q.next()) {
    }
    if (q.lastError().isValid())
        return Database::error(q.lastError(), doing);
    return {};
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
    if (mode != QLatin1String("vacuum") && mode != QLatin1String("incremental") && mode != QLatin1String("analyze"))
        return HandlerResult::failure(
            tr("Unknown optimize mode \"%1\" (expected vacuum, incremental or analyze).").arg(mode), false);
    if (!ctx.env().db.isSqlite())
        return HandlerResult::failure(tr("Database optimization is only implemented for SQLite databases."), false);

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
    if (!tables.exec(QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                    "'sqlite\\_%' ESCAPE '\\'"))
        || !tables.next())
        return HandlerResult::failure(Database::error(tables.lastError(), tr("listing the tables")).message);
    const qint64 tableCount = tables.value(0).toLongLong();
    tables.finish();

    // Every step runs outside a transaction: VACUUM cannot run inside one, and each statement is its own
    // atomic unit in autocommit mode. The stop request is honoured between steps.
    struct Step {
        QString sql;
        QString doing;
    };
    QList<Step> steps;
    steps.append({QStringLiteral("ANALYZE"), tr("updating the planner statistics")});
    if (mode == QLatin1String("vacuum"))
        steps.append({QStringLiteral("VACUUM"), tr("rebuilding the database file")});
    else if (mode == QLatin1String("incremental"))
        steps.append({QStringLiteral("PRAGMA incremental_vacuum"), tr("releasing free pages")});
    steps.append({QStringLiteral("PRAGMA optimize"), tr("optimizing the database")});
    // In WAL mode the rebuilt pages sit in the write-ahead log until a checkpoint copies them back and
    // truncates the database file: only then is the space returned to the file system.
    const bool checkpoint = mode != QLatin1String("analyze");

    const qsizetype units = steps.size() + (checkpoint ? 1 : 0);
    qsizetype done = 0;
    for (const Step &step : std::as_const(steps)) {
        if (ctx.isStopRequested())
            return HandlerResult::failure(tr("Stopped after %1 of %2 optimization steps.").arg(done).arg(units));
        qCDebug(lcHandlers) << "db_optimize:" << step.sql;
        if (Status st = execAll(db, step.sql, step.doing); !st)
            return HandlerResult::failure(st.error().message);
        ctx.setProgress(double(++done) / double(units));
    }

    bool checkpointed = false;
    if (checkpoint) {
        if (ctx.isStopRequested())
            return HandlerResult::failure(tr("Stopped after %1 of %2 optimization steps.").arg(done).arg(units));
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")))
            return HandlerResult::failure(
                Database::error(q.lastError(), tr("writing the log back to the database file")).message);
        // One row: busy (1 when readers or writers prevented a complete checkpoint), log pages,
        // checkpointed pages. Not in WAL mode the row reports -1 pages: nothing to write back.
        checkpointed = q.next() && q.value(0).toInt() == 0;
        q.finish();
        ctx.setProgress(double(++done) / double(units));
    }

    const auto after = pageStats(db);
    if (!after)
        return HandlerResult::failure(after.error().message);

    if (mode == QLatin1String("incremental") && *autoVacuum != 2) {
        qCInfo(lcHandlers) << "db_optimize: incremental vacuum released nothing: the database uses auto_vacuum ="
                           << autoVacuumName(*autoVacuum) << "(run mode \"vacuum\" to reclaim"
                           << before->freePages << "free pages)";
    }
    qCInfo(lcHandlers).noquote() << "db_optimize" << mode << ":" << before->bytes() << "->" << after->bytes()
                                 << "bytes," << before->freePages << "->" << after->freePages << "free pages";

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
