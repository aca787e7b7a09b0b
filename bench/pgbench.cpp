#include "pgbench.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "worker/handlers/diagnostichandlers.h"
#include "worker/workerpool.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QSocketNotifier>
#include <QSqlQuery>
#include <QTimer>

#include <chrono>
#include <cstdio>
#include <unistd.h>

namespace hcm::bench {

namespace {

qint64 monotonicNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Status adminExec(const QString &statement)
{
    const QString name = QStringLiteral("hcm-bench-admin");
    Status status;
    {
        auto db = Database::open(DbConfig::postgresFromEnvironment(), name);
        if (!db) {
            status = db.error();
        } else {
            QSqlQuery q(db.value());
            if (!q.exec(statement))
                status = Database::error(q.lastError(), statement);
            q.clear();
            db.value().close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return status;
}

// A fresh database on the server, dropped at destruction.
class PgRunDatabase {
public:
    static Result<std::unique_ptr<PgRunDatabase>> create()
    {
        if (qEnvironmentVariableIsEmpty("PGHOST") && qEnvironmentVariableIsEmpty("PGPORT"))
            return Error{Error::Code::Invalid,
                         QStringLiteral("set PGHOST/PGPORT/PGUSER/PGPASSWORD (or run inside "
                                        "pg_virtualenv) for the PostgreSQL modes")};
        const QString name =
            QStringLiteral("hcm_bench_%1").arg(QRandomGenerator::system()->generate64(), 0, 36);
        if (auto st = adminExec(QStringLiteral("CREATE DATABASE %1").arg(name)); !st)
            return st.error();
        std::unique_ptr<PgRunDatabase> db(new PgRunDatabase(DbConfig::postgresFromEnvironment(name)));
        if (auto st = Database::openAndMigrate(db->config); !st)
            return st.error();
        return db;
    }
    ~PgRunDatabase()
    {
        Database::closeThreadConnections();
        (void)adminExec(QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(config.databaseName));
    }
    DbConfig config;

private:
    explicit PgRunDatabase(DbConfig c)
        : config(std::move(c))
    {}
};

struct Child {
    std::unique_ptr<QProcess> process;
    QByteArray buffer;
};

std::vector<Child> startChildren(const PgOptions &pg, const DbConfig &config, const QString &kind)
{
    std::vector<Child> children(size_t(pg.processes));
    for (auto &c : children) {
        c.process = std::make_unique<QProcess>();
        c.process->setProgram(pg.self);
        c.process->setArguments({QStringLiteral("pg-child"), QStringLiteral("--db"), config.spec(),
                                 QStringLiteral("--child-kind"), kind, QStringLiteral("--threads"),
                                 QString::number(pg.threads), QStringLiteral("--prefetch"),
                                 QString::number(pg.prefetch), QStringLiteral("--batch"),
                                 QString::number(pg.batch)});
        c.process->setProcessChannelMode(QProcess::SeparateChannels);
        c.process->setReadChannel(QProcess::StandardOutput);
        // HCM_BENCH_CHILD_LOG=FILE keeps what the worker processes log (errors, retries) for a look.
        const QString log = qEnvironmentVariable("HCM_BENCH_CHILD_LOG");
        if (log.isEmpty())
            c.process->setStandardErrorFile(QProcess::nullDevice());
        else
            c.process->setStandardErrorFile(log, QIODevice::Append);
        c.process->start();
    }
    return children;
}

void stopChildren(std::vector<Child> &children)
{
    for (auto &c : children)
        c.process->closeWriteChannel();
    for (auto &c : children) {
        c.process->terminate();
        if (!c.process->waitForFinished(15000))
            c.process->kill();
    }
}

// Lines of every child as they come: `handle(childIndex, line)`.
template<typename Handle> void readLines(std::vector<Child> &children, Handle handle)
{
    for (size_t i = 0; i < children.size(); ++i) {
        Child &c = children[i];
        c.buffer += c.process->readAllStandardOutput();
        qsizetype nl;
        while ((nl = c.buffer.indexOf('\n')) >= 0) {
            const QByteArray line = c.buffer.left(nl);
            c.buffer.remove(0, nl + 1);
            handle(int(i), line);
        }
    }
}

QJsonObject stats(std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    double sum = 0;
    for (double v : ms)
        sum += v;
    return QJsonObject{{QStringLiteral("p50"), rounded(percentile(ms, 50), 3)},
                       {QStringLiteral("p95"), rounded(percentile(ms, 95), 3)},
                       {QStringLiteral("p99"), rounded(percentile(ms, 99), 3)},
                       {QStringLiteral("max"), rounded(ms.empty() ? 0 : ms.back(), 3)},
                       {QStringLiteral("mean"), rounded(ms.empty() ? 0 : sum / double(ms.size()), 3)}};
}

Result<double> burndownRun(const BenchOptions &options, const PgOptions &pg, qint64 jobs)
{
    auto db = PgRunDatabase::create();
    if (!db)
        return db.error();
    const DbConfig config = (*db)->config;
    if (pg.withoutCounts) {
        for (const char *table : {"job_queue", "job_archive"}) {
            for (const char *trigger : {"job_counts_insert", "job_counts_delete", "job_counts_update",
                                        "job_minutes_insert", "job_minutes_delete", "job_minutes_update"}) {
                if (auto st = Sql::exec(Database::connection(config).value(),
                                        QStringLiteral("DROP TRIGGER IF EXISTS %1 ON %2")
                                            .arg(QLatin1String(trigger), QLatin1String(table)));
                    !st)
                    return st.error();
            }
        }
    }
    if (auto st = insertNoopJobs(config, jobs); !st)
        return st.error();
    if (auto st = Sql::exec(Database::connection(config).value(), QStringLiteral("VACUUM ANALYZE")); !st)
        return st.error();
    Database::closeThreadConnections();

    auto children = startChildren(pg, config, QStringLiteral("burndown"));
    std::vector<qint64> starts(children.size(), -1);
    std::vector<qint64> counts(children.size(), 0);
    std::vector<qint64> lasts(children.size(), 0);
    QEventLoop loop;
    QElapsedTimer wall;
    wall.start();
    QString error;
    QTimer tick;
    tick.setInterval(5);
    QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
        readLines(children, [&](int i, const QByteArray &line) {
            const QList<QByteArray> f = line.split(' ');
            if (f.size() >= 2 && f[0] == "start")
                starts[size_t(i)] = f[1].toLongLong();
            else if (f.size() >= 3 && f[0] == "done") {
                counts[size_t(i)] = f[1].toLongLong();
                lasts[size_t(i)] = f[2].toLongLong();
            }
        });
        qint64 total = 0;
        for (qint64 c : counts)
            total += c;
        if (total >= jobs)
            loop.quit();
        for (auto &c : children) {
            if (c.process->state() == QProcess::NotRunning) {
                error =
                    QStringLiteral("a worker process ended early (exit code %1)").arg(c.process->exitCode());
                loop.quit();
            }
        }
        if (wall.elapsed() > 600'000) {
            error = QStringLiteral("pg-burndown: not done after 10 minutes (%1 of %2)").arg(total).arg(jobs);
            loop.quit();
        }
    });
    tick.start();
    loop.exec();
    stopChildren(children);
    if (!error.isEmpty())
        return Error{Error::Code::Timeout, error};
    const qint64 start = *std::min_element(starts.begin(), starts.end());
    const qint64 end = *std::max_element(lasts.begin(), lasts.end());
    auto completed =
        rowCount(config, QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'"));
    if (!completed || *completed != jobs)
        return Error{Error::Code::Database, QStringLiteral("pg-burndown: %1 jobs completed, expected %2")
                                                .arg(completed ? *completed : -1)
                                                .arg(jobs)};
    Q_UNUSED(options)
    return double(jobs) / (double(end - start) / 1e9);
}

Result<QJsonObject> latencyRun(const PgOptions &pg, qint64 jobs)
{
    auto db = PgRunDatabase::create();
    if (!db)
        return db.error();
    const DbConfig config = (*db)->config;
    auto children = startChildren(pg, config, QStringLiteral("latency"));
    QHash<qint64, qint64> startedAt;
    int ready = 0;
    const auto pump = [&] {
        readLines(children, [&](int, const QByteArray &line) {
            const QList<QByteArray> f = line.split(' ');
            if (f.size() >= 3 && f[0] == "job")
                startedAt.insert(f[1].toLongLong(), f[2].toLongLong());
            else if (f.size() >= 2 && f[0] == "start")
                ++ready;
        });
    };
    const auto waitFor = [&](const std::function<bool()> &done, int timeoutMs) {
        QElapsedTimer t;
        t.start();
        while (!done() && t.elapsed() < timeoutMs) {
            for (auto &c : children)
                c.process->waitForReadyRead(1);
            pump();
        }
        return done();
    };
    if (!waitFor([&] { return ready == int(children.size()); }, 20000))
        return Error{Error::Code::Timeout, QStringLiteral("pg-latency: the workers did not start")};
    JobService service{JobStore(config)};
    const Actor actor = Actor::system(QStringLiteral("hcm-bench"));
    const NewJob job = noopJobs(1, true).first();
    // Warm-up, then a pause so the pools are idle (waiting on NOTIFY, not in a claim loop).
    for (int i = 0; i < 100; ++i) {
        auto id = service.enqueue(job, actor);
        if (!id || !waitFor([&] { return startedAt.contains(*id); }, 10000))
            return Error{Error::Code::Timeout, QStringLiteral("pg-latency: warm-up job not picked up")};
    }
    waitFor([] { return false; }, 1000);
    std::vector<double> pickup;
    for (qint64 i = 0; i < jobs; ++i) {
        const qint64 t0 = monotonicNs();
        auto id = service.enqueue(job, actor);
        if (!id)
            return id.error();
        if (!waitFor([&] { return startedAt.contains(*id); }, 10000))
            return Error{Error::Code::Timeout,
                         QStringLiteral("pg-latency: %1 not picked up within 10 s").arg(Job::publicId(*id))};
        pickup.push_back(double(startedAt.value(*id) - t0) / 1e6);
        // Let the outcome be written before the next enqueue: the pool is idle again.
        waitFor([] { return false; }, 2);
    }
    stopChildren(children);
    Database::closeThreadConnections();
    return stats(pickup);
}

class StampingHandler final : public JobHandler {
public:
    HandlerResult run(JobContext &ctx) override
    {
        std::printf("job %lld %lld\n", static_cast<long long>(ctx.jobId()),
                    static_cast<long long>(monotonicNs()));
        std::fflush(stdout);
        return HandlerResult::success({});
    }
};

} // namespace

Result<QJsonObject> runPgBurndown(const BenchOptions &options, const PgOptions &pg)
{
    const qint64 jobs = options.jobs > 0 ? options.jobs : kDefaultPgBurndownJobs;
    std::vector<double> rates;
    for (int run = 1; run <= options.repeat; ++run) {
        auto r = burndownRun(options, pg, jobs);
        if (!r)
            return r.error();
        rates.push_back(*r);
        note(options, QStringLiteral("pg-burndown %1×%2, run %3/%4: %5 jobs/s (load %6)")
                          .arg(pg.processes)
                          .arg(pg.threads)
                          .arg(run)
                          .arg(options.repeat)
                          .arg(*r, 0, 'f', 0)
                          .arg(loadAverage().at(0).toDouble()));
    }
    return QJsonObject{{QStringLiteral("mode"), QStringLiteral("pg-burndown")},
                       {QStringLiteral("jobs"), jobs},
                       {QStringLiteral("processes"), pg.processes},
                       {QStringLiteral("threads"), pg.threads},
                       {QStringLiteral("prefetch"), pg.prefetch},
                       {QStringLiteral("max_claim_batch"), pg.batch},
                       {QStringLiteral("jobs_per_s"), rounded(median(rates), 0)},
                       {QStringLiteral("runs_jobs_per_s"), toJsonArray(rates, 0)},
                       {QStringLiteral("load_average"), loadAverage()}};
}

Result<QJsonObject> runPgLatency(const BenchOptions &options, const PgOptions &pg)
{
    const qint64 jobs = options.jobs > 0 ? options.jobs : kDefaultLatencyJobs;
    QList<QJsonObject> runs;
    for (int run = 1; run <= options.repeat; ++run) {
        auto r = latencyRun(pg, jobs);
        if (!r)
            return r.error();
        runs.append(r.value());
        note(options, QStringLiteral("pg-latency, run %1/%2: p50 %3 ms, p99 %4 ms")
                          .arg(run)
                          .arg(options.repeat)
                          .arg(r->value(QStringLiteral("p50")).toDouble())
                          .arg(r->value(QStringLiteral("p99")).toDouble()));
    }
    QJsonObject medianStats;
    QJsonArray runsJson;
    for (const QString &key : runs.first().keys()) {
        std::vector<double> values;
        for (const QJsonObject &r : std::as_const(runs))
            values.push_back(r.value(key).toDouble());
        medianStats.insert(key, rounded(median(values), 3));
    }
    for (const QJsonObject &r : std::as_const(runs))
        runsJson.append(r);
    return QJsonObject{{QStringLiteral("mode"), QStringLiteral("pg-latency")},
                       {QStringLiteral("jobs"), jobs},
                       {QStringLiteral("processes"), pg.processes},
                       {QStringLiteral("threads"), pg.threads},
                       {QStringLiteral("pickup_ms"), medianStats},
                       {QStringLiteral("runs_pickup_ms"), runsJson},
                       {QStringLiteral("load_average"), loadAverage()}};
}

int runPgChild(const QString &dbSpec, const QString &kind, const PgOptions &pg)
{
    auto config = DbConfig::parse(dbSpec);
    if (!config)
        return 2;
    HandlerRegistry registry;
    registerDiagnosticHandlers(registry);
    if (kind == QLatin1String("latency"))
        registry.add(QStringLiteral("test.noop"), std::make_shared<StampingHandler>());
    WorkerPool::Options o;
    o.env.db = config.value();
    o.concurrency = pg.threads;
    o.prefetch = pg.prefetch;
    o.maxClaimBatch = pg.batch;
    o.graceMs = 0;
    WorkerPool pool(o, registry);
    // Completed = seen the second time in jobsChanged (claim, then written outcome).
    QHash<qint64, char> seen;
    qint64 completed = 0;
    qint64 last = 0;
    qint64 reported = -1;
    QObject::connect(&pool, &WorkerPool::jobsChanged, &pool, [&](const QList<qint64> &ids) {
        for (qint64 id : ids) {
            if (++seen[id] == 2) {
                ++completed;
                seen.remove(id);
            }
        }
        last = monotonicNs();
    });
    QTimer report;
    report.setInterval(20);
    QObject::connect(&report, &QTimer::timeout, &pool, [&] {
        if (completed != reported) {
            reported = completed;
            std::printf("done %lld %lld\n", static_cast<long long>(completed), static_cast<long long>(last));
            std::fflush(stdout);
        }
    });
    // The parent closes our stdin (or sends SIGTERM) when the run is over.
    QSocketNotifier stdinWatch(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&stdinWatch, &QSocketNotifier::activated, &pool, [&] {
        char buf[64];
        if (::read(STDIN_FILENO, buf, sizeof buf) <= 0)
            QCoreApplication::quit();
    });
    std::printf("start %lld\n", static_cast<long long>(monotonicNs()));
    std::fflush(stdout);
    QObject::connect(&pool, &WorkerPool::errorOccurred, &pool, [&](const QString &message) {
        if (pool.state() == WorkerPool::State::Starting) { // could not register: the pool stops
            std::fprintf(stderr, "%s\n", qPrintable(message));
            QCoreApplication::exit(1);
        }
    });
    pool.start();
    report.start();
    const int rc = QCoreApplication::exec();
    pool.stopAndWait(0);
    Database::closeThreadConnections();
    return rc;
}

Result<QJsonObject> runPgSchedules(const BenchOptions &options)
{
    auto db = PgRunDatabase::create();
    if (!db)
        return db.error();
    return measureSchedules(options, (*db)->config, [] { return Status(); });
}

Result<QJsonObject> runPgApi(const BenchOptions &options)
{
    return measureApi(options, QStringLiteral("pg-api"), [](const QString &) -> Result<FreshDatabase> {
        auto db = PgRunDatabase::create();
        if (!db)
            return db.error();
        const DbConfig config = (*db)->config;
        return FreshDatabase{config, std::shared_ptr<PgRunDatabase>(std::move(db).value())};
    });
}

} // namespace hcm::bench
