#include "testutil.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobstatsstore.h"
#include "jobs/jobstore.h"
#include "jobs/jobtypes.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QSettings>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QtTest>

namespace hcm::test {

namespace {

const QString kNoServer = QStringLiteral(
    "PostgreSQL rows need a server: set PGHOST/PGPORT/PGUSER/PGPASSWORD (scripts/test.sh runs the suite "
    "inside pg_virtualenv, which sets them)");

} // namespace

TempDatabase::TempDatabase()
    : TempDatabase(DbConfig::Backend::Sqlite)
{}

TempDatabase::TempDatabase(const QString &backendName)
    : TempDatabase(backendName == QLatin1String("postgresql") ? DbConfig::Backend::Postgres
                                                              : DbConfig::Backend::Sqlite)
{}

TempDatabase::TempDatabase(DbConfig::Backend backend)
    : m_config(DbConfig::sqlite(m_dir.path() + QStringLiteral("/test.sqlite")))
{
    if (backend == DbConfig::Backend::Postgres) {
        if (!postgresConfigured()) {
            m_skipReason = kNoServer;
            return;
        }
        createPostgres();
        if (!m_valid)
            return;
    }
    const Status st = Database::openAndMigrate(m_config);
    m_valid = st.ok();
    if (!m_valid)
        qWarning("cannot create the test database: %s", qPrintable(st.error().message));
}

void TempDatabase::createPostgres()
{
    const QString name = QStringLiteral("hcm_test_%1").arg(QRandomGenerator::system()->generate64(), 0, 36);
    QString error;
    if (!postgresAdmin(QStringLiteral("CREATE DATABASE %1").arg(name), &error)) {
        qWarning("cannot create the PostgreSQL test database: %s", qPrintable(error));
        m_valid = false;
        return;
    }
    m_config = DbConfig::postgresFromEnvironment(name);
    m_valid = true;
}

TempDatabase::~TempDatabase()
{
    Database::closeThreadConnections();
    if (m_config.isPostgres() && m_valid) {
        QString error;
        // FORCE: a worker process or a listener thread may still hold a connection.
        if (!postgresAdmin(
                QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(m_config.databaseName), &error))
            qWarning("cannot drop %s: %s", qPrintable(m_config.databaseName), qPrintable(error));
    }
}

bool TempDatabase::postgresConfigured()
{
    return !qEnvironmentVariableIsEmpty("PGHOST") || !qEnvironmentVariableIsEmpty("PGPORT");
}

bool TempDatabase::postgresRequired()
{
    return qEnvironmentVariableIntValue("HCM_TEST_REQUIRE_POSTGRES") == 1;
}

void addBackendRows()
{
    QTest::addColumn<QString>("backend");
    QTest::newRow("sqlite") << QStringLiteral("sqlite");
    QTest::newRow("postgresql") << QStringLiteral("postgresql");
}

QJsonObject readJsonFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
}

HttpRecorder::~HttpRecorder()
{
    stop();
}

bool HttpRecorder::start(const QString &dir, const QString &certFile, const QString &keyFile)
{
    stop();
    m_dir = dir;
    if (!QDir().mkpath(dir))
        return false;
    m_process = new QProcess;
    m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process->start(
        QStringLiteral("/usr/bin/python3"),
        {QStringLiteral(HCM_SOURCE_DIR "/tests/servers/http_recorder.py"), dir, certFile, keyFile});
    if (!m_process->waitForStarted(10000))
        return false;
    while (!m_process->canReadLine() && m_process->state() == QProcess::Running)
        m_process->waitForReadyRead(30000);
    const QString ready = QString::fromUtf8(m_process->readLine()).trimmed();
    if (!ready.startsWith(QLatin1String("READY port=")))
        return false;
    m_port = ready.section(QLatin1Char('='), 1).toInt();
    return m_port > 0;
}

