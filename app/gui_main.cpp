// hcm-admin: the desktop console.

#include "appcommon.h"
#include "auth/identity.h"

#include "common/logcategories.h"
#include "common/redaction.h"
#include "db/database.h"
#include "jobs/jobtypes.h"
#include "schedules/scheduler.h"
#include "ui/mainwindow.h"
#include "worker/notify/jobalerts.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QSessionManager>

using namespace hcm;

namespace {

// The command line of hcm-admin: the same for --help before the window and for the real start.
struct AdminOptions {
    QCommandLineOption db;
    QCommandLineOption noWorker;
    QCommandLineOption concurrency;
    QCommandLineOption refresh;
    QCommandLineOption grace;
    QCommandLineOption testTypes;
};

AdminOptions addAdminOptions(QCommandLineParser &parser)
{
    parser.setApplicationDescription(
        QCoreApplication::translate("hcm-admin", "Desktop console for HCM background jobs."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption dbOption = app::databaseOption();
    const QCommandLineOption noWorkerOption(
        QStringLiteral("no-worker"),
        QCoreApplication::translate("hcm-admin",
                                    "Do not run jobs in this window (hcm-worker processes run them)."));
    const QCommandLineOption concurrencyOption(
        QStringLiteral("concurrency"),
        QCoreApplication::translate("hcm-admin", "Jobs the in-process worker runs at once (default: %1).")
            .arg(app::defaultConcurrency()),
        QCoreApplication::translate("hcm-admin", "n"));
    const QCommandLineOption refreshOption(
        QStringLiteral("refresh-interval"),
        QCoreApplication::translate("hcm-admin",
                                    "Milliseconds between refreshes for changes by other programs "
                                    "(default: 1000)."),
        QCoreApplication::translate("hcm-admin", "ms"), QStringLiteral("1000"));
    const QCommandLineOption graceOption(
        QStringLiteral("grace"),
        QCoreApplication::translate("hcm-admin",
                                    "Seconds the in-process worker waits for running jobs when the window "
                                    "closes, on SIGTERM or at logout; then they go back to the queue "
                                    "(default: 30)."),
        QCoreApplication::translate("hcm-admin", "seconds"), QStringLiteral("30"));
    const QCommandLineOption testTypesOption(
        QStringLiteral("enable-test-job-types"),
        QCoreApplication::translate("hcm-admin", "Also offer the diagnostic job types."));
    for (const auto *o :
         {&dbOption, &noWorkerOption, &concurrencyOption, &refreshOption, &graceOption, &testTypesOption})
        parser.addOption(*o);
    return {dbOption, noWorkerOption, concurrencyOption, refreshOption, graceOption, testTypesOption};
}

// --help and --version are answered before QApplication exists: it needs a display, and without one it
// aborts before printing a word.
bool answersWithoutWindow(int argc, char *argv[])
{
    static const QList<QByteArray> info = {"-h", "--help", "-?", "--help-all", "-v", "--version"};
    for (int i = 1; i < argc; ++i)
        if (info.contains(QByteArray(argv[i])))
            return true;
    return false;
}

} // namespace

int main(int argc, char *argv[])
{
    if (answersWithoutWindow(argc, argv)) {
        QCoreApplication core(argc, argv);
        app::setupApplication(QStringLiteral("hcm-admin"));
        app::installTranslations(core);
        QCommandLineParser parser;
        addAdminOptions(parser);
        parser.process(core); // prints and exits
    }
    QApplication app(argc, argv);
    app::setupApplication(QStringLiteral("hcm-admin"));
    app::installTranslations(app);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/app.svg")));

    QCommandLineParser parser;
    const AdminOptions cli = addAdminOptions(parser);
    const QCommandLineOption &dbOption = cli.db;
    const QCommandLineOption &noWorkerOption = cli.noWorker;
    const QCommandLineOption &concurrencyOption = cli.concurrency;
    const QCommandLineOption &refreshOption = cli.refresh;
    const QCommandLineOption &graceOption = cli.grace;
    const QCommandLineOption &testTypesOption = cli.testTypes;
    parser.process(app);
    if (parser.isSet(testTypesOption))
        JobTypeCatalog::enableTestTypes();

    // The key that encrypts the notification secrets: before any thread runs.
    app::configureSecretKey();
    const QString logDir = app::logDirectory();
    if (auto st = app::openLog(logDir, QStringLiteral("hcm-admin")); !st)
        qCWarning(lcApp).noquote() << st.error().message;

    const auto fail = [](const QString &message) {
        QMessageBox::critical(nullptr, QCoreApplication::translate("hcm-admin", "HCM Admin"),
                              Redaction::apply(message));
        return 1;
    };
    auto config = DbConfig::parse(parser.value(dbOption));
    if (!config)
        return fail(config.error().message);
    if (auto st = Database::openAndMigrate(config.value()); !st)
        return fail(st.error().message);
    // Who is signed in decides what the window offers (models/auth); an unknown user is refused with
    // the command an administrator runs.
    auto identity = resolveIdentity(config.value());
    if (!identity)
        return fail(identity.error().message);
    // The GUI thread keeps no connection: all later queries run on the service threads.
    Database::closeThreadConnections();

    bool ok = false;
    const int refresh = parser.value(refreshOption).toInt(&ok);
    if (!ok || refresh < 0)
        return fail(QCoreApplication::translate(
            "hcm-admin", "--refresh-interval must be a whole number of milliseconds."));

    ui::MainWindow::Options options;
    options.db = config.value();
    options.actor = identity->actor(Interface::Gui);
    options.signedInText = identity->signedInText();
    options.runWorker = !parser.isSet(noWorkerOption);
    options.refreshIntervalMs = refresh;
    options.worker.concurrency = app::defaultConcurrency();
    if (parser.isSet(concurrencyOption)) {
        options.worker.concurrency = parser.value(concurrencyOption).toInt(&ok);
        if (!ok || options.worker.concurrency < 1 || options.worker.concurrency > 256)
            return fail(QCoreApplication::translate("hcm-admin",
                                                    "--concurrency must be a whole number from 1 to 256."));
    }
    if (!app::parseSeconds(parser.value(graceOption), 0, 86400, options.worker.graceMs))
        return fail(
            QCoreApplication::translate("hcm-admin", "--grace must be a number of seconds from 0 to 86400."));
    options.worker.env = app::handlerEnvironment(config.value(), app::cacheDirectory(), logDir);
    // Alerts on final failures (and the other enabled events) become notify jobs, as in hcm-worker.
    options.worker.onTransitions = JobAlerts::hook(config.value(), options.worker.env.clock);

    // Beside the in-process worker (SQLite), due schedules become jobs (one per due time whatever else
    // runs); on PostgreSQL the fleet's hcm-worker processes make them.
    Scheduler scheduler(Scheduler::Options{config.value()});
    if (options.runWorker && config->isSqlite())
        scheduler.start();

    int rc = 0;
    {
        ui::MainWindow window(options);
        // SIGTERM, SIGINT and SIGHUP end the window as closing it does, without questions: the
        // in-process worker drains (running jobs get the grace period, the rest go back to the queue,
        // the worker is marked stopped), then the window closes and the application quits. A second
        // signal stops the running jobs at once.
        app::UnixSignalWatcher signalWatcher;
        QObject::connect(&signalWatcher, &app::UnixSignalWatcher::terminationRequested, &window,
                         [&window](int sig) {
                             if (window.isDraining()) {
                                 qCInfo(lcApp) << "signal" << sig << "received again: stopping the jobs";
                                 window.stopNow();
                                 return;
                             }
                             qCInfo(lcApp) << "signal" << sig << "received: draining";
                             window.shutDown();
                         });
        // The end of the session (logout, shutdown): the same, after saving the window's state.
        QObject::connect(
            &app, &QGuiApplication::saveStateRequest, &window,
            [&window](QSessionManager &) { window.saveSettings(); }, Qt::DirectConnection);
        QObject::connect(
            &app, &QGuiApplication::commitDataRequest, &window,
            [&window](QSessionManager &) {
                qCInfo(lcApp) << "the session ends: draining";
                window.shutDown();
            },
            Qt::DirectConnection);
        window.show();
        rc = app.exec();
    } // a window that did not drain (the application was told to quit) stops its worker pool here
    scheduler.stop();
    app::exitNow(rc);
}
