#include "logrotatehandler.h"

#include "common/logcategories.h"
#include "common/logsink.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonValue>
#include <QRegularExpression>
#include <QThread>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace hcm {

namespace {

constexpr qint64 ChunkSize = 256 * 1024;
const QString StampFormat = QStringLiteral("yyyyMMdd-HHmmss-zzz");

// How long one attempt to lock a log file may hold the log sink's lock while it waits for the writers
// of other processes (each holds its shared lock for one line), and how long the whole wait may take.
constexpr int LockAttemptMs = 200;
constexpr int LockWaitMs = 30'000;

// Why a file was left alone, as the result JSON names it: fixed English words that scripts can match
// (like the other keys of the result), not sentences for people.
const QString ReasonSymlink = QStringLiteral("symbolic link");
const QString ReasonNotRegular = QStringLiteral("not a regular file");
const QString ReasonOtherOwner = QStringLiteral("owned by another user");
const QString ReasonHardLinks = QStringLiteral("several hard links");
const QString ReasonChanged = QStringLiteral("changed during rotation");
const QString ReasonLocked = QStringLiteral("locked by another program");

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// A file descriptor closed at destruction.
class Fd final {
public:
    Fd() = default;
    explicit Fd(int fd)
        : m_fd(fd)
    {}
    ~Fd() { reset(); }
    Q_DISABLE_COPY(Fd)
    Fd(Fd &&other) noexcept
        : m_fd(std::exchange(other.m_fd, -1))
    {}
    Fd &operator=(Fd &&other) noexcept
    {
        if (this != &other) {
            reset();
            m_fd = std::exchange(other.m_fd, -1);
        }
        return *this;
    }

    int get() const { return m_fd; }
    bool isValid() const { return m_fd >= 0; }
    void reset()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

private:
    int m_fd = -1;
};

int retryOnEintr(const std::function<int()> &call)
{
    int rc;
    do {
        rc = call();
    } while (rc == -1 && errno == EINTR);
    return rc;
}

// Takes flock(LOCK_EX) on `fd`, trying for up to `ms` milliseconds (writers hold LOCK_SH for one line).
bool tryLockExclusive(int fd, int ms)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
        if (retryOnEintr([fd] { return ::flock(fd, LOCK_EX | LOCK_NB); }) == 0)
            return true;
        if (errno != EWOULDBLOCK || std::chrono::steady_clock::now() >= until)
            return false;
        QThread::usleep(500);
    }
}

// A gzip archive being written: created exclusively (never following or replacing anything), filled
// from a log's descriptor, made durable before the log is truncated, and removed again unless finished.
class Archive final {
public:
    Archive(int dirFd, const QString &dir)
        : m_dirFd(dirFd)
        , m_dir(dir)
    {}
    ~Archive() { discard(); }
    Q_DISABLE_COPY_MOVE(Archive)

    // `<name>.<UTC yyyyMMdd-HHmmss-zzz>.gz`, a later millisecond when that name is taken, so names stay
    // unique and sort in time order. `mode`: the log's permission bits (an archive is as private as its log).
    Status create(const QString &logName, qint64 nowMs, mode_t mode)
    {
        for (qint64 ms = nowMs;; ++ms) {
            const QString name = logName + QLatin1Char('.') +
                                 QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(StampFormat) +
                                 QLatin1String(".gz");
            Fd fd(retryOnEintr([&] {
                return ::openat(m_dirFd, QFile::encodeName(name).constData(),
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0666);
            }));
            if (!fd.isValid()) {
                if (errno == EEXIST)
                    continue;
                return error(name, errnoText(errno));
            }
            m_name = name;
            ::fchmod(fd.get(), mode & 0666); // the umask may have narrowed it
            const int gzFd = ::dup(fd.get());
            m_gz = gzFd >= 0 ? gzdopen(gzFd, "wb6") : nullptr;
            m_fd = std::move(fd);
            if (!m_gz) {
                if (gzFd >= 0)
                    ::close(gzFd);
                return failed(QStringLiteral("gzdopen failed"));
            }
            return {};
        }
    }

