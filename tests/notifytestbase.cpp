#include "notifytestbase.h"

#include "common/logsink.h"
#include "jobs/jobtypes.h"
#include "settings/notificationsettingsstore.h"
#include "worker/notify/jobalerts.h"

#include <QDir>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QtTest>

namespace hcm::test {

using namespace notify;

QProcess *NotifyTestBase::startServer(const QStringList &args, QString &readyLine)
{
    auto *p = new QProcess(this);
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start(QStringLiteral("/usr/bin/python3"), args);
    m_servers.append(p);
    if (!p->waitForStarted(10000))
        return nullptr;
    while (!p->canReadLine() && p->state() == QProcess::Running)
        p->waitForReadyRead(30000);
    readyLine = QString::fromUtf8(p->readLine()).trimmed();
    return readyLine.startsWith(QLatin1String("READY")) ? p : nullptr;
}

void NotifyTestBase::initTestCase()
{
    JobTypeCatalog::enableTestTypes();
    // The loopback recorder stands in for Twilio and Slack: its address is none of theirs.
    qputenv("HCM_ALLOW_CUSTOM_PROVIDER_URL", "1");
    QVERIFY(m_tmp.isValid());
    m_smtpDir = m_tmp.filePath(QStringLiteral("smtp"));
    QVERIFY(QDir().mkpath(m_smtpDir));
    const QString servers = QStringLiteral(HCM_SOURCE_DIR "/tests/servers/");

    QString ready;
    QVERIFY2(startServer({servers + QStringLiteral("smtp_server.py"), m_smtpDir, kUser, kPassword}, ready),
             "aiosmtpd did not start (is python3-aiosmtpd installed for /usr/bin/python3?)");
    static const QRegularExpression smtpRe(QStringLiteral("starttls=(\\d+) tls=(\\d+) ca=(\\S+)"));
    const auto m = smtpRe.match(ready);
    QVERIFY2(m.hasMatch(), qPrintable(ready));
    m_startTlsPort = m.captured(1).toInt();
    m_tlsPort = m.captured(2).toInt();
    m_caFile = m.captured(3);

    QVERIFY2(m_http.start(m_tmp.filePath(QStringLiteral("http")), m_caFile,
                          m_smtpDir + QStringLiteral("/key.pem")),
             "the HTTPS recorder did not start");

    // Accepts connections (the kernel does) and never says a word.
    QVERIFY(m_silent.listen(QHostAddress::LocalHost));

    // Everything the program logs goes to a file the secrets test searches; debug output included.
    m_logFile = m_tmp.filePath(QStringLiteral("notify.log"));
    QLoggingCategory::setFilterRules(QStringLiteral("hcm.*.debug=true"));
    QVERIFY(LogSink::instance().open(m_logFile, false));
}

void NotifyTestBase::cleanupTestCase()
{
    LogSink::instance().close();
    m_http.stop();
    for (QProcess *p : std::as_const(m_servers)) {
        p->closeWriteChannel();
        if (!p->waitForFinished(5000)) {
            p->kill();
            p->waitForFinished();
        }
    }
}

void NotifyTestBase::init()
{
    m_db = std::make_unique<test::TempDatabase>();
    QVERIFY(m_db->isValid());
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(m_db->dir() + QStringLiteral("/secret.key")));
    m_http.clearResponses();
}

void NotifyTestBase::cleanup()
{
    m_db.reset();
}

SmtpConfig NotifyTestBase::smtpConfig(bool implicitTls) const
{
    SmtpConfig c;
    c.host = QStringLiteral("127.0.0.1");
    c.port = implicitTls ? m_tlsPort : m_startTlsPort;
    c.security = implicitTls ? SmtpSecurity::Tls : SmtpSecurity::StartTls;
    c.username = kUser;
    c.password = kPassword;
    c.fromAddress = QStringLiteral("hcm@example.com");
    c.fromName = QStringLiteral("HCM Ädmin");
    c.replyTo = QStringLiteral("ops@example.com");
    c.options = trusted();
    return c;
}

ChannelOptions NotifyTestBase::trusted() const
{
    ChannelOptions o;
    o.caFile = m_caFile;
    o.connectTimeoutMs = 10000;
    o.totalTimeoutMs = 30000;
    return o;
}

QString NotifyTestBase::webhookUrl(const QString &path) const
{
    return m_http.baseUrl() + path;
}

int NotifyTestBase::messageCount() const
{
    return int(QDir(m_smtpDir).entryList({QStringLiteral("msg-*.json")}, QDir::Files).size());
}

QJsonObject NotifyTestBase::waitForMessage(int n, QByteArray *raw)
{
    const QString base = m_smtpDir + QStringLiteral("/msg-%1").arg(n);
    (void)QTest::qWaitFor([&] { return QFile::exists(base + QStringLiteral(".json")); }, 30000);
    if (raw) {
        QFile f(base + QStringLiteral(".eml"));
        if (f.open(QIODevice::ReadOnly))
            *raw = f.readAll();
    }
    return readJsonFile(base + QStringLiteral(".json"));
}

void NotifyTestBase::configure(const std::function<void(NotificationSettings &)> &edit)
{
    NotificationSettingsStore store(m_db->config());
    NotificationSettings s = store.load().value();
    s.smtpHost = QStringLiteral("127.0.0.1");
    s.smtpPort = m_startTlsPort;
    s.smtpSecurity = SmtpSecurity::StartTls;
    s.smtpUsername = kUser;
    s.smtpPassword.replace(kPassword);
    s.emailFromAddress = QStringLiteral("hcm@example.com");
    s.emailRecipients = {QStringLiteral("admin@example.com")};
    s.slackWebhookUrl.replace(webhookUrl(kWebhookPath));
    s.tlsCaFile = m_caFile;
    edit(s);
    const SettingsSaveResult r = store.save(s, s.version, test::adminActor(QStringLiteral("tester")));
    QVERIFY2(r.ok, qPrintable(r.error.message));
}

std::unique_ptr<WorkerPool> NotifyTestBase::startPool(std::shared_ptr<Clock> clock, int concurrency)
{
    WorkerPool::Options o;
    o.env.db = m_db->config();
    o.env.clock = clock;
    o.concurrency = concurrency;
    o.pollIntervalMs = 100;
    o.onTransitions = JobAlerts::hook(m_db->config(), clock);
    auto pool = std::make_unique<WorkerPool>(o, HandlerRegistry::standard());
    // start() returns at once; the tests go on with a registered worker.
    QSignalSpy errors(pool.get(), &WorkerPool::errorOccurred);
    pool->start();
    if (!QTest::qWaitFor([&] { return pool->state() != WorkerPool::State::Starting; }, 15'000))
        qWarning("pool: still starting");
    else if (!pool->isRunning())
        qWarning("pool: %s",
                 errors.isEmpty() ? "did not start" : qPrintable(errors.first().first().toString()));
    return pool;
}

QList<Job> NotifyTestBase::notifyJobList()
{
    JobFilter f = notifyJobs();
    f.sort = JobSortColumn::Id;
    f.order = Qt::AscendingOrder;
    f.limit = 1000;
    auto jobs = JobStore(m_db->config()).list(f);
    return jobs ? jobs.value() : QList<Job>();
}

} // namespace hcm::test
