#include "benchcommon.h"

#include "db/database.h"
#include "jobs/jobservice.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QSqlQuery>
#include <QSysInfo>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace hcm::bench {

void note(const BenchOptions &options, const QString &text)
{
    if (!options.jsonOnly) {
        std::fprintf(stderr, "hcm-bench: %s\n", qPrintable(text));
        std::fflush(stderr);
    }
}

Result<std::unique_ptr<RunDatabase>> RunDatabase::create(const BenchOptions &options, const QString &label)
{
    const QString path = options.dbPath.isEmpty()
                             ? options.tempDir + QLatin1Char('/') + label + QLatin1String(".sqlite")
                             : options.dbPath;
    if (QFileInfo::exists(path)) {
        return Error{Error::Code::Conflict,
                     QStringLiteral("%1 already exists: hcm-bench creates (and afterwards removes) its own "
                                    "database file; give the path of a file that does not exist yet.")
                         .arg(path)};
    }
    std::unique_ptr<RunDatabase> db(new RunDatabase(DbConfig::sqlite(path)));
    if (auto st = Database::openAndMigrate(db->config()); !st)
        return st.error();
    auto conn = Database::connection(db->config());
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    if (!q.exec(QStringLiteral("PRAGMA journal_mode")) || !q.next())
        return Database::error(q.lastError(), QStringLiteral("reading the journal mode"));
    if (q.value(0).toString().compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0) {
        return Error{
            Error::Code::Database,
            QStringLiteral("%1 is not in WAL mode (journal_mode=%2): the file system may not support it.")
                .arg(path, q.value(0).toString())};
    }
    return db;
}

RunDatabase::~RunDatabase()
{
    Database::closeThreadConnections();
    for (const char *suffix : {"", "-wal", "-shm", "-journal"})
        QFile::remove(m_config.sqlitePath + QLatin1String(suffix));
}

Status RunDatabase::checkpoint() const
{
    auto conn = Database::connection(m_config);
    if (!conn)
        return conn.error();
    return Sql::exec(conn.value(), QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"),
                     QStringLiteral("checkpointing"));
}

QList<NewJob> noopJobs(qsizetype count, bool withTag)
{
    NewJob job;
    job.type = QStringLiteral("test.noop");
    if (withTag)
        job.payload.insert(QStringLiteral("tag"), QString());
    return QList<NewJob>(count, job);
}

Status insertNoopJobs(const DbConfig &config, qint64 count, int batch)
{
    JobService service{JobStore(config)};
    const Actor actor = Actor::system(QStringLiteral("hcm-bench"));
    const QList<NewJob> full = noopJobs(batch);
    for (qint64 done = 0; done < count;) {
        const qint64 n = qMin<qint64>(batch, count - done);
        auto ids = service.enqueueMany(n == batch ? full : noopJobs(n), actor);
        if (!ids)
            return ids.error();
        done += n;
    }
    return {};
}

Result<qint64> rowCount(const DbConfig &config, const QString &table, const QString &where)
{
    auto conn = Database::connection(config);
    if (!conn)
        return conn.error();
    QSqlQuery q(conn.value());
    QString sql = QStringLiteral("SELECT COUNT(*) FROM ") + table;
    if (!where.isEmpty())
        sql += QStringLiteral(" WHERE ") + where;
    if (!q.exec(sql) || !q.next())
        return Database::error(q.lastError(), QStringLiteral("counting rows of %1").arg(table));
    return q.value(0).toLongLong();
}

