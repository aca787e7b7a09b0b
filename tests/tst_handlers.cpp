// The five real job handlers, run directly (no worker pool) against a migrated SQLite file and temporary
// cache and log folders; every test checks the effect on disk or in the database, not only the figures.
// Over 800 lines on purpose: one suite per component, so that its shared fixtures (databases of both
// backends, servers, processes) are set up once; each test function is self-contained.
#include "testutil.h"

#include "common/clock.h"
#include "common/logsink.h"
#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "worker/handlers/cacheflushhandler.h"
#include "worker/handlers/cleanuphandler.h"
#include "worker/handlers/dboptimizehandler.h"
#include "worker/handlers/diagnostichandlers.h"
#include "worker/handlers/emailsendhandler.h"
#include "worker/handlers/logrotatehandler.h"
#include "worker/jobhandler.h"
#include "worker/workerpool.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

using namespace hcm;

namespace {

constexpr qint64 DayMs = 86'400'000;
constexpr qint64 FixedNow = 1'800'000'000'000; // 2027-01-15T08:00:00Z

// Runs `handler` once, on this thread, as the worker would.
HandlerResult runHandler(JobHandler &handler, const QString &type, const QJsonObject &payload,
                         const HandlerEnvironment &env, std::shared_ptr<CancellationToken> token = {})
{
    if (!token)
        token = std::make_shared<CancellationToken>();
    JobContext ctx(1, 1, type, payload, env, token, std::chrono::steady_clock::now() + std::chrono::hours(1));
    return handler.run(ctx);
}

std::shared_ptr<CancellationToken> cancelledToken()
{
    auto token = std::make_shared<CancellationToken>();
    token->request(StopReason::Cancelled);
    return token;
}

bool exec(const DbConfig &config, const QString &sql, const QVariantList &binds = {})
{
    auto db = Database::connection(config);
    if (!db)
        return false;
    QSqlQuery q(db.value());
    if (!q.prepare(sql)) {
        qWarning("prepare failed: %s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
        return false;
    }
    for (const QVariant &v : binds)
        q.addBindValue(v);
    if (!q.exec()) {
        qWarning("exec failed: %s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
        return false;
    }
    while (q.next()) {
    }
    return true;
}

qint64 scalar(const DbConfig &config, const QString &sql)
{
    auto db = Database::connection(config);
    if (!db)
        return -1;
    QSqlQuery q(db.value());
    if (!q.exec(sql) || !q.next())
        return -1;
    return q.value(0).toLongLong();
}

qint64 insertJob(const DbConfig &config, const QString &status, const QVariant &completedAt, qint64 createdAt)
{
    auto db = Database::connection(config);
    if (!db)
        return -1;
    QSqlQuery q(db.value());
    q.prepare(QStringLiteral("INSERT INTO background_jobs (job_type, status, payload, run_at, created_at, "
                             "completed_at, updated_at, created_by) VALUES ('cleanup', ?, '{}', ?, ?, ?, ?, "
                             "'test')"));
    q.addBindValue(status);
    q.addBindValue(createdAt);
    q.addBindValue(createdAt);
    q.addBindValue(completedAt);
    q.addBindValue(createdAt);
    if (!q.exec()) {
        qWarning("insert job failed: %s", qPrintable(q.lastError().text()));
        return -1;
    }
    return q.lastInsertId().toLongLong();
}

bool insertAttempt(const DbConfig &config, qint64 jobId, int attempt, qint64 finishedAt,
                   const QString &outcome)
{
    return exec(
        config,
        QStringLiteral("INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, finished_at, "
                       "outcome) VALUES (?, ?, 'w1', ?, ?, ?)"),
        {jobId, attempt, finishedAt - 1000, finishedAt, outcome});
}

bool insertCacheEntry(const DbConfig &config, const QString &key, qint64 size, const QVariant &expiresAt)
{
    return exec(
        config,
        QStringLiteral("INSERT INTO cache_entries (cache_key, value, size_bytes, created_at, expires_at) "
                       "VALUES (?, zeroblob(?), ?, ?, ?)"),
        {key, size, size, FixedNow - DayMs, expiresAt});
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(content) == content.size();
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool setMtime(const QString &path, const QDateTime &when)
{
    QFile f(path);
    return f.open(QIODevice::ReadWrite) && f.setFileTime(when, QFileDevice::FileModificationTime);
}

QByteArray gunzip(const QString &path)
{
    QProcess gzip;
    gzip.start(QStringLiteral("gzip"), {QStringLiteral("-dc"), path});
    if (!gzip.waitForFinished(30000) || gzip.exitStatus() != QProcess::NormalExit || gzip.exitCode() != 0) {
        qWarning("gzip -dc %s failed: %s", qPrintable(path), gzip.readAllStandardError().constData());
        return QByteArray("<gzip failed>");
    }
    return gzip.readAllStandardOutput();
}

QStringList filesIn(const QString &dir)
{
    return QDir(dir).entryList(QDir::Files | QDir::Hidden, QDir::Name);
}

// Lines of text, different enough to compress realistically.
QByteArray logText(int lines)
{
    QByteArray out;
    for (int i = 0; i < lines; ++i)
        out += "2026-01-07T10:15:32.123Z [info] hcm.worker: job " + QByteArray::number(i * 7919 % 100003) +
               " completed in " + QByteArray::number(i % 997) + " ms\n";
    return out;
}

} // namespace

class TestHandlers : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void registryHasTheFiveTypes();

    void cacheFlushFull();
    void cacheFlushExpired();
    void cacheFlushMissingFolder();
    void cacheFlushUndeletableFile();
    void cacheFlushStops();

    void dbOptimizeVacuum();
    void dbOptimizeIncrementalWithoutAutoVacuum();
    void dbOptimizeIncrementalWithAutoVacuum();
    void dbOptimizeAnalyze();
    void dbOptimizeStops();
    void dbOptimizePostgresVacuumsEveryTable();
    void dbOptimizePostgresSkipsTablesOfOtherRoles();
    void dbOptimizePostgresStopsBetweenTables();
    void dbOptimizePostgresReindexesBloatedIndexes();
    void dbOptimizePostgresRefusesBadOptions();
    void dbOptimizePostgresOptionsPassValidation();
    void dbOptimizePostgresDuringBurnDown();

    void logRotateArchivesAndTruncates();
    void logRotateKeepsNewestArchives();
    void logRotateMinSize();
    void logRotateMissingFolder();
    void logRotateLiveLogSink();
    void logRotateStops();
    void logRotateSkipsSymbolicLinks();
    void logRotateSkipsFilesOfOtherUsers();
    void logRotateSkipsHardLinks();
    void logRotateBytesFreedNeverNegative();
    void logRotateLosesNoLineOfAnotherProcess();
    void logRotateLosesNoLineOfThisProcess();

    void cleanupJobs();
    void cleanupAttempts();
    void cleanupAttemptsOfVanishedJobsOnPostgres();
    void cleanupCache();
    void cleanupAllUsesRetentionSetting();
    void cleanupStops();

    void emailSendFailsWithoutRetry();

private:
    bool fillAndDelete(int rows);

    std::unique_ptr<test::TempDatabase> m_db;
    std::unique_ptr<QTemporaryDir> m_cache;
    std::unique_ptr<QTemporaryDir> m_logs;
    HandlerEnvironment m_env;
};

void TestHandlers::init()
{
    m_db = std::make_unique<test::TempDatabase>();
    QVERIFY(m_db->isValid());
    m_cache = std::make_unique<QTemporaryDir>();
    m_logs = std::make_unique<QTemporaryDir>();
    QVERIFY(m_cache->isValid() && m_logs->isValid());
    m_env = HandlerEnvironment{};
    m_env.db = m_db->config();
    m_env.cacheDir = m_cache->path() + QStringLiteral("/cache");
    m_env.logDir = m_logs->path() + QStringLiteral("/logs");
    QVERIFY(QDir().mkpath(m_env.cacheDir));
    QVERIFY(QDir().mkpath(m_env.logDir));
}

void TestHandlers::cleanup()
{
    m_db.reset(); // closes this thread's connection before the file goes
    m_cache.reset();
    m_logs.reset();
}

void TestHandlers::registryHasTheFiveTypes()
{
    const HandlerRegistry registry = HandlerRegistry::standard();
    for (const char *type : {"cache_flush", "db_optimize", "log_rotate", "cleanup", "email_send"})
        QVERIFY2(registry.find(QLatin1String(type)) != nullptr, type);
}

// ---- cache_flush ------------------------------------------------------------------------------------

void TestHandlers::cacheFlushFull()
{
    const QString dir = m_env.cacheDir;
    QVERIFY(writeFile(dir + QStringLiteral("/a.bin"), QByteArray(100, 'a')));
    QVERIFY(writeFile(dir + QStringLiteral("/.hidden"), QByteArray(10, 'h')));
    QVERIFY(writeFile(dir + QStringLiteral("/sub/b.bin"), QByteArray(250, 'b')));
    QVERIFY(writeFile(dir + QStringLiteral("/sub/deeper/c.bin"), QByteArray(50, 'c')));
    QVERIFY(QDir().mkpath(dir + QStringLiteral("/empty")));
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("k1"), 1000, FixedNow - 1));
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("k2"), 2000, FixedNow + DayMs));
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("k3"), 3000, QVariant()));

    auto token = std::make_shared<CancellationToken>();
    CacheFlushHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("cache_flush"), {}, m_env, token);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("action")).toString(), QStringLiteral("full"));
    QCOMPARE(r.result.value(QStringLiteral("files_removed")).toInteger(), 4);
    QCOMPARE(r.result.value(QStringLiteral("rows_removed")).toInteger(), 3);
    QCOMPARE(r.result.value(QStringLiteral("items_cleared")).toInteger(), 7);
    QCOMPARE(r.result.value(QStringLiteral("bytes_freed")).toInteger(), 410 + 6000);
    QCOMPARE(token->progress(), 1.0);

    QVERIFY(QFileInfo(dir).isDir()); // the folder itself stays
    QCOMPARE(
        QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System).size(), 0);
    QCOMPARE(test::rowCount(m_env.db, QStringLiteral("cache_entries")), 0);
}

