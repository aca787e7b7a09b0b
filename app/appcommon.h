#pragma once

#include "worker/jobcontext.h"

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
