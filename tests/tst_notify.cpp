// Notification delivery against real servers: Debian's aiosmtpd (STARTTLS + AUTH and implicit TLS,
// certificate generated at test time, tests/servers/smtp_server.py), an HTTPS recorder standing in for
// Slack and Twilio (tests/servers/http_recorder.py), and a socket that never speaks. Then test sends
// (delivery log, rate limit shared with hcmctl), email_send and alerts through a real WorkerPool, and
// alert digests (hourly and daily, quiet hours, scheduling races, retries, switching them off) on SQLite
// and PostgreSQL with a manual clock.

#include "testutil.h"

#include "auth/identity.h"

#include "common/logsink.h"
#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "settings/deliverystore.h"
#include "settings/digeststore.h"
#include "settings/notificationsettingsstore.h"
#include "worker/notify/alertdigest.h"
#include "worker/notify/jobalerts.h"
#include "worker/notify/notificationservice.h"
#include "worker/notify/slackchannel.h"
#include "worker/notify/smtpchannel.h"
#include "worker/notify/twiliochannel.h"
#include "worker/workerpool.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QUrlQuery>
#include <QtTest>

#include <latch>
#include <memory>
#include <thread>
#include <vector>

using namespace hcm;

namespace {

const QString kUser = QStringLiteral("mailer");
const QString kPassword = QStringLiteral("Sëcret-SMTP-pw-4711");
const QString kWebhookPath = QStringLiteral("/services/T0001/B0001/hooksecret4711");
const QString kTwilioToken = QStringLiteral("twilio-token-secret-4711");
const QString kSid = QStringLiteral("AC0123456789abcdef0123456789abcdef");

JobFilter notifyJobs()
{
    JobFilter f;
    f.type = QStringLiteral("notify");
    return f;
}

template<typename T> QByteArray why(const Result<T> &r)
{
    return r ? QByteArray("ok") : r.error().message.toUtf8();
}

qint64 utc(const char *iso)
{
    return QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODate).toMSecsSinceEpoch();
}

JobTransition failedJob(qint64 id, const QString &error)
{
    JobTransition t;
    t.id = id;
    t.type = QStringLiteral("db_optimize");
    t.status = JobStatus::Failed;
    t.error = error;
    t.maxRetries = 3;
    t.retryCount = 3;
    return t;
}

} // namespace

// Replaces the test's SQLite database with one of the row's backend (skipped, or failed when
// PostgreSQL is required, where there is no server).
#define USE_BACKEND_ROW()                                                                                    \
    QFETCH(QString, backend);                                                                                \
    m_db = std::make_unique<test::TempDatabase>(backend);                                                    \
    HCM_REQUIRE_BACKEND(*m_db);                                                                              \
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(m_db->dir() + QStringLiteral("/secret.key")))

class TestNotify : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void smtpStartTls();
    void smtpImplicitTls();
    void smtpWrongPassword();
    void smtpUntrustedCertificate();
    void smtpServerNeverAnswers();
    void smtpCredentialsNeverInClear();
    void smtpIpv6Host();
    void slackWebhook();
    void slackError();
    void twilioMessage();
    void providerAddressesCheckedBeforeSending();
    void caFileCheckedBeforeSending();
    void twilioError();
    void sendTestLogsAndRateLimits();
    void secretsNeverAtRestOrInLog();
    void emailSendHandler();
    void emailSendWithoutSmtpFailsAtOnce();
    void alertOnFinalFailure();
    void quietHoursDelayAlerts();
    void noAlertAboutFailedAlert();
    void digestText();
    void digestHourlyOneEmail_data() { test::addBackendRows(); }
    void digestHourlyOneEmail();
    void digestQuietHours_data() { test::addBackendRows(); }
    void digestQuietHours();
    void digestScheduledOnce_data() { test::addBackendRows(); }
    void digestScheduledOnce();
    void digestFailedDeliveryRetried_data() { test::addBackendRows(); }
    void digestFailedDeliveryRetried();
    void digestSwitchToImmediate_data() { test::addBackendRows(); }
    void digestSwitchToImmediate();
    void digestRunAgainKeepsItsCount_data() { test::addBackendRows(); }
    void digestRunAgainKeepsItsCount();
    void digestUnavailableAlertsSentOneByOne_data() { test::addBackendRows(); }
    void digestUnavailableAlertsSentOneByOne();

private:
    QProcess *startServer(const QStringList &args, QString &readyLine);
    SmtpConfig smtpConfig(bool implicitTls = false) const;
    ChannelOptions trusted() const;
    QString webhookUrl(const QString &path) const;
    // Waits for the SMTP server's message number `n` (1-based, counted over the whole run).
    QJsonObject waitForMessage(int n, QByteArray *raw = nullptr);
    int messageCount() const;
    void configure(const std::function<void(NotificationSettings &)> &edit);
    std::unique_ptr<WorkerPool> startPool(std::shared_ptr<Clock> clock = Clock::system(),
                                          int concurrency = 2);
    QList<Job> notifyJobList();

    QTemporaryDir m_tmp;
    QString m_smtpDir;
    QString m_caFile;
    int m_startTlsPort = 0;
    int m_tlsPort = 0;
    QList<QProcess *> m_servers;
    test::HttpRecorder m_http;
    QTcpServer m_silent;
    QString m_logFile;
    std::unique_ptr<test::TempDatabase> m_db;
};

QProcess *TestNotify::startServer(const QStringList &args, QString &readyLine)
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

void TestNotify::initTestCase()
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

void TestNotify::cleanupTestCase()
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

void TestNotify::init()
{
    m_db = std::make_unique<test::TempDatabase>();
    QVERIFY(m_db->isValid());
    qputenv("HCM_SECRET_KEY_FILE", QFile::encodeName(m_db->dir() + QStringLiteral("/secret.key")));
    m_http.clearResponses();
}

void TestNotify::cleanup()
{
    m_db.reset();
}

SmtpConfig TestNotify::smtpConfig(bool implicitTls) const
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

ChannelOptions TestNotify::trusted() const
{
    ChannelOptions o;
    o.caFile = m_caFile;
    o.connectTimeoutMs = 10000;
    o.totalTimeoutMs = 30000;
    return o;
}

QString TestNotify::webhookUrl(const QString &path) const
{
    return m_http.baseUrl() + path;
}

int TestNotify::messageCount() const
{
    return int(QDir(m_smtpDir).entryList({QStringLiteral("msg-*.json")}, QDir::Files).size());
}

QJsonObject TestNotify::waitForMessage(int n, QByteArray *raw)
{
    const QString base = m_smtpDir + QStringLiteral("/msg-%1").arg(n);
    QDeadlineTimer deadline(30000);
    while (!QFile::exists(base + QStringLiteral(".json")) && !deadline.hasExpired())
        QTest::qWait(20);
    if (raw) {
        QFile f(base + QStringLiteral(".eml"));
        if (f.open(QIODevice::ReadOnly))
            *raw = f.readAll();
    }
    return test::readJsonFile(base + QStringLiteral(".json"));
}

void TestNotify::configure(const std::function<void(NotificationSettings &)> &edit)
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

std::unique_ptr<WorkerPool> TestNotify::startPool(std::shared_ptr<Clock> clock, int concurrency)
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

QList<Job> TestNotify::notifyJobList()
{
    JobFilter f = notifyJobs();
    f.sort = JobSortColumn::Id;
    f.order = Qt::AscendingOrder;
    f.limit = 1000;
    auto jobs = JobStore(m_db->config()).list(f);
    return jobs ? jobs.value() : QList<Job>();
}

