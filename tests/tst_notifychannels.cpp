// Notification channels against real servers (tests/notifytestbase.h): SMTP with STARTTLS + AUTH and
// implicit TLS, wrong passwords, untrusted certificates, a server that never answers, IPv6; Slack and
// Twilio through the HTTPS recorder with their errors; addresses and CA files checked before sending;
// test sends (delivery log, rate limit shared with hcmctl), secrets never at rest or in the log, and the
// email_send handler.

#include "notifytestbase.h"

#include "auth/identity.h"

#include "db/database.h"
#include "jobs/jobservice.h"
#include "settings/deliverystore.h"
#include "worker/notify/notificationservice.h"
#include "worker/notify/slackchannel.h"
#include "worker/notify/smtpchannel.h"
#include "worker/notify/twiliochannel.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTcpServer>
#include <QUrlQuery>
#include <QtTest>

using namespace hcm;
using namespace hcm::test::notify;

class TestNotifyChannels : public hcm::test::NotifyTestBase {
    Q_OBJECT

private slots:
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
};

void TestNotifyChannels::smtpStartTls()
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

void TestNotifyChannels::smtpImplicitTls()
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

void TestNotifyChannels::smtpWrongPassword()
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

void TestNotifyChannels::smtpUntrustedCertificate()
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

void TestNotifyChannels::smtpServerNeverAnswers()
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

void TestNotifyChannels::smtpCredentialsNeverInClear()
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
void TestNotifyChannels::smtpIpv6Host()
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

void TestNotifyChannels::slackWebhook()
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

void TestNotifyChannels::slackError()
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

void TestNotifyChannels::twilioMessage()
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

void TestNotifyChannels::providerAddressesCheckedBeforeSending()
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

void TestNotifyChannels::caFileCheckedBeforeSending()
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

void TestNotifyChannels::twilioError()
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

void TestNotifyChannels::sendTestLogsAndRateLimits()
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

void TestNotifyChannels::secretsNeverAtRestOrInLog()
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

void TestNotifyChannels::emailSendHandler()
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

void TestNotifyChannels::emailSendWithoutSmtpFailsAtOnce()
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

QTEST_GUILESS_MAIN(TestNotifyChannels)
#include "tst_notifychannels.moc"
