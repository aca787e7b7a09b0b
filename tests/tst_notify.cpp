// Notification delivery against real servers: Debian's aiosmtpd (STARTTLS + AUTH and implicit TLS,
// certificate generated at test time, tests/servers/smtp_server.py), an HTTPS recorder standing in for
// Slack and Twilio (tests/servers/http_recorder.py), and a socket that never speaks. Then test sends
// (delivery log, rate limit shared with hcmctl), email_send and alerts through a real WorkerPool.

#include "testutil.h"

#include "common/logsink.h"
#include "db/database.h"
#include "jobs/jobservice.h"
#include "jobs/jobtypes.h"
#include "settings/deliverystore.h"
#include "settings/notificationsettingsstore.h"
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
#include <QTcpServer>
#include <QUrlQuery>
#include <QtTest>

#include <memory>

using namespace hcm;

namespace {

const QString kUser = QStringLiteral("mailer");
const QString kPassword = QStringLiteral("Sëcret-SMTP-pw-4711");
const QString kWebhookPath = QStringLiteral("/services/T0001/B0001/hooksecret4711");
const QString kTwilioToken = QStringLiteral("twilio-token-secret-4711");
const QString kSid = QStringLiteral("AC0123456789abcdef0123456789abcdef");

QJsonObject readJson(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
}

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

} // namespace

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
    void slackWebhook();
    void slackError();
    void twilioMessage();
    void twilioError();
    void sendTestLogsAndRateLimits();
    void secretsNeverAtRestOrInLog();
    void emailSendHandler();
    void emailSendWithoutSmtpFailsAtOnce();
    void alertOnFinalFailure();
    void quietHoursDelayAlerts();
    void noAlertAboutFailedAlert();

private:
    QProcess *startServer(const QStringList &args, QString &readyLine);
    SmtpConfig smtpConfig(bool implicitTls = false) const;
    ChannelOptions trusted() const;
    QString webhookUrl(const QString &path) const;
    // Waits for the SMTP server's message number `n` (1-based, counted over the whole run).
    QJsonObject waitForMessage(int n, QByteArray *raw = nullptr);
    QJsonObject waitForRequest(int n);
    int messageCount() const;
    int requestCount() const;
    void respond(const QString &path, int status, const QString &body, const QString &contentType);
    void configure(const std::function<void(NotificationSettings &)> &edit);
    std::unique_ptr<WorkerPool> startPool();

    QTemporaryDir m_tmp;
    QString m_smtpDir;
    QString m_httpDir;
    QString m_caFile;
    int m_startTlsPort = 0;
    int m_tlsPort = 0;
    int m_httpPort = 0;
    QList<QProcess *> m_servers;
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
    QVERIFY(m_tmp.isValid());
    m_smtpDir = m_tmp.filePath(QStringLiteral("smtp"));
    m_httpDir = m_tmp.filePath(QStringLiteral("http"));
    QVERIFY(QDir().mkpath(m_smtpDir) && QDir().mkpath(m_httpDir));
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

    QVERIFY2(startServer({servers + QStringLiteral("http_recorder.py"), m_httpDir, m_caFile,
                          m_smtpDir + QStringLiteral("/key.pem")},
                         ready),
             "the HTTPS recorder did not start");
    m_httpPort = ready.section(QLatin1Char('='), 1).toInt();
    QVERIFY(m_httpPort > 0);

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
    QFile::remove(m_httpDir + QStringLiteral("/responses.json"));
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
    return QStringLiteral("https://127.0.0.1:%1%2").arg(m_httpPort).arg(path);
}

int TestNotify::messageCount() const
{
    return int(QDir(m_smtpDir).entryList({QStringLiteral("msg-*.json")}, QDir::Files).size());
}

int TestNotify::requestCount() const
{
    return int(QDir(m_httpDir).entryList({QStringLiteral("req-*.json")}, QDir::Files).size());
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
    return readJson(base + QStringLiteral(".json"));
}

QJsonObject TestNotify::waitForRequest(int n)
{
    const QString path = m_httpDir + QStringLiteral("/req-%1.json").arg(n);
    QDeadlineTimer deadline(30000);
    while (!QFile::exists(path) && !deadline.hasExpired())
        QTest::qWait(20);
    return readJson(path);
}

void TestNotify::respond(const QString &path, int status, const QString &body, const QString &contentType)
{
    QJsonObject all = readJson(m_httpDir + QStringLiteral("/responses.json"));
    all.insert(path, QJsonObject{{QStringLiteral("status"), status},
                                 {QStringLiteral("body"), body},
                                 {QStringLiteral("content_type"), contentType}});
    QFile f(m_httpDir + QStringLiteral("/responses.json"));
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(QJsonDocument(all).toJson());
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
    const SettingsSaveResult r = store.save(s, s.version, Actor{QStringLiteral("tester")});
    QVERIFY2(r.ok, qPrintable(r.error.message));
}