void TestNotify::smtpStartTls()
{
    const int n = messageCount() + 1;
    const QString subject =
        QStringLiteral("Prüfung ✓ – Job fehlgeschlagen: ein sehr langer Betreff, der über mehrere "
                       "kodierte Wörter gefaltet werden muss 🚀");
    const QString body = QStringLiteral("Grüße aus dem Test.\n.leading dot\n..two dots\n.\nlast line");
    SmtpChannel smtp(smtpConfig());
    const DeliveryResult r =
        smtp.send({QStringLiteral("a@example.com"), QStringLiteral("b@example.org")}, subject, body);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.accepted, (QStringList{QStringLiteral("a@example.com"), QStringLiteral("b@example.org")}));
    QVERIFY2(r.providerResponse.startsWith(QLatin1String("250")) &&
                 r.providerResponse.contains(QLatin1String("queued as")),
             qPrintable(r.providerResponse));
    QVERIFY(r.messageId.startsWith(QLatin1Char('<')) && r.messageId.endsWith(QLatin1String("@example.com>")));

    QByteArray raw;
    const QJsonObject got = waitForMessage(n, &raw);
    QCOMPARE(got.value(QLatin1String("server")).toString(), QStringLiteral("starttls"));
    QCOMPARE(got.value(QLatin1String("login")).toString(), kUser);
    QCOMPARE(got.value(QLatin1String("mail_from")).toString(), QStringLiteral("hcm@example.com"));
    QCOMPARE(got.value(QLatin1String("rcpt_tos")).toVariant().toStringList(),
             (QStringList{QStringLiteral("a@example.com"), QStringLiteral("b@example.org")}));
    QCOMPARE(got.value(QLatin1String("subject")).toString(), subject);
    // Dot-stuffed on the wire, un-stuffed by the server: the lines arrive as written.
    QCOMPARE(got.value(QLatin1String("body")).toString().trimmed(), body);
    QVERIFY2(raw.contains("\r\nSubject: =?UTF-8?B?"), raw.constData());
    QVERIFY(raw.contains("\r\n =?UTF-8?B?")); // folded into several encoded words
    QVERIFY(raw.contains("From: =?UTF-8?B?"));
    QVERIFY(raw.contains("<hcm@example.com>"));
    QVERIFY(raw.contains("\r\nReply-To: ops@example.com\r\n"));
    QVERIFY(raw.contains(QByteArray("\r\nMessage-ID: " + r.messageId.toUtf8() + "\r\n")));
    QVERIFY(QRegularExpression(
                QStringLiteral("\r\nDate: \\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000\r\n"))
                .match(QString::fromLatin1(raw))
                .hasMatch());
    QVERIFY(raw.contains("Content-Type: text/plain; charset=UTF-8"));
    for (const QByteArray &line : raw.split('\n'))
        QVERIFY(line.size() <= 999);
}

void TestNotify::smtpImplicitTls()
{
    const int n = messageCount() + 1;
    SmtpChannel smtp(smtpConfig(true));
    const DeliveryResult r = smtp.send({QStringLiteral("c@example.com")}, QStringLiteral("Plain subject"),
                                       QStringLiteral("ASCII body"));
    QVERIFY2(r.ok, qPrintable(r.error));
    const QJsonObject got = waitForMessage(n);
    QCOMPARE(got.value(QLatin1String("server")).toString(), QStringLiteral("tls"));
    QCOMPARE(got.value(QLatin1String("subject")).toString(), QStringLiteral("Plain subject"));
    QCOMPARE(got.value(QLatin1String("login")).toString(), kUser);
}

void TestNotify::smtpWrongPassword()
{
    SmtpConfig c = smtpConfig();
    c.password = QStringLiteral("wrong");
    const DeliveryResult r =
        SmtpChannel(c).send({QStringLiteral("a@example.com")}, QStringLiteral("x"), QStringLiteral("y"));
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QLatin1String("rejected the user name or password")) &&
                 r.error.contains(QLatin1String("535")),
             qPrintable(r.error));
    QVERIFY(!r.retryable);
    QVERIFY(!r.error.contains(QLatin1String("wrong")));
}

void TestNotify::smtpUntrustedCertificate()
{
    for (bool implicitTls : {false, true}) {
        SmtpConfig c = smtpConfig(implicitTls);
        c.options.caFile.clear(); // only the system's CAs: the test certificate is not among them
        const DeliveryResult r =
            SmtpChannel(c).send({QStringLiteral("a@example.com")}, QStringLiteral("x"), QStringLiteral("y"));
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QLatin1String("certificate of 127.0.0.1 is not trusted")),
                 qPrintable(r.error));
        QVERIFY(!r.retryable);
    }
}

void TestNotify::smtpServerNeverAnswers()
{
    SmtpConfig c = smtpConfig();
    c.port = m_silent.serverPort();
    c.options.totalTimeoutMs = 1500;
    const DeliveryResult r =
        SmtpChannel(c).send({QStringLiteral("a@example.com")}, QStringLiteral("x"), QStringLiteral("y"));
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QLatin1String("accepted the connection but did not answer within 1.5 s")),
             qPrintable(r.error));
    QVERIFY(r.retryable);
    // The latency covers the wait, not just the failure's last step. (Not compared with the timeout to
    // the millisecond: libcurl's clock and ours start a little apart.)
    QVERIFY2(r.latencyMs > c.options.totalTimeoutMs / 2, qPrintable(QString::number(r.latencyMs)));
}

void TestNotify::smtpCredentialsNeverInClear()
{
    // To another machine: refused before any connection, for good.
    SmtpConfig c = smtpConfig();
    c.host = QStringLiteral("192.0.2.25");
    c.security = SmtpSecurity::None;
    const DeliveryResult r =
        SmtpChannel(c).send({QStringLiteral("a@example.com")}, QStringLiteral("x"), QStringLiteral("y"));
    QVERIFY(!r.ok);
    QVERIFY(!r.retryable);
    QVERIFY2(
        r.error.startsWith(QLatin1String("Not sent: without encryption the SMTP password would travel to "
                                         "192.0.2.25")),
        qPrintable(r.error));
    QVERIFY(r.providerResponse.isEmpty()); // no server was ever asked

    // To this machine it is allowed to try: the test server then demands STARTTLS itself.
    c = smtpConfig();
    c.security = SmtpSecurity::None;
    const DeliveryResult local =
        SmtpChannel(c).send({QStringLiteral("a@example.com")}, QStringLiteral("x"), QStringLiteral("y"));
    QVERIFY(!local.ok);
    QVERIFY2(!local.error.startsWith(QLatin1String("Not sent:")) && !local.providerResponse.isEmpty(),
             qPrintable(local.error));
}

// An IPv6 address, which the settings accept with or without brackets, reaches the server either way.
void TestNotify::smtpIpv6Host()
{
    QTcpServer silent;
    if (!silent.listen(QHostAddress::LocalHostIPv6))
        QSKIP("this machine has no IPv6 loopback");
    for (const QString &host : {QStringLiteral("::1"), QStringLiteral("[::1]")}) {
        SmtpConfig c = smtpConfig();
        c.host = host;
        c.port = silent.serverPort();
        c.options.totalTimeoutMs = 1000;
        const DeliveryResult r =
            SmtpChannel(c).send({QStringLiteral("a@example.com")}, QStringLiteral("x"), QStringLiteral("y"));
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QLatin1String("accepted the connection but did not answer")),
                 qPrintable(host + QStringLiteral(": ") + r.error));
    }
}

void TestNotify::slackWebhook()
{
    const int n = m_http.requestCount() + 1;
    SlackChannel slack(webhookUrl(kWebhookPath), QStringLiteral("#alerts"), trusted());
    const DeliveryResult r = slack.send(QStringLiteral("Job job_3 failed ✗"));
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.providerResponse, QStringLiteral("HTTP 200 ok"));
    const QJsonObject req = m_http.waitForRequest(n);
    QCOMPARE(req.value(QLatin1String("problems")).toArray(), QJsonArray()); // as Slack documents it
    QCOMPARE(req.value(QLatin1String("path")).toString(), kWebhookPath);
    QCOMPARE(req.value(QLatin1String("headers")).toObject().value(QLatin1String("content-type")).toString(),
             QStringLiteral("application/json"));
    const QJsonObject body =
        QJsonDocument::fromJson(req.value(QLatin1String("body")).toString().toUtf8()).object();
    QCOMPARE(body, (QJsonObject{{QStringLiteral("text"), QStringLiteral("Job job_3 failed ✗")},
                                {QStringLiteral("channel"), QStringLiteral("#alerts")}}));

    // Without a channel, only "text" is sent; without the test CA, the certificate is refused.
    SlackChannel plain(webhookUrl(kWebhookPath), QString(), trusted());
    QVERIFY(plain.send(QStringLiteral("hi")).ok);
    const QJsonObject req2 = m_http.waitForRequest(n + 1);
    QCOMPARE(QJsonDocument::fromJson(req2.value(QLatin1String("body")).toString().toUtf8()).object(),
             (QJsonObject{{QStringLiteral("text"), QStringLiteral("hi")}}));
    const DeliveryResult untrusted =
        SlackChannel(webhookUrl(kWebhookPath), QString(), ChannelOptions{}).send(QStringLiteral("x"));
    QVERIFY2(!untrusted.ok &&
                 untrusted.error.contains(QLatin1String("certificate of 127.0.0.1 is not trusted")),
             qPrintable(untrusted.error));
    QCOMPARE(m_http.requestCount(), n + 1);
}

