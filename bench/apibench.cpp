// api: job creation over HTTP (POST /api/system/background-jobs on a running hcm-worker --api, keep-alive
// connections) beside JobService::enqueue in this process, one job per transaction, in the same run.
// measureApi is the whole run on any backend: api (SQLite, here) and pg-api (pgbench.cpp) supply the
// fresh databases.

#include "benchcommon.h"

#include "api/tokenstore.h"
#include "auth/userstore.h"
#include "db/database.h"
#include "jobs/jobservice.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <deque>
#include <unordered_map>

#include <ctime>
#include <sys/resource.h>
#include <unistd.h>

namespace hcm::bench {

namespace {

// One keep-alive connection that sends a request and reads its answer, one at a time.
class Client final : public QObject {
public:
    Client(quint16 port, QByteArray request, std::function<void(Client *, bool ok)> done)
        : m_request(std::move(request))
        , m_done(std::move(done))
    {
        connect(&m_socket, &QTcpSocket::readyRead, this, [this] { read(); });
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        m_socket.waitForConnected(5000);
    }
    bool busy() const { return m_busy; }
    void send()
    {
        m_busy = true;
        m_socket.write(m_request);
    }

private:
    void read()
    {
        m_buffer += m_socket.readAll();
        for (;;) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            static const QRegularExpression lengthRe(QStringLiteral("(?i)content-length:\\s*(\\d+)"));
            const auto m = lengthRe.match(QString::fromLatin1(m_buffer.left(end)));
            const qsizetype length = m.hasMatch() ? m.captured(1).toLongLong() : 0;
            if (m_buffer.size() < end + 4 + length)
                return;
            const bool ok = m_buffer.startsWith("HTTP/1.1 201");
            m_buffer.remove(0, end + 4 + length);
            m_busy = false;
            m_done(this, ok);
        }
    }

    QTcpSocket m_socket;
    QByteArray m_request;
    QByteArray m_buffer;
    bool m_busy = false;
    std::function<void(Client *, bool)> m_done;
};

QString workerProgram()
{
    const QString dir = QCoreApplication::applicationDirPath();
    for (const QString &candidate :
         QStringList{dir + QStringLiteral("/../app/hcm-worker"), dir + QStringLiteral("/hcm-worker")})
        if (QFileInfo(candidate).isExecutable())
            return candidate;
    return QStringLiteral("hcm-worker");
}

struct Phase {
    double seconds = 0;
    qint64 failures = 0;
    std::vector<double> latenciesMs;
};

// Sends `total` requests over `clients`: as fast as they are answered (rate 0), or `rate` per second
// (latency counted from the moment each request was due, so a queue behind a slow answer counts).
Phase drive(std::vector<std::unique_ptr<Client>> &clients, qint64 total, double rate,
            std::function<void(Client *, bool)> *hook)
{
    Phase phase;
    std::deque<qint64> due; // due times (ns) of requests not yet sent
    std::unordered_map<Client *, qint64> sentAt;
    qint64 issued = 0;
    qint64 answered = 0;
    QElapsedTimer clock;
    QEventLoop loop;
    const auto dispatch = [&] {
        for (auto &c : clients) {
            if (due.empty())
                return;
            if (!c->busy()) {
                // Paced: from the moment the request was due; as fast as answered: from its sending.
                sentAt[c.get()] = rate > 0 ? due.front() : clock.nsecsElapsed();
                due.pop_front();
                c->send();
            }
        }
    };
    *hook = [&](Client *c, bool ok) {
        phase.latenciesMs.push_back(double(clock.nsecsElapsed() - sentAt[c]) / 1e6);
        if (!ok)
            ++phase.failures;
        if (++answered == total)
            loop.quit();
        dispatch();
    };
    QTimer pacer;
    pacer.setTimerType(Qt::PreciseTimer);
    pacer.setInterval(1);
    const auto tick = [&] {
        const qint64 now = clock.nsecsElapsed();
        const qint64 target = rate > 0 ? qMin<qint64>(total, qint64(double(now) / 1e9 * rate) + 1) : total;
        while (issued < target) {
            due.push_back(rate > 0 ? qint64(double(issued) / rate * 1e9) : now);
            ++issued;
        }
        dispatch();
        if (issued == total)
            pacer.stop();
    };
    QObject::connect(&pacer, &QTimer::timeout, tick);
    clock.start();
    pacer.start();
    QTimer::singleShot(0, &loop, tick);
    loop.exec();
    phase.seconds = double(clock.nsecsElapsed()) / 1e9;
    return phase;
}

// CPU seconds (user + system, all threads) a process has used so far: this process, or another by pid
// (/proc/PID/stat). The CPU a job costs does not depend on what else the machine runs, the wall clock does.
double cpuSeconds(qint64 pid = 0)
{
    if (pid == 0) {
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    }
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray text = file.readAll();
    // After "(comm) ": state is field 3, utime 14 and stime 15 (man 5 proc).
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    return double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) / double(sysconf(_SC_CLK_TCK));
}

