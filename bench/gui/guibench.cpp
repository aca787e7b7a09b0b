// hcm-bench-gui: the jobs page on a large database, measured on the real widgets (offscreen or on a
// display). Fills a SQLite file or a PostgreSQL database with N jobs of mixed statuses (reused when
// they are there), then reports as JSON: time to first painted rows, status filter switch, search
// filter switch, jump to the last row, status-count refresh, resident memory, and the longest GUI-thread
// stall while jobs change state: on SQLite 1,000 jobs per second written by a thread of its own; on
// PostgreSQL 4 hcm-worker processes burning down 200,000 jobs (run once with no window open and once
// with 3, for the throughput the windows cost), and the database time one idle window costs per minute
// (pg_stat_statements, when the server has it loaded).

#include "db/database.h"
#include "jobs/asyncjobservice.h"
#include "jobs/jobnotifier.h"
#include "jobs/jobtablemodel.h"
#include "ui/jobspage.h"
#include "ui/mainwindow.h"
#include "ui/statusfiltermodel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QListView>
#include <QProcess>
#include <QScrollBar>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>
#include <vector>

using namespace hcm;

namespace {

void note(const QString &text)
{
    std::fprintf(stderr, "%s\n", qPrintable(text));
}

qint64 statusKb(const char *key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(key))
            return line.mid(int(qstrlen(key))).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

Status fill(const DbConfig &config, qint64 n)
{
    auto db = Database::connection(config);
    if (!db)
        return db.error();
    QSqlQuery q(db.value());
    q.exec(QStringLiteral("SELECT COUNT(*) FROM background_jobs"));
    q.next();
    const qint64 have = q.value(0).toLongLong();
    if (have >= n) {
        note(QStringLiteral("reusing %1 jobs in %2").arg(have).arg(config.sqlitePath));
        return {};
    }
    note(QStringLiteral("inserting %1 jobs (once; reused by later runs)…").arg(n - have));
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    // 70 % completed, 12 % failed, 8 % cancelled, 9 % queued, 1 % processing; five types; times spread
    // over the last 30 days.
    const QString sql =
        QStringLiteral(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %1) "
            "INSERT INTO background_jobs (job_type, status, priority, payload, result, error_message, "
            "retry_count, "
            "max_retries, attempts, run_at, created_at, started_at, completed_at, updated_at, created_by, "
            "worker_id, "
            "lease_expires_at) "
            "SELECT CASE i % 5 WHEN 0 THEN 'cache_flush' WHEN 1 THEN 'db_optimize' WHEN 2 THEN 'log_rotate' "
            "  WHEN 3 THEN 'email_send' ELSE 'cleanup' END, "
            "CASE WHEN i % 100 < 70 THEN 'completed' WHEN i % 100 < 82 THEN 'failed' WHEN i % 100 < 90 THEN "
            "'cancelled' "
            "  WHEN i % 100 < 99 THEN 'queued' ELSE 'processing' END, "
            "i % 4, '{\"action\":\"full\"}', "
            "CASE WHEN i % 100 < 70 THEN '{\"items_cleared\":12,\"bytes_freed\":40960}' END, "
            "CASE WHEN i % 100 >= 70 AND i % 100 < 82 THEN 'SMTP server refused the connection (port 587)' "
            "END, "
            "CASE WHEN i % 100 >= 70 AND i % 100 < 82 THEN 3 ELSE 0 END, 3, 1, "
            "%2 - (%1 - i) * 2500, %2 - (%1 - i) * 2500, %2 - (%1 - i) * 2500 + 100, "
            "CASE WHEN i % 100 < 90 THEN %2 - (%1 - i) * 2500 + 900 END, %2 - (%1 - i) * 2500 + 900, "
            "'bench', "
            "'bench-worker', CASE WHEN i % 100 = 99 THEN %2 + 86400000 END FROM seq")
            .arg(n - have)
            .arg(now);
    Transaction tx(db.value());
    if (auto st = tx.begin(); !st)
        return st;
    if (!q.exec(sql))
        return Database::error(q.lastError(), QStringLiteral("filling the benchmark database"));
    if (auto st = tx.commit(); !st)
        return st;
    q.exec(QStringLiteral("ANALYZE"));
    return {};
}