void TestNotify::slackError()
{
    m_http.respond(QStringLiteral("/services/revoked"), 403, QStringLiteral("invalid_token"),
                   QStringLiteral("text/html"));
    const DeliveryResult r =
        SlackChannel(webhookUrl(QStringLiteral("/services/revoked")), QString(), trusted())
            .send(QStringLiteral("x"));
    QVERIFY(!r.ok);
    QVERIFY2(r.error.startsWith(QLatin1String("Slack says: invalid_token (HTTP 403).")), qPrintable(r.error));
    QVERIFY(!r.retryable);
}

void TestNotify::twilioMessage()
{
    const QString path = QStringLiteral("/2010-04-01/Accounts/%1/Messages.json").arg(kSid);
    m_http.respond(path, 201, QStringLiteral(R"({"sid":"SM0001","status":"queued"})"),
                   QStringLiteral("application/json"));
    const int n = m_http.requestCount() + 1;
    TwilioChannel sms(m_http.baseUrl() + QLatin1Char('/'), kSid, kTwilioToken, QStringLiteral("+15005550006"),
                      trusted());
    const DeliveryResult r =
        sms.send(QStringLiteral("+14155550123"), QStringLiteral("Job job_3 failed: disk full & more"));
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.messageId, QStringLiteral("SM0001"));
    const QJsonObject req = m_http.waitForRequest(n);
    QCOMPARE(req.value(QLatin1String("problems")).toArray(), QJsonArray()); // as Twilio documents it
    QCOMPARE(req.value(QLatin1String("path")).toString(), path);
    const QJsonObject headers = req.value(QLatin1String("headers")).toObject();
    QCOMPARE(headers.value(QLatin1String("content-type")).toString(),
             QStringLiteral("application/x-www-form-urlencoded"));
    QCOMPARE(headers.value(QLatin1String("authorization")).toString(),
             QStringLiteral("Basic ") +
                 QString::fromLatin1((kSid + QLatin1Char(':') + kTwilioToken).toUtf8().toBase64()));
    QUrlQuery form(req.value(QLatin1String("body")).toString());
    QCOMPARE(form.queryItemValue(QStringLiteral("To"), QUrl::FullyDecoded), QStringLiteral("+14155550123"));
    QCOMPARE(form.queryItemValue(QStringLiteral("From"), QUrl::FullyDecoded), QStringLiteral("+15005550006"));
    QCOMPARE(form.queryItemValue(QStringLiteral("Body"), QUrl::FullyDecoded),
             QStringLiteral("Job job_3 failed: disk full & more"));
}

void TestNotify::providerAddressesCheckedBeforeSending()
{
    // Settings written by a program that allowed the stand-in's address...
    configure([&](NotificationSettings &s) {
        s.twilioAccountSid = kSid;
        s.twilioAuthToken.replace(kTwilioToken);
        s.smsFromNumber = QStringLiteral("+15005550006");
        s.twilioBaseUrl = m_http.baseUrl();
    });
    // ...meet a sender that does not: nothing leaves, neither the token nor the message.
    qunsetenv("HCM_ALLOW_CUSTOM_PROVIDER_URL");
    const auto restore = qScopeGuard([] { qputenv("HCM_ALLOW_CUSTOM_PROVIDER_URL", "1"); });
    const int requests = m_http.requestCount();
    const DeliveryResult sms =
        TwilioChannel(m_http.baseUrl(), kSid, kTwilioToken, QStringLiteral("+15005550006"), trusted())
            .send(QStringLiteral("+14155550123"), QStringLiteral("x"));
    QVERIFY(!sms.ok && !sms.retryable);
    QVERIFY2(
        sms.error.startsWith(QLatin1String("The Twilio API address must be on a host under twilio.com")) &&
            sms.error.contains(QLatin1String("HCM_ALLOW_CUSTOM_PROVIDER_URL=1")),
        qPrintable(sms.error));
    const DeliveryResult slack =
        SlackChannel(webhookUrl(kWebhookPath), QString(), trusted()).send(QStringLiteral("x"));
    QVERIFY(!slack.ok && !slack.retryable);
    QVERIFY2(
        slack.error.startsWith(QLatin1String("The Slack webhook URL must be a Slack incoming webhook")) &&
            !slack.error.contains(kWebhookPath),
        qPrintable(slack.error));
    NotificationService service(m_db->config());
    auto viaService = service.sendTest(NotifyChannel::Sms, QStringLiteral("+14155550123"),
                                       test::adminActor(QStringLiteral("alice")));
    QVERIFY2(viaService && !viaService->isEmpty() && !viaService->first().delivered &&
                 viaService->first().error.contains(QLatin1String("host under twilio.com")),
             viaService && !viaService->isEmpty() ? qPrintable(viaService->first().error)
                                                  : why(viaService).constData());
    QCOMPARE(m_http.requestCount(), requests);
}

void TestNotify::caFileCheckedBeforeSending()
{
    // A tls_ca_file that is missing or no PEM file on this worker: each channel says so, nothing is sent.
    const QString missing = m_tmp.filePath(QStringLiteral("no-such-ca.pem"));
    const QString text = m_tmp.filePath(QStringLiteral("not-a-ca.pem"));
    QFile f(text);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("just some text\n");
    f.close();
    const int requests = m_http.requestCount();
    const int messages = messageCount();
    for (const QString &ca : {missing, text}) {
        const QString expected =
            ca == missing ? QStringLiteral("The CA certificate file %1 does not exist.").arg(ca)
                          : QStringLiteral("The CA certificate file %1 holds no PEM certificate").arg(ca);
        ChannelOptions options = trusted();
        options.caFile = ca;
        const DeliveryResult slack =
            SlackChannel(webhookUrl(kWebhookPath), QString(), options).send(QStringLiteral("x"));
        QVERIFY2(!slack.ok && slack.error.startsWith(expected), qPrintable(slack.error));
        const DeliveryResult sms =
            TwilioChannel(m_http.baseUrl(), kSid, kTwilioToken, QStringLiteral("+15005550006"), options)
                .send(QStringLiteral("+14155550123"), QStringLiteral("x"));
        QVERIFY2(!sms.ok && sms.error.startsWith(expected), qPrintable(sms.error));
        SmtpConfig smtp = smtpConfig();
        smtp.options.caFile = ca;
        const DeliveryResult email = SmtpChannel(smtp).send({QStringLiteral("admin@example.com")},
                                                            QStringLiteral("s"), QStringLiteral("b"));
        QVERIFY2(!email.ok && email.error.startsWith(expected), qPrintable(email.error));
    }
    QCOMPARE(m_http.requestCount(), requests);
    QCOMPARE(messageCount(), messages);
}

void TestNotify::twilioError()
{
    const QString sid = QStringLiteral("AC%1").arg(QStringLiteral("f").repeated(32));
    m_http.respond(
        QStringLiteral("/2010-04-01/Accounts/%1/Messages.json").arg(sid), 400,
        QStringLiteral(
            R"({"code":21211,"message":"The 'To' number +1999 is not a valid phone number.","status":400})"),
        QStringLiteral("application/json"));
    TwilioChannel sms(m_http.baseUrl(), sid, kTwilioToken, QStringLiteral("+15005550006"), trusted());
    const DeliveryResult r = sms.send(QStringLiteral("+1999"), QStringLiteral("x"));
    QVERIFY(!r.ok);
    QVERIFY2(r.error.startsWith(QLatin1String(
                 "Twilio says: The 'To' number +1999 is not a valid phone number. (error 21211)")),
             qPrintable(r.error));
    QVERIFY(!r.retryable);
    QVERIFY(r.providerResponse.startsWith(QLatin1String("HTTP 400")));
}