QJsonObject latencyJson(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return QJsonObject{{QStringLiteral("p50"), rounded(percentile(values, 50), 2)},
                       {QStringLiteral("p99"), rounded(percentile(values, 99), 2)},
                       {QStringLiteral("max"), rounded(values.empty() ? 0 : values.back(), 2)}};
}

} // namespace

Result<QJsonObject> runApi(const BenchOptions &options)
{
    return measureApi(options, QStringLiteral("api"), [&](const QString &label) -> Result<FreshDatabase> {
        auto db = RunDatabase::create(options, label);
        if (!db)
            return db.error();
        const DbConfig config = (*db)->config();
        return FreshDatabase{config, std::shared_ptr<RunDatabase>(std::move(db).value())};
    });
}

Result<QJsonObject> measureApi(const BenchOptions &options, const QString &mode,
                               const FreshDatabaseFactory &fresh)
{
    const qint64 jobs = options.jobs > 0 ? options.jobs : 5000;
    const int connections = options.connections;

    // In process: JobService::enqueue, one job per transaction, on a fresh database.
    double inProcessRate = 0;
    double inProcessCpuUs = 0; // CPU per job
    {
        auto db = fresh(QStringLiteral("api-inprocess"));
        if (!db)
            return db.error();
        JobService service{JobStore(db->config)};
        const Actor actor = Actor::system(QStringLiteral("hcm-bench"));
        const NewJob job = noopJobs(1).first();
        QElapsedTimer timer;
        timer.start();
        const double cpuBefore = threadCpuSeconds();
        for (qint64 i = 0; i < jobs; ++i)
            if (auto id = service.enqueue(job, actor); !id)
                return id.error();
        inProcessRate = double(jobs) / (double(timer.nsecsElapsed()) / 1e9);
        inProcessCpuUs = (threadCpuSeconds() - cpuBefore) * 1e6 / double(jobs);
        note(options, QStringLiteral("in process: %1 jobs/s").arg(inProcessRate, 0, 'f', 0));
    }

    // Over HTTP: an hcm-worker serving the API only, on its own fresh database.
    auto db = fresh(QStringLiteral("api-http"));
    if (!db)
        return db.error();
    const DbConfig &config = db->config;
    if (config.isPostgres()) {
        // On PostgreSQL a user is a login of the server (shared by the cluster's databases): the
        // bench's user is created once and kept, like the group roles of the migrations.
        auto conn = Database::connection(config);
        if (!conn)
            return conn.error();
        if (auto st = Sql::exec(conn.value(),
                                QStringLiteral("DO $$ BEGIN CREATE ROLE \"hcm-bench\" LOGIN; EXCEPTION WHEN "
                                               "duplicate_object THEN NULL; END $$"),
                                QStringLiteral("creating the login hcm-bench"));
            !st)
            return st.error();
    }
    if (auto user =
            UserService(config).add(QStringLiteral("hcm-bench"), Role::Operator, QStringLiteral("hcm-bench"),
                                    Actor::system(QStringLiteral("hcm-bench")));
        !user)
        return user.error();
    auto token = ApiTokenStore(config).create(QStringLiteral("hcm-bench"), QStringLiteral("hcm-bench api"), 0,
                                              Actor::system(QStringLiteral("hcm-bench")), 1000000);
    if (!token)
        return token.error();
    // The server's log: beside the SQLite files, or in a folder of its own (PostgreSQL runs have none).
    QTemporaryDir ownLogDir;
    const QString logDir = !options.tempDir.isEmpty()  ? options.tempDir
                           : !options.dbPath.isEmpty() ? QFileInfo(options.dbPath).absolutePath()
                                                       : ownLogDir.path();
    QProcess server;
    server.setProgram(workerProgram());
    server.setArguments({QStringLiteral("--db"), config.spec(), QStringLiteral("--api"),
                         QStringLiteral("127.0.0.1:0"), QStringLiteral("--concurrency"), QStringLiteral("0"),
                         QStringLiteral("--enable-test-job-types"), QStringLiteral("--api-threads"),
                         QString::number(options.apiThreads), QStringLiteral("--log-dir"), logDir});
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    server.start();
    quint16 port = 0;
    QByteArray out;
    QElapsedTimer wait;
    wait.start();
    static const QRegularExpression re(QStringLiteral("API listening on http://[0-9.]+:(\\d+)"));
    while (port == 0 && wait.elapsed() < 30'000 && server.state() != QProcess::NotRunning) {
        server.waitForReadyRead(200);
        out += server.readAllStandardOutput();
        if (const auto m = re.match(QString::fromUtf8(out)); m.hasMatch())
            port = m.captured(1).toUShort();
    }
    if (port == 0)
        return Error{Error::Code::Io,
                     QStringLiteral("hcm-worker --api did not start (%1).").arg(server.program())};

    const QByteArray body = R"({"job_type":"test.noop","payload":{}})";
    const QByteArray request =
        "POST /api/system/background-jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
        token->token.toLatin1() +
        "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
        "\r\n\r\n" + body;
    std::function<void(Client *, bool)> hook;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < connections; ++i)
        clients.push_back(
            std::make_unique<Client>(port, request, [&hook](Client *c, bool ok) { hook(c, ok); }));

    const double serverCpuBefore = cpuSeconds(server.processId());
    const double clientCpuBefore = cpuSeconds();
    const Phase fast = drive(clients, jobs, 0, &hook);
    const double apiRate = double(jobs) / fast.seconds;
    const double serverCpuUs = (cpuSeconds(server.processId()) - serverCpuBefore) * 1e6 / double(jobs);
    const double clientCpuUs = (cpuSeconds() - clientCpuBefore) * 1e6 / double(jobs);
    note(options,
         QStringLiteral("over HTTP, %1 connections: %2 jobs/s").arg(connections).arg(apiRate, 0, 'f', 0));
    const qint64 pacedJobs = 5000;
    const Phase paced = drive(clients, pacedJobs, 1000, &hook);
    note(options, QStringLiteral("over HTTP at 1000 requests/s: p99 %1 ms")
                      .arg(latencyJson(paced.latenciesMs).value(QStringLiteral("p99")).toDouble()));
    clients.clear();
    server.terminate();
    server.waitForFinished(30'000);

    auto stored = rowCount(config, QStringLiteral("background_jobs"));
    if (!stored)
        return stored.error();
    return QJsonObject{
        {QStringLiteral("mode"), mode},
        {QStringLiteral("jobs"), jobs},
        {QStringLiteral("connections"), connections},
        {QStringLiteral("in_process_jobs_per_s"), rounded(inProcessRate, 0)},
        {QStringLiteral("api_jobs_per_s"), rounded(apiRate, 0)},
        {QStringLiteral("api_to_in_process"), rounded(apiRate / inProcessRate, 2)},
        {QStringLiteral("api_latency_ms"), latencyJson(fast.latenciesMs)},
        {QStringLiteral("cpu_us_per_job"),
         QJsonObject{{QStringLiteral("in_process"), rounded(inProcessCpuUs, 1)},
                     {QStringLiteral("http_server"), rounded(serverCpuUs, 1)},
                     {QStringLiteral("http_client"), rounded(clientCpuUs, 1)}}},
        {QStringLiteral("paced_1000_per_s"),
         QJsonObject{{QStringLiteral("requests"), pacedJobs},
                     {QStringLiteral("achieved_per_s"), rounded(double(pacedJobs) / paced.seconds, 0)},
                     {QStringLiteral("latency_ms"), latencyJson(paced.latenciesMs)},
                     {QStringLiteral("failures"), paced.failures}}},
        {QStringLiteral("failures"), fast.failures},
        {QStringLiteral("jobs_stored"), stored.value()},
        {QStringLiteral("load_average_at_end"), loadAverage()},
    };
}

} // namespace hcm::bench