// PostgreSQL: N jobs with the same mix as fill(), straight into job_archive (finished) and job_queue
// (queued jobs due in 30 days, so the burn-down's workers leave them alone; running jobs of a worker
// whose lease ends in a day), one million rows per statement; the counts follow through 017's triggers.
Status fillPostgres(const DbConfig &config, qint64 n)
{
    auto db = Database::connection(config);
    if (!db)
        return db.error();
    QSqlQuery q(db.value());
    if (!q.exec(QStringLiteral("SELECT COALESCE(SUM(n), 0) FROM job_counts WHERE job_type <> 'test.noop'")) ||
        !q.next())
        return Database::error(q.lastError(), QStringLiteral("reading the job counts"));
    const qint64 have = q.value(0).toLongLong();
    if (have >= n) {
        note(QStringLiteral("reusing %1 jobs").arg(have));
        return {};
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QString columns = QStringLiteral(
        "id, job_type, status, priority, payload, result, error_message, retry_count, max_retries, attempts, "
        "run_at, created_at, started_at, completed_at, updated_at, created_by, worker_id, lease_expires_at");
    // i runs over the whole fill, so the times spread over 2.5 s steps as on SQLite.
    const QString select = QStringLiteral(
        "SELECT nextval('job_ids'), CASE i % 5 WHEN 0 THEN 'cache_flush' WHEN 1 THEN 'db_optimize' "
        "WHEN 2 THEN 'log_rotate' WHEN 3 THEN 'email_send' ELSE 'cleanup' END, "
        "CASE WHEN i % 100 < 70 THEN 'completed' WHEN i % 100 < 82 THEN 'failed' WHEN i % 100 < 90 THEN "
        "'cancelled' WHEN i % 100 < 99 THEN 'queued' ELSE 'processing' END, "
        "(i % 4)::int, '{\"action\":\"full\"}', "
        "CASE WHEN i % 100 < 70 THEN '{\"items_cleared\":12,\"bytes_freed\":40960}' END, "
        "CASE WHEN i % 100 >= 70 AND i % 100 < 82 THEN 'SMTP server refused the connection (port 587)' END, "
        "CASE WHEN i % 100 >= 70 AND i % 100 < 82 THEN 3 ELSE 0 END, 3, 1, "
        "CASE WHEN i % 100 >= 90 AND i % 100 < 99 THEN %2 + 2592000000 ELSE %2 - (%1 - i) * 2500 END, "
        "%2 - (%1 - i) * 2500, CASE WHEN i % 100 < 90 OR i % 100 = 99 THEN %2 - (%1 - i) * 2500 + 100 END, "
        "CASE WHEN i % 100 < 90 THEN %2 - (%1 - i) * 2500 + 900 END, %2 - (%1 - i) * 2500 + 900, 'bench', "
        "CASE WHEN i % 100 < 90 OR i % 100 = 99 THEN 'bench-worker' END, "
        "CASE WHEN i % 100 = 99 THEN %2 + 86400000 END "
        "FROM generate_series(%3::bigint, %4::bigint) AS i WHERE %5");
    const qint64 chunk = 1'000'000;
    QElapsedTimer timer;
    timer.start();
    for (qint64 from = have + 1; from <= n; from += chunk) {
        const qint64 to = qMin(n, from + chunk - 1);
        for (const bool finished : {true, false}) {
            const QString sql =
                QStringLiteral("INSERT INTO %1 (%2) ")
                    .arg(finished ? QStringLiteral("job_archive") : QStringLiteral("job_queue"), columns) +
                select.arg(n).arg(now).arg(from).arg(to).arg(finished ? QStringLiteral("i % 100 < 90")
                                                                      : QStringLiteral("i % 100 >= 90"));
            if (!q.exec(sql))
                return Database::error(q.lastError(), QStringLiteral("filling the benchmark database"));
        }
        note(QStringLiteral("inserted jobs %1..%2 of %3 (%4 s)")
                 .arg(from)
                 .arg(to)
                 .arg(n)
                 .arg(timer.elapsed() / 1000));
    }
    q.exec(QStringLiteral("SELECT job_counts_fold()"));
    note(QStringLiteral("VACUUM ANALYZE…"));
    q.exec(QStringLiteral("VACUUM ANALYZE"));
    note(QStringLiteral("filled in %1 s").arg(timer.elapsed() / 1000));
    return {};
}

// The longest gap between two ticks of a 1 ms timer on the GUI thread: on the wall clock (what an admin
// sees; on a loaded machine it includes the time the thread waited for a core) and in the thread's own CPU
// time (what the program's work between two ticks cost, whatever else the machine ran).
struct Stall {
    qint64 wallMs = 0;
    double cpuMs = 0;
};

double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1000.0 + double(ts.tv_nsec) / 1e6;
}