void TestNotify::sendTestLogsAndRateLimits()
{
    configure([](NotificationSettings &) {});
    // hcmctl's sends count too: the rate limit lives in the database.
    QProcess ctl;
    ctl.start(test::programPath(QStringLiteral("hcmctl")),
              {QStringLiteral("--db"), m_db->path(), QStringLiteral("notify"), QStringLiteral("test"),
               QStringLiteral("email"), QStringLiteral("--to"), QStringLiteral("cli@example.com")});
    QVERIFY(ctl.waitForFinished(60000));
    QVERIFY2(ctl.exitCode() == 0, ctl.readAllStandardError().constData());
    QVERIFY(QString::fromUtf8(ctl.readAllStandardOutput())
                .startsWith(QLatin1String("delivered to cli@example.com")));

    NotificationService service(m_db->config());
    const Actor actor = test::adminActor(QStringLiteral("alice"));
    QHash<qint64, qint64> latencies; // delivery id -> the latency the caller was shown
    for (int i = 0; i < 4; ++i) {
        auto r = service.sendTest(NotifyChannel::Email, QString(), actor);
        QVERIFY2(r, why(r).constData());
        QCOMPARE(r->size(), 1);
        QVERIFY2(r->first().delivered, qPrintable(r->first().error));
        QCOMPARE(r->first().recipient, QStringLiteral("admin@example.com"));
        QVERIFY(r->first().providerResponse.startsWith(QLatin1String("250")));
        QVERIFY(r->first().id > 0);
        // A TLS handshake, a login and a whole SMTP conversation with a Python server take time: a zero
        // here would mean the latency was never measured.
        QVERIFY2(r->first().latencyMs > 0, qPrintable(QString::number(r->first().latencyMs)));
        latencies.insert(r->first().id, r->first().latencyMs);
    }
    auto sixth = service.sendTest(NotifyChannel::Slack, QString(), actor);
    QVERIFY(!sixth);
    QCOMPARE(sixth.error().code, Error::Code::Conflict);
    QVERIFY2(sixth.error().message.contains(
                 QLatin1String("Too many test messages: at most 5 per minute. The next one is allowed at")),
             qPrintable(sixth.error().message));
    ctl.start(test::programPath(QStringLiteral("hcmctl")),
              {QStringLiteral("--db"), m_db->path(), QStringLiteral("notify"), QStringLiteral("test"),
               QStringLiteral("slack")});
    QVERIFY(ctl.waitForFinished(60000));
    QCOMPARE(ctl.exitCode(), 1);
    QVERIFY(QString::fromUtf8(ctl.readAllStandardError()).contains(QLatin1String("Too many test messages")));

    // Every attempt is in the delivery log with its outcome, response and latency.
    auto log = DeliveryStore(m_db->config()).recent(10);
    QVERIFY(log);
    QCOMPARE(log->size(), 5);
    for (const DeliveryRecord &d : log.value()) {
        QCOMPARE(d.event, QStringLiteral("test"));
        QCOMPARE(d.channel, QStringLiteral("email"));
        QVERIFY(d.delivered);
        QVERIFY2(d.latencyMs > 0, qPrintable(QString::number(d.latencyMs)));
        // The log keeps exactly the latency the sender was shown.
        if (d.createdBy != osUserName()) // hcmctl acts as the OS user (SQLite)
            QCOMPARE(d.latencyMs, latencies.value(d.id, -1));
    }
    QCOMPARE(latencies.size(), 4);
    QCOMPARE(log->last().createdBy, osUserName());
}

void TestNotify::secretsNeverAtRestOrInLog()
{
    configure([&](NotificationSettings &s) {
        s.twilioAccountSid = kSid;
        s.twilioAuthToken.replace(kTwilioToken);
        s.smsFromNumber = QStringLiteral("+15005550006");
        s.twilioBaseUrl = m_http.baseUrl();
    });
    m_http.respond(QStringLiteral("/2010-04-01/Accounts/%1/Messages.json").arg(kSid), 201,
                   QStringLiteral(R"({"sid":"SM2"})"), QStringLiteral("application/json"));
    NotificationService service(m_db->config());
    const Actor actor = test::adminActor(QStringLiteral("alice"));
    auto email = service.sendTest(NotifyChannel::Email, QString(), actor);
    QVERIFY2(email && email->first().delivered,
             email ? qPrintable(email->first().error) : why(email).constData());
    auto slack = service.sendTest(NotifyChannel::Slack, QString(), actor);
    QVERIFY2(slack && slack->first().delivered,
             slack ? qPrintable(slack->first().error) : why(slack).constData());
    auto sms = service.sendTest(NotifyChannel::Sms, QStringLiteral("+14155550123"), actor);
    QVERIFY2(sms && sms->first().delivered, sms ? qPrintable(sms->first().error) : why(sms).constData());
    auto wrong = SmtpChannel([&] {
                     SmtpConfig c = smtpConfig();
                     c.password = kPassword + QLatin1Char('x');
                     return c;
                 }())
                     .send({QStringLiteral("a@example.com")}, QStringLiteral("x"), QStringLiteral("y"));
    QVERIFY(!wrong.ok);
    Database::closeThreadConnections(); // flush the WAL into the file as far as SQLite does

    QByteArray bytes;
    for (const QString &f : QDir(m_db->dir()).entryList(QDir::Files)) {
        QFile file(m_db->dir() + QLatin1Char('/') + f);
        if (f.startsWith(QLatin1String("test.sqlite")) && file.open(QIODevice::ReadOnly))
            bytes += file.readAll();
    }
    QVERIFY(bytes.size() > 4096);
    QFile log(m_logFile);
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray logBytes = log.readAll();
    QVERIFY(logBytes.contains("hcm.notify")); // the log is really being written
    for (const QString &secret :
         {kPassword, kTwilioToken, kWebhookPath.section(QLatin1Char('/'), -1), webhookUrl(kWebhookPath)}) {
        for (const QByteArray &form : {secret.toUtf8(), secret.toUtf8().toBase64(), secret.toLatin1()}) {
            QVERIFY2(!bytes.contains(form), qPrintable(QStringLiteral("database holds %1").arg(secret)));
            QVERIFY2(!logBytes.contains(form), qPrintable(QStringLiteral("log holds %1").arg(secret)));
        }
    }
}

void TestNotify::emailSendHandler()
{
    configure([](NotificationSettings &) {});
    JobService service{JobStore(m_db->config())};
    NewJob job;
    job.type = QStringLiteral("email_send");
    job.payload = QJsonObject{{QStringLiteral("to"), QStringLiteral("user@example.com")},
                              {QStringLiteral("subject"), QStringLiteral("Gehaltsabrechnung März")},
                              {QStringLiteral("body"), QStringLiteral("Hallo,\n.\nTschüss")}};
    const int n = messageCount() + 1;
    auto id = service.enqueue(job, test::adminActor(QStringLiteral("tester")));
    QVERIFY(id);
    auto pool = startPool();
    QTRY_COMPARE_WITH_TIMEOUT(toString(service.get(id.value())->status), toString(JobStatus::Completed),
                              30000);
    const QJsonObject result = service.get(id.value())->result.toObject();
    QVERIFY(result.value(QLatin1String("message_id")).toString().endsWith(QLatin1String("@example.com>")));
    QCOMPARE(result.value(QLatin1String("accepted")).toVariant().toStringList(),
             QStringList{QStringLiteral("user@example.com")});
    QVERIFY(result.value(QLatin1String("server_reply")).toString().startsWith(QLatin1String("250")));
    const QJsonObject got = waitForMessage(n);
    QCOMPARE(got.value(QLatin1String("subject")).toString(), QStringLiteral("Gehaltsabrechnung März"));
    QCOMPARE(got.value(QLatin1String("body")).toString().trimmed(), QStringLiteral("Hallo,\n.\nTschüss"));
    QCOMPARE(DeliveryStore(m_db->config()).forJob(id.value())->size(), 1);
    pool->stopAndWait(5000);
}

void TestNotify::emailSendWithoutSmtpFailsAtOnce()
{
    JobService service{JobStore(m_db->config())};
    NewJob job;
    job.type = QStringLiteral("email_send");
    job.maxRetries = 3;
    job.payload = QJsonObject{{QStringLiteral("to"), QStringLiteral("user@example.com")},
                              {QStringLiteral("subject"), QStringLiteral("x")}};
    auto id = service.enqueue(job, test::adminActor(QStringLiteral("tester")));
    QVERIFY(id);
    auto pool = startPool();
    QTRY_COMPARE_WITH_TIMEOUT(toString(service.get(id.value())->status), toString(JobStatus::Failed), 30000);
    const Job j = service.get(id.value()).value();
    QCOMPARE(j.retryCount, 0);
    QCOMPARE(
        j.errorMessage,
        QStringLiteral("Email delivery is not configured: set up SMTP in the notification settings first."));
    pool->stopAndWait(5000);
}

