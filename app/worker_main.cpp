// hcm-worker: the headless worker daemon. Runs jobs from the queue until SIGTERM/SIGINT, then drains
// gracefully (stops claiming, waits for running jobs up to --grace seconds, requeues the rest).

#include "appcommon.h"

#include "common/logcategories.h"
#include "common/logsink.h"
#include "common/redaction.h"
#include "db/database.h"
#include "jobs/jobtypes.h"
#include "schedules/scheduler.h"
#include "worker/notify/jobalerts.h"
#include "worker/workerpool.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QThread>
#include <QTimer>

#include <cstdio>
#include <cstdlib>

using namespace hcm;

namespace {

int fail(const QString &message, int code = 1)
{
    std::fprintf(stderr, "hcm-worker: %s\n", qPrintable(Redaction::apply(message)));
    return code;
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

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    app::setupApplication(QStringLiteral("hcm-worker"));
    app::installTranslations(app);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QCoreApplication::translate("hcm-worker", "Runs background jobs from the HCM Admin job queue."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption dbOption(
        QStringLiteral("db"),
        QCoreApplication::translate(
            "hcm-worker",
            "Database: a SQLite file path (default: %1), or postgresql://user:password@host:port/dbname; "
            "parts "
            "left out come from PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (postgresql:///dbname).")
            .arg(DbConfig::defaultSqlitePath()),
        QCoreApplication::translate("hcm-worker", "path"));
    const QCommandLineOption concurrencyOption(
        QStringLiteral("concurrency"),
        QCoreApplication::translate("hcm-worker", "Jobs run at the same time (default: %1).")
            .arg(qMax(2, QThread::idealThreadCount())),
        QCoreApplication::translate("hcm-worker", "n"));
    const QCommandLineOption pollOption(
        QStringLiteral("poll-interval"),
        QCoreApplication::translate("hcm-worker", "Seconds between polls for due jobs, the safety net behind "
                                                  "instant wake-ups (default: 5)."),
        QCoreApplication::translate("hcm-worker", "seconds"), QStringLiteral("5"));
    const QCommandLineOption leaseOption(
        QStringLiteral("lease"),
        QCoreApplication::translate("hcm-worker",
                                    "Seconds a job stays reserved without a heartbeat (default: 30)."),
        QCoreApplication::translate("hcm-worker", "seconds"), QStringLiteral("30"));
    const QCommandLineOption graceOption(
        QStringLiteral("grace"),
        QCoreApplication::translate("hcm-worker",
                                    "Seconds to wait for running jobs on shutdown (default: 30)."),
        QCoreApplication::translate("hcm-worker", "seconds"), QStringLiteral("30"));
    const QCommandLineOption idOption(
        QStringLiteral("worker-id"),
        QCoreApplication::translate("hcm-worker", "Name of this worker (default: host:pid:random)."),
        QCoreApplication::translate("hcm-worker", "id"));
    const QCommandLineOption logOption(
        QStringLiteral("log-file"),
        QCoreApplication::translate("hcm-worker", "Log file (default: hcm-worker.log in the log folder)."),
        QCoreApplication::translate("hcm-worker", "path"));
    const QCommandLineOption logDirOption(
        QStringLiteral("log-dir"), QCoreApplication::translate("hcm-worker", "Folder of the log files."),
        QCoreApplication::translate("hcm-worker", "path"));
    const QCommandLineOption cacheDirOption(
        QStringLiteral("cache-dir"), QCoreApplication::translate("hcm-worker", "Application cache folder."),
        QCoreApplication::translate("hcm-worker", "path"));
    const QCommandLineOption onceOption(
        QStringLiteral("once"),
        QCoreApplication::translate("hcm-worker", "Run the jobs that are due now, then exit (with status 1 "
                                                  "when the database keeps refusing claims)."));
    const QCommandLineOption testTypesOption(
        QStringLiteral("enable-test-job-types"),
        QCoreApplication::translate("hcm-worker", "Also run the diagnostic job types (test.noop, test.sleep, "
                                                  "test.fail, test.record)."));
    for (const auto *o : {&dbOption, &concurrencyOption, &pollOption, &leaseOption, &graceOption, &idOption,
                          &logOption, &logDirOption, &cacheDirOption, &onceOption, &testTypesOption})
        parser.addOption(*o);
    parser.process(app);
    if (!parser.positionalArguments().isEmpty())
        return fail(QCoreApplication::translate("hcm-worker", "unexpected argument \"%1\"; see --help.")
                        .arg(parser.positionalArguments().first()),
                    2);

    WorkerPool::Options options;
    options.concurrency = qMax(2, QThread::idealThreadCount());
    if (parser.isSet(concurrencyOption)) {
        bool ok = false;
        options.concurrency = parser.value(concurrencyOption).toInt(&ok);
        if (!ok || options.concurrency < 1 || options.concurrency > 256)
            return fail(QCoreApplication::translate("hcm-worker",
                                                    "--concurrency must be a whole number from 1 to 256."),
                        2);
    }
    if (!parseSeconds(parser.value(pollOption), 0.01, 3600, options.pollIntervalMs))
        return fail(QCoreApplication::translate(
                        "hcm-worker", "--poll-interval must be a number of seconds from 0.01 to 3600."),
                    2);
    if (!parseSeconds(parser.value(leaseOption), 0.3, 86400, options.leaseMs))
        return fail(QCoreApplication::translate("hcm-worker",
                                                "--lease must be a number of seconds from 0.3 to 86400."),
                    2);
    if (!parseSeconds(parser.value(graceOption), 0, 86400, options.graceMs))
        return fail(
            QCoreApplication::translate("hcm-worker", "--grace must be a number of seconds from 0 to 86400."),
            2);
    options.workerId = parser.value(idOption);
    options.once = parser.isSet(onceOption);
    if (parser.isSet(testTypesOption))
        JobTypeCatalog::enableTestTypes();

    const QString logDir = app::logDirectory(parser.value(logDirOption));
    const QString logFile =
        parser.isSet(logOption) ? parser.value(logOption) : logDir + QStringLiteral("/hcm-worker.log");
    if (auto st = LogSink::instance().open(logFile); !st)
        return fail(st.error().message);

    auto config = DbConfig::parse(parser.value(dbOption));
    if (!config)
        return fail(config.error().message, 2);
    if (auto st = Database::openAndMigrate(config.value()); !st)
        return fail(st.error().message);
    options.env =
        app::handlerEnvironment(config.value(), app::cacheDirectory(parser.value(cacheDirOption)), logDir);
    app::configureSecretKey();
    // Alerts on final failures (and the other enabled events) become notify jobs.
    options.onTransitions = JobAlerts::hook(config.value(), options.env.clock);

    WorkerPool pool(options, HandlerRegistry::standard());
    app::UnixSignalWatcher signalWatcher;
    int exitCode = 0;
    QObject::connect(&signalWatcher, &app::UnixSignalWatcher::terminationRequested, &pool, [&](int sig) {
        qCInfo(lcWorker) << "signal" << sig << "received: draining";
        pool.stop();
    });
    QObject::connect(&pool, &WorkerPool::drained, &pool, [&] { pool.stop(); });
    // An error while the pool is still starting means it could not register (database unreachable,
    // registration refused): it stops next, and the worker exits with the message and a failure.
    QObject::connect(&pool, &WorkerPool::errorOccurred, &pool, [&](const QString &message) {
        if (pool.state() == WorkerPool::State::Starting)
            exitCode = fail(message);
    });
    // --once: the database kept refusing claims (or stayed unreachable); a cron job must fail, not wait.
    QObject::connect(&pool, &WorkerPool::gaveUp, &pool, [&](const QString &message) {
        exitCode = fail(message);
        pool.stop();
    });
    QObject::connect(&pool, &WorkerPool::stopped, &app, [&] { QCoreApplication::exit(exitCode); });
    pool.start();
    // Due schedules become jobs in every worker; the claim makes one job per due time in the fleet.
    Scheduler scheduler(Scheduler::Options{config.value()});
    if (!options.once)
        scheduler.start();

    const int rc = app.exec();
    scheduler.stop();
    Database::closeThreadConnections();
    LogSink::instance().close();
    // Every result is committed and the worker row is marked stopped. End here, without running the
    // static destructors: a pool thread may still be in its thread-exit cleanup (closing its own
    // database connection) while Qt's globals are torn down, which crashed about one exit in 75.
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(rc);
}
