#include "logrotatehandler.h"

#include "common/logcategories.h"
#include "common/logsink.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonValue>
#include <QRegularExpression>

#include <zlib.h>

namespace hcm {

namespace {

constexpr qint64 ChunkSize = 256 * 1024;
const QString StampFormat = QStringLiteral("yyyyMMdd-HHmmss-zzz");

struct Archived {
    qint64 bytesRead = 0;    // the log content that went into the archive
    qint64 bytesWritten = 0; // the size of the .gz file
};

// Compresses everything `source` holds into a new gzip file `target` (which must not exist). On failure
// the partial archive is removed and the log is left as it was.
Result<Archived> gzipFile(const QString &source, const QString &target)
{
    QFile in(source);
    if (!in.open(QIODevice::ReadOnly)) {
        return Error{Error::Code::Io, LogRotateHandler::tr("Cannot read the log file %1: %2.")
                                          .arg(QDir::toNativeSeparators(source), in.errorString())};
    }
    // "x": exclusive create, never overwrite an existing archive.
    gzFile gz = gzopen(QFile::encodeName(target).constData(), "wb6x");
    if (!gz) {
        return Error{
            Error::Code::Io,
            LogRotateHandler::tr("Cannot create the archive %1.").arg(QDir::toNativeSeparators(target))};
    }
    Archived out;
    const auto fail = [&](const QString &why) -> Error {
        gzclose(gz);
        QFile::remove(target);
        return Error{Error::Code::Io, LogRotateHandler::tr("Cannot write the archive %1: %2.")
                                          .arg(QDir::toNativeSeparators(target), why)};
    };
    QByteArray buffer;
    while (!in.atEnd()) {
        buffer = in.read(ChunkSize);
        if (buffer.isEmpty()) {
            if (in.error() != QFileDevice::NoError)
                return fail(in.errorString());
            break;
        }
        if (gzwrite(gz, buffer.constData(), unsigned(buffer.size())) != int(buffer.size())) {
            int code = Z_OK;
            const char *message = gzerror(gz, &code);
            return fail(QString::fromLocal8Bit(message ? message : "gzwrite failed"));
        }
        out.bytesRead += buffer.size();
    }
    if (const int rc = gzclose(gz); rc != Z_OK) {
        QFile::remove(target);
        return Error{Error::Code::Io, LogRotateHandler::tr("Cannot finish the archive %1 (zlib error %2).")
                                          .arg(QDir::toNativeSeparators(target))
                                          .arg(rc)};
    }
    out.bytesWritten = QFileInfo(target).size();
    return out;
}

// `<name>.log.<UTC yyyyMMdd-HHmmss-zzz>.gz`; a later millisecond when that name is taken, so names stay
// unique and sort in time order.
QString archivePathFor(const QFileInfo &log, qint64 nowMs)
{
    for (qint64 ms = nowMs;; ++ms) {
        const QString stamp = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(StampFormat);
        const QString path = log.absolutePath() + QLatin1Char('/') + log.fileName() + QLatin1Char('.') +
                             stamp + QLatin1String(".gz");
        if (!QFileInfo::exists(path))
            return path;
    }
}

QString canonical(const QString &path)
{
    const QFileInfo info(path);
    const QString c = info.canonicalFilePath();
    return c.isEmpty() ? info.absoluteFilePath() : c;
}

} // namespace

HandlerResult LogRotateHandler::run(JobContext &ctx)
{
    const qint64 keep = ctx.payload().value(QStringLiteral("keep")).toInteger(5);
    const qint64 minSize = ctx.payload().value(QStringLiteral("min_size_bytes")).toInteger(0);
    if (keep < 0 || minSize < 0)
        return HandlerResult::failure(tr("keep and min_size_bytes must not be negative."), false);

    qint64 filesArchived = 0;
    qint64 archivesDeleted = 0;
    qint64 bytesBefore = 0;
    qint64 bytesArchived = 0;
    qint64 bytesFreed = 0;
    const auto result = [&] {
        return QJsonObject{
            {QStringLiteral("files_archived"), filesArchived},
            {QStringLiteral("archives_deleted"), archivesDeleted},
            {QStringLiteral("bytes_before"), bytesBefore},
            {QStringLiteral("bytes_archived"), bytesArchived},
            {QStringLiteral("bytes_freed"), bytesFreed},
        };
    };

    // A missing (or unset) log folder has nothing to rotate.
    const QString logDir = ctx.env().logDir;
    if (logDir.isEmpty() || !QFileInfo(logDir).isDir()) {
        qCInfo(lcHandlers) << "log_rotate: no log folder" << logDir << "- nothing to rotate";
        return HandlerResult::success(result());
    }

    const QDir dir(logDir);
    const QFileInfoList logs =
        dir.entryInfoList({QStringLiteral("*.log")}, QDir::Files | QDir::Hidden, QDir::Name);
    const QString sinkPath = LogSink::instance().path();
    const QString sinkCanonical = sinkPath.isEmpty() ? QString() : canonical(sinkPath);

    qsizetype done = 0;
    for (const QFileInfo &log : logs) {
        if (ctx.isStopRequested()) {
            return HandlerResult::failure(
                tr("Stopped after rotating %1 of %2 log files.").arg(done).arg(logs.size()));
        }
        const qint64 size = log.size();
        bytesBefore += size;

        if (size > 0 && size > minSize) {
            const QString archive = archivePathFor(log, ctx.env().clock->nowMs());
            const QString path = log.absoluteFilePath();
            Result<Archived> archived = Error{};
            QString truncateError;
            const auto archiveAndTruncate = [&](QFile *open) {
                archived = gzipFile(path, archive);
                if (!archived)
                    return;
                if (open ? !open->resize(0) : !QFile::resize(path, 0)) {
                    truncateError = open ? open->errorString() : QFile(path).errorString();
                    QFile::remove(archive); // the log still holds every line
                }
            };
            if (!sinkCanonical.isEmpty() && canonical(path) == sinkCanonical) {
                // The process writes this file: no line may be written between the copy and the
                // truncation. No logging in here: it would wait for the lock we hold.
                bool rotated = false;
                LogSink::instance().withFileLocked([&](QFile &file) {
                    if (!file.isOpen())
                        return;
                    rotated = true;
                    archiveAndTruncate(&file);
                });
                if (!rotated)
                    archiveAndTruncate(nullptr);
            } else {
                archiveAndTruncate(nullptr);
            }
            if (!archived)
                return HandlerResult::failure(archived.error().message);
            if (!truncateError.isEmpty()) {
                return HandlerResult::failure(tr("Cannot truncate the log file %1 after archiving it: %2.")
                                                  .arg(QDir::toNativeSeparators(path), truncateError));
            }
            ++filesArchived;
            bytesArchived += archived->bytesWritten;
            bytesFreed += archived->bytesRead - archived->bytesWritten;
            qCDebug(lcHandlers) << "log_rotate: archived" << path << "to" << archive << archived->bytesRead
                                << "->" << archived->bytesWritten << "bytes";
        }

        // Retention: the newest `keep` archives of this log survive; names sort in time order.
        const QRegularExpression archiveName(QLatin1Char('^') + QRegularExpression::escape(log.fileName()) +
                                             QStringLiteral("\\.\\d{8}-\\d{6}-\\d{3}\\.gz$"));
        QStringList archives =
            dir.entryList({log.fileName() + QStringLiteral(".*.gz")}, QDir::Files | QDir::Hidden, QDir::Name);
        archives.removeIf([&](const QString &name) { return !archiveName.match(name).hasMatch(); });
        for (qsizetype i = 0; i + keep < archives.size(); ++i) {
            const QString old = dir.absoluteFilePath(archives.at(i));
            const qint64 oldSize = QFileInfo(old).size();
            QFile f(old);
            if (!f.remove()) {
                return HandlerResult::failure(tr("Cannot delete the old log archive %1: %2.")
                                                  .arg(QDir::toNativeSeparators(old), f.errorString()));
            }
            ++archivesDeleted;
            bytesFreed += oldSize;
        }

        ctx.setProgress(double(++done) / double(logs.size()));
    }

    qCInfo(lcHandlers) << "log_rotate: archived" << filesArchived << "of" << logs.size()
                       << "log files, deleted" << archivesDeleted << "old archives," << bytesFreed
                       << "bytes freed";
    return HandlerResult::success(result());
}

} // namespace hcm