void TestNotify::alertOnFinalFailure()
{
    configure([](NotificationSettings &s) {
        s.emailEnabled = true;
        s.slackEnabled = true;
        s.notifyJobFailed = true;
    });
    const int mail = messageCount() + 1;
    const int req = m_http.requestCount() + 1;
    JobService service{JobStore(m_db->config())};
    NewJob job;
    job.type = QStringLiteral("test.fail");
    job.maxRetries = 0;
    job.payload = QJsonObject{{QStringLiteral("message"), QStringLiteral("disk full")}};
    auto id = service.enqueue(job, test::adminActor(QStringLiteral("tester")));
    QVERIFY(id);
    auto pool = startPool();
    JobFilter notifies;
    notifies.type = QStringLiteral("notify");
    notifies.statuses = {JobStatus::Completed};
    QTRY_COMPARE_WITH_TIMEOUT(service.count(notifies).value(), qint64(1), 30000);
    pool->stopAndWait(5000);

    const QString publicId = Job::publicId(id.value());
    const QJsonObject email = waitForMessage(mail);
    QVERIFY2(email.value(QLatin1String("subject"))
                 .toString()
                 .contains(publicId + QStringLiteral(" (test.fail) failed")),
             qPrintable(email.value(QLatin1String("subject")).toString()));
    QVERIFY(email.value(QLatin1String("body")).toString().contains(QLatin1String("Error: disk full")));
    QCOMPARE(email.value(QLatin1String("rcpt_tos")).toVariant().toStringList(),
             QStringList{QStringLiteral("admin@example.com")});
    const QJsonObject slack = m_http.waitForRequest(req);
    QCOMPARE(slack.value(QLatin1String("path")).toString(), kWebhookPath);
    QVERIFY(slack.value(QLatin1String("body")).toString().contains(publicId));

    auto deliveries = DeliveryStore(m_db->config()).forJob(id.value());
    QVERIFY(deliveries);
    QCOMPARE(deliveries->size(), 2);
    for (const DeliveryRecord &d : deliveries.value()) {
        QVERIFY2(d.delivered, qPrintable(d.error));
        QCOMPARE(d.event, QStringLiteral("job_failed"));
        QCOMPARE(d.sourceJobId, id.value());
    }
    QCOMPARE(service.count(notifyJobs()).value(), qint64(1));
}

void TestNotify::quietHoursDelayAlerts()
{
    configure([](NotificationSettings &s) {
        s.slackEnabled = true;
        s.quietHoursEnabled = true;
        s.quietHoursStart = QStringLiteral("22:00");
        s.quietHoursEnd = QStringLiteral("07:00");
        s.quietHoursTimeZone = QStringLiteral("Europe/Berlin");
    });
    auto clock = std::make_shared<ManualClock>(
        QDateTime::fromString(QStringLiteral("2024-01-10T23:30:00Z"), Qt::ISODate).toMSecsSinceEpoch());
    JobAlerts alerts(m_db->config(), clock);
    JobTransition failed;
    failed.id = 42;
    failed.type = QStringLiteral("db_optimize");
    failed.status = JobStatus::Failed;
    failed.error = QStringLiteral("disk full");
    const QList<qint64> ids = alerts.handle({failed});
    QCOMPARE(ids.size(), 1);
    const Job notify = JobStore(m_db->config()).get(ids.first()).value();
    QCOMPARE(notify.type, QStringLiteral("notify"));
    QCOMPARE_ENUM(notify.status, JobStatus::Queued);                            // delayed, not dropped
    QCOMPARE(isoUtc(notify.runAt), QStringLiteral("2024-01-11T06:00:00.000Z")); // 07:00 in Berlin
    QCOMPARE(notify.payload.value(QLatin1String("job_id")).toInteger(), 42);
}

void TestNotify::noAlertAboutFailedAlert()
{
    configure([this](NotificationSettings &s) {
        s.slackEnabled = true;
        s.slackWebhookUrl.replace(webhookUrl(QStringLiteral("/services/down")));
    });
    m_http.respond(QStringLiteral("/services/down"), 500, QStringLiteral("internal_error"),
                   QStringLiteral("text/plain"));
    JobService service{JobStore(m_db->config())};
    NewJob job;
    job.type = QStringLiteral("notify");
    job.maxRetries = 0;
    job.payload = QJsonObject{{QStringLiteral("event"), QStringLiteral("job_failed")},
                              {QStringLiteral("job_id"), 7},
                              {QStringLiteral("job_type"), QStringLiteral("db_optimize")}};
    auto id = service.enqueue(job, test::adminActor(QStringLiteral("tester")));
    QVERIFY(id);
    auto pool = startPool();
    QTRY_COMPARE_WITH_TIMEOUT(toString(service.get(id.value())->status), toString(JobStatus::Failed), 30000);
    pool->stopAndWait(5000);
    QVERIFY2(service.get(id.value())
                 ->errorMessage.contains(QLatin1String("Slack says: internal_error (HTTP 500)")),
             qPrintable(service.get(id.value())->errorMessage));
    // The failed alert is logged, and no alert is raised about it.
    QCOMPARE(service.count(notifyJobs()).value(), qint64(1));
    auto deliveries = DeliveryStore(m_db->config()).forJob(id.value());
    QCOMPARE(deliveries->size(), 1);
    QVERIFY(!deliveries->first().delivered);
    QCOMPARE(deliveries->first().sourceJobId, qint64(7));
}

