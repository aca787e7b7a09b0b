#pragma once

#include "common/error.h"

#include <QFile>
#include <QMutex>
#include <QString>

#include <functional>

namespace hcm {

// The process's log file. Installed as Qt's message handler, it writes every qDebug/qCInfo/… line with a
// UTC timestamp, level and category, to the file and (optionally) to stderr. Every line passes
// Redaction first. Each line is appended under a shared flock() of the file; log_rotate finishes its
// copy and truncates the file under the mutex (in this process) and an exclusive flock() (for the other
// processes writing the same file), so no line is lost while the file is rotated.
//
// The file never grows without bound: once it is larger than maxBytes it becomes <file>.1 (the older
// ones <file>.2 … <file>.<keep>, the oldest is deleted) and a new file starts. Defaults 10 MiB and 5
// older files; $HCM_LOG_MAX_BYTES and $HCM_LOG_KEEP change them when the file is opened. The file is
// 0600 and new folders 0700; a log file others can read is repaired when it is opened.
class LogSink final {
public:
    static constexpr qint64 kDefaultMaxBytes = 10 * 1024 * 1024;
    static constexpr int kDefaultKeep = 5;
    static constexpr qint64 kMinMaxBytes = 1024;
    static constexpr int kMaxKeep = 100;

    static LogSink &instance();

    // Opens (creating folders) `path` for appending and installs the message handler.
    Status open(const QString &path, bool alsoStderr = true);
    // The size cap and the number of older files kept, for the open file and the next ones (clamped to
    // kMinMaxBytes and 1..kMaxKeep).
    void setLimits(qint64 maxBytes, int keep);
    qint64 maxBytes() const;
    int keep() const;
    void close();
    QString path() const;
    bool isOpen() const;

    // Runs `fn` with the open file while no line can be written; used to archive and truncate it.
    void withFileLocked(const std::function<void(QFile &)> &fn);

    // The default folder for log files: <AppDataLocation>/logs.
    static QString defaultDirectory();
    static QString format(QtMsgType type, const char *category, const QString &message);

private:
    LogSink() = default;
    static void handler(QtMsgType type, const QMessageLogContext &context, const QString &message);
    void write(QtMsgType type, const QMessageLogContext &context, const QString &message);
    bool rotateLocked(); // with m_mutex held

    mutable QMutex m_mutex;
    QFile m_file;
    qint64 m_maxBytes = kDefaultMaxBytes;
    int m_keep = kDefaultKeep;
    bool m_stderr = true;
    QtMessageHandler m_previous = nullptr;
};

} // namespace hcm