void TestHandlers::cacheFlushExpired()
{
    // Files are judged by their real modification time against the handler's clock.
    m_env.clock = std::make_shared<ManualClock>(FixedNow);
    const QString dir = m_env.cacheDir;
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(FixedNow, Qt::UTC);
    QVERIFY(writeFile(dir + QStringLiteral("/old.bin"), QByteArray(300, 'o')));
    QVERIFY(writeFile(dir + QStringLiteral("/sub/old2.bin"), QByteArray(70, 'o')));
    QVERIFY(writeFile(dir + QStringLiteral("/fresh.bin"), QByteArray(500, 'f')));
    QVERIFY(writeFile(dir + QStringLiteral("/sub/fresh2.bin"), QByteArray(20, 'f')));
    QVERIFY(setMtime(dir + QStringLiteral("/old.bin"), now.addSecs(-2 * 3600)));
    QVERIFY(setMtime(dir + QStringLiteral("/sub/old2.bin"), now.addDays(-3)));
    QVERIFY(setMtime(dir + QStringLiteral("/fresh.bin"), now.addSecs(-30 * 60)));
    QVERIFY(setMtime(dir + QStringLiteral("/sub/fresh2.bin"), now));
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("expired1"), 1000, FixedNow - 1));
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("expired2"), 24, FixedNow - DayMs));
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("future"), 2000, FixedNow + 1000));
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("now"), 5, FixedNow)); // not before now: kept
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("forever"), 3000, QVariant()));

    CacheFlushHandler handler;
    const QJsonObject payload{{QStringLiteral("action"), QStringLiteral("expired")},
                              {QStringLiteral("max_age_seconds"), 3600}};
    const HandlerResult r = runHandler(handler, QStringLiteral("cache_flush"), payload, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("action")).toString(), QStringLiteral("expired"));
    QCOMPARE(r.result.value(QStringLiteral("files_removed")).toInteger(), 2);
    QCOMPARE(r.result.value(QStringLiteral("rows_removed")).toInteger(), 2);
    QCOMPARE(r.result.value(QStringLiteral("items_cleared")).toInteger(), 4);
    QCOMPARE(r.result.value(QStringLiteral("bytes_freed")).toInteger(), 300 + 70 + 1000 + 24);

    QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/old.bin")));
    QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/sub/old2.bin")));
    QVERIFY(QFileInfo::exists(dir + QStringLiteral("/fresh.bin")));
    QVERIFY(QFileInfo::exists(dir + QStringLiteral("/sub/fresh2.bin")));
    QCOMPARE(test::rowCount(m_env.db, QStringLiteral("cache_entries")), 3);
    QCOMPARE(test::rowCount(m_env.db, QStringLiteral("cache_entries"),
                            QStringLiteral("cache_key LIKE 'expired%'")),
             0);

    // The same folder flushed in full now removes what expired left behind.
    const HandlerResult full = runHandler(handler, QStringLiteral("cache_flush"),
                                          {{QStringLiteral("action"), QStringLiteral("full")}}, m_env);
    QVERIFY2(full.ok, qPrintable(full.error));
    QCOMPARE(full.result.value(QStringLiteral("files_removed")).toInteger(), 2);
    QCOMPARE(full.result.value(QStringLiteral("rows_removed")).toInteger(), 3);
    QCOMPARE(full.result.value(QStringLiteral("bytes_freed")).toInteger(), 500 + 20 + 2000 + 5 + 3000);
    QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/sub")));
}

void TestHandlers::cacheFlushMissingFolder()
{
    m_env.cacheDir = m_cache->path() + QStringLiteral("/does-not-exist");
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("k1"), 10, QVariant()));
    CacheFlushHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("cache_flush"), {}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("files_removed")).toInteger(), 0);
    QCOMPARE(r.result.value(QStringLiteral("rows_removed")).toInteger(), 1);
    QCOMPARE(r.result.value(QStringLiteral("bytes_freed")).toInteger(), 10);
    QVERIFY(!QFileInfo::exists(m_env.cacheDir)); // not created either
}

void TestHandlers::cacheFlushUndeletableFile()
{
    // A file in a read-only folder cannot be unlinked; root ignores permissions, so there the file is made
    // immutable instead (chattr +i), when the file system allows it.
    const QString locked = m_env.cacheDir + QStringLiteral("/locked");
    const QString file = locked + QStringLiteral("/stuck.bin");
    QVERIFY(writeFile(file, QByteArray(10, 's')));
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("k1"), 10, QVariant()));
    const bool root = ::geteuid() == 0;
    const auto chattr = [&](const char *flag) {
        return QProcess::execute(QStringLiteral("chattr"), {QLatin1String(flag), file}) == 0;
    };
    if (root) {
        if (!chattr("+i"))
            QSKIP("running as root and chattr +i is not available: nothing makes a file undeletable");
    } else {
        QVERIFY(QFile::setPermissions(locked, QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    }
    CacheFlushHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("cache_flush"), {}, m_env);
    if (root)
        QVERIFY(chattr("-i"));
    else
        QFile::setPermissions(locked,
                              QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QDir::toNativeSeparators(file)), qPrintable(r.error));
    QVERIFY(QFileInfo::exists(file));
    QCOMPARE(test::rowCount(m_env.db, QStringLiteral("cache_entries")), 1); // the job stopped at the file
}

void TestHandlers::cacheFlushStops()
{
    QVERIFY(writeFile(m_env.cacheDir + QStringLiteral("/a.bin"), QByteArray(100, 'a')));
    QVERIFY(insertCacheEntry(m_env.db, QStringLiteral("k1"), 10, QVariant()));
    CacheFlushHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("cache_flush"), {}, m_env, cancelledToken());
    QVERIFY(!r.ok);
    QVERIFY(r.retryable);
    QVERIFY2(r.error.contains(QLatin1String("Stopped")), qPrintable(r.error));
    QVERIFY(QFileInfo::exists(m_env.cacheDir + QStringLiteral("/a.bin")));
    QCOMPARE(test::rowCount(m_env.db, QStringLiteral("cache_entries")), 1);
}

// ---- db_optimize ------------------------------------------------------------------------------------

// Adds about `rows` KiB to the database, deletes it again, and checkpoints so the file on disk holds
// the free pages.
bool TestHandlers::fillAndDelete(int rows)
{
    return exec(m_env.db,
                QStringLiteral("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, data BLOB)")) &&
           exec(m_env.db,
                QStringLiteral("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE "
                               "x < %1) INSERT INTO filler (data) SELECT randomblob(1024) FROM c")
                    .arg(rows)) &&
           exec(m_env.db, QStringLiteral("DELETE FROM filler")) &&
           exec(m_env.db, QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
}

void TestHandlers::dbOptimizeVacuum()
{
    QVERIFY(fillAndDelete(2048)); // ~2 MB
    const qint64 fileBefore = QFileInfo(m_db->path()).size();
    const qint64 pageSize = scalar(m_env.db, QStringLiteral("PRAGMA page_size"));
    const qint64 freeBefore = scalar(m_env.db, QStringLiteral("PRAGMA freelist_count"));
    QVERIFY(freeBefore * pageSize >= 2'000'000);
    const qint64 userTables =
        scalar(m_env.db, QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = "
                                        "'table' AND name NOT LIKE 'sqlite%'"));

    auto token = std::make_shared<CancellationToken>();
    DbOptimizeHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("db_optimize"),
                                       {{QStringLiteral("mode"), QStringLiteral("vacuum")}}, m_env, token);
    QVERIFY2(r.ok, qPrintable(r.error));
    const qint64 fileAfter = QFileInfo(m_db->path()).size();
    QCOMPARE(r.result.value(QStringLiteral("mode")).toString(), QStringLiteral("vacuum"));
    QCOMPARE(r.result.value(QStringLiteral("tables_optimized")).toInteger(), userTables);
    QCOMPARE(r.result.value(QStringLiteral("free_pages_before")).toInteger(), freeBefore);
    QCOMPARE(r.result.value(QStringLiteral("free_pages_after")).toInteger(), 0);
    QCOMPARE(r.result.value(QStringLiteral("bytes_before")).toInteger(), fileBefore);
    QCOMPARE(r.result.value(QStringLiteral("bytes_after")).toInteger(), fileAfter);
    const qint64 freed = r.result.value(QStringLiteral("bytes_freed")).toInteger();
    QVERIFY2(freed > 0, qPrintable(QString::number(freed)));
    QCOMPARE(freed, fileBefore - fileAfter);
    QVERIFY2(fileAfter < fileBefore - 2'000'000,
             qPrintable(QStringLiteral("%1 -> %2 bytes").arg(fileBefore).arg(fileAfter)));
    QCOMPARE(scalar(m_env.db, QStringLiteral("PRAGMA freelist_count")), 0);
    QCOMPARE(token->progress(), 1.0);
    // ANALYZE ran: the planner statistics exist.
    QCOMPARE(
        scalar(m_env.db, QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")),
        1);
}

void TestHandlers::dbOptimizeIncrementalWithoutAutoVacuum()
{
    QCOMPARE(scalar(m_env.db, QStringLiteral("PRAGMA auto_vacuum")), 0);
    QVERIFY(fillAndDelete(512));
    const qint64 fileBefore = QFileInfo(m_db->path()).size();
    DbOptimizeHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("db_optimize"),
                                       {{QStringLiteral("mode"), QStringLiteral("incremental")}}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    // Without auto_vacuum=INCREMENTAL the pragma releases nothing, and the result says so.
    QCOMPARE(r.result.value(QStringLiteral("auto_vacuum")).toString(), QStringLiteral("none"));
    QCOMPARE(r.result.value(QStringLiteral("bytes_freed")).toInteger(), 0);
    QCOMPARE(r.result.value(QStringLiteral("bytes_after")).toInteger(), fileBefore);
    const qint64 pageSize = scalar(m_env.db, QStringLiteral("PRAGMA page_size"));
    QVERIFY(r.result.value(QStringLiteral("free_pages_after")).toInteger() * pageSize > 400 * 1024);
    QCOMPARE(QFileInfo(m_db->path()).size(), fileBefore);
}

