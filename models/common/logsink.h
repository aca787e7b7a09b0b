#pragma once

#include "common/error.h"

#include <QFile>
#include <QMutex>
#include <QString>

#include <functional>

namespace hcm {

// The process's log file. Installed as Qt's message handler, it writes every qDebug/qCInfo/… line with a
// UTC timestamp, level and category, to the file and (optionally) to stderr. Each line is appended under
// a shared flock() of the file; log_rotate finishes its copy and truncates the file under the mutex (in
// this process) and an exclusive flock() (for the other processes writing the same file), so no line is
// lost while the file is rotated.
class LogSink final {
public:
    static LogSink &instance();

    // Opens (creating folders) `path` for appending and installs the message handler.
    Status open(const QString &path, bool alsoStderr = true);
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

    mutable QMutex m_mutex;
    QFile m_file;
    bool m_stderr = true;
    QtMessageHandler m_previous = nullptr;
};

} // namespace hcm