void HttpRecorder::stop()
{
    if (!m_process)
        return;
    m_process->closeWriteChannel(); // it stops when its stdin closes
    if (!m_process->waitForFinished(5000)) {
        m_process->kill();
        m_process->waitForFinished();
    }
    delete m_process;
    m_process = nullptr;
    m_port = 0;
}

QString HttpRecorder::baseUrl() const
{
    return QStringLiteral("https://127.0.0.1:%1").arg(m_port);
}

int HttpRecorder::requestCount() const
{
    return int(QDir(m_dir).entryList({QStringLiteral("req-*.json")}, QDir::Files).size());
}

QJsonObject HttpRecorder::waitForRequest(int n) const
{
    const QString path = m_dir + QStringLiteral("/req-%1.json").arg(n);
    (void)QTest::qWaitFor([&] { return QFile::exists(path); }, 30000); // an empty object when it does not
    return readJsonFile(path);
}

void HttpRecorder::respond(const QString &path, int status, const QString &body,
                           const QString &contentType) const
{
    const QString file = m_dir + QStringLiteral("/responses.json");
    QJsonObject all = readJsonFile(file);
    all.insert(path, QJsonObject{{QStringLiteral("status"), status},
                                 {QStringLiteral("body"), body},
                                 {QStringLiteral("content_type"), contentType}});
    QSaveFile f(file); // replaced at once: the server may read it for a request at any moment
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(all).toJson());
    QVERIFY(f.commit());
}

void HttpRecorder::clearResponses() const
{
    QFile::remove(m_dir + QStringLiteral("/responses.json"));
}