void TestHandlers::dbOptimizeIncrementalWithAutoVacuum()
{
    // auto_vacuum can only change with a VACUUM.
    QVERIFY(exec(m_env.db, QStringLiteral("PRAGMA auto_vacuum = INCREMENTAL")));
    QVERIFY(exec(m_env.db, QStringLiteral("VACUUM")));
    QCOMPARE(scalar(m_env.db, QStringLiteral("PRAGMA auto_vacuum")), 2);
    QVERIFY(fillAndDelete(512));
    const qint64 fileBefore = QFileInfo(m_db->path()).size();
    const qint64 freeBefore = scalar(m_env.db, QStringLiteral("PRAGMA freelist_count"));
    QVERIFY(freeBefore * scalar(m_env.db, QStringLiteral("PRAGMA page_size")) > 400 * 1024);

    DbOptimizeHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("db_optimize"),
                                       {{QStringLiteral("mode"), QStringLiteral("incremental")}}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("auto_vacuum")).toString(), QStringLiteral("incremental"));
    QCOMPARE(r.result.value(QStringLiteral("free_pages_before")).toInteger(), freeBefore);
    QCOMPARE(r.result.value(QStringLiteral("free_pages_after")).toInteger(), 0);
    QVERIFY(r.result.value(QStringLiteral("bytes_freed")).toInteger() > 400 * 1024);
    const qint64 fileAfter = QFileInfo(m_db->path()).size();
    QCOMPARE(r.result.value(QStringLiteral("bytes_after")).toInteger(), fileAfter);
    QVERIFY(fileAfter < fileBefore);
}

void TestHandlers::dbOptimizeAnalyze()
{
    QVERIFY(fillAndDelete(256));
    const qint64 freeBefore = scalar(m_env.db, QStringLiteral("PRAGMA freelist_count"));
    const qint64 fileBefore = QFileInfo(m_db->path()).size();
    DbOptimizeHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("db_optimize"),
                                       {{QStringLiteral("mode"), QStringLiteral("analyze")}}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("mode")).toString(), QStringLiteral("analyze"));
    QCOMPARE(r.result.value(QStringLiteral("free_pages_before")).toInteger(), freeBefore);
    // Statistics only: the free pages stay (less the few the statistics table took).
    const qint64 freeAfter = r.result.value(QStringLiteral("free_pages_after")).toInteger();
    QVERIFY(freeAfter > freeBefore - 10 && freeAfter <= freeBefore);
    QCOMPARE(r.result.value(QStringLiteral("bytes_before")).toInteger(), fileBefore);
    QCOMPARE(r.result.value(QStringLiteral("bytes_freed")).toInteger(), 0);
    QCOMPARE(
        scalar(m_env.db, QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")),
        1);
}

void TestHandlers::dbOptimizeStops()
{
    QVERIFY(fillAndDelete(64));
    const qint64 freeBefore = scalar(m_env.db, QStringLiteral("PRAGMA freelist_count"));
    DbOptimizeHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("db_optimize"), {}, m_env, cancelledToken());
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QLatin1String("Stopped")), qPrintable(r.error));
    QCOMPARE(scalar(m_env.db, QStringLiteral("PRAGMA freelist_count")), freeBefore);
    QCOMPARE(
        scalar(m_env.db, QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")),
        0);
}

// ---- db_optimize on PostgreSQL -------------------------------------------------------------------------

namespace {

// vacuum_count of every table of the schema, by name.
QMap<QString, qint64> vacuumCounts(const DbConfig &config)
{
    QMap<QString, qint64> out;
    auto db = Database::connection(config);
    if (!db)
        return out;
    QSqlQuery q(db.value());
    if (!q.exec(QStringLiteral("SELECT relname, vacuum_count FROM pg_stat_user_tables "
                               "WHERE schemaname = current_schema()")))
        return out;
    while (q.next())
        out.insert(q.value(0).toString(), q.value(1).toLongLong());
    return out;
}

QStringList schemaTables(const DbConfig &config)
{
    QStringList out;
    auto db = Database::connection(config);
    QSqlQuery q(db.value());
    if (q.exec(
            QStringLiteral("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY 1"))) {
        while (q.next())
            out << q.value(0).toString();
    }
    return out;
}

QJsonObject tableEntry(const QJsonObject &result, const QString &table)
{
    for (const QJsonValue &v : result.value(QStringLiteral("tables")).toArray()) {
        if (v.toObject().value(QStringLiteral("table")).toString() == table)
            return v.toObject();
    }
    return {};
}

// 20,000 attempts, then all but every twentieth deleted: 19,000 dead rows, and a primary key index with
// one live entry in twenty left in each of its pages.
bool makeDeadAttempts(const DbConfig &config)
{
    return test::execSql(config,
                         QStringLiteral("ALTER TABLE job_attempts SET (autovacuum_enabled = false)")) &&
           exec(config, QStringLiteral("INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, "
                                       "finished_at, outcome) SELECT g, 1, 'w1', 0, 1, 'completed' "
                                       "FROM generate_series(1, 20000) AS g")) &&
           exec(config, QStringLiteral("DELETE FROM job_attempts WHERE job_id % 20 <> 0"));
}

// A role that lives while the object does (roles outlive databases: dropped after the test's database).
class TempRole final {
public:
    TempRole()
        : m_name(QStringLiteral("hcm_maint_%1").arg(QRandomGenerator::system()->generate64(), 0, 36))
    {
        m_created =
            test::postgresAdmin(QStringLiteral("CREATE ROLE %1 LOGIN PASSWORD '%2'").arg(m_name, password()));
    }
    ~TempRole()
    {
        if (m_created)
            test::postgresAdmin(QStringLiteral("DROP ROLE IF EXISTS %1").arg(m_name));
    }
    Q_DISABLE_COPY_MOVE(TempRole)

    bool isValid() const { return m_created; }
    const QString &name() const { return m_name; }
    QString password() const { return QStringLiteral("pw-") + m_name; }
    DbConfig config(const DbConfig &base) const
    {
        DbConfig c = base;
        c.user = m_name;
        c.password = password();
        return c;
    }

private:
    QString m_name;
    bool m_created = false;
};

} // namespace

void TestHandlers::dbOptimizePostgresVacuumsEveryTable()
{
    test::TempDatabase pg(DbConfig::Backend::Postgres);
    HCM_REQUIRE_BACKEND(pg);
    HandlerEnvironment env = m_env;
    env.db = pg.config();
    QVERIFY(makeDeadAttempts(env.db));
    // The statistics system counts the deleted rows a moment after the transaction.
    QTRY_VERIFY_WITH_TIMEOUT(
        scalar(env.db, QStringLiteral("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = "
                                      "'job_attempts' AND schemaname = current_schema()")) >= 19'000,
        30'000);
    const qint64 sizeBefore = scalar(env.db, QStringLiteral("SELECT pg_total_relation_size('job_attempts')"));
    const QStringList tables = schemaTables(env.db);
    QVERIFY(tables.contains(QStringLiteral("job_queue")) && tables.contains(QStringLiteral("job_archive")));
    const QMap<QString, qint64> countsBefore = vacuumCounts(env.db);

    auto token = std::make_shared<CancellationToken>();
    DbOptimizeHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("db_optimize"), {}, env, token);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("backend")).toString(), QStringLiteral("postgresql"));
    QCOMPARE(r.result.value(QStringLiteral("mode")).toString(), QStringLiteral("vacuum"));
    QCOMPARE(r.result.value(QStringLiteral("tables_optimized")).toInteger(), tables.size());
    QCOMPARE(r.result.value(QStringLiteral("skipped")).toArray().size(), 0);
    QCOMPARE(token->progress(), 1.0);

    // Every table was vacuumed once (the server's own counters say so).
    const QMap<QString, qint64> countsAfter = vacuumCounts(env.db);
    for (const QString &table : tables)
        QVERIFY2(countsAfter.value(table) == countsBefore.value(table) + 1, qPrintable(table));

    // The figures are the server's: dead rows before and after, the sizes before and after.
    const QJsonObject attempts = tableEntry(r.result, QStringLiteral("job_attempts"));
    const qint64 deadBefore = attempts.value(QStringLiteral("dead_tuples_before")).toInteger();
    QVERIFY2(deadBefore >= 19'000, qPrintable(QString::number(deadBefore)));
    QCOMPARE(attempts.value(QStringLiteral("dead_tuples_after")).toInteger(), 0);
    QCOMPARE(attempts.value(QStringLiteral("dead_tuples_removed")).toInteger(), deadBefore);
    QCOMPARE(scalar(env.db, QStringLiteral("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = "
                                           "'job_attempts' AND schemaname = current_schema()")),
             0);
    QCOMPARE(attempts.value(QStringLiteral("bytes_before")).toInteger(), sizeBefore);
    QCOMPARE(attempts.value(QStringLiteral("bytes_after")).toInteger(),
             scalar(env.db, QStringLiteral("SELECT pg_total_relation_size('job_attempts')")));
    QVERIFY(r.result.value(QStringLiteral("dead_tuples_removed")).toInteger() >= deadBefore);
    QVERIFY(r.result.value(QStringLiteral("bytes_freed")).toInteger() >= 0);
    QVERIFY(!attempts.contains(QStringLiteral("reindexed"))); // not asked for
    // ANALYZE ran too: the planner knows how many rows are left.
    QCOMPARE(scalar(env.db, QStringLiteral("SELECT reltuples::bigint FROM pg_class WHERE oid = "
                                           "'job_attempts'::regclass")),
             1000);
}

