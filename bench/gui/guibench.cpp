// hcm-bench-gui: the jobs page on a large database, measured on the real widgets (offscreen or on a
// display). Fills a SQLite file with N jobs of mixed statuses (reused when it exists), then reports as
// JSON: time to first painted rows, status filter switch, jump to the last row, resident memory, and
// the longest GUI-thread stall while 1,000 jobs per second change state.

#include "db/database.h"
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
#include <QScrollBar>
#include <QSqlQuery>
#include <QTableView>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <cstdio>

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
        QStringLiteral("SQLite file (filled on first use; default /tmp/hcm-bench-gui.sqlite)."),
        QStringLiteral("path"), QStringLiteral("/tmp/hcm-bench-gui.sqlite"));
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
    parser.addOptions({dbOption, jobsOption, rateOption, secondsOption});
    parser.process(app);

    (void)QSqlDatabase::drivers();
    const DbConfig config = DbConfig::sqlite(parser.value(dbOption));
    if (auto st = Database::openAndMigrate(config); !st) {
        note(st.error().message);
        return 1;
    }
    if (auto st = fill(config, parser.value(jobsOption).toLongLong()); !st) {
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
    out.insert(QStringLiteral("jump_to_last_row_ms"),
               timeUntilPainted(
                   table, [&] { return model->jobAt(model->rowCount() - 1) != nullptr; },
                   [&] { table->scrollToBottom(); }));
    table->scrollToTop();

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
    qint64 longest = 0;
    QElapsedTimer gap;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(1);
    QObject::connect(&probe, &QTimer::timeout, [&] { longest = qMax(longest, gap.restart()); });
    QEventLoop loop;
    QTimer::singleShot(seconds * 1000, &loop, &QEventLoop::quit);
    writer->start();
    gap.start();
    probe.start();
    loop.exec();
    probe.stop();
    stop = true;
    writer->wait();
    delete writer;
    out.insert(QStringLiteral("stall_test_seconds"), seconds);
    out.insert(QStringLiteral("stall_test_changes"), changed.load());
    out.insert(QStringLiteral("longest_gui_stall_ms"), longest);
    out.insert(QStringLiteral("rss_mb"), double(statusKb("VmRSS:")) / 1024.0);
    out.insert(QStringLiteral("peak_rss_mb"), double(statusKb("VmHWM:")) / 1024.0);
    out.insert(QStringLiteral("rss_before_window_mb"), double(rssBefore) / 1024.0);
    out.insert(QStringLiteral("qpa"), QGuiApplication::platformName());
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Indented).constData());
    return 0;
}