// The texts: counts per event, the alerts with their errors, at most 20 listed, an SMS within 160.
void TestNotify::digestText()
{
    AlertDigest d;
    d.frequency = QStringLiteral("hourly");
    d.zone = QTimeZone("Europe/Berlin");
    d.dueAt = utc("2024-01-10T10:00:00Z");
    d.reportedAt = d.dueAt;
    d.reportedBy = QStringLiteral("hcm-host");
    for (int i = 0; i < 25; ++i) {
        Alert a;
        a.event = i < 22 ? QStringLiteral("job_failed") : QStringLiteral("job_retried");
        a.jobId = 100 + i;
        a.jobType = QStringLiteral("db_optimize");
        a.error = QStringLiteral("disk %1 full\nsee the log").arg(i);
        a.retryCount = i < 22 ? 3 : 1;
        a.maxRetries = 3;
        if (i >= 22)
            a.runAt = utc("2024-01-10T10:02:00Z");
        d.alerts.append(a);
        d.raisedAt.append(utc("2024-01-10T09:05:00Z") + i * 60'000);
    }
    QCOMPARE(d.count(QStringLiteral("job_failed")), 22);
    QCOMPARE(d.subject(), QStringLiteral("[HCM] Alert digest: 22 jobs failed, 3 jobs retried"));
    const QString text = d.text();
    QVERIFY2(
        text.contains(QLatin1String("25 alerts from 2024-01-10 10:05 to 2024-01-10 11:00 (Europe/Berlin), "
                                    "collected for the hourly digest:")),
        qPrintable(text));
    QVERIFY(text.contains(QLatin1String("  - 22 jobs failed after their last retry\n")));
    QVERIFY(text.contains(QLatin1String("  - 3 jobs failed and will be retried\n")));
    QVERIFY(text.contains(QLatin1String("2024-01-10 10:05  job_100 (db_optimize) failed after 3 retries\n"
                                        "      Error: disk 0 full see the log\n")));
    for (int i = 0; i < 20; ++i)
        QVERIFY2(text.contains(QStringLiteral("job_%1 (db_optimize)").arg(100 + i)), qPrintable(text));
    for (int i = 20; i < 25; ++i)
        QVERIFY2(!text.contains(QStringLiteral("job_%1 (db_optimize)").arg(100 + i)), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("… and 5 more (the jobs page lists them all).")));
    QVERIFY(text.endsWith(QLatin1String("Reported by hcm-host at 2024-01-10T10:00:00.000Z.")));
    // An alert taken over from a digest not due yet is younger than this digest's time: the period
    // reaches it rather than ending before it began.
    AlertDigest early = d;
    early.alerts = {d.alerts.first()};
    early.raisedAt = {d.dueAt + 90'000};
    QVERIFY2(early.text().contains(QLatin1String("1 alert from 2024-01-10 11:01 to 2024-01-10 11:01 "
                                                 "(Europe/Berlin), collected for the hourly digest:")),
             qPrintable(early.text()));
    const QString sms = d.shortText();
    QVERIFY2(sms.size() <= 160, qPrintable(sms));
    QVERIFY2(
        sms.startsWith(QLatin1String("[HCM] Alert digest: 22 jobs failed, 3 jobs retried. Latest: job_124")),
        qPrintable(sms));
}

// Hourly digest: three jobs fail, nothing is sent until the top of the hour, then one email holds all
// three, and the delivery log ties it to each job.
void TestNotify::digestHourlyOneEmail()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.emailEnabled = true;
        s.notifyJobFailed = true;
        s.digestFrequency = DigestFrequency::Hourly;
        s.quietHoursTimeZone = QStringLiteral("Europe/Berlin");
    });
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T09:20:00Z")); // 10:20 in Berlin
    const int mail = messageCount() + 1;
    JobService service{JobStore(m_db->config(), clock)};
    QList<qint64> failing;
    for (int i = 1; i <= 3; ++i) {
        NewJob job;
        job.type = QStringLiteral("test.fail");
        job.maxRetries = 0;
        job.payload = QJsonObject{{QStringLiteral("message"), QStringLiteral("disk %1 full").arg(i)}};
        auto id = service.enqueue(job, test::adminActor(QStringLiteral("tester")));
        QVERIFY(id);
        failing.append(id.value());
    }
    auto pool = startPool(clock);
    DigestStore digests(m_db->config());
    QTRY_COMPARE_WITH_TIMEOUT(digests.pending()->size(), 3, 30000);

    // One digest job, due at 11:00 Berlin time; nothing sent meanwhile.
    QList<Job> notify = notifyJobList();
    QCOMPARE(notify.size(), 1);
    const Job digestJob = notify.first();
    QCOMPARE_ENUM(digestJob.status, JobStatus::Queued);
    QCOMPARE(isoUtc(digestJob.runAt), QStringLiteral("2024-01-10T10:00:00.000Z"));
    QCOMPARE(digestJob.payload.value(QLatin1String("digest_due_at")).toInteger(),
             utc("2024-01-10T10:00:00Z"));
    QCOMPARE(digestJob.payload.value(QLatin1String("frequency")).toString(), QStringLiteral("hourly"));
    for (const DigestItem &item : digests.pending().value())
        QCOMPARE(item.digestDueAt, utc("2024-01-10T10:00:00Z"));
    // The pool keeps running jobs that are due (so it did look at the queue), just not the digest.
    auto noop = service.enqueue(NewJob{QStringLiteral("test.noop"), JobPriority::Low, {}, 0, std::nullopt},
                                test::adminActor(QStringLiteral("tester")));
    QVERIFY(noop);
    QTRY_COMPARE_WITH_TIMEOUT(toString(service.get(noop.value())->status), toString(JobStatus::Completed),
                              30000);
    QCOMPARE(toString(service.get(digestJob.id)->status), toString(JobStatus::Queued));
    QCOMPARE(messageCount(), mail - 1);
    QCOMPARE(DeliveryStore(m_db->config()).recent(10)->size(), 0);

    // The top of the hour: one email with all three.
    clock->setMs(utc("2024-01-10T10:00:00Z"));
    QTRY_COMPARE_WITH_TIMEOUT(toString(service.get(digestJob.id)->status), toString(JobStatus::Completed),
                              30000);
    pool->stopAndWait(5000);
    const QJsonObject email = waitForMessage(mail);
    QCOMPARE(email.value(QLatin1String("subject")).toString(),
             QStringLiteral("[HCM] Alert digest: 3 jobs failed"));
    QCOMPARE(email.value(QLatin1String("rcpt_tos")).toVariant().toStringList(),
             QStringList{QStringLiteral("admin@example.com")});
    const QString body = email.value(QLatin1String("body")).toString();
    QVERIFY2(
        body.contains(QLatin1String("3 alerts from 2024-01-10 10:20 to 2024-01-10 11:00 (Europe/Berlin)")),
        qPrintable(body));
    for (int i = 0; i < 3; ++i) {
        QVERIFY2(body.contains(Job::publicId(failing.at(i)) +
                               QStringLiteral(" (test.fail) failed after 0 retries")),
                 qPrintable(body));
        QVERIFY(body.contains(QStringLiteral("Error: disk %1 full").arg(i + 1)));
    }
    QCOMPARE(messageCount(), mail); // one message, not three
    QCOMPARE(service.get(digestJob.id)->result.toObject().value(QLatin1String("alerts")).toInt(), 3);

    auto log = DeliveryStore(m_db->config()).recent(10);
    QCOMPARE(log->size(), 1);
    QCOMPARE(log->first().event, QStringLiteral("digest"));
    QCOMPARE(log->first().channel, QStringLiteral("email"));
    QCOMPARE(log->first().jobId, digestJob.id);
    QVERIFY(log->first().delivered);
    for (qint64 id : std::as_const(failing)) {
        auto about = DeliveryStore(m_db->config()).forJob(id);
        QVERIFY(about && about->size() == 1);
        QCOMPARE(about->first().id, log->first().id);
    }
    QCOMPARE(digests.pending()->size(), 0);
    QCOMPARE(digests.digest(utc("2024-01-10T10:00:00Z"))->value().state, QStringLiteral("delivered"));
    QCOMPARE(digests.digest(utc("2024-01-10T10:00:00Z"))->value().itemCount, 3);
    QCOMPARE(notifyJobList().size(), 1);
}

// A digest due in quiet hours goes out when they end; alerts raised meanwhile join the same digest.
void TestNotify::digestQuietHours()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.slackEnabled = true;
        s.digestFrequency = DigestFrequency::Hourly;
        s.quietHoursEnabled = true;
        s.quietHoursStart = QStringLiteral("22:00");
        s.quietHoursEnd = QStringLiteral("07:00");
        s.quietHoursTimeZone = QStringLiteral("UTC");
    });
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T21:30:00Z"));
    JobAlerts alerts(m_db->config(), clock);
    const QList<qint64> first = alerts.handle({failedJob(61, QStringLiteral("disk full"))});
    QCOMPARE(first.size(), 1);
    // The top of the hour, 22:00, is quiet: 07:00 instead.
    QCOMPARE(isoUtc(JobStore(m_db->config()).get(first.first())->runAt),
             QStringLiteral("2024-01-11T07:00:00.000Z"));
    clock->setMs(utc("2024-01-11T02:10:00Z"));
    QCOMPARE(alerts.handle({failedJob(62, QStringLiteral("no route"))}), first);
    QCOMPARE(notifyJobList().size(), 1);
    DigestStore digests(m_db->config());
    QCOMPARE(digests.digests()->size(), 1);
    QCOMPARE(digests.pending()->size(), 2);

    const int req = m_http.requestCount() + 1;
    clock->setMs(utc("2024-01-11T06:59:59Z"));
    auto pool = startPool(clock);
    auto noop = JobService{JobStore(m_db->config(), clock)}.enqueue(
        NewJob{QStringLiteral("test.noop"), JobPriority::Low, {}, 0, std::nullopt},
        test::adminActor(QStringLiteral("tester")));
    QVERIFY(noop);
    QTRY_COMPARE_WITH_TIMEOUT(toString(JobStore(m_db->config()).get(noop.value())->status),
                              toString(JobStatus::Completed), 30000);
    QCOMPARE(m_http.requestCount(), req - 1); // still quiet
    clock->setMs(utc("2024-01-11T07:00:00Z"));
    QTRY_COMPARE_WITH_TIMEOUT(toString(JobStore(m_db->config()).get(first.first())->status),
                              toString(JobStatus::Completed), 30000);
    pool->stopAndWait(5000);
    const QJsonObject slack = m_http.waitForRequest(req);
    QCOMPARE(slack.value(QLatin1String("problems")).toArray(), QJsonArray());
    const QString text = QJsonDocument::fromJson(slack.value(QLatin1String("body")).toString().toUtf8())
                             .object()
                             .value(QLatin1String("text"))
                             .toString();
    QVERIFY2(text.startsWith(QLatin1String("[HCM] Alert digest: 2 jobs failed\n")), qPrintable(text));
    QVERIFY(text.contains(QLatin1String("job_61 (db_optimize)")) &&
            text.contains(QLatin1String("job_62 (db_optimize)")));
    QCOMPARE(m_http.requestCount(), req);
}