std::unique_ptr<WorkerPool> TestNotify::startPool()
{
    WorkerPool::Options o;
    o.env.db = m_db->config();
    o.concurrency = 2;
    o.pollIntervalMs = 100;
    o.onTransitions = JobAlerts::hook(m_db->config());
    auto pool = std::make_unique<WorkerPool>(o, HandlerRegistry::standard());
    const Status st = pool->start();
    if (!st)
        qWarning("pool: %s", qPrintable(st.error().message));
    return pool;
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
    // The latency covers the whole wait: the timeout cannot fire before it has elapsed.
    QVERIFY2(r.latencyMs >= c.options.totalTimeoutMs, qPrintable(QString::number(r.latencyMs)));
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

void TestNotify::slackWebhook()
{
    const int n = requestCount() + 1;
    SlackChannel slack(webhookUrl(kWebhookPath), QStringLiteral("#alerts"), trusted());
    const DeliveryResult r = slack.send(QStringLiteral("Job job_3 failed ✗"));
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.providerResponse, QStringLiteral("HTTP 200 ok"));
    const QJsonObject req = waitForRequest(n);
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
    const QJsonObject req2 = waitForRequest(n + 1);
    QCOMPARE(QJsonDocument::fromJson(req2.value(QLatin1String("body")).toString().toUtf8()).object(),
             (QJsonObject{{QStringLiteral("text"), QStringLiteral("hi")}}));
    const DeliveryResult untrusted =
        SlackChannel(webhookUrl(kWebhookPath), QString(), ChannelOptions{}).send(QStringLiteral("x"));
    QVERIFY2(!untrusted.ok &&
                 untrusted.error.contains(QLatin1String("certificate of 127.0.0.1 is not trusted")),
             qPrintable(untrusted.error));
    QCOMPARE(requestCount(), n + 1);
}

void TestNotify::slackError()
{
    respond(QStringLiteral("/services/revoked"), 403, QStringLiteral("invalid_token"),
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
    respond(path, 201, QStringLiteral(R"({"sid":"SM0001","status":"queued"})"),
            QStringLiteral("application/json"));
    const int n = requestCount() + 1;
    TwilioChannel sms(QStringLiteral("https://127.0.0.1:%1/").arg(m_httpPort), kSid, kTwilioToken,
                      QStringLiteral("+15005550006"), trusted());
    const DeliveryResult r =
        sms.send(QStringLiteral("+14155550123"), QStringLiteral("Job job_3 failed: disk full & more"));
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.messageId, QStringLiteral("SM0001"));
    const QJsonObject req = waitForRequest(n);
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

void TestNotify::twilioError()
{
    const QString sid = QStringLiteral("AC%1").arg(QStringLiteral("f").repeated(32));
    respond(
        QStringLiteral("/2010-04-01/Accounts/%1/Messages.json").arg(sid), 400,
        QStringLiteral(
            R"({"code":21211,"message":"The 'To' number +1999 is not a valid phone number.","status":400})"),
        QStringLiteral("application/json"));
    TwilioChannel sms(QStringLiteral("https://127.0.0.1:%1").arg(m_httpPort), sid, kTwilioToken,
                      QStringLiteral("+15005550006"), trusted());
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
    const Actor actor{QStringLiteral("alice")};
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
        if (!d.createdBy.startsWith(QLatin1String("hcmctl:")))
            QCOMPARE(d.latencyMs, latencies.value(d.id, -1));
    }
    QCOMPARE(latencies.size(), 4);
    QVERIFY(log->last().createdBy.startsWith(QLatin1String("hcmctl:")));
}

void TestNotify::secretsNeverAtRestOrInLog()
{
    configure([&](NotificationSettings &s) {
        s.twilioAccountSid = kSid;
        s.twilioAuthToken.replace(kTwilioToken);
        s.smsFromNumber = QStringLiteral("+15005550006");
        s.twilioBaseUrl = QStringLiteral("https://127.0.0.1:%1").arg(m_httpPort);
    });
    respond(QStringLiteral("/2010-04-01/Accounts/%1/Messages.json").arg(kSid), 201,
            QStringLiteral(R"({"sid":"SM2"})"), QStringLiteral("application/json"));
    NotificationService service(m_db->config());
    const Actor actor{QStringLiteral("alice")};
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
    auto id = service.enqueue(job, Actor{QStringLiteral("tester")});
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
    auto id = service.enqueue(job, Actor{QStringLiteral("tester")});
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
    const int req = requestCount() + 1;
    JobService service{JobStore(m_db->config())};
    NewJob job;
    job.type = QStringLiteral("test.fail");
    job.maxRetries = 0;
    job.payload = QJsonObject{{QStringLiteral("message"), QStringLiteral("disk full")}};
    auto id = service.enqueue(job, Actor{QStringLiteral("tester")});
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
    const QJsonObject slack = waitForRequest(req);
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
        s.slackWebhookUrl.replace(QStringLiteral("https://127.0.0.1:%1/services/down").arg(m_httpPort));
    });
    respond(QStringLiteral("/services/down"), 500, QStringLiteral("internal_error"),
            QStringLiteral("text/plain"));
    JobService service{JobStore(m_db->config())};
    NewJob job;
    job.type = QStringLiteral("notify");
    job.maxRetries = 0;
    job.payload = QJsonObject{{QStringLiteral("event"), QStringLiteral("job_failed")},
                              {QStringLiteral("job_id"), 7},
                              {QStringLiteral("job_type"), QStringLiteral("db_optimize")}};
    auto id = service.enqueue(job, Actor{QStringLiteral("tester")});
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

QTEST_GUILESS_MAIN(TestNotify)
#include "tst_notify.moc"