double median(std::vector<double> values)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double percentile(const std::vector<double> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * double(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double rounded(double value, int decimals)
{
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

QJsonArray toJsonArray(const std::vector<double> &values, int decimals)
{
    QJsonArray out;
    for (double v : values)
        out.append(rounded(v, decimals));
    return out;
}

double threadCpuSeconds()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

QJsonArray loadAverage()
{
    QFile file(QStringLiteral("/proc/loadavg"));
    QJsonArray out;
    if (!file.open(QIODevice::ReadOnly))
        return out;
    const QList<QByteArray> parts = file.readAll().split(' ');
    for (int i = 0; i < 3 && i < parts.size(); ++i)
        out.append(parts.at(i).toDouble());
    return out;
}

namespace {

QString cpuModel()
{
    QFile file(QStringLiteral("/proc/cpuinfo"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    while (!file.atEnd()) {
        const QByteArray line = file.readLine();
        if (line.startsWith("model name")) {
            const qsizetype colon = line.indexOf(':');
            return QString::fromUtf8(line.mid(colon + 1).trimmed());
        }
    }
    return {};
}

} // namespace

QJsonObject machineInfo(const DbConfig &anyDatabase)
{
    QJsonObject out;
    out.insert(QStringLiteral("nproc"), QThread::idealThreadCount());
    out.insert(QStringLiteral("cpu"), cpuModel());
    out.insert(QStringLiteral("os"), QSysInfo::prettyProductName());
    out.insert(QStringLiteral("kernel"), QSysInfo::kernelVersion());
    out.insert(QStringLiteral("qt_version"), QString::fromLatin1(qVersion()));
    if (auto conn = Database::connection(anyDatabase)) {
        QSqlQuery q(conn.value());
        if (q.exec(QStringLiteral("SELECT sqlite_version()")) && q.next())
            out.insert(QStringLiteral("sqlite_version"), q.value(0).toString());
    }
    out.insert(QStringLiteral("load_average"), loadAverage());
    return out;
}

static Result<qint64> rawClaim(QSqlDatabase d, QSqlQuery &claim, const QString &workerId, QList<qint64> &ids,
                               QList<int> &attemptNumbers)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (auto st = Sql::exec(d, QStringLiteral("BEGIN IMMEDIATE")); !st)
        return st.error();
    claim.addBindValue(workerId);
    claim.addBindValue(now);
    claim.addBindValue(now);
    claim.addBindValue(now + 30000);
    claim.addBindValue(now);
    claim.addBindValue(kRawBatch);
    if (auto st = Sql::exec(claim); !st)
        return st.error();
    ids.clear();
    attemptNumbers.clear();
    while (claim.next()) {
        ids.append(claim.value(0).toLongLong());
        attemptNumbers.append(claim.value(1).toInt());
    }
    claim.finish();
    if (auto st = Sql::exec(d, QStringLiteral("COMMIT")); !st)
        return st.error();
    return now;
}

Result<RawLoopRun> rawLoop(QSqlDatabase d, QSqlQuery &claim, const QString &workerId, qint64 jobs,
                           const std::function<Status(const QString &idList, qint64 done)> &complete)
{
    QSqlQuery attempt(d);
    if (auto st = Sql::prepare(
            attempt, QStringLiteral("INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, "
                                    "finished_at, outcome) VALUES (?, ?, ?, ?, ?, 'completed')"));
        !st)
        return st.error();
    QElapsedTimer timer;
    timer.start();
    QList<qint64> ids;
    QList<int> attemptNumbers;
    qint64 claimNs = 0;
    qint64 completeNs = 0;
    const double cpuStart = threadCpuSeconds();
    for (;;) {
        const qint64 t0 = timer.nsecsElapsed();
        const auto claimed = rawClaim(d, claim, workerId, ids, attemptNumbers);
        if (!claimed)
            return claimed.error();
        const qint64 t1 = timer.nsecsElapsed();
        claimNs += t1 - t0;
        if (ids.isEmpty())
            break;

        const qint64 done = QDateTime::currentMSecsSinceEpoch();
        if (auto st = Sql::exec(d, QStringLiteral("BEGIN IMMEDIATE")); !st)
            return st.error();
        if (auto st = complete(Sql::idList(ids), done); !st)
            return st.error();
        for (qsizetype i = 0; i < ids.size(); ++i) {
            attempt.addBindValue(ids.at(i));
            attempt.addBindValue(attemptNumbers.at(i));
            attempt.addBindValue(workerId);
            attempt.addBindValue(claimed.value());
            attempt.addBindValue(done);
            if (auto st = Sql::exec(attempt); !st)
                return st.error();
        }
        if (auto st = Sql::exec(d, QStringLiteral("COMMIT")); !st)
            return st.error();
        completeNs += timer.nsecsElapsed() - t1;
    }
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    const double cpuUs = (threadCpuSeconds() - cpuStart) * 1e6 / double(jobs);
    return RawLoopRun{double(jobs) / seconds, double(claimNs) / 1e3 / double(jobs),
                      double(completeNs) / 1e3 / double(jobs), cpuUs};
}

} // namespace hcm::bench