    // Compresses bytes [from, to) of `logFd` into the archive. `complete` false when the log holds fewer
    // bytes than `to` (somebody truncated it meanwhile).
    Status append(int logFd, qint64 from, qint64 to, bool *complete)
    {
        *complete = true;
        QByteArray buffer(int(qMin(ChunkSize, qMax<qint64>(to - from, 1))), Qt::Uninitialized);
        for (qint64 at = from; at < to;) {
            const auto want = size_t(qMin<qint64>(buffer.size(), to - at));
            const ssize_t got = ::pread(logFd, buffer.data(), want, off_t(at));
            if (got < 0) {
                if (errno == EINTR)
                    continue;
                return failed(LogRotateHandler::tr("cannot read the log: %1").arg(errnoText(errno)));
            }
            if (got == 0) {
                *complete = false;
                return {};
            }
            if (gzwrite(m_gz, buffer.constData(), unsigned(got)) != int(got))
                return failed(gzMessage());
            at += got;
            m_bytesRead += got;
        }
        return {};
    }

    // Writes what is compressed so far to the disk, so that finish() has little left to write.
    Status sync()
    {
        if (gzflush(m_gz, Z_SYNC_FLUSH) != Z_OK)
            return failed(gzMessage());
        if (::fsync(m_fd.get()) != 0)
            return failed(errnoText(errno));
        return {};
    }

    // Completes the gzip stream and makes it durable: only then may the log be truncated.
    Status finish()
    {
        const int rc = gzclose(std::exchange(m_gz, nullptr));
        if (rc != Z_OK)
            return failed(LogRotateHandler::tr("zlib error %1").arg(rc));
        if (::fsync(m_fd.get()) != 0)
            return failed(errnoText(errno));
        struct stat st {};
        m_bytesWritten = ::fstat(m_fd.get(), &st) == 0 ? qint64(st.st_size) : 0;
        m_fd.reset();
        m_name.clear(); // kept
        return {};
    }

    // Removes an unfinished archive (the log still holds every line).
    void discard()
    {
        if (m_gz)
            gzclose(std::exchange(m_gz, nullptr));
        m_fd.reset();
        if (!m_name.isEmpty())
            ::unlinkat(m_dirFd, QFile::encodeName(std::exchange(m_name, QString())).constData(), 0);
    }

    qint64 bytesRead() const { return m_bytesRead; }
    qint64 bytesWritten() const { return m_bytesWritten; }

private:
    QString gzMessage() const
    {
        int code = Z_OK;
        const char *message = m_gz ? gzerror(m_gz, &code) : nullptr;
        return QString::fromLocal8Bit(message && *message ? message : "gzwrite failed");
    }
    Error error(const QString &name, const QString &why) const
    {
        return Error{Error::Code::Io,
                     LogRotateHandler::tr("Cannot write the archive %1: %2.")
                         .arg(QDir::toNativeSeparators(m_dir + QLatin1Char('/') + name), why)};
    }
    Error failed(const QString &why)
    {
        const Error e = error(m_name, why);
        discard();
        return e;
    }

    int m_dirFd;
    QString m_dir;
    QString m_name;
    Fd m_fd;
    gzFile m_gz = nullptr;
    qint64 m_bytesRead = 0;
    qint64 m_bytesWritten = 0;
};

// Why a log file may not be rotated (empty when it may): the checks run on lstat() before opening and
// again on fstat() of the opened descriptor, which is what counts (the name may be swapped in between).
QString refusal(const struct stat &st)
{
    if (S_ISLNK(st.st_mode))
        return ReasonSymlink;
    if (!S_ISREG(st.st_mode))
        return ReasonNotRegular;
    if (st.st_uid != ::geteuid())
        return ReasonOtherOwner;
    // A second name elsewhere (the database, another program's file) would be emptied through this one.
    if (st.st_nlink != 1)
        return ReasonHardLinks;
    return {};
}

bool sameFile(const struct stat &a, const struct stat &b)
{
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

} // namespace