void TestHandlers::dbOptimizePostgresSkipsTablesOfOtherRoles()
{
    TempRole role;
    TempRole nobody;
    test::TempDatabase pg(DbConfig::Backend::Postgres);
    HCM_REQUIRE_BACKEND(pg);
    QVERIFY(role.isValid() && nobody.isValid());
    QVERIFY(
        test::execSql(pg.config(), QStringLiteral("ALTER TABLE job_attempts OWNER TO %1").arg(role.name())));
    QString superuser; // who migrated the database, and owns the other tables
    {
        auto db = Database::connection(pg.config());
        QVERIFY(db.ok());
        QSqlQuery q(db.value());
        QVERIFY(q.exec(QStringLiteral("SELECT current_user")) && q.next());
        superuser = q.value(0).toString();
    }
    const QStringList tables = schemaTables(pg.config());
    const QMap<QString, qint64> countsBefore = vacuumCounts(pg.config());

    // A role that owns one table: that table is vacuumed, every other one is listed with the reason.
    HandlerEnvironment env = m_env;
    env.db = role.config(pg.config());
    DbOptimizeHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("db_optimize"), {}, env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("role")).toString(), role.name());
    QCOMPARE(r.result.value(QStringLiteral("tables_optimized")).toInteger(), 1);
    QCOMPARE(
        r.result.value(QStringLiteral("tables")).toArray().first().toObject().value(QStringLiteral("table")),
        QStringLiteral("job_attempts"));
    const QJsonArray skipped = r.result.value(QStringLiteral("skipped")).toArray();
    QCOMPARE(skipped.size(), tables.size() - 1);
    for (const QJsonValue &v : skipped) {
        const QJsonObject o = v.toObject();
        QVERIFY(tables.contains(o.value(QStringLiteral("table")).toString()));
        QCOMPARE(o.value(QStringLiteral("reason")).toString(), QStringLiteral("not the owner"));
        QCOMPARE(o.value(QStringLiteral("owner")).toString(), superuser);
    }
    const QMap<QString, qint64> countsAfter = vacuumCounts(pg.config());
    for (const QString &table : tables) {
        const qint64 expected = countsBefore.value(table) + (table == QLatin1String("job_attempts") ? 1 : 0);
        QVERIFY2(countsAfter.value(table) == expected, qPrintable(table));
    }

    // A role that owns nothing: the job fails, for good, and says why.
    env.db = nobody.config(pg.config());
    const HandlerResult none = runHandler(handler, QStringLiteral("db_optimize"), {}, env);
    QVERIFY(!none.ok);
    QVERIFY(!none.retryable);
    QVERIFY2(
        none.error.contains(
            QStringLiteral("the role %1 owns none of the %2 tables").arg(nobody.name()).arg(tables.size())),
        qPrintable(none.error));
    QCOMPARE(vacuumCounts(pg.config()), countsAfter);
}

