#include "appcommon.h"

#include "common/logcategories.h"
#include "common/logsink.h"
#include "common/privatefiles.h"
#include "db/database.h"
#include "settings/secretbox.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLibraryInfo>
#include <QLocale>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QThread>
#include <QTranslator>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hcm::app {

namespace {
int g_signalFds[2] = {-1, -1};
} // namespace

void setupApplication(const QString &name)
{
    QCoreApplication::setApplicationName(QStringLiteral("hcm-admin"));
    QCoreApplication::setOrganizationName(QStringLiteral("hcm"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HCM_VERSION));
    Q_UNUSED(name)
}

void installTranslations(QCoreApplication &app)
{
    auto *ours = new QTranslator(&app);
    if (ours->load(QLocale(), QStringLiteral("hcm"), QStringLiteral("_"), QStringLiteral(":/i18n")))
        QCoreApplication::installTranslator(ours);
    // Qt's own strings (the standard buttons OK, Cancel, Yes, No; the file dialog; --help): qtbase_<lang>,
    // else the qt_<lang> catalogue that includes it (Debian: qt6-translations-l10n).
    const QString qtDir = QLibraryInfo::path(QLibraryInfo::TranslationsPath);
    auto *qt = new QTranslator(&app);
    if (qt->load(QLocale(), QStringLiteral("qtbase"), QStringLiteral("_"), qtDir) ||
        qt->load(QLocale(), QStringLiteral("qt"), QStringLiteral("_"), qtDir))
        QCoreApplication::installTranslator(qt);
}

QString cacheDirectory(const QString &option)
{
    if (!option.isEmpty())
        return QDir(option).absolutePath();
    if (const QString env = qEnvironmentVariable("HCM_CACHE_DIR"); !env.isEmpty())
        return QDir(env).absolutePath();
    return QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
}

QString logDirectory(const QString &option)
{
    if (!option.isEmpty())
        return QDir(option).absolutePath();
    if (const QString env = qEnvironmentVariable("HCM_LOG_DIR"); !env.isEmpty())
        return QDir(env).absolutePath();
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return dir + QLatin1String("/logs");
}

QString secretKeyFile(const QString &option)
{
    if (!option.isEmpty())
        return QDir(option).absolutePath();
    if (const QString env = qEnvironmentVariable("HCM_SECRET_KEY_FILE"); !env.isEmpty())
        return QDir(env).absolutePath();
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QLatin1String("/secret.key");
}

void configureSecretKey(const QString &option)
{
    const QString file = secretKeyFile(option);
    SecretBox::setDefaultKeyFile(file);
    // The key decrypts every stored secret: only its owner may read it, and the product's own data
    // folder that holds it (a folder the user chose stays as it is).
    const QString dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (!dataDir.isEmpty() && QFileInfo(file).absolutePath() == QDir(dataDir).absolutePath())
        PrivateFiles::restrict(dataDir, lcApp());
    PrivateFiles::restrict(file, lcApp());
}

QCommandLineOption databaseOption()
{
    return QCommandLineOption(
        QStringLiteral("db"),
        QCoreApplication::translate(
            "hcm::app",
            "The database: a SQLite file path (default: %1), or postgresql://user:password@host:port/dbname "
            "(parts left out come from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).")
            .arg(DbConfig::defaultSqlitePath()),
        QCoreApplication::translate("hcm::app", "path"));
}

int defaultConcurrency()
{
    return qMax(2, QThread::idealThreadCount());
}

bool parseSeconds(const QString &text, double min, double max, int &outMs)
{
    bool ok = false;
    const double v = text.toDouble(&ok);
    if (!ok || v < min || v > max)
        return false;
    outMs = int(v * 1000);
    return true;
}

Status openLog(const QString &logDir, const QString &program, const QString &file)
{
    return LogSink::instance().open(
        file.isEmpty() ? logDir + QLatin1Char('/') + program + QStringLiteral(".log") : file);
}

void exitNow(int code)
{
    Database::closeThreadConnections();
    LogSink::instance().close();
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
}

HandlerEnvironment handlerEnvironment(const DbConfig &db, const QString &cacheDir, const QString &logDir)
{
    HandlerEnvironment env;
    env.db = db;
    env.cacheDir = cacheDir;
    env.logDir = logDir;
    return env;
}

UnixSignalWatcher::UnixSignalWatcher(QObject *parent)
    : QObject(parent)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) != 0) {
        qCWarning(lcApp) << "cannot watch Unix signals: socketpair failed";
        return;
    }
    ::fcntl(g_signalFds[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(g_signalFds[1], F_SETFD, FD_CLOEXEC);
    auto *notifier = new QSocketNotifier(g_signalFds[1], QSocketNotifier::Read, this);
    connect(notifier, &QSocketNotifier::activated, this, &UnixSignalWatcher::readSignal);
    struct sigaction action = {};
    action.sa_handler = &UnixSignalWatcher::handle;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        ::sigaction(sig, &action, nullptr);
}

UnixSignalWatcher::~UnixSignalWatcher()
{
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        ::signal(sig, SIG_DFL);
}

void UnixSignalWatcher::handle(int signal)
{
    const char byte = static_cast<char>(signal);
    [[maybe_unused]] const auto written = ::write(g_signalFds[0], &byte, 1);
}

void UnixSignalWatcher::readSignal()
{
    char byte = 0;
    if (::read(g_signalFds[1], &byte, 1) == 1)
        emit terminationRequested(int(byte));
}

} // namespace hcm::app