// Several workers (threads with their own connections) collect alerts for the same digest at once:
// exactly one digest and one job per delivery time. A job left over by a crashed scheduler sends
// nothing, and the first digest to run carries everything that waits, capped in the message.
void TestNotify::digestScheduledOnce()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.slackEnabled = true;
        s.digestFrequency = DigestFrequency::Hourly;
    });
    constexpr int kThreads = 8;
    constexpr int kRounds = 3;
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T10:20:00Z"));
    QList<qint64> dueTimes;
    for (int round = 0; round < kRounds; ++round) {
        const qint64 due = utc("2024-01-10T11:00:00Z") + round * 3'600'000LL;
        dueTimes.append(due);
        std::latch start(kThreads);
        QList<qint64> got[kThreads];
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i) {
            threads.emplace_back([&, i] {
                JobAlerts alerts(m_db->config(), clock);
                (void)Database::connection(m_db->config());
                start.arrive_and_wait();
                got[i] =
                    alerts.handle({failedJob(1000 + round * 100 + i, QStringLiteral("error %1").arg(i))});
                Database::closeThreadConnections();
            });
        }
        for (std::thread &t : threads)
            t.join();
        auto row = DigestStore(m_db->config()).digest(due);
        QVERIFY2(row && row->has_value(), "no digest row");
        const qint64 owner = row->value().jobId;
        for (int i = 0; i < kThreads; ++i)
            QCOMPARE(got[i], QList<qint64>{owner}); // everyone was told the same job
        // Exactly one notify job per delivery time: the surplus ones were withdrawn.
        const QList<Job> jobs = notifyJobList();
        QCOMPARE(jobs.size(), round + 1);
        QCOMPARE(jobs.last().id, owner);
        QCOMPARE(jobs.last().payload.value(QLatin1String("digest_due_at")).toInteger(), due);
        QCOMPARE(DigestStore(m_db->config()).digests()->size(), round + 1);
        int waiting = 0;
        for (const DigestItem &item : DigestStore(m_db->config()).pending().value())
            waiting += item.digestDueAt == due ? 1 : 0;
        QCOMPARE(waiting, kThreads);
        clock->advanceMs(3'600'000);
    }

    // A scheduler that stopped between its job and its registration left a second job for 11:00.
    JobService service{JobStore(m_db->config(), clock)};
    auto leftover = service.enqueue(DigestStore::digestJob(dueTimes.first(), QStringLiteral("hourly")),
                                    Actor::system(QStringLiteral("alerts")));
    QVERIFY(leftover);
    const int req = m_http.requestCount() + 1;
    clock->setMs(dueTimes.last());
    auto pool = startPool(clock, 1);
    JobFilter done = notifyJobs();
    done.statuses = {JobStatus::Completed};
    QTRY_COMPARE_WITH_TIMEOUT(service.count(done).value(), qint64(kRounds + 1), 30000);
    pool->stopAndWait(5000);
    QCOMPARE(service.get(leftover.value())->result.toObject().value(QLatin1String("delivered_by")).toString(),
             Job::publicId(DigestStore(m_db->config()).digest(dueTimes.first())->value().jobId));
    // One Slack message with all 24 alerts: the first digest took over the ones not started yet.
    QCOMPARE(m_http.requestCount(), req);
    const QString text =
        QJsonDocument::fromJson(m_http.waitForRequest(req).value(QLatin1String("body")).toString().toUtf8())
            .object()
            .value(QLatin1String("text"))
            .toString();
    QVERIFY2(text.startsWith(QLatin1String("[HCM] Alert digest: 24 jobs failed\n")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("… and 4 more (the jobs page lists them all).")));
    QCOMPARE(DigestStore(m_db->config()).pending()->size(), 0);
}

// Slack fails: the digest job is retried with backoff and its alerts keep waiting; alerts raised
// meanwhile go to the next digest; the retry delivers exactly the first ones.
void TestNotify::digestFailedDeliveryRetried()
{
    USE_BACKEND_ROW();
    const QString path = QStringLiteral("/services/flaky");
    configure([&](NotificationSettings &s) {
        s.slackEnabled = true;
        s.slackWebhookUrl.replace(webhookUrl(path));
        s.digestFrequency = DigestFrequency::Hourly;
    });
    m_http.respond(path, 500, QStringLiteral("internal_error"), QStringLiteral("text/plain"));
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T10:20:00Z"));
    JobAlerts alerts(m_db->config(), clock);
    const QList<qint64> ids = alerts.handle(
        {failedJob(41, QStringLiteral("disk full")), failedJob(42, QStringLiteral("no space"))});
    QCOMPARE(ids.size(), 1);
    const qint64 digestJob = ids.first();
    DigestStore digests(m_db->config());
    JobStore jobs(m_db->config());

    const int req = m_http.requestCount() + 1;
    clock->setMs(utc("2024-01-10T11:00:00Z"));
    auto pool = startPool(clock, 1);
    QTRY_VERIFY_WITH_TIMEOUT(jobs.get(digestJob)->retryCount == 1, 30000);
    QCOMPARE_ENUM(jobs.get(digestJob)->status, JobStatus::Queued);
    QCOMPARE(isoUtc(jobs.get(digestJob)->runAt), QStringLiteral("2024-01-10T11:02:00.000Z")); // 2 minutes
    QVERIFY2(
        jobs.get(digestJob)->errorMessage.contains(QLatin1String("Slack says: internal_error (HTTP 500)")),
        qPrintable(jobs.get(digestJob)->errorMessage));
    QCOMPARE(digests.pending()->size(), 2); // nothing lost
    QCOMPARE(digests.digest(utc("2024-01-10T11:00:00Z"))->value().state, QStringLiteral("failed"));
    auto log = DeliveryStore(m_db->config()).forJob(digestJob);
    QCOMPARE(log->size(), 1);
    QVERIFY(!log->first().delivered);
    QCOMPARE(log->first().event, QStringLiteral("digest"));
    QCOMPARE(m_http.requestCount(), req);

    // Raised while the 11:00 digest is being retried: it waits for 12:00.
    clock->setMs(utc("2024-01-10T11:01:00Z"));
    const QList<qint64> later = alerts.handle({failedJob(43, QStringLiteral("late"))});
    QCOMPARE(later.size(), 1);
    QVERIFY(later.first() != digestJob);
    QCOMPARE(isoUtc(jobs.get(later.first())->runAt), QStringLiteral("2024-01-10T12:00:00.000Z"));

    // Slack is back: the retry delivers the two alerts it holds, and only those.
    m_http.respond(path, 200, QStringLiteral("ok"), QStringLiteral("text/html"));
    clock->setMs(utc("2024-01-10T11:02:00Z"));
    QTRY_COMPARE_WITH_TIMEOUT(toString(jobs.get(digestJob)->status), toString(JobStatus::Completed), 30000);
    const QString text = QJsonDocument::fromJson(
                             m_http.waitForRequest(req + 1).value(QLatin1String("body")).toString().toUtf8())
                             .object()
                             .value(QLatin1String("text"))
                             .toString();
    QVERIFY2(text.contains(QLatin1String("job_41 (db_optimize)")) &&
                 text.contains(QLatin1String("job_42 (db_optimize)")) &&
                 !text.contains(QLatin1String("job_43")),
             qPrintable(text));
    QCOMPARE(digests.pending()->size(), 1);
    QCOMPARE(digests.pending()->first().sourceJobId, qint64(43));
    log = DeliveryStore(m_db->config()).forJob(digestJob);
    QCOMPARE(log->size(), 2);
    QVERIFY(!log->at(0).delivered && log->at(1).delivered);

    clock->setMs(utc("2024-01-10T12:00:00Z"));
    QTRY_COMPARE_WITH_TIMEOUT(toString(jobs.get(later.first())->status), toString(JobStatus::Completed),
                              30000);
    pool->stopAndWait(5000);
    QCOMPARE(digests.pending()->size(), 0);
    QCOMPARE(m_http.requestCount(), req + 2);
}