bool postgresAdmin(const QString &statement, QString *error)
{
    const QString name = QStringLiteral("hcm-test-admin");
    bool ok = false;
    {
        auto db = Database::open(DbConfig::postgresFromEnvironment(), name);
        if (!db) {
            if (error)
                *error = db.error().message;
        } else {
            QSqlQuery q(db.value());
            ok = q.exec(statement);
            if (!ok && error)
                *error = q.lastError().text();
            q.clear();
            db.value().close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

QString programPath(const QString &name)
{
    const QString dir = qEnvironmentVariable("HCM_BIN_DIR", QStringLiteral(HCM_BINARY_DIR "/app"));
    return dir + QLatin1Char('/') + name;
}

QByteArray ProgramRun::describe() const
{
    return QStringLiteral("exit %1\n--- stdout:\n%2\n--- stderr:\n%3").arg(code).arg(out, err).toUtf8();
}

ProgramRun runProcess(const QString &program, const QStringList &args, const QProcessEnvironment &env,
                      const QByteArray &input, int timeoutMs)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    ProgramRun r;
    if (!p.waitForStarted(10000)) {
        r.err = p.errorString();
        return r;
    }
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    r.crashed = p.exitStatus() != QProcess::NormalExit;
    r.code = r.crashed ? -1 : p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

ProgramRun runHcmctl(const TempDatabase &db, const QStringList &args, const QByteArray &input,
                     const QProcessEnvironment &env)
{
    return runProcess(programPath(QStringLiteral("hcmctl")),
                      QStringList{QStringLiteral("--db"), db.spec()} + args, env, input);
}

QString screenshotPath(const QString &fileName)
{
    const QString dir =
        qEnvironmentVariable("HCM_SCREENSHOT_DIR", QStringLiteral(HCM_BINARY_DIR "/screenshots"));
    QDir().mkpath(dir);
    return dir + QLatin1Char('/') + fileName;
}

Result<qint64> fillScreenshotQueue(const DbConfig &config, const Actor &actor)
{
    JobTypeCatalog::enableTestTypes(); // the running job is a test.sleep
    JobStore store(config);
    JobService service{store};
    std::optional<Error> failed;
    const auto add = [&](const QString &type, JobPriority p, QJsonObject payload = {},
                         std::optional<qint64> at = {}) -> qint64 {
        auto id = service.enqueue(NewJob{type, p, payload, 3, at}, actor);
        if (!id) {
            failed = id.error();
            return 0;
        }
        return id.value();
    };
    for (int i = 0; i < 14; ++i)
        add(QStringLiteral("cache_flush"), JobPriority::Normal,
            {{QStringLiteral("action"), QStringLiteral("expired")}});
    for (int i = 0; i < 4; ++i)
        add(QStringLiteral("db_optimize"), JobPriority::Low);
    const qint64 failing = add(QStringLiteral("email_send"), JobPriority::High,
                               {{QStringLiteral("to"), QStringLiteral("hr@example.com")},
                                {QStringLiteral("subject"), QStringLiteral("Payroll export")}});
    const qint64 sleeping =
        add(QStringLiteral("test.sleep"), JobPriority::Critical, {{QStringLiteral("ms"), 600'000}});
    add(QStringLiteral("log_rotate"), JobPriority::Normal, {{QStringLiteral("keep"), 5}},
        Clock::system()->nowMs() + 45 * 60'000);
    add(QStringLiteral("cleanup"), JobPriority::Low, {{QStringLiteral("type"), QStringLiteral("all")}},
        Clock::system()->nowMs() + 20 * 60'000);
    if (failed)
        return *failed;
    // Run most of them for real, leave a failure retrying and one running.
    const QStringList types{QStringLiteral("cache_flush"), QStringLiteral("db_optimize"),
                            QStringLiteral("email_send"), QStringLiteral("test.sleep")};
    const QString worker = QStringLiteral("hcm-worker@app01:4211");
    auto claimed = store.claim(worker, 100, 600'000, types);
    if (!claimed)
        return claimed.error();
    QList<JobOutcome> outcomes;
    for (const auto &c : claimed.value()) {
        if (c.id == sleeping)
            continue;
        JobOutcome o;
        o.id = c.id;
        o.attempt = c.attempt;
        if (c.id == failing) {
            o.kind = JobOutcome::Kind::Failed;
            o.error = QStringLiteral("SMTP server smtp.example.com refused the connection (port 587)");
        } else {
            o.result = {{QStringLiteral("items_cleared"), 12}};
        }
        outcomes << o;
    }
    if (auto finished = store.finish(worker, outcomes); !finished)
        return finished.error();
    if (auto st = store.registerWorker(
            WorkerInfo{worker, QStringLiteral("app01"), 4211, 0, 0, 4, 1, QStringLiteral(HCM_VERSION), 0});
        !st)
        return st.error();
    return failing;
}

void initGuiSuite(const QString &suite)
{
    QCoreApplication::setOrganizationName(QStringLiteral("hcm-tests"));
    QCoreApplication::setApplicationName(suite);
    QSettings().clear();
    (void)QSqlDatabase::drivers();
}

void settleLayout()
{
    for (int i = 0; i < 3; ++i) {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
        QCoreApplication::processEvents();
    }
}

bool execSql(const DbConfig &config, const QString &sql, QString *error)
{
    auto db = Database::connection(config);
    if (!db) {
        if (error)
            *error = db.error().message;
        return false;
    }
    QSqlQuery q(db.value());
    if (q.exec(sql))
        return true;
    if (error)
        *error = q.lastError().text();
    else
        qWarning("%s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
    return false;
}

qint64 rowCount(const DbConfig &config, const QString &table, const QString &where)
{
    // A server restart (chaos test) breaks the connection once: the second try reconnects.
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto db = Database::connection(config);
        if (!db)
            continue;
        QSqlQuery q(db.value());
        if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM ") + table +
                    (where.isEmpty() ? QString() : QStringLiteral(" WHERE ") + where)) ||
            !q.next()) {
            Database::error(q.lastError()); // marks a lost connection for reopening
            continue;
        }
        return q.value(0).toLongLong();
    }
    return -1;
}

QString countsMismatch(const DbConfig &config)
{
    auto db = Database::connection(config);
    if (!db)
        return db.error().message;
    // Rows per (status, type) by GROUP BY; "" stands for every type.
    QMap<QPair<QString, QString>, qint64> rows;
    QSet<QString> types;
    QSqlQuery q(db.value());
    if (!q.exec(QStringLiteral(
            "SELECT status, job_type, COUNT(*) FROM background_jobs GROUP BY status, job_type")))
        return q.lastError().text();
    while (q.next()) {
        rows[{q.value(0).toString(), QString()}] += q.value(2).toLongLong();
        rows[{q.value(0).toString(), q.value(1).toString()}] += q.value(2).toLongLong();
        types.insert(q.value(1).toString());
    }
    if (config.isPostgres()) {
        // Types the counters still name (a count left over for a type with no rows is a difference too).
        if (!q.exec(QStringLiteral("SELECT DISTINCT job_type FROM job_counts")))
            return q.lastError().text();
        while (q.next())
            types.insert(q.value(0).toString());
    }
    QStringList out;
    const JobStatsStore stats(config);
    QStringList checked{QString()};
    if (config.isPostgres())
        checked += QStringList(types.begin(), types.end());
    for (const QString &type : std::as_const(checked)) {
        auto maintained = stats.maintainedCounts(type);
        if (!maintained)
            return maintained.error().message;
        if (!maintained->has_value())
            return QStringLiteral("no maintained counts");
        for (int s = 0; s < kJobStatusCount; ++s) {
            const QString status = toString(JobStatus(s));
            const qint64 counted = rows.value({status, type});
            const qint64 kept = maintained->value().at(size_t(s));
            if (counted != kept)
                out.append(QStringLiteral("%1/%2: maintained %3, rows %4")
                               .arg(status, type.isEmpty() ? QStringLiteral("*") : type)
                               .arg(kept)
                               .arg(counted));
        }
    }
    if (config.isPostgres()) {
        // Completions per minute of the last day (job_minute_counts) against the archive's rows; the
        // first minute is left out (a day ago is a moving edge).
        const QString since = QStringLiteral("(((extract(epoch FROM statement_timestamp()) * 1000)::bigint - "
                                             "86400000) / 60000 + 1)");
        if (!q.exec(QStringLiteral(
                        "SELECT minute, status, COALESCE(kept, 0), COALESCE(counted, 0) FROM "
                        "(SELECT minute, status, SUM(n) AS kept FROM job_minute_counts WHERE minute >= "
                        "%1 GROUP BY 1, 2) AS c FULL JOIN (SELECT completed_at / 60000 AS minute, "
                        "status, COUNT(*) AS counted FROM job_archive WHERE status IN ('completed', "
                        "'failed') AND completed_at >= %1 * 60000 GROUP BY 1, 2) AS r "
                        "USING (minute, status) WHERE COALESCE(kept, 0) <> COALESCE(counted, 0)")
                        .arg(since)))
            return q.lastError().text();
        while (q.next())
            out.append(QStringLiteral("minute %1 %2: maintained %3, rows %4")
                           .arg(q.value(0).toLongLong())
                           .arg(q.value(1).toString())
                           .arg(q.value(2).toLongLong())
                           .arg(q.value(3).toLongLong()));
    }
    return out.join(QLatin1String("; "));
}

QString snapshot(const DbConfig &config)
{
    auto db = Database::connection(config);
    if (!db)
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const QString &table : {QStringLiteral("background_jobs"), QStringLiteral("job_attempts")}) {
        QSqlQuery q(db.value());
        q.exec(QStringLiteral("SELECT * FROM %1 ORDER BY 1, 2").arg(table));
        while (q.next()) {
            for (int i = 0; i < q.record().count(); ++i)
                hash.addData(QByteArray(q.value(i).toString().toUtf8() + '\x1f'));
            hash.addData(QByteArrayView("\n"));
        }
    }
    return QString::fromLatin1(hash.result().toHex());
}

} // namespace hcm::test
