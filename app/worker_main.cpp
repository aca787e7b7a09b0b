// hcm-worker: the headless worker daemon. Runs jobs from the queue until SIGTERM/SIGINT, then drains
// gracefully (stops claiming, waits for running jobs up to --grace seconds, requeues the rest).

#include "appcommon.h"

#include "api/apiserver.h"

#include "common/logcategories.h"
#include "common/redaction.h"
#include "db/database.h"
#include "jobs/jobtypes.h"
#include "schedules/scheduler.h"
#include "worker/notify/jobalerts.h"
#include "worker/workerpool.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QTextStream>
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

// QCommandLineParser has no options with an optional value: a bare --api (last, or followed by another
// option) gets the default address.
QStringList withApiDefault(QStringList args)
{
    for (qsizetype i = 1; i < args.size(); ++i) {
        if (args.at(i) == QLatin1String("--api") &&
            (i + 1 == args.size() || args.at(i + 1).startsWith(QLatin1Char('-'))))
            args.insert(i + 1, QStringLiteral("127.0.0.1:2000"));
    }
    return args;
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
    // Not addVersionOption(): it prints the application name, which is the one all three programs share
    // for their data folders (hcm-admin).
    const QCommandLineOption versionOption(
        {QStringLiteral("v"), QStringLiteral("version")},
        QCoreApplication::translate("hcm-worker", "Displays version information."));
    parser.addOption(versionOption);
    const QCommandLineOption dbOption = app::databaseOption();
    const QCommandLineOption concurrencyOption(
        QStringLiteral("concurrency"),
        QCoreApplication::translate("hcm-worker", "Jobs run at the same time (default: %1).")
            .arg(app::defaultConcurrency()),
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
    const QCommandLineOption apiOption(
        QStringLiteral("api"),
        QCoreApplication::translate(
            "hcm-worker", "Serve the HTTP API on ADDRESS:PORT (default 127.0.0.1:2000; port 0: any free "
                          "port, printed at start). See docs/api.md."),
        QCoreApplication::translate("hcm-worker", "address:port"));
    const QCommandLineOption apiCertOption(
        QStringLiteral("api-cert"),
        QCoreApplication::translate("hcm-worker", "Serve the API over HTTPS with this certificate (PEM)."),
        QCoreApplication::translate("hcm-worker", "file"));
    const QCommandLineOption apiKeyOption(
        QStringLiteral("api-key"),
        QCoreApplication::translate("hcm-worker", "The private key (PEM) of --api-cert."),
        QCoreApplication::translate("hcm-worker", "file"));
    const QCommandLineOption apiInsecureOption(
        QStringLiteral("api-insecure"),
        QCoreApplication::translate("hcm-worker",
                                    "Serve plain HTTP on an address other than loopback (behind a "
                                    "TLS reverse proxy on a trusted network only)."));
    const QCommandLineOption apiLimitsOption(
        QStringLiteral("api-rate-limits"),
        QCoreApplication::translate(
            "hcm-worker", "Requests per minute per token: read=20,create=20,cancel=20,settings-write=10,"
                          "test-email=5 (name only those you change)."),
        QCoreApplication::translate("hcm-worker", "limits"));
    const QCommandLineOption apiThreadsOption(
        QStringLiteral("api-threads"),
        QCoreApplication::translate("hcm-worker",
                                    "Threads answering API requests, each with its own database "
                                    "connection (default: 8)."),
        QCoreApplication::translate("hcm-worker", "n"), QStringLiteral("8"));
    const QCommandLineOption apiTimeoutOption(
        QStringLiteral("api-header-timeout"),
        QCoreApplication::translate("hcm-worker",
                                    "Seconds a client has to send a request's head (default: 10); "
                                    "the body gets 30 s, an idle connection 60 s."),
        QCoreApplication::translate("hcm-worker", "seconds"), QStringLiteral("10"));
    const QCommandLineOption apiConnectionsOption(
        QStringLiteral("api-max-connections"),
        QCoreApplication::translate("hcm-worker", "Open API connections at most; more are answered 503 "
                                                  "(default: 1000)."),
        QCoreApplication::translate("hcm-worker", "n"), QStringLiteral("1000"));
    for (const auto *o : {&dbOption, &concurrencyOption, &pollOption, &leaseOption, &graceOption, &idOption,
                          &logOption, &logDirOption, &cacheDirOption, &onceOption, &testTypesOption,
                          &apiOption, &apiCertOption, &apiKeyOption, &apiInsecureOption, &apiLimitsOption,
                          &apiThreadsOption, &apiTimeoutOption, &apiConnectionsOption})
        parser.addOption(*o);
    parser.process(withApiDefault(app.arguments()));
    if (parser.isSet(versionOption)) {
        QTextStream(stdout) << "hcm-worker " HCM_VERSION << Qt::endl;
        return 0;
    }
    if (!parser.positionalArguments().isEmpty())
        return fail(QCoreApplication::translate("hcm-worker", "unexpected argument \"%1\"; see --help.")
                        .arg(parser.positionalArguments().first()),
                    2);

    WorkerPool::Options options;
    options.concurrency = app::defaultConcurrency();
    if (parser.isSet(concurrencyOption)) {
        bool ok = false;
        options.concurrency = parser.value(concurrencyOption).toInt(&ok);
        if (!ok || options.concurrency < 0 || options.concurrency > 256 ||
            (options.concurrency == 0 && !parser.isSet(apiOption)))
            return fail(QCoreApplication::translate(
                            "hcm-worker", "--concurrency must be a whole number from 1 to 256 (0, with "
                                          "--api: serve the API without running jobs)."),
                        2);
    }
    const bool runJobs = options.concurrency > 0;
    api::ApiServer::Options apiOptions;
    const bool serveApi = parser.isSet(apiOption);
    if (serveApi) {
        if (parser.isSet(onceOption))
            return fail(QCoreApplication::translate("hcm-worker", "--api cannot be combined with --once."),
                        2);
        if (auto st =
                api::ApiServer::parseAddress(parser.value(apiOption), &apiOptions.address, &apiOptions.port);
            !st)
            return fail(st.error().message, 2);
        if (parser.isSet(apiCertOption) != parser.isSet(apiKeyOption))
            return fail(QCoreApplication::translate("hcm-worker", "--api-cert and --api-key go together."),
                        2);
        if (parser.isSet(apiCertOption)) {
            QFile certFile(parser.value(apiCertOption));
            QFile keyFile(parser.value(apiKeyOption));
            if (!certFile.open(QIODevice::ReadOnly))
                return fail(QCoreApplication::translate("hcm-worker", "cannot read the certificate %1: %2")
                                .arg(certFile.fileName(), certFile.errorString()));
            if (!keyFile.open(QIODevice::ReadOnly))
                return fail(QCoreApplication::translate("hcm-worker", "cannot read the key %1: %2")
                                .arg(keyFile.fileName(), keyFile.errorString()));
            const QList<QSslCertificate> chain = QSslCertificate::fromData(certFile.readAll(), QSsl::Pem);
            QSslKey key(keyFile.readAll(), QSsl::Rsa, QSsl::Pem);
            if (key.isNull()) {
                keyFile.seek(0);
                key = QSslKey(keyFile.readAll(), QSsl::Ec, QSsl::Pem);
            }
            if (chain.isEmpty() || key.isNull())
                return fail(QCoreApplication::translate(
                                "hcm-worker", "--api-cert and --api-key must be a PEM certificate and its "
                                              "unencrypted PEM private key (RSA or EC)."),
                            2);
            QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
            tls.setLocalCertificateChain(chain);
            tls.setPrivateKey(key);
            tls.setPeerVerifyMode(QSslSocket::VerifyNone);
            apiOptions.tls = tls;
        } else if (!apiOptions.address.isLoopback() && !parser.isSet(apiInsecureOption)) {
            return fail(
                QCoreApplication::translate(
                    "hcm-worker",
                    "--api %1 is not a loopback address: bearer tokens would cross the network in plain "
                    "text, where anyone on the path can read and reuse them. Give --api-cert and "
                    "--api-key for HTTPS, or put a TLS reverse proxy in front and add --api-insecure "
                    "(docs/api.md).")
                    .arg(parser.value(apiOption)),
                2);
        }
        if (parser.isSet(apiLimitsOption)) {
            if (const QString e = apiOptions.rates.parse(parser.value(apiLimitsOption)); !e.isEmpty())
                return fail(QStringLiteral("--api-rate-limits: ") + e, 2);
        }
        bool ok = false;
        apiOptions.threads = parser.value(apiThreadsOption).toInt(&ok);
        if (!ok || apiOptions.threads < 1 || apiOptions.threads > 64)
            return fail(QCoreApplication::translate("hcm-worker",
                                                    "--api-threads must be a whole number from 1 to 64."),
                        2);
        if (!app::parseSeconds(parser.value(apiTimeoutOption), 0.1, 3600, apiOptions.limits.headerTimeoutMs))
            return fail(
                QCoreApplication::translate(
                    "hcm-worker", "--api-header-timeout must be a number of seconds from 0.1 to 3600."),
                2);
        apiOptions.limits.maxConnections = parser.value(apiConnectionsOption).toInt(&ok);
        if (!ok || apiOptions.limits.maxConnections < 1 || apiOptions.limits.maxConnections > 100000)
            return fail(QCoreApplication::translate(
                            "hcm-worker", "--api-max-connections must be a whole number from 1 to 100000."),
                        2);
    }
    if (!app::parseSeconds(parser.value(pollOption), 0.01, 3600, options.pollIntervalMs))
        return fail(QCoreApplication::translate(
                        "hcm-worker", "--poll-interval must be a number of seconds from 0.01 to 3600."),
                    2);
    if (!app::parseSeconds(parser.value(leaseOption), 0.3, 86400, options.leaseMs))
        return fail(QCoreApplication::translate("hcm-worker",
                                                "--lease must be a number of seconds from 0.3 to 86400."),
                    2);
    if (!app::parseSeconds(parser.value(graceOption), 0, 86400, options.graceMs))
        return fail(
            QCoreApplication::translate("hcm-worker", "--grace must be a number of seconds from 0 to 86400."),
            2);
    options.workerId = parser.value(idOption);
    options.once = parser.isSet(onceOption);
    if (parser.isSet(testTypesOption))
        JobTypeCatalog::enableTestTypes();

    const QString logDir = app::logDirectory(parser.value(logDirOption));
    if (auto st = app::openLog(logDir, QStringLiteral("hcm-worker"), parser.value(logOption)); !st)
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

    std::unique_ptr<api::ApiServer> apiServer;
    if (serveApi) {
        apiOptions.db = config.value();
        apiServer = std::make_unique<api::ApiServer>(apiOptions);
        if (auto st = apiServer->start(); !st)
            return fail(st.error().message);
        // The port for scripts and tests that asked for any free one (--api 127.0.0.1:0).
        std::printf("hcm-worker: API listening on %s://%s:%u\n", apiOptions.tls ? "https" : "http",
                    qPrintable(apiOptions.address.toString()), unsigned(apiServer->port()));
        std::fflush(stdout);
    }
    if (!runJobs) {
        options.concurrency = 1;
    }

    WorkerPool pool(options, HandlerRegistry::standard());
    app::UnixSignalWatcher signalWatcher;
    int exitCode = 0;
    QObject::connect(&signalWatcher, &app::UnixSignalWatcher::terminationRequested, &pool, [&](int sig) {
        qCInfo(lcWorker) << "signal" << sig << "received: draining";
        if (!runJobs)
            QCoreApplication::exit(0);
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
    if (runJobs)
        pool.start();
    // Due schedules become jobs in every worker; the claim makes one job per due time in the fleet.
    Scheduler scheduler(Scheduler::Options{config.value()});
    if (!options.once && runJobs)
        scheduler.start();

    const int rc = app.exec();
    scheduler.stop();
    if (apiServer)
        apiServer->stop();
    // Every result is committed and the worker row is marked stopped.
    app::exitNow(rc);
}