// Daily at 08:00 Berlin time; switching to immediate sends what waits now, and the daily digest then
// finds nothing left to send.
void TestNotify::digestSwitchToImmediate()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.emailEnabled = true;
        s.digestFrequency = DigestFrequency::Daily;
        s.quietHoursTimeZone = QStringLiteral("Europe/Berlin");
    });
    auto clock = std::make_shared<ManualClock>(utc("2024-07-10T10:20:00Z"));
    JobAlerts alerts(m_db->config(), clock);
    const QList<qint64> daily = alerts.handle({failedJob(51, QStringLiteral("disk full"))});
    QCOMPARE(daily.size(), 1);
    JobStore jobs(m_db->config());
    QCOMPARE(isoUtc(jobs.get(daily.first())->runAt),
             QStringLiteral("2024-07-11T06:00:00.000Z")); // 08:00 CEST

    NotificationSettingsStore store(m_db->config(), clock);
    NotificationSettings s = store.load().value();
    s.digestFrequency = DigestFrequency::Immediate;
    QVERIFY(store.save(s, s.version, test::adminActor(QStringLiteral("alice"))));
    QList<Job> notify = notifyJobList();
    QCOMPARE(notify.size(), 2);
    const Job flush = notify.last();
    QCOMPARE(flush.payload.value(QLatin1String("frequency")).toString(), QStringLiteral("immediate"));
    QCOMPARE(flush.runAt, clock->nowMs());
    QCOMPARE(flush.createdBy, QStringLiteral("alice"));

    // From now on, one alert is one notify job, also from the hook that read the settings a moment ago
    // (it keeps them for a second and still believes in daily digests): the digest refuses alerts once
    // the stored settings say immediate, so they cannot join the daily digest after the flush.
    const QList<qint64> now = alerts.handle({failedJob(52, QStringLiteral("late"))});
    QCOMPARE(now.size(), 1);
    QVERIFY(now.first() != daily.first() && now.first() != flush.id);
    QCOMPARE(jobs.get(now.first())->payload.value(QLatin1String("event")).toString(),
             QStringLiteral("job_failed"));
    DigestItem item;
    item.event = QStringLiteral("job_failed");
    item.sourceJobId = 53;
    item.jobType = QStringLiteral("cleanup");
    auto refused = DigestStore(m_db->config(), clock)
                       .collect(
                           {item}, utc("2024-07-11T06:00:00Z"), QStringLiteral("daily"),
                           [](qint64 t) { return t + 86'400'000; }, Actor::system(QStringLiteral("alerts")));
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, Error::Code::Conflict);
    QCOMPARE(DigestStore(m_db->config()).pending()->size(), 1); // only job_51's, waiting for the flush
    QCOMPARE(notifyJobList().size(), 3); // the daily digest, the flush, the single alert: nothing added

    const int mail = messageCount() + 1;
    auto pool = startPool(clock, 1);
    QTRY_COMPARE_WITH_TIMEOUT(toString(jobs.get(flush.id)->status), toString(JobStatus::Completed), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(toString(jobs.get(now.first())->status), toString(JobStatus::Completed), 30000);
    // Two emails: the flushed digest and the single alert, in either order.
    QJsonObject email;
    for (const int n : {mail, mail + 1}) {
        const QJsonObject m = waitForMessage(n);
        if (m.value(QLatin1String("subject")).toString().contains(QLatin1String("Alert digest")))
            email = m;
    }
    QCOMPARE(email.value(QLatin1String("subject")).toString(),
             QStringLiteral("[HCM] Alert digest: 1 job failed"));
    QVERIFY2(email.value(QLatin1String("body"))
                 .toString()
                 .contains(QLatin1String("1 alert from 2024-07-10 12:20 to 2024-07-10 12:20 (Europe/Berlin) "
                                         "that was waiting for a digest:")),
             qPrintable(email.value(QLatin1String("body")).toString()));
    QVERIFY(email.value(QLatin1String("body")).toString().contains(QLatin1String("job_51 (db_optimize)")));
    QVERIFY(!email.value(QLatin1String("body")).toString().contains(QLatin1String("job_52")));
    QCOMPARE(DigestStore(m_db->config()).pending()->size(), 0);
    QCOMPARE(jobs.get(flush.id)->result.toObject().value(QLatin1String("taken_over")).toInt(), 1);

    // The daily digest, when its time comes, has nothing left.
    clock->setMs(utc("2024-07-11T06:00:00Z"));
    QTRY_COMPARE_WITH_TIMEOUT(toString(jobs.get(daily.first())->status), toString(JobStatus::Completed),
                              30000);
    pool->stopAndWait(5000);
    QCOMPARE(jobs.get(daily.first())->result.toObject().value(QLatin1String("alerts")).toInt(), 0);
    QCOMPARE(messageCount(), mail + 1); // the flush and the single alert; nothing from the daily digest
}

// A digest job that runs again after its delivery (delivery is at least once: its worker may die before
// the outcome is written) finds nothing left and keeps the count of what it delivered.
void TestNotify::digestRunAgainKeepsItsCount()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) { s.digestFrequency = DigestFrequency::Hourly; });
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T10:20:00Z"));
    const qint64 due = utc("2024-01-10T11:00:00Z");
    DigestStore store(m_db->config(), clock);
    QList<DigestItem> items;
    for (int i = 0; i < 3; ++i) {
        DigestItem item;
        item.event = QStringLiteral("job_failed");
        item.sourceJobId = 81 + i;
        item.jobType = QStringLiteral("cleanup");
        items.append(item);
    }
    auto scheduled = store.collect(
        items, due, QStringLiteral("hourly"), [](qint64 t) { return t + 3'600'000; },
        Actor::system(QStringLiteral("alerts")));
    QVERIFY2(scheduled, why(scheduled).constData());
    const qint64 job = scheduled->jobId;

    clock->setMs(due);
    auto first = store.claim(due, job, QStringLiteral("hourly"));
    QVERIFY2(first, why(first).constData());
    QVERIFY(!first->duplicate);
    QCOMPARE(first->items.size(), 3);
    QList<qint64> ids;
    for (const DigestItem &item : std::as_const(first->items))
        ids.append(item.id);
    QVERIFY(store.markDelivered(due, job, ids));
    QCOMPARE(store.digest(due)->value().itemCount, 3);

    auto again = store.claim(due, job, QStringLiteral("hourly"));
    QVERIFY2(again, why(again).constData());
    QVERIFY(!again->duplicate);
    QCOMPARE(again->items.size(), 0);
    QVERIFY(store.markDelivered(due, job, {}));
    QCOMPARE(store.digest(due)->value().state, QStringLiteral("delivered"));
    QCOMPARE(store.digest(due)->value().itemCount, 3);
    QCOMPARE(store.pending()->size(), 0);
}

// When alerts cannot be collected for a digest (here its table is gone, as for a worker role that was
// never granted the digest tables), they are sent one by one instead of being lost, and the digest job
// that could not be registered is withdrawn.
void TestNotify::digestUnavailableAlertsSentOneByOne()
{
    USE_BACKEND_ROW();
    configure([](NotificationSettings &s) {
        s.slackEnabled = true;
        s.digestFrequency = DigestFrequency::Hourly;
    });
    {
        auto db = Database::connection(m_db->config());
        QVERIFY(db);
        QSqlQuery q(db.value());
        QVERIFY2(q.exec(QStringLiteral("DROP TABLE notification_digest_items")),
                 qPrintable(q.lastError().text()));
    }
    auto clock = std::make_shared<ManualClock>(utc("2024-01-10T10:20:00Z"));
    const QList<qint64> ids =
        JobAlerts(m_db->config(), clock)
            .handle({failedJob(71, QStringLiteral("disk full")), failedJob(72, QStringLiteral("no route"))});
    QCOMPARE(ids.size(), 2);
    JobStore jobs(m_db->config());
    for (int i = 0; i < 2; ++i) {
        auto job = jobs.get(ids.at(i));
        QVERIFY(job);
        QCOMPARE(job->type, QStringLiteral("notify"));
        QCOMPARE(job->payload.value(QLatin1String("event")).toString(), QStringLiteral("job_failed"));
        QCOMPARE(job->payload.value(QLatin1String("job_id")).toInteger(), qint64(71 + i));
        QVERIFY(!job->payload.contains(DigestStore::payloadKey()));
    }
    QCOMPARE(notifyJobList().size(), 2);
}

QTEST_GUILESS_MAIN(TestNotify)
#include "tst_notify.moc"