void TestHandlers::dbOptimizePostgresStopsBetweenTables()
{
    test::TempDatabase pg(DbConfig::Backend::Postgres);
    HCM_REQUIRE_BACKEND(pg);
    HandlerEnvironment env = m_env;
    env.db = pg.config();
    const QStringList tables = schemaTables(env.db);
    const QMap<QString, qint64> countsBefore = vacuumCounts(env.db);
    DbOptimizeHandler handler;

    // Stopped before it began: nothing vacuumed.
    const HandlerResult early = runHandler(handler, QStringLiteral("db_optimize"), {}, env, cancelledToken());
    QVERIFY(!early.ok);
    QCOMPARE(early.error, QStringLiteral("Stopped after 0 of %1 tables.").arg(tables.size()));
    QCOMPARE(vacuumCounts(env.db), countsBefore);

    // Stopped in the middle: another session holds a lock the VACUUM of job_queue waits for; the job is
    // cancelled while it waits, the lock goes, and the job stops after that table.
    const QString lockerName = QStringLiteral("tst-locker");
    {
        auto locker = Database::open(env.db, lockerName);
        QVERIFY(locker.ok());
        QSqlQuery l(locker.value());
        QVERIFY(l.exec(QStringLiteral("BEGIN")));
        QVERIFY(l.exec(QStringLiteral("LOCK TABLE job_queue IN SHARE UPDATE EXCLUSIVE MODE")));
    }
    auto token = std::make_shared<CancellationToken>();
    HandlerResult middle;
    std::thread runner([&] {
        middle = runHandler(handler, QStringLiteral("db_optimize"),
                            {{QStringLiteral("lock_timeout_ms"), 120'000}}, env, token);
    });
    QTRY_VERIFY_WITH_TIMEOUT(scalar(env.db, QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE "
                                                           "wait_event_type = 'Lock' AND query LIKE "
                                                           "'VACUUM%job_queue'")) == 1,
                             30'000);
    token->request(StopReason::Cancelled);
    {
        QSqlQuery l(QSqlDatabase::database(lockerName, false));
        QVERIFY(l.exec(QStringLiteral("ROLLBACK")));
    }
    QSqlDatabase::database(lockerName, false).close();
    QSqlDatabase::removeDatabase(lockerName);
    runner.join();
    QVERIFY(!middle.ok);
    const qsizetype position = tables.indexOf(QStringLiteral("job_queue"));
    QCOMPARE(middle.error,
             QStringLiteral("Stopped after %1 of %2 tables.").arg(position + 1).arg(tables.size()));
    const QMap<QString, qint64> countsAfter = vacuumCounts(env.db);
    for (qsizetype i = 0; i < tables.size(); ++i) {
        const qint64 expected = countsBefore.value(tables.at(i)) + (i <= position ? 1 : 0);
        QVERIFY2(countsAfter.value(tables.at(i)) == expected, qPrintable(tables.at(i)));
    }
}

void TestHandlers::dbOptimizePostgresReindexesBloatedIndexes()
{
    test::TempDatabase pg(DbConfig::Backend::Postgres);
    HCM_REQUIRE_BACKEND(pg);
    HandlerEnvironment env = m_env;
    env.db = pg.config();
    QVERIFY(makeDeadAttempts(env.db));
    const qint64 pkeyBefore = scalar(env.db, QStringLiteral("SELECT pg_relation_size('job_attempts_pkey')"));
    DbOptimizeHandler handler;

    // Without "reindex" no index is rebuilt, however bloated: VACUUM leaves the index's size.
    const HandlerResult plain = runHandler(handler, QStringLiteral("db_optimize"), {}, env);
    QVERIFY2(plain.ok, qPrintable(plain.error));
    QCOMPARE(plain.result.value(QStringLiteral("indexes_reindexed")).toInteger(), 0);
    QCOMPARE(scalar(env.db, QStringLiteral("SELECT pg_relation_size('job_attempts_pkey')")), pkeyBefore);

    // One entry in twenty left in each page: about 95 % of the primary key is bloat; the other indexes of
    // a new database hold what their entries need.
    const HandlerResult r =
        runHandler(handler, QStringLiteral("db_optimize"), {{QStringLiteral("reindex"), true}}, env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("indexes_reindexed")).toInteger(), 1);
    const QJsonArray rebuilt =
        tableEntry(r.result, QStringLiteral("job_attempts")).value(QStringLiteral("reindexed")).toArray();
    QCOMPARE(rebuilt.size(), 1);
    const QJsonObject pkey = rebuilt.first().toObject();
    QCOMPARE(pkey.value(QStringLiteral("index")).toString(), QStringLiteral("job_attempts_pkey"));
    const double bloat = pkey.value(QStringLiteral("estimated_bloat")).toDouble();
    QVERIFY2(bloat > 0.8 && bloat <= 1.0, qPrintable(QString::number(bloat)));
    QCOMPARE(pkey.value(QStringLiteral("bytes_before")).toInteger(), pkeyBefore);
    const qint64 pkeyAfter = scalar(env.db, QStringLiteral("SELECT pg_relation_size('job_attempts_pkey')"));
    QCOMPARE(pkey.value(QStringLiteral("bytes_after")).toInteger(), pkeyAfter);
    QVERIFY2(pkeyAfter * 5 < pkeyBefore,
             qPrintable(QStringLiteral("%1 -> %2").arg(pkeyBefore).arg(pkeyAfter)));
    // The rebuilt index is valid, and no copy was left behind.
    QCOMPARE(scalar(env.db, QStringLiteral("SELECT count(*) FROM pg_index WHERE NOT indisvalid")), 0);
    QCOMPARE(scalar(env.db, QStringLiteral("SELECT count(*) FROM pg_class WHERE relname LIKE '%ccnew%'")), 0);

    // Rebuilt, it is no longer bloated: a second run leaves it.
    const HandlerResult again =
        runHandler(handler, QStringLiteral("db_optimize"), {{QStringLiteral("reindex"), true}}, env);
    QVERIFY2(again.ok, qPrintable(again.error));
    QCOMPARE(again.result.value(QStringLiteral("indexes_reindexed")).toInteger(), 0);
}

void TestHandlers::dbOptimizePostgresRefusesBadOptions()
{
    test::TempDatabase pg(DbConfig::Backend::Postgres);
    HCM_REQUIRE_BACKEND(pg);
    HandlerEnvironment env = m_env;
    env.db = pg.config();
    const QMap<QString, qint64> countsBefore = vacuumCounts(env.db);
    DbOptimizeHandler handler;
    const QList<std::pair<QJsonObject, QString>> cases{
        {{{QStringLiteral("reindex"), QStringLiteral("yes")}},
         QStringLiteral("reindex must be true or false.")},
        {{{QStringLiteral("bloat_threshold"), 1.5}},
         QStringLiteral("bloat_threshold must be a number from 0 to 1 (0.3 means 30 %).")},
        {{{QStringLiteral("bloat_threshold"), QStringLiteral("0.3")}},
         QStringLiteral("bloat_threshold must be a number from 0 to 1 (0.3 means 30 %).")},
        {{{QStringLiteral("min_index_bytes"), -1}},
         QStringLiteral("min_index_bytes must be a whole number of bytes, 0 or more.")},
        {{{QStringLiteral("lock_timeout_ms"), 0}},
         QStringLiteral("lock_timeout_ms must be a whole number of milliseconds from 1 to 3600000.")},
        {{{QStringLiteral("mode"), QStringLiteral("full")}},
         QStringLiteral("Unknown optimize mode \"full\" (expected vacuum, incremental or analyze).")},
    };
    for (const auto &[payload, message] : cases) {
        const HandlerResult r = runHandler(handler, QStringLiteral("db_optimize"), payload, env);
        QVERIFY(!r.ok);
        QVERIFY(!r.retryable);
        QCOMPARE(r.error, message);
    }
    QCOMPARE(vacuumCounts(env.db), countsBefore);
}

void TestHandlers::dbOptimizePostgresOptionsPassValidation()
{
    // What an enqueue checks before anything is written: the PostgreSQL options are known fields.
    const JobTypeInfo *type = JobTypeCatalog::instance().find(QStringLiteral("db_optimize"));
    QVERIFY(type);
    QCOMPARE(type->validatePayload({{QStringLiteral("mode"), QStringLiteral("vacuum")},
                                    {QStringLiteral("reindex"), true},
                                    {QStringLiteral("bloat_threshold"), 0.25},
                                    {QStringLiteral("min_index_bytes"), 0},
                                    {QStringLiteral("lock_timeout_ms"), 2000}}),
             QString());
    QCOMPARE(type->validatePayload({{QStringLiteral("reindex"), 1}}),
             QStringLiteral("payload field \"reindex\" must be true or false"));
    QCOMPARE(type->validatePayload({{QStringLiteral("bloat_threshold"), -0.1}}),
             QStringLiteral("payload field \"bloat_threshold\" must be a number from 0 to 1"));
    QCOMPARE(type->validatePayload({{QStringLiteral("lock_timeout_ms"), 0}}),
             QStringLiteral("payload field \"lock_timeout_ms\" must be a whole number from 1 to 3600000"));
}

void TestHandlers::dbOptimizePostgresDuringBurnDown()
{
    // Two worker pools burn down jobs that keep coming while db_optimize runs three times over, rebuilding
    // every index it can estimate (threshold 0, no minimum size), the queue's included: no job fails, no pool
    // reports an error, and every optimization succeeds.
    test::TempDatabase pg(DbConfig::Backend::Postgres);
    HCM_REQUIRE_BACKEND(pg);
    JobTypeCatalog::enableTestTypes();
    (void)QSqlDatabase::drivers();
    const DbConfig config = pg.config();
    JobService service{JobStore(config)};
    HandlerRegistry registry;
    registerDiagnosticHandlers(registry);
    std::vector<std::unique_ptr<WorkerPool>> pools;
    std::vector<std::unique_ptr<QSignalSpy>> errors;
    for (int i = 0; i < 2; ++i) {
        WorkerPool::Options o;
        o.env.db = config;
        o.concurrency = 2;
        o.pollIntervalMs = 1000;
        o.leaseMs = 30'000;
        o.graceMs = 10'000;
        pools.push_back(std::make_unique<WorkerPool>(o, registry));
        errors.push_back(std::make_unique<QSignalSpy>(pools.back().get(), &WorkerPool::errorOccurred));
        pools.back()->start();
    }
    QTRY_VERIFY_WITH_TIMEOUT(pools[0]->isRunning() && pools[1]->isRunning(), 15'000);

    constexpr int Runs = 3;
    std::atomic<int> runsDone{0};
    QStringList failures;
    qint64 reindexed = 0;
    HandlerEnvironment env = m_env;
    env.db = config;
    std::thread optimizer([&] {
        DbOptimizeHandler handler;
        const QJsonObject payload{{QStringLiteral("reindex"), true},
                                  {QStringLiteral("bloat_threshold"), 0},
                                  {QStringLiteral("min_index_bytes"), 0}};
        for (int i = 0; i < Runs; ++i) {
            const HandlerResult r = runHandler(handler, QStringLiteral("db_optimize"), payload, env);
            if (!r.ok)
                failures << r.error;
            reindexed += r.result.value(QStringLiteral("indexes_reindexed")).toInteger();
            ++runsDone;
        }
    });

    // Jobs keep coming, 250 at a time whenever fewer than 250 wait, until the optimizer is done and at
    // least 3,000 were enqueued.
    qint64 enqueued = 0;
    const auto queued = [&] {
        return test::rowCount(config, QStringLiteral("job_queue"), QStringLiteral("status = 'queued'"));
    };
    while (runsDone.load() < Runs || enqueued < 3000) {
        QList<NewJob> batch(250,
                            NewJob{QStringLiteral("test.noop"), JobPriority::Normal, {}, 3, std::nullopt});
        const auto ids = service.enqueueMany(batch, test::adminActor(QStringLiteral("tester")));
        QVERIFY2(ids.ok(), ids.ok() ? "" : qPrintable(ids.error().message));
        enqueued += ids->size();
        QVERIFY(QTest::qWaitFor([&] { return runsDone.load() == Runs || queued() < 250; }, 120'000));
    }
    optimizer.join();
    QTRY_COMPARE_WITH_TIMEOUT(
        test::rowCount(config, QStringLiteral("background_jobs"), QStringLiteral("status = 'completed'")),
        enqueued, 120'000);
    for (auto &pool : pools)
        pool->stopAndWait();

    qInfo("burn-down of %lld jobs by two pools during %d db_optimize runs (%lld indexes rebuilt)", enqueued,
          Runs, reindexed);
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
    QVERIFY(reindexed >= Runs); // the rebuilding did happen, every run
    for (const auto &spy : errors)
        QVERIFY2(spy->isEmpty(), spy->isEmpty() ? "" : qPrintable(spy->first().first().toString()));
    QCOMPARE(
        test::rowCount(config, QStringLiteral("background_jobs"), QStringLiteral("status <> 'completed'")),
        qint64(0));
    QCOMPARE(scalar(config, QStringLiteral("SELECT count(*) FROM pg_index WHERE NOT indisvalid")), 0);
}

// ---- log_rotate -------------------------------------------------------------------------------------

void TestHandlers::logRotateArchivesAndTruncates()
{
    const QString dir = m_env.logDir;
    const QByteArray app = logText(5000);
    const QByteArray other = "one line\n";
    QVERIFY(writeFile(dir + QStringLiteral("/app.log"), app));
    QVERIFY(writeFile(dir + QStringLiteral("/other.log"), other));
    QVERIFY(writeFile(dir + QStringLiteral("/empty.log"), {}));
    QVERIFY(writeFile(dir + QStringLiteral("/notes.txt"), "not a log"));

    auto token = std::make_shared<CancellationToken>();
    LogRotateHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("log_rotate"), {}, m_env, token);
    QVERIFY2(r.ok, qPrintable(r.error));

    const QRegularExpression appArchive(QStringLiteral("^app\\.log\\.\\d{8}-\\d{6}-\\d{3}\\.gz$"));
    const QRegularExpression otherArchive(QStringLiteral("^other\\.log\\.\\d{8}-\\d{6}-\\d{3}\\.gz$"));
    const QStringList files = filesIn(dir);
    QCOMPARE(files.size(), 6);
    const QStringList appArchives = files.filter(appArchive);
    const QStringList otherArchives = files.filter(otherArchive);
    QCOMPARE(appArchives.size(), 1);
    QCOMPARE(otherArchives.size(), 1);
    const QString appGz = dir + QLatin1Char('/') + appArchives.first();
    const QString otherGz = dir + QLatin1Char('/') + otherArchives.first();

    // The archives hold the logs byte for byte; the logs are empty; other files are untouched.
    QCOMPARE(gunzip(appGz), app);
    QCOMPARE(gunzip(otherGz), other);
    QCOMPARE(QFileInfo(dir + QStringLiteral("/app.log")).size(), 0);
    QCOMPARE(QFileInfo(dir + QStringLiteral("/other.log")).size(), 0);
    QCOMPARE(readFile(dir + QStringLiteral("/notes.txt")), QByteArray("not a log"));
    QVERIFY(!files.contains(QStringLiteral("empty.log.gz")));

    const qint64 gzBytes = QFileInfo(appGz).size() + QFileInfo(otherGz).size();
    QVERIFY(QFileInfo(appGz).size() < app.size() / 3);
    QCOMPARE(r.result.value(QStringLiteral("files_archived")).toInteger(), 2);
    QCOMPARE(r.result.value(QStringLiteral("archives_deleted")).toInteger(), 0);
    QCOMPARE(r.result.value(QStringLiteral("bytes_before")).toInteger(), app.size() + other.size());
    QCOMPARE(r.result.value(QStringLiteral("bytes_archived")).toInteger(), gzBytes);
    QCOMPARE(r.result.value(QStringLiteral("bytes_freed")).toInteger(), app.size() + other.size() - gzBytes);
    QCOMPARE(token->progress(), 1.0);

    // The archive name carries the UTC time of the rotation.
    const QDateTime stamp =
        QDateTime::fromString(appArchives.first().mid(8, 19), QStringLiteral("yyyyMMdd-HHmmss-zzz"));
    QVERIFY(stamp.isValid());
    const QDateTime utc(stamp.date(), stamp.time(), Qt::UTC);
    QVERIFY(qAbs(utc.msecsTo(QDateTime::currentDateTimeUtc())) < 60'000);
}

void TestHandlers::logRotateKeepsNewestArchives()
{
    auto clock = std::make_shared<ManualClock>(FixedNow);
    m_env.clock = clock;
    const QString dir = m_env.logDir;
    const QStringList old = {
        QStringLiteral("app.log.20260101-000000-000.gz"), QStringLiteral("app.log.20260102-000000-000.gz"),
        QStringLiteral("app.log.20260103-000000-000.gz"), QStringLiteral("app.log.20260104-000000-000.gz")};
    for (int i = 0; i < old.size(); ++i)
        QVERIFY(writeFile(dir + QLatin1Char('/') + old.at(i), QByteArray(100 * (i + 1), 'z')));
    // Not archives of app.log by name: left alone.
    QVERIFY(writeFile(dir + QStringLiteral("/app.log.manual-backup.gz"), "keep me"));
    QVERIFY(writeFile(dir + QStringLiteral("/gone.log.20200101-000000-000.gz"), "orphan"));
    const QByteArray content = logText(200);
    QVERIFY(writeFile(dir + QStringLiteral("/app.log"), content));

    LogRotateHandler handler;
    const HandlerResult r =
        runHandler(handler, QStringLiteral("log_rotate"), {{QStringLiteral("keep"), 2}}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));

    // FixedNow = 2027-01-15T08:00:00.000Z
    const QString fresh = QStringLiteral("app.log.20270115-080000-000.gz");
    QCOMPARE(filesIn(dir), (QStringList{QStringLiteral("app.log"), old.at(3), fresh,
                                        QStringLiteral("app.log.manual-backup.gz"),
                                        QStringLiteral("gone.log.20200101-000000-000.gz")}));
    QCOMPARE(gunzip(dir + QLatin1Char('/') + fresh), content);
    const qint64 gz = QFileInfo(dir + QLatin1Char('/') + fresh).size();
    QCOMPARE(r.result.value(QStringLiteral("files_archived")).toInteger(), 1);
    QCOMPARE(r.result.value(QStringLiteral("archives_deleted")).toInteger(), 3);
    QCOMPARE(r.result.value(QStringLiteral("bytes_before")).toInteger(), content.size());
    QCOMPARE(r.result.value(QStringLiteral("bytes_archived")).toInteger(), gz);
    QCOMPARE(r.result.value(QStringLiteral("bytes_freed")).toInteger(),
             content.size() - gz + 100 + 200 + 300);

    // A second rotation in the same millisecond gets the next name, never overwriting.
    QVERIFY(writeFile(dir + QStringLiteral("/app.log"), "again\n"));
    const HandlerResult again =
        runHandler(handler, QStringLiteral("log_rotate"), {{QStringLiteral("keep"), 2}}, m_env);
    QVERIFY2(again.ok, qPrintable(again.error));
    QVERIFY(QFileInfo::exists(dir + QStringLiteral("/app.log.20270115-080000-001.gz")));
    QVERIFY(QFileInfo::exists(dir + QLatin1Char('/') + fresh));
    QVERIFY(!QFileInfo::exists(dir + QLatin1Char('/') + old.at(3)));
    QCOMPARE(gunzip(dir + QStringLiteral("/app.log.20270115-080000-001.gz")), QByteArray("again\n"));
}

void TestHandlers::logRotateMinSize()
{
    const QString dir = m_env.logDir;
    QVERIFY(writeFile(dir + QStringLiteral("/small.log"), QByteArray(100, 'x')));
    QVERIFY(writeFile(dir + QStringLiteral("/big.log"), logText(100)));
    LogRotateHandler handler;
    const HandlerResult r =
        runHandler(handler, QStringLiteral("log_rotate"), {{QStringLiteral("min_size_bytes"), 100}}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("files_archived")).toInteger(), 1);
    QCOMPARE(r.result.value(QStringLiteral("bytes_before")).toInteger(), 100 + logText(100).size());
    QCOMPARE(QFileInfo(dir + QStringLiteral("/small.log")).size(), 100); // not larger than 100 bytes
    QCOMPARE(QFileInfo(dir + QStringLiteral("/big.log")).size(), 0);
    QCOMPARE(filesIn(dir).filter(QStringLiteral("small.log.")).size(), 0);
    QCOMPARE(filesIn(dir).filter(QStringLiteral("big.log.")).size(), 1);
}

void TestHandlers::logRotateMissingFolder()
{
    m_env.logDir = m_logs->path() + QStringLiteral("/missing");
    LogRotateHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("log_rotate"), {}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    for (const char *key :
         {"files_archived", "archives_deleted", "bytes_before", "bytes_archived", "bytes_freed"})
        QCOMPARE(r.result.value(QLatin1String(key)).toInteger(), 0);
    QVERIFY(!QFileInfo::exists(m_env.logDir));
}

void TestHandlers::logRotateLiveLogSink()
{
    // The process's own log: rotated under the sink's lock, so a line lands either in the archive or in
    // the fresh log, never nowhere.
    const QString path = m_env.logDir + QStringLiteral("/hcm.log");
    const QtMessageHandler qtestHandler = qInstallMessageHandler(nullptr);
    qInstallMessageHandler(qtestHandler);
    const Status opened = LogSink::instance().open(path, false);
    QVERIFY2(opened.ok(), opened.ok() ? "" : qPrintable(opened.error().message));
    qInfo("line before rotation 1");
    qInfo("line before rotation 2");
    const QByteArray before = readFile(path);

    LogRotateHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("log_rotate"), {}, m_env);
    qInfo("line after rotation");
    LogSink::instance().close();
    qInstallMessageHandler(qtestHandler);
    QVERIFY2(r.ok, qPrintable(r.error));

    QVERIFY(before.contains("line before rotation 2"));
    const QStringList archives =
        filesIn(m_env.logDir).filter(QRegularExpression(QStringLiteral("^hcm\\.log\\..*\\.gz$")));
    QCOMPARE(archives.size(), 1);
    QCOMPARE(gunzip(m_env.logDir + QLatin1Char('/') + archives.first()), before);
    const QByteArray after = readFile(path);
    QVERIFY2(after.contains("line after rotation"), after.constData());
    QVERIFY(!after.contains("line before rotation"));
    // Appending continued at the start of the truncated file: no hole of zero bytes.
    QVERIFY(!after.contains('\0'));
    QCOMPARE(r.result.value(QStringLiteral("files_archived")).toInteger(), 1);
    QCOMPARE(r.result.value(QStringLiteral("bytes_before")).toInteger(), before.size());
}

void TestHandlers::logRotateStops()
{
    const QByteArray content = logText(10);
    QVERIFY(writeFile(m_env.logDir + QStringLiteral("/app.log"), content));
    LogRotateHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("log_rotate"), {}, m_env, cancelledToken());
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QLatin1String("Stopped")), qPrintable(r.error));
    QCOMPARE(filesIn(m_env.logDir), QStringList{QStringLiteral("app.log")});
    QCOMPARE(readFile(m_env.logDir + QStringLiteral("/app.log")), content);
}

