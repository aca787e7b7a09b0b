#pragma once

#include "common/error.h"
#include "worker/jobcontext.h"

#include <QCommandLineOption>
#include <QObject>
#include <QString>

class QCoreApplication;

namespace hcm {

// Start-up pieces shared by hcm-admin, hcm-worker and hcmctl.
namespace app {

// Application name and organisation (they decide the data folders), and the translations of the
// user's language from the embedded .qm files.
void setupApplication(const QString &name);
void installTranslations(QCoreApplication &app);

// The cache folder handlers clear: --cache-dir, else $HCM_CACHE_DIR, else the platform cache location.
QString cacheDirectory(const QString &option = {});
// The folder of the log files: --log-dir, else $HCM_LOG_DIR, else <AppDataLocation>/logs.
QString logDirectory(const QString &option = {});

// The key file that encrypts notification secrets: --secret-key-file, else $HCM_SECRET_KEY_FILE, else
// <AppDataLocation>/secret.key. $HCM_SECRET_KEY (the key itself, base64) takes precedence over any file.
QString secretKeyFile(const QString &option = {});
// Makes `secretKeyFile(option)` the process's key file (call at start, before threads run).
void configureSecretKey(const QString &option = {});

// --db of every program: a SQLite file path or a postgresql:// URL (DbConfig::parse).
QCommandLineOption databaseOption();

// The jobs a worker runs at once when --concurrency does not say (hcm-worker and hcm-admin's in-process
// worker): the machine's cores, at least 2.
int defaultConcurrency();

// A number of seconds from `min` to `max` (fractions allowed) as milliseconds in `outMs`; false, and
// `outMs` unchanged, for anything else.
bool parseSeconds(const QString &text, double min, double max, int &outMs);

// Opens the process's log file: `file` when given, else <logDir>/<program>.log.
Status openLog(const QString &logDir, const QString &program, const QString &file = {});

// The end of hcm-admin and hcm-worker once everything is saved: closes this thread's connections and
// the log, flushes stdout and stderr and ends the process without running the static destructors. A
// pool thread may still be in its thread-exit cleanup (closing its own database connection) while
// Qt's globals are torn down, which crashed about one exit in 75.
[[noreturn]] void exitNow(int code);

HandlerEnvironment handlerEnvironment(const DbConfig &db, const QString &cacheDir, const QString &logDir);

// Turns SIGTERM, SIGINT and SIGHUP into a queued Qt signal (through a self-pipe, the only safe way out of
// a Unix signal handler).
class UnixSignalWatcher final : public QObject {
    Q_OBJECT
public:
    explicit UnixSignalWatcher(QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

signals:
    void terminationRequested(int signal);

private:
    static void handle(int signal);
    void readSignal();
};

} // namespace app
} // namespace hcm
