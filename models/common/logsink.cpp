#include "logsink.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QThread>

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
    QMutexLocker lock(&m_mutex);
    if (m_file.isOpen())
        m_file.close();
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath())) {
        return Error{Error::Code::Io,
                     QCoreApplication::translate("hcm::LogSink", "Cannot create the log folder %1.")
                         .arg(QDir::toNativeSeparators(info.absolutePath()))};
    }
    m_file.setFileName(info.absoluteFilePath());
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text)) {
        return Error{Error::Code::Io,
                     QCoreApplication::translate("hcm::LogSink", "Cannot write the log file %1: %2.")
                         .arg(QDir::toNativeSeparators(m_file.fileName()), m_file.errorString())};
    }
    m_stderr = alsoStderr;
    lock.unlock();
    QtMessageHandler previous = qInstallMessageHandler(&LogSink::handler);
    if (previous != &LogSink::handler)
        m_previous = previous;
    return {};
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
    const QString line = format(type, context.category, message);
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