void TestHandlers::logRotateSkipsSymbolicLinks()
{
    // Links in the log folder to a file, a folder and nothing, and a FIFO: none is followed or opened.
    QTemporaryDir outside;
    QVERIFY(outside.isValid());
    const QString target = outside.path() + QStringLiteral("/precious.txt");
    const QByteArray precious = logText(300);
    QVERIFY(writeFile(target, precious));
    const QString dir = m_env.logDir;
    QVERIFY(QFile::link(target, dir + QStringLiteral("/evil.log")));
    QVERIFY(QFile::link(outside.path(), dir + QStringLiteral("/dir.log")));
    QVERIFY(QFile::link(outside.path() + QStringLiteral("/nothing"), dir + QStringLiteral("/dangling.log")));
    QCOMPARE(::mkfifo(QFile::encodeName(dir + QStringLiteral("/pipe.log")).constData(), 0600), 0);
    const QByteArray app = logText(50);
    QVERIFY(writeFile(dir + QStringLiteral("/app.log"), app));

    LogRotateHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("log_rotate"), {}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));

    // The target outside the folder is untouched, the links are still links, and nothing was archived
    // for them; the real log was rotated.
    QCOMPARE(readFile(target), precious);
    QCOMPARE(filesIn(outside.path()), QStringList{QStringLiteral("precious.txt")});
    QVERIFY(QFileInfo(dir + QStringLiteral("/evil.log")).isSymLink());
    const QStringList archives = filesIn(dir).filter(QRegularExpression(QStringLiteral("\\.gz$")));
    QCOMPARE(archives.size(), 1);
    QVERIFY(archives.first().startsWith(QLatin1String("app.log.")));
    QCOMPARE(gunzip(dir + QLatin1Char('/') + archives.first()), app);
    QCOMPARE(r.result.value(QStringLiteral("files_archived")).toInteger(), 1);
    QCOMPARE(r.result.value(QStringLiteral("bytes_before")).toInteger(), app.size());
    const QJsonArray skipped = r.result.value(QStringLiteral("skipped")).toArray();
    const auto entry = [](const char *file, const char *reason) {
        return QJsonObject{{QStringLiteral("file"), QLatin1String(file)},
                           {QStringLiteral("reason"), QLatin1String(reason)}};
    };
    QCOMPARE(skipped,
             (QJsonArray{entry("dangling.log", "symbolic link"), entry("dir.log", "symbolic link"),
                         entry("evil.log", "symbolic link"), entry("pipe.log", "not a regular file")}));
}

void TestHandlers::logRotateSkipsFilesOfOtherUsers()
{
    const QString dir = m_env.logDir;
    const QByteArray theirs = logText(100);
    QVERIFY(writeFile(dir + QStringLiteral("/theirs.log"), theirs));
    QVERIFY(writeFile(dir + QStringLiteral("/ours.log"), logText(10)));
    // 65534: nobody. Only root may give a file away.
    if (::chown(QFile::encodeName(dir + QStringLiteral("/theirs.log")).constData(), 65534, 65534) != 0)
        QSKIP("giving a file to another user needs root");

    LogRotateHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("log_rotate"), {}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(readFile(dir + QStringLiteral("/theirs.log")), theirs);
    QCOMPARE(filesIn(dir).filter(QStringLiteral("theirs.log.")).size(), 0);
    QCOMPARE(filesIn(dir).filter(QStringLiteral("ours.log.")).size(), 1);
    QCOMPARE(r.result.value(QStringLiteral("files_archived")).toInteger(), 1);
    QCOMPARE(r.result.value(QStringLiteral("skipped")).toArray(),
             (QJsonArray{QJsonObject{{QStringLiteral("file"), QStringLiteral("theirs.log")},
                                     {QStringLiteral("reason"), QStringLiteral("owned by another user")}}}));
}

void TestHandlers::logRotateSkipsHardLinks()
{
    // A second name of a file elsewhere (here: a stand-in for the database) would be emptied through the
    // log folder: a log with more than one name is left alone.
    QTemporaryDir outside;
    QVERIFY(outside.isValid());
    const QString data = outside.path() + QStringLiteral("/data.sqlite");
    const QByteArray content = logText(200);
    QVERIFY(writeFile(data, content));
    QCOMPARE(::link(QFile::encodeName(data).constData(),
                    QFile::encodeName(m_env.logDir + QStringLiteral("/data.log")).constData()),
             0);

    LogRotateHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("log_rotate"), {}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(readFile(data), content);
    QCOMPARE(filesIn(m_env.logDir), QStringList{QStringLiteral("data.log")});
    QCOMPARE(r.result.value(QStringLiteral("files_archived")).toInteger(), 0);
    QCOMPARE(r.result.value(QStringLiteral("skipped")).toArray(),
             (QJsonArray{QJsonObject{{QStringLiteral("file"), QStringLiteral("data.log")},
                                     {QStringLiteral("reason"), QStringLiteral("several hard links")}}}));
}

void TestHandlers::logRotateBytesFreedNeverNegative()
{
    // Two bytes compress to a gzip file of about twenty: the folder grew, nothing was freed.
    QVERIFY(writeFile(m_env.logDir + QStringLiteral("/tiny.log"), "x\n"));
    LogRotateHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("log_rotate"), {}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("files_archived")).toInteger(), 1);
    QVERIFY(r.result.value(QStringLiteral("bytes_archived")).toInteger() > 2);
    QCOMPARE(r.result.value(QStringLiteral("bytes_freed")).toInteger(), 0);
}

