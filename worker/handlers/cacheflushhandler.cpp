#include "cacheflushhandler.h"

#include "common/logcategories.h"
#include "db/database.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonValue>

#include <algorithm>

namespace hcm {

namespace {

struct CacheFile {
    QString path;
    qint64 size = 0;
};

struct Walk {
    QList<CacheFile> files; // files and symbolic links, to delete
    QStringList dirs;       // real sub-folders (full only), deleted deepest first
};

// Everything inside `root` (never `root` itself). Symbolic links are listed, never followed, so a link
// to a folder outside the cache cannot make the flush delete what is not cache.
Walk walkCache(const QString &root, bool full, qint64 olderThanMs)
{
    Walk out;
    QDirIterator it(root, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        const QFileInfo info = it.fileInfo();
        if (info.isDir() && !info.isSymLink()) {
            if (full)
                out.dirs.append(info.filePath());
            continue;
        }
        if (!full) {
            const QDateTime mtime = info.lastModified();
            if (!mtime.isValid() || mtime.toMSecsSinceEpoch() >= olderThanMs)
                continue;
        }
        out.files.append(CacheFile{info.filePath(), info.isSymLink() ? 0 : info.size()});
    }
    // Deepest first, so each folder is empty when its turn comes.
    std::sort(out.dirs.begin(), out.dirs.end(), [](const QString &a, const QString &b) {
        return a.count(QLatin1Char('/')) > b.count(QLatin1Char('/'));
    });
    return out;
}

struct RowsRemoved {
    qint64 rows = 0;
    qint64 bytes = 0;
};

Result<RowsRemoved> flushRows(const DbConfig &config, bool full, qint64 nowMs)
{
    auto db = Database::connection(config);
    if (!db)
        return db.error();
    const QString where =
        full ? QString() : QStringLiteral(" WHERE expires_at IS NOT NULL AND expires_at < :now");

    Transaction tx(db.value());
    if (Status st = tx.begin(); !st)
        return st.error();

    RowsRemoved out;
    QSqlQuery count(db.value());
    if (Status st = Sql::prepare(count, QStringLiteral("SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM "
                                                       "cache_entries") +
                                            where);
        !st)
        return st.error();
    if (!full)
        count.bindValue(QStringLiteral(":now"), nowMs);
    if (Status st = Sql::exec(count, CacheFlushHandler::tr("measuring the cache table")); !st)
        return st.error();
    if (count.next())
        out.bytes = count.value(1).toLongLong();
    count.finish();

    QSqlQuery del(db.value());
    if (Status st = Sql::prepare(del, QStringLiteral("DELETE FROM cache_entries") + where); !st)
        return st.error();
    if (!full)
        del.bindValue(QStringLiteral(":now"), nowMs);
    if (Status st = Sql::exec(del, CacheFlushHandler::tr("clearing the cache table")); !st)
        return st.error();
    out.rows = del.numRowsAffected();

    if (Status st = tx.commit(); !st)
        return st.error();
    return out;
}

} // namespace

HandlerResult CacheFlushHandler::run(JobContext &ctx)
{
    const QString action = ctx.payload().value(QStringLiteral("action")).toString(QStringLiteral("full"));
    if (action != QLatin1String("full") && action != QLatin1String("expired"))
        return HandlerResult::failure(
            JobError::make("cache_flush.unknown_action", {{QStringLiteral("action"), action}}), false);
    const bool full = action == QLatin1String("full");
    const qint64 maxAgeSeconds = ctx.payload().value(QStringLiteral("max_age_seconds")).toInteger(86400);
    if (maxAgeSeconds < 0)
        return HandlerResult::failure(JobError::make("cache_flush.negative_max_age"), false);
    const qint64 nowMs = ctx.env().clock->nowMs();
    const qint64 olderThanMs = nowMs - maxAgeSeconds * 1000;

    // The folder: a missing (or unset) cache folder simply has nothing to clear.
    Walk walk;
    const QString cacheDir = ctx.env().cacheDir;
    if (!cacheDir.isEmpty() && QFileInfo(cacheDir).isDir()) {
        if (QDir(cacheDir).isRoot())
            return HandlerResult::failure(
                JobError::make("cache_flush.root_folder",
                               {{QStringLiteral("folder"), QDir::toNativeSeparators(cacheDir)}}),
                false);
        walk = walkCache(cacheDir, full, olderThanMs);
    }

    const qsizetype units = walk.files.size() + walk.dirs.size() + 1; // + the table
    qsizetype done = 0;
    qint64 filesRemoved = 0;
    qint64 fileBytes = 0;
    for (const CacheFile &file : std::as_const(walk.files)) {
        if (ctx.isStopRequested())
            return HandlerResult::failure(JobError::make(
                "cache_flush.stopped_of", {{QStringLiteral("removed"), filesRemoved},
                                           {QStringLiteral("total"), qint64(walk.files.size())}}));
        QFile f(file.path);
        if (!f.remove()) {
            return HandlerResult::failure(JobError::make(
                "cache_flush.delete_file", {{QStringLiteral("file"), QDir::toNativeSeparators(file.path)},
                                            {QStringLiteral("reason"), f.errorString()}}));
        }
        ++filesRemoved;
        fileBytes += file.size;
        ctx.setProgress(double(++done) / double(units));
    }
    for (const QString &dir : std::as_const(walk.dirs)) {
        if (ctx.isStopRequested())
            return HandlerResult::failure(
                JobError::make("cache_flush.stopped", {{QStringLiteral("removed"), filesRemoved}}));
        if (!QDir().rmdir(dir)) {
            return HandlerResult::failure(JobError::make(
                "cache_flush.delete_folder", {{QStringLiteral("folder"), QDir::toNativeSeparators(dir)}}));
        }
        ctx.setProgress(double(++done) / double(units));
    }

    if (ctx.isStopRequested())
        return HandlerResult::failure(
            JobError::make("cache_flush.stopped", {{QStringLiteral("removed"), filesRemoved}}));
    const Result<RowsRemoved> rows = flushRows(ctx.env().db, full, nowMs);
    if (!rows)
        return HandlerResult::failure(rows.error().message);
    ctx.setProgress(1.0);

    qCInfo(lcHandlers).noquote() << "cache_flush" << action << "flush: removed" << filesRemoved << "files and"
                                 << rows->rows << "cache rows," << (fileBytes + rows->bytes) << "bytes";
    return HandlerResult::success(QJsonObject{
        {QStringLiteral("action"), action},
        {QStringLiteral("files_removed"), filesRemoved},
        {QStringLiteral("rows_removed"), rows->rows},
        {QStringLiteral("items_cleared"), filesRemoved + rows->rows},
        {QStringLiteral("bytes_freed"), fileBytes + rows->bytes},
    });
}

} // namespace hcm
