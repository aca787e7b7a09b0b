#include "logsink.h"

#include "common/logcategories.h"
#include "common/privatefiles.h"
#include "common/redaction.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>

#include <sys/file.h>

namespace hcm {

namespace {

// A rotation holds the exclusive lock for milliseconds. Another program holding it for longer (a stray
// `flock` on the log) must not stop the program: after two seconds the line is written without the lock.
bool lockShared(int fd)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (;;) {
        if (::flock(fd, LOCK_SH | LOCK_NB) == 0)
            return true;
        if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() >= until)
            return false;
        QThread::usleep(200);
    }
}

} // namespace

LogSink &LogSink::instance()
{
    static LogSink sink;
    return sink;
}

Status LogSink::open(const QString &path, bool alsoStderr)
{
    QStringList problems; // logged once the lock is released
    const auto limit = [&](const char *name, qint64 fallback, qint64 min, qint64 max) {
        const QString text = qEnvironmentVariable(name);
        if (text.isEmpty())
            return fallback;
        bool ok = false;
        const qint64 value = text.toLongLong(&ok);
        if (ok && value >= min && value <= max)
            return value;
        problems << QStringLiteral("%1=\"%2\" is not a whole number from %3 to %4: using %5")
                        .arg(QLatin1String(name), text)
                        .arg(min)
                        .arg(max)
                        .arg(fallback);
        return fallback;
    };
    const qint64 maxBytes = limit("HCM_LOG_MAX_BYTES", kDefaultMaxBytes, kMinMaxBytes, qint64(1) << 40);
    const int keep = int(limit("HCM_LOG_KEEP", kDefaultKeep, 1, kMaxKeep));

    QMutexLocker lock(&m_mutex);
    if (m_file.isOpen())
        m_file.close();
    m_maxBytes = maxBytes;
    m_keep = keep;
    const QFileInfo info(path);
    if (auto made = PrivateFiles::makeDirectory(info.absolutePath()); !made) {
        return Error{Error::Code::Io,
                     QCoreApplication::translate("hcm::LogSink", "Cannot create the log folder %1: %2")
                         .arg(QDir::toNativeSeparators(info.absolutePath()), made.error().message)};
    }
    m_file.setFileName(info.absoluteFilePath());
    if (auto made = PrivateFiles::createFile(m_file.fileName());
        !made || !m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text)) {
        return Error{Error::Code::Io,
                     QCoreApplication::translate("hcm::LogSink", "Cannot write the log file %1: %2.")
                         .arg(QDir::toNativeSeparators(m_file.fileName()),
                              made ? m_file.errorString() : made.error().message)};
    }
    m_stderr = alsoStderr;
    lock.unlock();
    QtMessageHandler previous = qInstallMessageHandler(&LogSink::handler);
    if (previous != &LogSink::handler)
        m_previous = previous;
    // The product's own log folder, and the files in any log folder: not for other local users.
    if (info.absolutePath() == QFileInfo(defaultDirectory()).absoluteFilePath())
        PrivateFiles::restrict(info.absolutePath(), lcApp());
    PrivateFiles::restrict(info.absoluteFilePath(), lcApp());
    for (int i = 1; i <= keep; ++i)
        PrivateFiles::restrict(info.absoluteFilePath() + QLatin1Char('.') + QString::number(i), lcApp());
    for (const QString &problem : std::as_const(problems))
        qCWarning(lcApp).noquote() << problem;
    return {};
}

void LogSink::setLimits(qint64 maxBytes, int keep)
{
    QMutexLocker lock(&m_mutex);
    m_maxBytes = std::max(maxBytes, kMinMaxBytes);
    m_keep = std::clamp(keep, 1, kMaxKeep);
}

qint64 LogSink::maxBytes() const
{
    QMutexLocker lock(&m_mutex);
    return m_maxBytes;
}

int LogSink::keep() const
{
    QMutexLocker lock(&m_mutex);
    return m_keep;
}

bool LogSink::rotateLocked()
{
    const QString path = m_file.fileName();
    m_file.close();
    const auto numbered = [&](int n) -> QString { return path + QLatin1Char('.') + QString::number(n); };
    QFile::remove(numbered(m_keep));
    for (int n = m_keep - 1; n >= 1; --n) {
        if (QFile::exists(numbered(n)))
            QFile::rename(numbered(n), numbered(n + 1));
    }
    QFile::rename(path, numbered(1));
    // A new file, 0600 like the first; if it cannot be made, the old one is appended to again.
    (void)PrivateFiles::createFile(path);
    return m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text);
}

void LogSink::close()
{
    QMutexLocker lock(&m_mutex);
    if (m_file.isOpen()) {
        m_file.flush();
        m_file.close();
    }
}

QString LogSink::path() const
{
    QMutexLocker lock(&m_mutex);
    return m_file.isOpen() ? m_file.fileName() : QString();
}

bool LogSink::isOpen() const
{
    QMutexLocker lock(&m_mutex);
    return m_file.isOpen();
}

void LogSink::withFileLocked(const std::function<void(QFile &)> &fn)
{
    QMutexLocker lock(&m_mutex);
    if (m_file.isOpen())
        m_file.flush();
    fn(m_file);
}

QString LogSink::defaultDirectory()
{
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QLatin1String("/.local/share/hcm-admin");
    return dir + QLatin1String("/logs");
}

QString LogSink::format(QtMsgType type, const char *category, const QString &message)
{
    const char *level = "info";
    switch (type) {
    case QtDebugMsg:
        level = "debug";
        break;
    case QtInfoMsg:
        level = "info";
        break;
    case QtWarningMsg:
        level = "warning";
        break;
    case QtCriticalMsg:
        level = "critical";
        break;
    case QtFatalMsg:
        level = "fatal";
        break;
    }
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs) + QLatin1String(" [") +
           QLatin1String(level) + QLatin1String("] ") + QLatin1String(category ? category : "default") +
           QLatin1String(": ") + message + QLatin1Char('\n');
}

void LogSink::handler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    instance().write(type, context, message);
}

void LogSink::write(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QString line = format(type, context.category, Redaction::apply(message));
    const QByteArray bytes = line.toUtf8();
    {
        QMutexLocker lock(&m_mutex);
        if (m_file.isOpen()) {
            // log_rotate copies and truncates a log under an exclusive flock(): a line appended under a
            // shared one lands before the copy or after the truncation, whichever process rotates.
            const int fd = m_file.handle();
            const bool locked = fd >= 0 && lockShared(fd);
            m_file.write(bytes);
            m_file.flush();
            if (locked)
                ::flock(fd, LOCK_UN);
            if (m_file.size() > m_maxBytes)
                rotateLocked();
        }
        if (m_stderr) {
            std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
            std::fflush(stderr);
        }
    }
    if (type == QtFatalMsg)
        std::abort();
}

} // namespace hcm
