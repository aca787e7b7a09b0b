// hcm-bench: throughput and latency of the job queue on a SQLite file in WAL mode. Prints one JSON
// object on stdout; progress notes go to stderr. See docs/benchmarks.md for the method and numbers.

#include "benchcommon.h"
#include "pgbench.h"

#include "db/database.h"
#include "jobs/jobtypes.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTemporaryDir>

#include <cstdio>

using namespace hcm;
using namespace hcm::bench;

namespace {

constexpr int kUsageError = 2;

int fail(const QString &message, int code = 1)
{
    std::fprintf(stderr, "hcm-bench: %s\n", qPrintable(message));
    return code;
}

bool parseInt(const QString &text, qint64 min, qint64 max, qint64 &out)
{
    bool ok = false;
    const qint64 v = text.toLongLong(&ok);
    if (!ok || v < min || v > max)
        return false;
    out = v;
    return true;
}

// The machine section of `all`, measured on a throw-away database.
Result<QJsonObject> machine(const BenchOptions &options)
{
    auto db = RunDatabase::create(options, QStringLiteral("machine"));
    if (!db)
        return db.error();
    return machineInfo((*db)->config());
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("hcm-bench"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HCM_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Benchmarks of the HCM Admin job queue on a SQLite file in WAL mode. Prints one JSON object.\n\n"
        "Modes:\n"
        "  enqueue    JobService::enqueue (one job per transaction) and enqueueMany (batches of 1000)\n"
        "  burndown   time for a WorkerPool to run N pre-inserted test.noop jobs, per thread count;\n"
        "             with --raw: a plain batched claim-and-complete SQL loop on one connection instead;\n"
        "             with --raw-split: that loop beside the same loop on a job table split into\n"
        "             job_queue and job_archive (PostgreSQL's layout), --repeat alternating rounds, and\n"
        "             the jobs page's first page on both layouts\n"
        "             with --store: JobStore::claim/finish in a loop on one thread instead\n"
        "  latency    enqueue -> handler start, one job at a time, idle pool of 4 threads\n"
        "  schedules  --jobs N (10000) schedules due every minute: the scheduler's CPU ms and SQL\n"
        "             statements per minute, due-to-job delay p50/p99 (manual clock, 5 minutes);\n"
        "             pg-schedules: the same on PostgreSQL\n"
        "  api        POST /api/system/background-jobs over keep-alive connections (--connections C, 8)\n"
        "             to an hcm-worker --api it starts, beside JobService::enqueue in this process;\n"
        "             then 5000 requests paced at 1000/s for the latency\n"
        "  all        the three with their defaults, the raw loop, and machine information\n"
        "PostgreSQL (server from PGHOST/PGPORT/PGUSER/PGPASSWORD, a fresh database per run):\n"
        "  pg-burndown  N pre-inserted test.noop jobs run by --processes P (4) hcm-bench workers of\n"
        "               --threads T (4) threads each; jobs/s from the first worker start to the last "
        "completion\n"
        "  pg-latency   enqueue (this process) -> handler start (--processes P idle worker processes),\n"
        "               one job at a time: the LISTEN/NOTIFY path\n"
        "  pg-api       api on PostgreSQL: the in-process side and the server each on a fresh database"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("mode"),
                                 QStringLiteral("enqueue, burndown, latency or all."));
    const QCommandLineOption jobsOption(
        QStringLiteral("jobs"),
        QStringLiteral("Jobs per run (defaults: enqueue %1, burndown %2, latency %3).")
            .arg(kDefaultEnqueueJobs)
            .arg(kDefaultBurndownJobs)
            .arg(kDefaultLatencyJobs),
        QStringLiteral("n"));
    const QCommandLineOption threadsOption(
        QStringLiteral("threads"),
        QStringLiteral("burndown: pool threads, a comma-separated list (default 2,4,8)."),
        QStringLiteral("list"));
    const QCommandLineOption prefetchOption(
        QStringLiteral("prefetch"),
        QStringLiteral("burndown: claimed jobs waiting beyond the running ones "
                       "(default -1: as many as threads)."),
        QStringLiteral("k"), QStringLiteral("-1"));
    const QCommandLineOption batchOption(
        QStringLiteral("batch"),
        QStringLiteral("burndown: most jobs claimed in one statement (default 1024)."), QStringLiteral("b"),
        QStringLiteral("1024"));
    const QCommandLineOption rawOption(
        QStringLiteral("raw"), QStringLiteral("burndown: run the plain SQL loop (the upper-bound reference) "
                                              "instead of the pool."));
    const QCommandLineOption rawSplitOption(
        QStringLiteral("raw-split"),
        QStringLiteral("burndown: run the plain SQL loop on today's job table and on a job_queue / "
                       "job_archive split, alternately (--repeat rounds), and compare list reads."));
    const QCommandLineOption storeOption(
        QStringLiteral("store"), QStringLiteral("burndown: run JobStore::claim and finish in a loop on one "
                                                "thread (batches of --batch) instead of the pool."));
    const QCommandLineOption analyzeOption(
        QStringLiteral("analyze"),
        QStringLiteral("burndown, all: run ANALYZE after inserting the jobs, so the "
                       "query planner has statistics (not timed)."));
    const QCommandLineOption plannerPlanOption(QStringLiteral("raw-planner-plan"),
                                               QStringLiteral("burndown --raw: claim without INDEXED BY "
                                                              "idx_jobs_queue, as JobStore::claim does."));
    const QCommandLineOption pauseOption(
        QStringLiteral("pause"),
        QStringLiteral("burndown: pause this job type (repeatable; * for all) before timing, to measure "
                       "what a paused type costs the claims of the others."),
        QStringLiteral("type"));
    const QCommandLineOption repeatOption(
        QStringLiteral("repeat"),
        QStringLiteral("Runs per measurement, each on a fresh database; the median "
                       "is reported (default 1)."),
        QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption dbOption(
        QStringLiteral("db"),
        QStringLiteral("SQLite file to run on, instead of one in a temporary folder. "
                       "It must not exist: every run creates it and removes it."),
        QStringLiteral("path"));
    const QCommandLineOption jsonOnlyOption(
        QStringLiteral("json-only"), QStringLiteral("No progress notes on stderr, only the JSON on stdout."));
    const QCommandLineOption verboseOption(QStringLiteral("verbose"),
                                           QStringLiteral("Show the informational log of the worker pool."));
    // PostgreSQL modes (pgbench.cpp).
    const QCommandLineOption processesOption(
        QStringLiteral("processes"),
        QStringLiteral("pg-burndown, pg-latency: worker processes (default 4 "
                       "for pg-burndown, 1 for pg-latency)."),
        QStringLiteral("p"));
    const QCommandLineOption childKindOption(QStringLiteral("child-kind"),
                                             QStringLiteral("pg-child (internal): burndown or latency."),
                                             QStringLiteral("kind"), QStringLiteral("burndown"));
    const QCommandLineOption withoutCountsOption(
        QStringLiteral("without-job-counts"),
        QStringLiteral("pg-burndown: drop the job count triggers of migration 017 first (what they cost)."));
    const QCommandLineOption connectionsOption(
        QStringLiteral("connections"),
        QStringLiteral("api, pg-api: keep-alive client connections (default 8)."), QStringLiteral("c"),
        QStringLiteral("8"));
    parser.addOption(connectionsOption);
    const QCommandLineOption apiThreadsOption(
        QStringLiteral("api-threads"),
        QStringLiteral("api, pg-api: the server's --api-threads (default 8, as hcm-worker)."),
        QStringLiteral("n"), QStringLiteral("8"));
    parser.addOption(apiThreadsOption);
    parser.addOption(processesOption);
    parser.addOption(childKindOption);
    parser.addOption(withoutCountsOption);
    for (const auto *o : {&jobsOption, &threadsOption, &prefetchOption, &batchOption, &rawOption,
                          &rawSplitOption, &storeOption, &analyzeOption, &plannerPlanOption, &pauseOption,
                          &repeatOption, &dbOption, &jsonOnlyOption, &verboseOption})
        parser.addOption(*o);
    parser.process(app);

    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return fail(QStringLiteral("give one mode: enqueue, burndown, latency or all; see --help."),
                    kUsageError);
    const QString mode = positional.first();
    // api and pg-api.
    qint64 connections = 0;
    if (!parseInt(parser.value(connectionsOption), 1, 256, connections))
        return fail(QStringLiteral("--connections must be a whole number from 1 to 256."), kUsageError);
    qint64 apiThreads = 0;
    if (!parseInt(parser.value(apiThreadsOption), 1, 64, apiThreads))
        return fail(QStringLiteral("--api-threads must be a whole number from 1 to 64."), kUsageError);
    if (mode.startsWith(QLatin1String("pg-"))) {
        // PostgreSQL on the server of the PG* variables: pg-burndown, pg-latency (and the internal pg-child).
        PgOptions pg;
        pg.self = QCoreApplication::applicationFilePath();
        pg.withoutCounts = parser.isSet(withoutCountsOption);
        qint64 v = 0;
        pg.processes = mode == QLatin1String("pg-latency") ? 1 : 4;
        if (parser.isSet(processesOption)) {
            if (!parseInt(parser.value(processesOption), 1, 64, v))
                return fail(QStringLiteral("--processes must be a whole number from 1 to 64."), kUsageError);
            pg.processes = int(v);
        }
        if (parser.isSet(threadsOption)) {
            if (!parseInt(parser.value(threadsOption), 1, 256, v))
                return fail(
                    QStringLiteral("--threads must be one whole number from 1 to 256 for the pg- modes."),
                    kUsageError);
            pg.threads = int(v);
        }
        if (!parseInt(parser.value(prefetchOption), -1, 100000, v))
            return fail(QStringLiteral("--prefetch must be a whole number from -1 to 100000."), kUsageError);
        pg.prefetch = int(v);
        if (!parseInt(parser.value(batchOption), 1, 100000, v))
            return fail(QStringLiteral("--batch must be a whole number from 1 to 100000."), kUsageError);
        pg.batch = int(v);
        QLoggingCategory::setFilterRules(QStringLiteral("hcm.*.info=false\nhcm.*.debug=false"));
        JobTypeCatalog::enableTestTypes();
        if (mode == QLatin1String("pg-child"))
            return runPgChild(parser.value(dbOption), parser.value(childKindOption), pg);
        BenchOptions options;
        options.jsonOnly = parser.isSet(jsonOnlyOption);
        if (parser.isSet(jobsOption) && !parseInt(parser.value(jobsOption), 1, 100'000'000, v))
            return fail(QStringLiteral("--jobs must be a whole number from 1 to 100000000."), kUsageError);
        options.jobs = parser.isSet(jobsOption) ? v : 0;
        if (!parseInt(parser.value(repeatOption), 1, 50, v))
            return fail(QStringLiteral("--repeat must be a whole number from 1 to 50."), kUsageError);
        options.repeat = int(v);
        options.connections = int(connections);
        options.apiThreads = int(apiThreads);
        Result<QJsonObject> r =
            mode == QLatin1String("pg-burndown")  ? runPgBurndown(options, pg)
            : mode == QLatin1String("pg-latency") ? runPgLatency(options, pg)
            : mode == QLatin1String("pg-api")     ? runPgApi(options)
            : mode == QLatin1String("pg-schedules")
                ? runPgSchedules(options)
                : Result<QJsonObject>(Error{Error::Code::Invalid, QStringLiteral("unknown mode")});
        Database::closeThreadConnections();
        if (!r)
            return fail(r.error().message);
        std::fputs(QJsonDocument(r.value()).toJson(QJsonDocument::Indented).constData(), stdout);
        return 0;
    }
    if (!QStringList{QStringLiteral("enqueue"), QStringLiteral("burndown"), QStringLiteral("latency"),
                     QStringLiteral("schedules"), QStringLiteral("api"), QStringLiteral("all")}
             .contains(mode))
        return fail(QStringLiteral("unknown mode \"%1\"; use enqueue, burndown, latency or all.").arg(mode),
                    kUsageError);

    BenchOptions options;
    options.jsonOnly = parser.isSet(jsonOnlyOption);
    qint64 value = 0;
    if (parser.isSet(jobsOption)) {
        if (mode == QLatin1String("all"))
            return fail(QStringLiteral("--jobs does not apply to \"all\", which uses each mode's default."),
                        kUsageError);
        if (!parseInt(parser.value(jobsOption), 1, 100'000'000, value))
            return fail(QStringLiteral("--jobs must be a whole number from 1 to 100000000."), kUsageError);
        options.jobs = value;
    }
    if (parser.isSet(threadsOption)) {
        if (mode != QLatin1String("burndown"))
            return fail(QStringLiteral("--threads applies to burndown only."), kUsageError);
        for (const QString &part : parser.value(threadsOption).split(QLatin1Char(','))) {
            if (!parseInt(part.trimmed(), 1, 256, value))
                return fail(
                    QStringLiteral("--threads must be a list of whole numbers from 1 to 256, like 2,4,8."),
                    kUsageError);
            options.threads.append(int(value));
        }
    }
    if (!parseInt(parser.value(prefetchOption), -1, 100000, value))
        return fail(QStringLiteral("--prefetch must be a whole number from -1 to 100000."), kUsageError);
    options.prefetch = int(value);
    if (!parseInt(parser.value(batchOption), 1, 100000, value))
        return fail(QStringLiteral("--batch must be a whole number from 1 to 100000."), kUsageError);
    options.batch = int(value);
    if (!parseInt(parser.value(repeatOption), 1, 50, value))
        return fail(QStringLiteral("--repeat must be a whole number from 1 to 50."), kUsageError);
    options.repeat = int(value);
    options.connections = int(connections);
    options.apiThreads = int(apiThreads);
    options.raw = parser.isSet(rawOption);
    options.store = parser.isSet(storeOption);
    options.rawSplit = parser.isSet(rawSplitOption);
    if (options.rawSplit && (options.raw || options.store || mode != QLatin1String("burndown")))
        return fail(QStringLiteral("--raw-split applies to burndown only, without --raw or --store."),
                    kUsageError);
    if (options.rawSplit && parser.isSet(dbOption))
        return fail(QStringLiteral("--raw-split creates several databases per round: leave out --db."),
                    kUsageError);
    if (options.store && (options.raw || mode != QLatin1String("burndown")))
        return fail(QStringLiteral("--store applies to burndown only, without --raw."), kUsageError);
    options.analyze = parser.isSet(analyzeOption);
    options.paused = parser.values(pauseOption);
    if (!options.paused.isEmpty() && (mode != QLatin1String("burndown") || options.raw || options.rawSplit))
        return fail(QStringLiteral("--pause applies to burndown only, without --raw or --raw-split."),
                    kUsageError);
    options.rawPlannerPlan = parser.isSet(plannerPlanOption);
    if (options.rawPlannerPlan && !options.raw && !options.rawSplit)
        return fail(QStringLiteral("--raw-planner-plan applies to burndown --raw and --raw-split only."),
                    kUsageError);
    if (options.analyze && mode != QLatin1String("burndown") && mode != QLatin1String("all"))
        return fail(QStringLiteral("--analyze applies to burndown (and the burndown part of all) only."),
                    kUsageError);
    if (options.raw && mode != QLatin1String("burndown"))
        return fail(QStringLiteral("--raw applies to burndown only (\"all\" runs the raw loop anyway)."),
                    kUsageError);

    QTemporaryDir tempDir;
    if (parser.isSet(dbOption)) {
        options.dbPath = parser.value(dbOption);
        if (options.dbPath.isEmpty())
            return fail(QStringLiteral("--db needs a file path."), kUsageError);
    } else {
        if (!tempDir.isValid())
            return fail(QStringLiteral("cannot create a temporary folder: %1").arg(tempDir.errorString()));
        options.tempDir = tempDir.path();
    }

    if (!parser.isSet(verboseOption))
        QLoggingCategory::setFilterRules(QStringLiteral("hcm.*.info=false\nhcm.*.debug=false"));
    JobTypeCatalog::enableTestTypes();

    QJsonObject out;
    const auto add = [&](const QString &key, Result<QJsonObject> (*run)(const BenchOptions &)) -> Status {
        auto r = run(options);
        if (!r)
            return r.error();
        out.insert(key, r.value());
        return {};
    };
    Status status;
    if (mode == QLatin1String("enqueue")) {
        if (auto r = runEnqueue(options); r)
            out = r.value();
        else
            status = r.error();
    } else if (mode == QLatin1String("burndown")) {
        if (auto r = options.raw        ? runRawLoop(options)
                     : options.rawSplit ? runRawSplit(options)
                     : options.store    ? runStoreLoop(options)
                                        : runBurndown(options);
            r)
            out = r.value();
        else
            status = r.error();
    } else if (mode == QLatin1String("api")) {
        if (auto r = runApi(options); r)
            out = r.value();
        else
            status = r.error();
    } else if (mode == QLatin1String("schedules")) {
        if (auto r = runSchedules(options); r)
            out = r.value();
        else
            status = r.error();
    } else if (mode == QLatin1String("latency")) {
        if (auto r = runLatency(options); r)
            out = r.value();
        else
            status = r.error();
    } else {
        auto info = machine(options);
        if (!info)
            return fail(info.error().message);
        out.insert(QStringLiteral("mode"), QStringLiteral("all"));
        out.insert(QStringLiteral("started_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
        out.insert(QStringLiteral("machine"), info.value());
        if (status = add(QStringLiteral("enqueue"), runEnqueue); status)
            if (status = add(QStringLiteral("burndown"), runBurndown); status)
                if (status = add(QStringLiteral("burndown_raw"), runRawLoop); status)
                    status = add(QStringLiteral("latency"), runLatency);
        out.insert(QStringLiteral("load_average_at_end"), loadAverage());
    }
    Database::closeThreadConnections();
    if (!status)
        return fail(status.error().message);
    if (!out.contains(QStringLiteral("machine")))
        out.insert(QStringLiteral("load_average_at_end"), loadAverage());
    std::fputs(QJsonDocument(out).toJson(QJsonDocument::Indented).constData(), stdout);
    return 0;
}