namespace {

// Every line `writer line N` of the archives of `log` (oldest first) and of `log` itself, in order; false
// (with a message) when a line is not a whole line of the writer's.
bool writerLines(const QString &log, QList<qint64> *numbers, bool othersAllowed)
{
    const QFileInfo info(log);
    QStringList archives =
        filesIn(info.absolutePath())
            .filter(QRegularExpression(QLatin1Char('^') + QRegularExpression::escape(info.fileName()) +
                                       QStringLiteral("\\.\\d{8}-\\d{6}-\\d{3}\\.gz$")));
    QByteArray all;
    for (const QString &a : std::as_const(archives))
        all += gunzip(info.absolutePath() + QLatin1Char('/') + a);
    all += readFile(log);
    static const QRegularExpression line(QStringLiteral("^\\S+ \\[info\\] default: writer line (\\d+)$"));
    for (const QByteArray &text : all.split('\n')) {
        if (text.isEmpty())
            continue;
        const auto m = line.match(QString::fromUtf8(text));
        if (!m.hasMatch()) {
            if (othersAllowed && !text.contains("writer line"))
                continue;
            qWarning("not a line of the writer: %s", text.left(200).constData());
            return false;
        }
        numbers->append(m.captured(1).toLongLong());
    }
    if (!all.isEmpty() && !all.endsWith('\n')) {
        qWarning("the log ends within a line");
        return false;
    }
    return true;
}

// The first number missing from 0..count-1, or the first one out of order or repeated; -1 when
// `numbers` is exactly 0, 1, …, count-1.
qint64 firstWrongLine(const QList<qint64> &numbers, qint64 count)
{
    for (qint64 i = 0; i < numbers.size(); ++i) {
        if (numbers.at(i) != i)
            return i;
    }
    return numbers.size() == count ? -1 : numbers.size();
}

} // namespace

void TestHandlers::logRotateLosesNoLineOfAnotherProcess()
{
    // Another process (this test program as a writer, through the product's log sink) appends numbered
    // lines to the log while it is rotated over and over: every line ends up exactly once, in order, in
    // the archives or in the log.
    const QString log = m_env.logDir + QStringLiteral("/hcm-worker.log");
    const QString stop = m_logs->path() + QStringLiteral("/stop");
    QProcess writer;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("HCM_TEST_LOG_WRITER"), log);
    environment.insert(QStringLiteral("HCM_TEST_LOG_WRITER_STOP"), stop);
    environment.insert(QStringLiteral("HCM_TEST_LOG_WRITER_LINES"), QStringLiteral("30000"));
    writer.setProcessEnvironment(environment);
    writer.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(writer.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(log).size() > 0, 30'000);

    LogRotateHandler handler;
    const QJsonObject payload{{QStringLiteral("keep"), 1'000'000}};
    int rotations = 0;
    const QDeadlineTimer limit(120'000);
    while (!writer.waitForFinished(1)) {
        QVERIFY2(!limit.hasExpired(), "the writer did not finish");
        const HandlerResult r = runHandler(handler, QStringLiteral("log_rotate"), payload, m_env);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.result.value(QStringLiteral("skipped")).toArray().size(), 0);
        rotations += int(r.result.value(QStringLiteral("files_archived")).toInteger());
        // The writer goes on until it wrote its lines and saw three rotations happen under it.
        if (rotations >= 3 && !QFileInfo::exists(stop))
            QVERIFY(writeFile(stop, {}));
    }
    QCOMPARE(writer.exitStatus(), QProcess::NormalExit);
    QCOMPARE(writer.exitCode(), 0);
    const qint64 count = writer.readAllStandardOutput().trimmed().toLongLong();
    QVERIFY2(count >= 30'000, qPrintable(QString::number(count)));
    QVERIFY(rotations >= 3);

    QList<qint64> numbers;
    QVERIFY(writerLines(log, &numbers, false));
    const qint64 wrong = firstWrongLine(numbers, count);
    qInfo("%lld lines of another process, %d rotations while it wrote", count, rotations);
    QVERIFY2(wrong < 0, qPrintable(QStringLiteral("%1 lines of %2 found, %3 rotations; line %4 is wrong")
                                       .arg(numbers.size())
                                       .arg(count)
                                       .arg(rotations)
                                       .arg(wrong)));
}

void TestHandlers::logRotateLosesNoLineOfThisProcess()
{
    // The same with a thread of this process writing through the log sink while this thread rotates.
    const QString log = m_env.logDir + QStringLiteral("/hcm-admin.log");
    const QtMessageHandler qtestHandler = qInstallMessageHandler(nullptr);
    qInstallMessageHandler(qtestHandler);
    const Status opened = LogSink::instance().open(log, false);
    QVERIFY2(opened.ok(), opened.ok() ? "" : qPrintable(opened.error().message));
    std::atomic<bool> stop{false};
    std::atomic<qint64> written{0};
    std::thread writer([&] {
        qint64 i = 0;
        for (; i < 30'000 || !stop.load(); ++i)
            qInfo("writer line %lld", i);
        written = i;
    });

    LogRotateHandler handler;
    const QJsonObject payload{{QStringLiteral("keep"), 1'000'000}};
    int rotations = 0;
    bool allOk = true;
    QString error;
    while (written.load() == 0) {
        const HandlerResult r = runHandler(handler, QStringLiteral("log_rotate"), payload, m_env);
        if (!r.ok && allOk) {
            allOk = false;
            error = r.error;
        }
        rotations += int(r.result.value(QStringLiteral("files_archived")).toInteger());
        if (rotations >= 3 || !allOk)
            stop = true;
    }
    writer.join();
    LogSink::instance().close();
    qInstallMessageHandler(qtestHandler);
    QVERIFY2(allOk, qPrintable(error));
    QVERIFY(rotations >= 3);

    // The handler's own log lines land in the same file: only the writer's lines are counted.
    QList<qint64> numbers;
    QVERIFY(writerLines(log, &numbers, true));
    const qint64 wrong = firstWrongLine(numbers, written.load());
    QVERIFY2(wrong < 0, qPrintable(QStringLiteral("%1 lines of %2 found, %3 rotations; line %4 is wrong")
                                       .arg(numbers.size())
                                       .arg(written.load())
                                       .arg(rotations)
                                       .arg(wrong)));
}

// ---- cleanup ----------------------------------------------------------------------------------------

void TestHandlers::cleanupJobs()
{
    m_env.clock = std::make_shared<ManualClock>(FixedNow);
    const DbConfig &c = m_env.db;
    const qint64 old = FixedNow - 40 * DayMs;
    const qint64 recent = FixedNow - 5 * DayMs;
    const qint64 oldCompleted = insertJob(c, QStringLiteral("completed"), old, old - 1000);
    const qint64 oldFailed = insertJob(c, QStringLiteral("failed"), old, old - 1000);
    const qint64 oldCancelled = insertJob(c, QStringLiteral("cancelled"), old, old - 1000);
    const qint64 recentCompleted = insertJob(c, QStringLiteral("completed"), recent, old);
    const qint64 oldQueued = insertJob(c, QStringLiteral("queued"), QVariant(), old);
    // Retried after failing long ago: queued again, its old completed_at must not matter.
    const qint64 retried = insertJob(c, QStringLiteral("queued"), old, old);
    const qint64 oldProcessing = insertJob(c, QStringLiteral("processing"), QVariant(), old);
    QVERIFY(insertAttempt(c, oldCompleted, 1, old, QStringLiteral("failed")));
    QVERIFY(insertAttempt(c, oldCompleted, 2, old, QStringLiteral("completed")));
    QVERIFY(insertAttempt(c, oldFailed, 1, old, QStringLiteral("failed")));
    QVERIFY(insertAttempt(c, recentCompleted, 1, old, QStringLiteral("failed")));
    QVERIFY(insertAttempt(c, recentCompleted, 2, recent, QStringLiteral("completed")));
    QVERIFY(insertAttempt(c, retried, 1, old, QStringLiteral("failed")));
    QVERIFY(insertAttempt(c, oldProcessing, 1, old, QStringLiteral("lost")));
    QVERIFY(insertCacheEntry(c, QStringLiteral("expired"), 10, FixedNow - 1));
    Q_UNUSED(oldCancelled)

    auto token = std::make_shared<CancellationToken>();
    CleanupHandler handler;
    const QJsonObject payload{{QStringLiteral("type"), QStringLiteral("jobs")},
                              {QStringLiteral("older_than_days"), 30}};
    const HandlerResult r = runHandler(handler, QStringLiteral("cleanup"), payload, m_env, token);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("older_than_days")).toInteger(), 30);
    QCOMPARE(r.result.value(QStringLiteral("cutoff")).toString(), isoUtc(FixedNow - 30 * DayMs));
    const QJsonObject deleted = r.result.value(QStringLiteral("deleted")).toObject();
    QCOMPARE(deleted.value(QStringLiteral("background_jobs")).toInteger(), 3);
    QCOMPARE(deleted.value(QStringLiteral("job_attempts")).toInteger(), 3);
    QCOMPARE(deleted.value(QStringLiteral("cache_entries")).toInteger(), 0);
    QCOMPARE(r.result.value(QStringLiteral("rows_deleted")).toInteger(), 6);
    QCOMPARE(token->progress(), 1.0);

    QCOMPARE(test::rowCount(c, QStringLiteral("background_jobs"),
                            QStringLiteral("id IN (%1, %2, %3, %4)")
                                .arg(recentCompleted)
                                .arg(oldQueued)
                                .arg(retried)
                                .arg(oldProcessing)),
             4);
    QCOMPARE(test::rowCount(c, QStringLiteral("background_jobs")), 4);
    QCOMPARE(test::rowCount(c, QStringLiteral("job_attempts")), 4);
    QCOMPARE(test::rowCount(c, QStringLiteral("cache_entries")), 1); // type "jobs" leaves the cache alone
}