HandlerResult LogRotateHandler::run(JobContext &ctx)
{
    const qint64 keep = ctx.payload().value(QStringLiteral("keep")).toInteger(5);
    const qint64 minSize = ctx.payload().value(QStringLiteral("min_size_bytes")).toInteger(0);
    if (keep < 0 || minSize < 0)
        return HandlerResult::failure(JobError::make("log_rotate.negative_settings"), false);

    qint64 filesArchived = 0;
    qint64 archivesDeleted = 0;
    qint64 bytesBefore = 0;
    qint64 bytesArchived = 0;
    qint64 bytesRemoved = 0; // log content moved into archives, plus old archives deleted
    QJsonArray skipped;
    const auto result = [&] {
        return QJsonObject{
            {QStringLiteral("files_archived"), filesArchived},
            {QStringLiteral("archives_deleted"), archivesDeleted},
            {QStringLiteral("bytes_before"), bytesBefore},
            {QStringLiteral("bytes_archived"), bytesArchived},
            // What the folder shrank by; 0 when the new archives outweigh what they replaced (tiny logs
            // compress to more than their size).
            {QStringLiteral("bytes_freed"), qMax<qint64>(0, bytesRemoved - bytesArchived)},
            {QStringLiteral("skipped"), skipped},
        };
    };
    const auto skip = [&](const QString &name, const QString &reason) {
        qCWarning(lcHandlers).noquote() << "log_rotate: left" << name << "alone:" << reason;
        skipped.append(QJsonObject{{QStringLiteral("file"), name}, {QStringLiteral("reason"), reason}});
    };

    // A missing (or unset) log folder has nothing to rotate.
    const QString logDir = ctx.env().logDir;
    if (logDir.isEmpty() || !QFileInfo(logDir).isDir()) {
        qCInfo(lcHandlers) << "log_rotate: no log folder" << logDir << "- nothing to rotate";
        return HandlerResult::success(result());
    }
    const QString nativeDir = QDir::toNativeSeparators(logDir);
    // Every file is reached through this descriptor (openat, never a path): a folder renamed or
    // replaced meanwhile cannot redirect the rotation.
    const Fd dirFd(::open(QFile::encodeName(logDir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirFd.isValid()) {
        return HandlerResult::failure(
            JobError::make("log_rotate.open_folder", {{QStringLiteral("folder"), nativeDir},
                                                      {QStringLiteral("reason"), errnoText(errno)}}));
    }
    // Two rotations of one folder at once (two workers on one machine) would archive the same lines
    // twice: they take turns.
    while (retryOnEintr([&] { return ::flock(dirFd.get(), LOCK_EX | LOCK_NB); }) != 0) {
        if (errno != EWOULDBLOCK)
            return HandlerResult::failure(
                JobError::make("log_rotate.lock_folder", {{QStringLiteral("folder"), nativeDir},
                                                          {QStringLiteral("reason"), errnoText(errno)}}));
        if (!ctx.sleepFor(50))
            return HandlerResult::failure(
                JobError::make("log_rotate.other_rotation", {{QStringLiteral("folder"), nativeDir}}));
    }

    const QStringList names = QDir(logDir).entryList(
        {QStringLiteral("*.log")}, QDir::AllEntries | QDir::System | QDir::Hidden | QDir::NoDotAndDotDot,
        QDir::Name);

    struct stat sinkStat {};
    bool haveSink = false;
    LogSink::instance().withFileLocked([&](QFile &file) {
        haveSink = file.isOpen() && file.handle() >= 0 && ::fstat(file.handle(), &sinkStat) == 0;
    });

    qsizetype done = 0;
    const auto stopped = [&] {
        return HandlerResult::failure(
            JobError::make("log_rotate.stopped", {{QStringLiteral("done"), qint64(done)},
                                                  {QStringLiteral("total"), qint64(names.size())}}));
    };
    // One log file: nothing when it is done with (rotated, left as it is, or skipped), else the job's
    // failure.
    const auto rotateOne = [&](const QString &name) -> std::optional<HandlerResult> {
        const QByteArray encoded = QFile::encodeName(name);
        const QString path = QDir::toNativeSeparators(logDir + QLatin1Char('/') + name);

        struct stat st {};
        if (::fstatat(dirFd.get(), encoded.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return std::nullopt; // gone since the listing
        if (S_ISDIR(st.st_mode))
            return std::nullopt; // a folder named *.log: not a log file
        QString reason = refusal(st);
        if (!reason.isEmpty()) {
            skip(name, reason);
            return std::nullopt;
        }
        // O_NOFOLLOW: a symbolic link put in place since the check fails to open (ELOOP) rather than
        // being followed; O_NONBLOCK: a FIFO put there does not hang the job (fstat then refuses it).
        Fd fd(retryOnEintr([&] {
            return ::openat(dirFd.get(), encoded.constData(),
                            O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        }));
        if (!fd.isValid()) {
            if (errno == ELOOP) {
                skip(name, ReasonSymlink);
                return std::nullopt;
            }
            if (errno == ENOENT)
                return std::nullopt;
            return HandlerResult::failure(
                JobError::make("log_rotate.open_file", {{QStringLiteral("file"), path},
                                                        {QStringLiteral("reason"), errnoText(errno)}}));
        }
        if (::fstat(fd.get(), &st) != 0)
            return HandlerResult::failure(
                JobError::make("log_rotate.read_file", {{QStringLiteral("file"), path},
                                                        {QStringLiteral("reason"), errnoText(errno)}}));
        reason = refusal(st);
        if (!reason.isEmpty()) {
            skip(name, reason);
            return std::nullopt;
        }

        const qint64 size = qint64(st.st_size);
        bytesBefore += size;
        if (size > 0 && size > minSize) {
            // Copy, then truncate. The bulk is compressed while writers go on appending; then, under an
            // exclusive flock() of the log, the lines appended meanwhile are added until the size stands
            // still, the archive is made durable, and only then is the log truncated. The product's log
            // sink (this process's under its mutex as well, other processes' through flock) appends under
            // a shared flock(), so none of its lines can fall between the copy and the truncation.
            // Writers that do not take the lock (see docs/architecture.md) can lose the lines they
            // append between the last size check and the truncation: a window of one system call.
            Archive archive(dirFd.get(), logDir);
            bool complete = true;
            Status st2 = archive.create(name, ctx.env().clock->nowMs(), st.st_mode);
            if (st2)
                st2 = archive.append(fd.get(), 0, size, &complete);
            if (st2 && complete)
                st2 = archive.sync();
            if (!st2)
                return HandlerResult::failure(st2.error().message);

            const bool isSink = haveSink && sameFile(st, sinkStat);
            enum class Outcome { Rotated, Changed, Locked, Failed } outcome = Outcome::Locked;
            JobError failure;
            // Runs with the log locked (no line can be written by a writer that takes the lock).
            const auto finishUnderLock = [&](QFile *sinkFile) {
                qint64 copied = size;
                for (bool more = complete; more;) {
                    struct stat now {};
                    if (::fstat(fd.get(), &now) != 0) {
                        failure = JobError::make(
                            "log_rotate.read_file",
                            {{QStringLiteral("file"), path}, {QStringLiteral("reason"), errnoText(errno)}});
                        outcome = Outcome::Failed;
                        return;
                    }
                    if (qint64(now.st_size) < copied) {
                        complete = false; // truncated by somebody else: the archive holds lines twice
                        break;
                    }
                    if (qint64(now.st_size) == copied)
                        break;
                    if (Status s = archive.append(fd.get(), copied, qint64(now.st_size), &complete); !s) {
                        failure = JobError::verbatim(s.error().message);
                        outcome = Outcome::Failed;
                        return;
                    }
                    copied = qint64(now.st_size);
                    more = complete;
                }
                if (!complete) {
                    outcome = Outcome::Changed;
                    return;
                }
                if (Status s = archive.finish(); !s) {
                    failure = JobError::verbatim(s.error().message);
                    outcome = Outcome::Failed;
                    return;
                }
                // The sink's own QFile truncates, so that its position starts again at 0 as well.
                const bool truncated = sinkFile ? sinkFile->resize(0) : ::ftruncate(fd.get(), 0) == 0;
                if (!truncated) {
                    failure = JobError::make(
                        "log_rotate.truncate_file",
                        {{QStringLiteral("file"), path},
                         {QStringLiteral("reason"), sinkFile ? sinkFile->errorString() : errnoText(errno)}});
                    outcome = Outcome::Failed;
                    return;
                }
                outcome = Outcome::Rotated;
            };
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(LockWaitMs);
            while (outcome == Outcome::Locked) {
                if (isSink) {
                    // The sink's mutex first, then the flock, the order the sink takes them in. No
                    // logging in here: it would wait for the mutex held.
                    LogSink::instance().withFileLocked([&](QFile &file) {
                        struct stat open {};
                        const bool same = file.isOpen() && file.handle() >= 0 &&
                                          ::fstat(file.handle(), &open) == 0 && sameFile(open, st);
                        if (!tryLockExclusive(fd.get(), LockAttemptMs))
                            return;
                        finishUnderLock(same ? &file : nullptr);
                        ::flock(fd.get(), LOCK_UN);
                    });
                } else if (tryLockExclusive(fd.get(), LockAttemptMs)) {
                    finishUnderLock(nullptr);
                    ::flock(fd.get(), LOCK_UN);
                }
                if (outcome != Outcome::Locked)
                    break;
                if (ctx.isStopRequested() || std::chrono::steady_clock::now() >= deadline)
                    break;
            }
            switch (outcome) {
            case Outcome::Rotated:
                ++filesArchived;
                bytesArchived += archive.bytesWritten();
                bytesRemoved += archive.bytesRead();
                qCDebug(lcHandlers) << "log_rotate: archived" << path << archive.bytesRead() << "->"
                                    << archive.bytesWritten() << "bytes";
                break;
            case Outcome::Changed:
                skip(name, ReasonChanged);
                break;
            case Outcome::Locked:
                if (ctx.isStopRequested())
                    return stopped();
                skip(name, ReasonLocked);
                break;
            case Outcome::Failed:
                return HandlerResult::failure(failure);
            }
        }

        // Retention: the newest `keep` archives of this log survive; names sort in time order. Only
        // regular files of ours are deleted, never what a link points to.
        const QRegularExpression archiveName(QLatin1Char('^') + QRegularExpression::escape(name) +
                                             QStringLiteral("\\.\\d{8}-\\d{6}-\\d{3}\\.gz$"));
        QStringList archives = QDir(logDir).entryList({name + QStringLiteral(".*.gz")},
                                                      QDir::Files | QDir::System | QDir::Hidden, QDir::Name);
        archives.removeIf([&](const QString &a) {
            struct stat as {};
            return !archiveName.match(a).hasMatch() ||
                   ::fstatat(dirFd.get(), QFile::encodeName(a).constData(), &as, AT_SYMLINK_NOFOLLOW) != 0 ||
                   !refusal(as).isEmpty();
        });
        for (qsizetype i = 0; i + keep < archives.size(); ++i) {
            const QByteArray old = QFile::encodeName(archives.at(i));
            struct stat as {};
            if (::fstatat(dirFd.get(), old.constData(), &as, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            if (::unlinkat(dirFd.get(), old.constData(), 0) != 0) {
                return HandlerResult::failure(
                    JobError::make("log_rotate.delete_archive",
                                   {{QStringLiteral("file"),
                                     QDir::toNativeSeparators(logDir + QLatin1Char('/') + archives.at(i))},
                                    {QStringLiteral("reason"), errnoText(errno)}}));
            }
            ++archivesDeleted;
            bytesRemoved += qint64(as.st_size);
        }
        return std::nullopt;
    };
    for (const QString &name : names) {
        if (ctx.isStopRequested())
            return stopped();
        if (std::optional<HandlerResult> failed = rotateOne(name))
            return *failed;
        ctx.setProgress(double(++done) / double(names.size()));
    }

    qCInfo(lcHandlers) << "log_rotate: archived" << filesArchived << "of" << names.size()
                       << "log files, deleted" << archivesDeleted << "old archives, skipped" << skipped.size()
                       << "," << qMax<qint64>(0, bytesRemoved - bytesArchived) << "bytes freed";
    return HandlerResult::success(result());
}

} // namespace hcm