// Runs the GUI's event loop until `done` holds; the longest gaps of a 1 ms timer on the GUI thread
// meanwhile go to *stall.
void runUntil(const std::function<bool()> &done, Stall *stall, int timeoutMs)
{
    Stall longest;
    QElapsedTimer gap;
    double cpuAtTick = threadCpuMs();
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(1);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        longest.wallMs = qMax(longest.wallMs, gap.restart());
        const double cpu = threadCpuMs();
        longest.cpuMs = qMax(longest.cpuMs, cpu - cpuAtTick);
        cpuAtTick = cpu;
    });
    QEventLoop loop;
    QTimer check;
    check.setInterval(20);
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    gap.start();
    cpuAtTick = threadCpuMs();
    probe.start();
    check.start();
    loop.exec();
    if (stall)
        *stall = longest;
}

// `jobs` test.noop jobs due now, `workers` hcm-worker processes of 4 threads run them; returns jobs per
// second (and the GUI's longest stall meanwhile in *stall), -1 on failure. A thread of its own watches
// the maintained counts, so the GUI thread runs only the windows.
double burnDown(const DbConfig &config, qint64 jobs, int workers, Stall *stall)
{
    {
        auto db = Database::connection(config);
        if (!db)
            return -1;
        QSqlQuery q(db.value());
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (!q.exec(
                QStringLiteral("INSERT INTO job_queue (id, job_type, status, priority, payload, max_retries, "
                               "run_at, created_at, updated_at, created_by) SELECT nextval('job_ids'), "
                               "'test.noop', 'queued', 1, '{}', 0, %1, %1, %1, 'bench' "
                               "FROM generate_series(1, %2)")
                    .arg(now)
                    .arg(jobs))) {
            note(q.lastError().text());
            return -1;
        }
        q.exec(QStringLiteral("ANALYZE job_queue"));
    }
    std::atomic_bool finished{false};
    std::atomic_bool stop{false};
    QThread *watcher = QThread::create([&] {
        {
            auto db = Database::connection(config);
            if (!db)
                return;
            QSqlQuery q(db.value());
            while (!stop) {
                if (q.exec(QStringLiteral("SELECT COALESCE(SUM(n), 0) FROM job_counts WHERE job_type = "
                                          "'test.noop' AND status IN ('queued', 'processing')")) &&
                    q.next() && q.value(0).toLongLong() == 0) {
                    finished = true;
                    break;
                }
                QThread::msleep(50);
            }
        }
        Database::closeThreadConnections();
    });
    QTemporaryDir dir;
    std::vector<std::unique_ptr<QProcess>> fleet;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < workers; ++i) {
        auto p = std::make_unique<QProcess>();
        p->setProgram(QCoreApplication::applicationDirPath() + QStringLiteral("/../../app/hcm-worker"));
        p->setArguments({QStringLiteral("--db"), config.spec(), QStringLiteral("--worker-id"),
                         QStringLiteral("bench-burn-%1").arg(i), QStringLiteral("--enable-test-job-types"),
                         QStringLiteral("--concurrency"), QStringLiteral("4"), QStringLiteral("--log-dir"),
                         dir.path() + QStringLiteral("/logs"), QStringLiteral("--cache-dir"),
                         dir.path() + QStringLiteral("/cache")});
        p->setStandardOutputFile(QProcess::nullDevice());
        p->setStandardErrorFile(dir.path() + QStringLiteral("/worker-%1.err").arg(i));
        p->start();
        fleet.push_back(std::move(p));
    }
    watcher->start();
    runUntil([&] { return finished.load(); }, stall, 15 * 60'000);
    const qint64 ms = timer.elapsed();
    stop = true;
    watcher->wait();
    delete watcher;
    for (auto &p : fleet) {
        p->terminate();
        p->waitForFinished(30'000);
    }
    if (!finished) {
        note(QStringLiteral("the burn-down did not finish in 15 minutes"));
        return -1;
    }
    return double(jobs) * 1000.0 / double(qMax<qint64>(1, ms));
}

// Database time of the queries this database ran while one window sat idle for `seconds`, scaled to a
// minute (pg_stat_statements; -1 when the server has not loaded it).
QJsonObject idleCost(const DbConfig &config, int seconds)
{
    QJsonObject out;
    auto db = Database::connection(config);
    if (!db)
        return out;
    QSqlQuery q(db.value());
    if (!q.exec(QStringLiteral("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")) ||
        !q.exec(QStringLiteral("SELECT pg_stat_statements_reset()"))) {
        note(QStringLiteral("pg_stat_statements is not loaded (shared_preload_libraries): no idle figure"));
        return out;
    }
    runUntil([] { return false; }, nullptr, seconds * 1000);
    if (!q.exec(QStringLiteral("SELECT COALESCE(SUM(total_exec_time), 0), COALESCE(SUM(calls), 0) FROM "
                               "pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = "
                               "current_database()) AND query NOT LIKE '%pg_stat_statements%'")) ||
        !q.next())
        return out;
    const double scale = 60.0 / seconds;
    out.insert(QStringLiteral("idle_seconds"), seconds);
    out.insert(QStringLiteral("idle_db_ms_per_minute"), q.value(0).toDouble() * scale);
    out.insert(QStringLiteral("idle_queries_per_minute"), q.value(1).toDouble() * scale);
    QJsonObject top;
    if (q.exec(
            QStringLiteral("SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 90), calls, total_exec_time "
                           "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE "
                           "datname = current_database()) AND query NOT LIKE '%pg_stat_statements%' "
                           "ORDER BY total_exec_time DESC LIMIT 6"))) {
        while (q.next())
            top.insert(q.value(0).toString(), QStringLiteral("%1 calls, %2 ms")
                                                  .arg(q.value(1).toLongLong())
                                                  .arg(q.value(2).toDouble(), 0, 'f', 2));
    }
    out.insert(QStringLiteral("idle_top_queries"), top);
    return out;
}

// Milliseconds from asking for the status counts to their answer (the page's refresh query).
qint64 countsRefreshMs(AsyncJobService *service, const JobFilter &filter)
{
    QElapsedTimer timer;
    timer.start();
    const QFuture<Result<StatusCounts>> counts = service->fetchCounts(filter);
    while (!counts.isFinished() && timer.elapsed() < 60'000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    return counts.isFinished() ? timer.elapsed() : -1;
}

// Milliseconds until `done` holds and the table's viewport has painted once afterwards.
qint64 timeUntilPainted(QTableView *table, const std::function<bool()> &done,
                        const std::function<void()> &start)
{
    QElapsedTimer timer;
    timer.start();
    start();
    while (!done()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        if (timer.elapsed() > 60'000)
            return -1;
    }
    table->viewport()->repaint(); // what the next frame would paint: measured inside
    return timer.elapsed();
}

// Another process (hcmctl) enqueues a job; how long until the window shows it in its first row. From the
// moment hcmctl exits (its commit is before that: a lower bound) and from its start (an upper bound,
// with the process's start-up and connection). The median of `runs` in ms, -1 on failure.
QJsonObject notifiedRowDelay(const DbConfig &config, JobTableModel *model, int runs)
{
    QList<qint64> fromExit;
    QList<qint64> fromStart;
    for (int i = 0; i < runs; ++i) {
        const qint64 topBefore = model->jobIdAt(0);
        QProcess ctl;
        ctl.setProgram(QCoreApplication::applicationDirPath() + QStringLiteral("/../../app/hcmctl"));
        ctl.setArguments({QStringLiteral("--db"), config.spec(), QStringLiteral("jobs"),
                          QStringLiteral("enqueue"), QStringLiteral("cache_flush")});
        QElapsedTimer sinceStart;
        QElapsedTimer sinceExit;
        bool exited = false;
        QObject::connect(&ctl, &QProcess::finished, [&] {
            exited = true;
            sinceExit.start();
        });
        sinceStart.start();
        ctl.start();
        runUntil([&] { return exited && model->jobIdAt(0) > topBefore; }, nullptr, 30'000);
        if (!exited || ctl.exitCode() != 0 || model->jobIdAt(0) <= topBefore) {
            note(QStringLiteral("hcmctl jobs enqueue: %1")
                     .arg(QString::fromLocal8Bit(ctl.readAllStandardError())));
            return {};
        }
        fromExit << sinceExit.elapsed();
        fromStart << sinceStart.elapsed();
    }
    std::sort(fromExit.begin(), fromExit.end());
    std::sort(fromStart.begin(), fromStart.end());
    QJsonObject out;
    out.insert(QStringLiteral("runs"), runs);
    out.insert(QStringLiteral("median_ms_after_hcmctl_exit"), fromExit.at(fromExit.size() / 2));
    out.insert(QStringLiteral("max_ms_after_hcmctl_exit"), fromExit.last());
    out.insert(QStringLiteral("median_ms_after_hcmctl_start"), fromStart.at(fromStart.size() / 2));
    return out;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("hcm-bench-gui"));
    QCoreApplication::setOrganizationName(QStringLiteral("hcm-bench"));
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("The jobs page on a large database. Prints one JSON object."));
    parser.addHelpOption();
    const QCommandLineOption dbOption(
        QStringLiteral("db"),
        QStringLiteral("SQLite file or postgresql://… address (filled on first use; default "
                       "/tmp/hcm-bench-gui.sqlite)."),
        QStringLiteral("path"), QStringLiteral("/tmp/hcm-bench-gui.sqlite"));
    const QCommandLineOption burnOption(
        QStringLiteral("burn-jobs"),
        QStringLiteral("PostgreSQL: test.noop jobs per burn-down (default 200000)."), QStringLiteral("n"),
        QStringLiteral("200000"));
    const QCommandLineOption workersOption(QStringLiteral("workers"),
                                           QStringLiteral("PostgreSQL: hcm-worker processes (default 4)."),
                                           QStringLiteral("n"), QStringLiteral("4"));
    const QCommandLineOption windowsOption(
        QStringLiteral("windows"),
        QStringLiteral("PostgreSQL: windows open during the second burn-down (default 3)."),
        QStringLiteral("n"), QStringLiteral("3"));
    const QCommandLineOption idleOption(
        QStringLiteral("idle-seconds"),
        QStringLiteral(
            "PostgreSQL: how long one window sits idle for its database time (default 60; 0: skip)."),
        QStringLiteral("s"), QStringLiteral("60"));
    const QCommandLineOption jobsOption(QStringLiteral("jobs"),
                                        QStringLiteral("Jobs in the database (default 1000000)."),
                                        QStringLiteral("n"), QStringLiteral("1000000"));
    const QCommandLineOption rateOption(
        QStringLiteral("updates-per-second"),
        QStringLiteral("Job state changes per second during the stall test (default 1000)."),
        QStringLiteral("n"), QStringLiteral("1000"));
    const QCommandLineOption secondsOption(QStringLiteral("seconds"),
                                           QStringLiteral("Length of the stall test (default 10)."),
                                           QStringLiteral("s"), QStringLiteral("10"));
    parser.addOptions({dbOption, jobsOption, rateOption, secondsOption, burnOption, workersOption,
                       windowsOption, idleOption});
    parser.process(app);

    (void)QSqlDatabase::drivers();
    const QString dbValue = parser.value(dbOption);
    DbConfig config = DbConfig::sqlite(dbValue);
    if (dbValue.startsWith(QLatin1String("postgres"))) {
        auto parsed = DbConfig::parse(dbValue);
        if (!parsed) {
            note(parsed.error().message);
            return 1;
        }
        config = parsed.value();
    }
    const bool postgres = config.isPostgres();
    if (auto st = Database::openAndMigrate(config); !st) {
        note(st.error().message);
        return 1;
    }
    if (auto st = postgres ? fillPostgres(config, parser.value(jobsOption).toLongLong())
                           : fill(config, parser.value(jobsOption).toLongLong());
        !st) {
        note(st.error().message);
        return 1;
    }
    Database::closeThreadConnections();
    const qint64 rssBefore = statusKb("VmRSS:");

    QJsonObject out;
    ui::MainWindow::Options options;
    options.db = config;
    options.actor = Actor::system(QStringLiteral("bench"));
    options.runWorker = false;

    QJsonObject pg;
    if (postgres) {
        // The burn-down with no window open first: the reference for the run with windows.
        // The probe runs here too, with no window: its longest gap is what the machine's scheduler
        // alone costs this process (2 cores, 4 workers, the server), the reference for the stall below.
        Stall bare;
        const double alone = burnDown(config, parser.value(burnOption).toLongLong(),
                                      parser.value(workersOption).toInt(), &bare);
        pg.insert(QStringLiteral("burn_down_no_window_jobs_per_s"), alone);
        pg.insert(QStringLiteral("longest_probe_gap_no_window_ms"), bare.wallMs);
        pg.insert(QStringLiteral("longest_probe_gap_no_window_cpu_ms"), bare.cpuMs);
        note(QStringLiteral("burn-down without windows: %1 jobs/s").arg(alone, 0, 'f', 0));
    }

    QElapsedTimer total;
    total.start();
    ui::MainWindow window(options);
    window.resize(1500, 850);
    window.show();
    ui::JobsPage *page = window.jobsPage();
    JobTableModel *model = page->model();
    QTableView *table = page->table();

    out.insert(QStringLiteral("first_rows_ms"),
               timeUntilPainted(
                   table, [&] { return model->jobAt(0) != nullptr; }, [] {}));

    // Filter switch: Completed.
    QListView *list = page->statusList();
    out.insert(QStringLiteral("filter_switch_ms"),
               timeUntilPainted(
                   table,
                   [&] { return !model->isLoading() && model->rowCount() > 0 && model->jobAt(0) != nullptr; },
                   [&] { list->setCurrentIndex(list->model()->index(1 + int(JobStatus::Completed), 0)); }));
    out.insert(QStringLiteral("completed_rows"), model->rowCount());
    // Back to all, then jump to the end.
    timeUntilPainted(
        table, [&] { return !model->isLoading() && model->jobAt(0) != nullptr; },
        [&] { list->setCurrentIndex(list->model()->index(0, 0)); });
    out.insert(QStringLiteral("rows"), model->rowCount());
    out.insert(QStringLiteral("list_total"), model->total());
    out.insert(QStringLiteral("jump_to_last_row_ms"),
               timeUntilPainted(
                   table, [&] { return model->jobAt(model->rowCount() - 1) != nullptr; },
                   [&] { table->scrollToBottom(); }));
    table->scrollToTop();
    out.insert(QStringLiteral("status_counts_refresh_ms"), countsRefreshMs(window.service(), JobFilter{}));
    // A search: counted once, up to 100,000 rows.
    out.insert(
        QStringLiteral("search_switch_ms"),
        timeUntilPainted(
            table,
            [&] { return !model->isLoading() && (model->rowCount() == 0 || model->jobAt(0) != nullptr); },
            [&] { model->setFilter({}, {}, QStringLiteral("email")); }));
    out.insert(QStringLiteral("search_rows"), model->rowCount());
    out.insert(QStringLiteral("search_rows_more"), model->totalIsLowerBound());
    JobFilter searchFilter;
    searchFilter.search = QStringLiteral("email");
    out.insert(QStringLiteral("search_status_counts_ms"), countsRefreshMs(window.service(), searchFilter));
    timeUntilPainted(
        table, [&] { return !model->isLoading() && model->jobAt(0) != nullptr; },
        [&] { model->setFilter({}, {}, {}); });

    if (postgres) {
        // Changes of other processes arrive by LISTEN: a job enqueued by hcmctl.
        pg.insert(QStringLiteral("row_of_another_process"), notifiedRowDelay(config, model, 9));
        const int idle = parser.value(idleOption).toInt();
        if (idle > 0) {
            const QJsonObject cost = idleCost(config, idle);
            for (auto it = cost.begin(); it != cost.end(); ++it)
                pg.insert(it.key(), it.value());
        }
        // The burn-down again with this window and more open; the GUI's longest stall meanwhile.
        std::vector<std::unique_ptr<ui::MainWindow>> more;
        for (int i = 1; i < parser.value(windowsOption).toInt(); ++i) {
            more.push_back(std::make_unique<ui::MainWindow>(options));
            more.back()->resize(1200, 700);
            more.back()->show();
        }
        // Let the new windows lay out, paint and load their first rows before the stall probe starts.
        runUntil(
            [&] {
                for (const auto &w : more) {
                    JobTableModel *m = w->jobsPage()->model();
                    if (m->isLoading() || m->jobAt(0) == nullptr)
                        return false;
                }
                return true;
            },
            nullptr, 60'000);
        runUntil([] { return false; }, nullptr, 2000);
        Stall stall;
        const double withWindows = burnDown(config, parser.value(burnOption).toLongLong(),
                                            parser.value(workersOption).toInt(), &stall);
        pg.insert(QStringLiteral("windows_open"), int(more.size()) + 1);
        pg.insert(QStringLiteral("burn_down_with_windows_jobs_per_s"), withWindows);
        pg.insert(QStringLiteral("burn_down_windows_vs_none"),
                  pg.value(QStringLiteral("burn_down_no_window_jobs_per_s")).toDouble() > 0
                      ? withWindows / pg.value(QStringLiteral("burn_down_no_window_jobs_per_s")).toDouble()
                      : 0.0);
        pg.insert(QStringLiteral("longest_gui_stall_during_burn_down_ms"), stall.wallMs);
        pg.insert(QStringLiteral("longest_gui_stall_during_burn_down_cpu_ms"), stall.cpuMs);
        out.insert(QStringLiteral("postgresql"), pg);
        out.insert(QStringLiteral("rss_mb"), double(statusKb("VmRSS:")) / 1024.0);
        out.insert(QStringLiteral("peak_rss_mb"), double(statusKb("VmHWM:")) / 1024.0);
        out.insert(QStringLiteral("rss_before_window_mb"), double(rssBefore) / 1024.0);
        out.insert(QStringLiteral("qpa"), QGuiApplication::platformName());
        std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Indented).constData());
        return 0;
    }

    // Stall: a writer changes `rate` jobs per second in batches every 10 ms and notifies the app as the
    // in-process worker would; a 1 ms timer on the GUI thread records the longest gap between ticks.
    const int rate = parser.value(rateOption).toInt();
    const int seconds = parser.value(secondsOption).toInt();
    std::atomic_bool stop{false};
    std::atomic<qint64> changed{0};
    QThread *writer = QThread::create([&] {
        auto db = Database::connection(config);
        if (!db)
            return;
        const int perTick = qMax(1, rate / 100);
        QSqlQuery pick(db.value());
        QElapsedTimer clock;
        clock.start();
        qint64 tick = 0;
        while (!stop) {
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            // Alternate queued → processing → completed over the newest jobs, like a busy worker.
            pick.exec(QStringLiteral(
                          "UPDATE background_jobs SET status = CASE status WHEN 'queued' THEN 'processing' "
                          "ELSE 'queued' END, updated_at = %1, started_at = %1 WHERE id IN (SELECT id FROM "
                          "background_jobs WHERE status IN ('queued','processing') ORDER BY id DESC LIMIT %2 "
                          "OFFSET %3) RETURNING id")
                          .arg(now)
                          .arg(perTick)
                          .arg((tick % 20) * perTick));
            QList<qint64> ids;
            while (pick.next())
                ids << pick.value(0).toLongLong();
            changed += ids.size();
            emit JobNotifier::instance()->jobsChanged(ids);
            ++tick;
            const qint64 next = tick * 10;
            const qint64 wait = next - clock.elapsed();
            if (wait > 0)
                QThread::msleep(quint64(wait));
        }
        Database::closeThreadConnections();
    });
    writer->start();
    Stall longest;
    runUntil([] { return false; }, &longest, seconds * 1000);
    stop = true;
    writer->wait();
    delete writer;
    out.insert(QStringLiteral("stall_test_seconds"), seconds);
    out.insert(QStringLiteral("stall_test_changes"), changed.load());
    out.insert(QStringLiteral("longest_gui_stall_ms"), longest.wallMs);
    out.insert(QStringLiteral("longest_gui_stall_cpu_ms"), longest.cpuMs);
    out.insert(QStringLiteral("rss_mb"), double(statusKb("VmRSS:")) / 1024.0);
    out.insert(QStringLiteral("peak_rss_mb"), double(statusKb("VmHWM:")) / 1024.0);
    out.insert(QStringLiteral("rss_before_window_mb"), double(rssBefore) / 1024.0);
    out.insert(QStringLiteral("qpa"), QGuiApplication::platformName());
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Indented).constData());
    return 0;
}