void TestHandlers::cleanupAttempts()
{
    m_env.clock = std::make_shared<ManualClock>(FixedNow);
    const DbConfig &c = m_env.db;
    const qint64 old = FixedNow - 40 * DayMs;
    const qint64 recent = FixedNow - DayMs;
    const qint64 completed = insertJob(c, QStringLiteral("completed"), recent, old);
    const qint64 processing = insertJob(c, QStringLiteral("processing"), QVariant(), old);
    QVERIFY(insertAttempt(c, completed, 1, old, QStringLiteral("failed")));
    QVERIFY(insertAttempt(c, completed, 2, old + DayMs, QStringLiteral("failed")));
    QVERIFY(insertAttempt(c, completed, 3, recent, QStringLiteral("completed")));
    QVERIFY(insertAttempt(c, processing, 1, old, QStringLiteral("lost")));

    CleanupHandler handler;
    const QJsonObject payload{{QStringLiteral("type"), QStringLiteral("attempts")},
                              {QStringLiteral("older_than_days"), 7}};
    const HandlerResult r = runHandler(handler, QStringLiteral("cleanup"), payload, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    const QJsonObject deleted = r.result.value(QStringLiteral("deleted")).toObject();
    QCOMPARE(deleted.value(QStringLiteral("background_jobs")).toInteger(), 0);
    QCOMPARE(deleted.value(QStringLiteral("job_attempts")).toInteger(), 2);
    QCOMPARE(r.result.value(QStringLiteral("rows_deleted")).toInteger(), 2);
    QCOMPARE(test::rowCount(c, QStringLiteral("background_jobs")), 2);
    QCOMPARE(test::rowCount(c, QStringLiteral("job_attempts"), QStringLiteral("job_id = %1").arg(completed)),
             1);
    QCOMPARE(test::rowCount(c, QStringLiteral("job_attempts"), QStringLiteral("job_id = %1").arg(processing)),
             1);
}

// PostgreSQL has no foreign key from job_attempts (a job's row moves between job_queue and job_archive):
// attempts of a job deleted straight from its table go with the next cleanup once they are old enough.
void TestHandlers::cleanupAttemptsOfVanishedJobsOnPostgres()
{
    test::TempDatabase pg(DbConfig::Backend::Postgres);
    HCM_REQUIRE_BACKEND(pg);
    HandlerEnvironment env = m_env;
    env.db = pg.config();
    env.clock = std::make_shared<ManualClock>(FixedNow);
    const qint64 old = FixedNow - 40 * DayMs;
    const qint64 recent = FixedNow - DayMs;
    auto db = Database::connection(pg.config());
    QVERIFY(db.ok());
    QSqlQuery q(db.value());
    QVERIFY(q.exec(
        QStringLiteral("INSERT INTO background_jobs (id, job_type, status, payload, run_at, created_at, "
                       "completed_at, updated_at, created_by) VALUES "
                       "(1, 'cleanup', 'completed', '{}', %1, %1, %2, %2, 'test'), "
                       "(2, 'cleanup', 'completed', '{}', %1, %1, %2, %2, 'test')")
            .arg(old)
            .arg(recent)));
    for (const auto &[job, attempt, at] :
         {std::tuple{1, 1, old}, std::tuple{1, 2, recent}, std::tuple{2, 1, old}})
        QVERIFY(insertAttempt(pg.config(), job, attempt, at, QStringLiteral("failed")));
    QVERIFY(q.exec(QStringLiteral("DELETE FROM job_archive WHERE id = 1"))); // not through the view
    QCOMPARE(test::rowCount(pg.config(), QStringLiteral("job_attempts")), qint64(3));

    CleanupHandler handler;
    const QJsonObject payload{{QStringLiteral("type"), QStringLiteral("attempts")},
                              {QStringLiteral("older_than_days"), 7}};
    const HandlerResult r = runHandler(handler, QStringLiteral("cleanup"), payload, env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("deleted"))
                 .toObject()
                 .value(QStringLiteral("job_attempts"))
                 .toInteger(),
             2);
    // Left: the vanished job's recent attempt (younger than the retention).
    QCOMPARE(test::rowCount(pg.config(), QStringLiteral("job_attempts")), qint64(1));
    QCOMPARE(test::rowCount(pg.config(), QStringLiteral("job_attempts"),
                            QStringLiteral("job_id = 1 AND attempt = 2")),
             qint64(1));
}

void TestHandlers::cleanupCache()
{
    m_env.clock = std::make_shared<ManualClock>(FixedNow);
    const DbConfig &c = m_env.db;
    QVERIFY(insertCacheEntry(c, QStringLiteral("e1"), 1, FixedNow - 1));
    QVERIFY(insertCacheEntry(c, QStringLiteral("e2"), 1, FixedNow - 100 * DayMs));
    QVERIFY(insertCacheEntry(c, QStringLiteral("future"), 1, FixedNow + 1));
    QVERIFY(insertCacheEntry(c, QStringLiteral("forever"), 1, QVariant()));
    const qint64 job =
        insertJob(c, QStringLiteral("completed"), FixedNow - 100 * DayMs, FixedNow - 100 * DayMs);

    CleanupHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("cleanup"),
                                       {{QStringLiteral("type"), QStringLiteral("cache")}}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    const QJsonObject deleted = r.result.value(QStringLiteral("deleted")).toObject();
    QCOMPARE(deleted.value(QStringLiteral("cache_entries")).toInteger(), 2);
    QCOMPARE(deleted.value(QStringLiteral("background_jobs")).toInteger(), 0);
    QCOMPARE(r.result.value(QStringLiteral("rows_deleted")).toInteger(), 2);
    QCOMPARE(test::rowCount(c, QStringLiteral("cache_entries")), 2);
    QCOMPARE(test::rowCount(c, QStringLiteral("background_jobs"), QStringLiteral("id = %1").arg(job)), 1);
}

void TestHandlers::cleanupAllUsesRetentionSetting()
{
    m_env.clock = std::make_shared<ManualClock>(FixedNow);
    const DbConfig &c = m_env.db;
    QVERIFY(exec(c, QStringLiteral("UPDATE app_settings SET value = '10' WHERE key = 'retention_days'")));
    const qint64 d15 =
        insertJob(c, QStringLiteral("completed"), FixedNow - 15 * DayMs, FixedNow - 16 * DayMs);
    const qint64 d5 = insertJob(c, QStringLiteral("failed"), FixedNow - 5 * DayMs, FixedNow - 16 * DayMs);
    const qint64 d45 =
        insertJob(c, QStringLiteral("cancelled"), FixedNow - 45 * DayMs, FixedNow - 46 * DayMs);
    QVERIFY(insertAttempt(c, d15, 1, FixedNow - 15 * DayMs, QStringLiteral("completed")));
    QVERIFY(insertAttempt(c, d5, 1, FixedNow - 12 * DayMs, QStringLiteral("failed"))); // old attempt
    QVERIFY(insertAttempt(c, d5, 2, FixedNow - 5 * DayMs, QStringLiteral("failed")));
    QVERIFY(insertCacheEntry(c, QStringLiteral("expired"), 1, FixedNow - 1));

    CleanupHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("cleanup"), {}, m_env);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.result.value(QStringLiteral("older_than_days")).toInteger(), 10);
    QCOMPARE(r.result.value(QStringLiteral("cutoff")).toString(), isoUtc(FixedNow - 10 * DayMs));
    const QJsonObject deleted = r.result.value(QStringLiteral("deleted")).toObject();
    QCOMPARE(deleted.value(QStringLiteral("background_jobs")).toInteger(), 2); // d15, d45
    QCOMPARE(deleted.value(QStringLiteral("job_attempts")).toInteger(), 2);    // d15's, d5's first
    QCOMPARE(deleted.value(QStringLiteral("cache_entries")).toInteger(), 1);
    QCOMPARE(r.result.value(QStringLiteral("rows_deleted")).toInteger(), 5);
    QCOMPARE(test::rowCount(c, QStringLiteral("background_jobs")), 1);
    QCOMPARE(test::rowCount(c, QStringLiteral("background_jobs"), QStringLiteral("id = %1").arg(d5)), 1);
    QCOMPARE(test::rowCount(c, QStringLiteral("job_attempts")), 1);
    Q_UNUSED(d45)

    // Without the setting the retention is 30 days.
    QVERIFY(exec(c, QStringLiteral("DELETE FROM app_settings WHERE key = 'retention_days'")));
    const HandlerResult byDefault = runHandler(handler, QStringLiteral("cleanup"), {}, m_env);
    QVERIFY2(byDefault.ok, qPrintable(byDefault.error));
    QCOMPARE(byDefault.result.value(QStringLiteral("older_than_days")).toInteger(), 30);
    QCOMPARE(byDefault.result.value(QStringLiteral("rows_deleted")).toInteger(), 0);
}

void TestHandlers::cleanupStops()
{
    m_env.clock = std::make_shared<ManualClock>(FixedNow);
    const DbConfig &c = m_env.db;
    const qint64 job =
        insertJob(c, QStringLiteral("completed"), FixedNow - 90 * DayMs, FixedNow - 90 * DayMs);
    QVERIFY(insertAttempt(c, job, 1, FixedNow - 90 * DayMs, QStringLiteral("completed")));
    QVERIFY(insertCacheEntry(c, QStringLiteral("expired"), 1, FixedNow - 1));
    CleanupHandler handler;
    const HandlerResult r = runHandler(handler, QStringLiteral("cleanup"), {}, m_env, cancelledToken());
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QLatin1String("Stopped")), qPrintable(r.error));
    QCOMPARE(test::rowCount(c, QStringLiteral("background_jobs")), 1);
    QCOMPARE(test::rowCount(c, QStringLiteral("job_attempts")), 1);
    QCOMPARE(test::rowCount(c, QStringLiteral("cache_entries")), 1);
}

// ---- email_send -------------------------------------------------------------------------------------

void TestHandlers::emailSendFailsWithoutRetry()
{
    EmailSendHandler handler;
    const QJsonObject payload{{QStringLiteral("to"), QStringLiteral("admin@example.com")},
                              {QStringLiteral("subject"), QStringLiteral("Hello")}};
    const HandlerResult r = runHandler(handler, QStringLiteral("email_send"), payload, m_env);
    QVERIFY(!r.ok);
    QVERIFY(!r.retryable);
    QCOMPARE(
        r.error,
        QStringLiteral("Email delivery is not configured: set up SMTP in the notification settings first."));
}

namespace {

// The writer of logRotateLosesNoLineOfAnotherProcess: this program started again with
// HCM_TEST_LOG_WRITER=<log>. It appends numbered lines through the product's log sink until it wrote
// HCM_TEST_LOG_WRITER_LINES and the file HCM_TEST_LOG_WRITER_STOP exists, then prints how many.
int runLogWriter(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString log = qEnvironmentVariable("HCM_TEST_LOG_WRITER");
    const QString stop = qEnvironmentVariable("HCM_TEST_LOG_WRITER_STOP");
    const qint64 lines = qEnvironmentVariable("HCM_TEST_LOG_WRITER_LINES").toLongLong();
    if (!LogSink::instance().open(log, false).ok())
        return 2;
    qint64 i = 0;
    for (; i < 100 * lines; ++i) {
        qInfo("writer line %lld", i);
        if ((i + 1) % 500 == 0 && i + 1 >= lines && QFileInfo::exists(stop)) {
            ++i;
            break;
        }
    }
    LogSink::instance().close();
    std::printf("%lld\n", i);
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsSet("HCM_TEST_LOG_WRITER"))
        return runLogWriter(argc, argv);
    QCoreApplication app(argc, argv);
    TestHandlers test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "tst_handlers.moc"
