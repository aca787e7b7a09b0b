#include "smtpchannel.h"

#include "common/logcategories.h"
#include "worker/notify/mimemessage.h"

#include <QElapsedTimer>
#include <QRegularExpression>

#include <curl/curl.h>

#include <mutex>

namespace hcm {

namespace {

void globalInit()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What the SMTP conversation showed: the recipients the server accepted and its replies. AUTH lines
// (which carry credentials) are never looked at or kept.
struct Transcript {
    QByteArray upload;
    qsizetype uploaded = 0;
    QStringList accepted;
    QString pendingRcpt;
    QString lastCommand; // verb only: EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA
    QString lastReply;   // the latest complete reply line
    QString replyAfterData;
    bool dataSent = false;
    std::function<bool()> cancelled;
};

size_t readCallback(char *buffer, size_t size, size_t count, void *user)
{
    auto *t = static_cast<Transcript *>(user);
    const qsizetype n = qMin<qsizetype>(qsizetype(size * count), t->upload.size() - t->uploaded);
    memcpy(buffer, t->upload.constData() + t->uploaded, size_t(n));
    t->uploaded += n;
    return size_t(n);
}

int debugCallback(CURL *, curl_infotype type, char *data, size_t size, void *user)
{
    auto *t = static_cast<Transcript *>(user);
    if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
        return 0;
    const QString text = QString::fromUtf8(data, qsizetype(size)).trimmed();
    if (type == CURLINFO_HEADER_OUT) {
        const QString verb = text.section(QLatin1Char(' '), 0, 0).section(QLatin1Char(':'), 0, 0).toUpper();
        // Anything after AUTH (the credentials' base64 continuation lines) stays "AUTH".
        if (t->lastCommand == QLatin1String("AUTH") &&
            !QStringList{QStringLiteral("MAIL"), QStringLiteral("EHLO"), QStringLiteral("QUIT")}.contains(
                verb))
            return 0;
        t->lastCommand = verb;
        if (verb == QLatin1String("RCPT")) {
            static const QRegularExpression re(QStringLiteral("<([^>]*)>"));
            t->pendingRcpt = re.match(text).captured(1);
        }
        if (verb == QLatin1String("DATA"))
            t->dataSent = true;
        return 0;
    }
    const QStringList lines = text.split(QLatin1Char('\n'));
    const QString last = lines.last().trimmed();
    // A multi-line reply ends with "NNN text"; only that line completes it.
    if (last.size() >= 4 && last.at(3) == QLatin1Char('-'))
        return 0;
    t->lastReply = last;
    if (t->lastCommand == QLatin1String("RCPT") && !t->pendingRcpt.isEmpty()) {
        if (last.startsWith(QLatin1Char('2')))
            t->accepted.append(t->pendingRcpt);
        t->pendingRcpt.clear();
    }
    if (t->dataSent && t->uploaded > 0 && t->uploaded == t->upload.size())
        t->replyAfterData = last;
    return 0;
}

int progressCallback(void *user, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    auto *t = static_cast<Transcript *>(user);
    return (t->cancelled && t->cancelled()) ? 1 : 0;
}

} // namespace

SmtpConfig SmtpConfig::fromSettings(const NotificationSettings &s, const ChannelOptions &base)
{
    SmtpConfig c;
    c.host = s.smtpHost;
    c.port = s.smtpPort;
    c.security = s.smtpSecurity;
    c.username = s.smtpUsername;
    c.password = s.smtpPassword.value();
    c.fromAddress = s.emailFromAddress;
    c.fromName = s.emailFromName;
    c.replyTo = s.emailReplyTo;
    c.options = base;
    if (!s.tlsCaFile.isEmpty())
        c.options.caFile = s.tlsCaFile;
    return c;
}

SmtpChannel::SmtpChannel(SmtpConfig config)
    : m_config(std::move(config))
{}

DeliveryResult SmtpChannel::send(const QStringList &to, const QString &subject, const QString &body,
                                 const std::function<bool()> &cancelled)
{
    globalInit();
    DeliveryResult result;
    QElapsedTimer timer;
    timer.start();
    const QString where = QStringLiteral("%1:%2").arg(m_config.host).arg(m_config.port);

    MimeMessage message;
    message.fromAddress = m_config.fromAddress;
    message.fromName = m_config.fromName;
    message.replyTo = m_config.replyTo;
    message.to = to;
    message.subject = subject;
    message.body = body;
    Transcript t;
    t.upload = message.toBytes();
    t.cancelled = cancelled;
    result.messageId = message.messageId();

    // Settings saved before this rule existed (or an unsaved draft) must not leak the password either.
    if (m_config.security == SmtpSecurity::None && !m_config.username.isEmpty() &&
        !NotificationSettings::isLoopbackHost(m_config.host)) {
        result.error = tr("Not sent: without encryption the SMTP password would travel to %1 readable by "
                          "anyone on the way. Choose STARTTLS or TLS in the notification settings, or clear "
                          "the user name and password.")
                           .arg(m_config.host);
        result.retryable = false;
        qCWarning(lcNotify).noquote()
            << "email through" << where << "refused: credentials without TLS to a remote server";
        return result;
    }

    // Missing, unreadable, not PEM: said as such rather than as libcurl's "error setting certificate file".
    if (!m_config.options.caFile.isEmpty()) {
        if (const QString why = NotificationSettings::caFileProblem(m_config.options.caFile);
            !why.isEmpty()) {
            result.error = why;
            qCWarning(lcNotify).noquote() << "email through" << where << "not sent:" << why;
            return result;
        }
    }

    CURL *curl = curl_easy_init();
    if (!curl) {
        result.error = tr("The email library (libcurl) could not start.");
        return result;
    }
    const bool implicitTls = m_config.security == SmtpSecurity::Tls;
    const QByteArray url =
        QStringLiteral("%1://%2:%3")
            .arg(implicitTls ? QStringLiteral("smtps") : QStringLiteral("smtp"),
                 // An IPv6 address needs brackets in the URL; it may have them already.
                 m_config.host.contains(QLatin1Char(':')) && !m_config.host.startsWith(QLatin1Char('['))
                     ? QLatin1Char('[') + m_config.host + QLatin1Char(']')
                     : m_config.host)
            .arg(m_config.port)
            .toUtf8();
    const QByteArray from = QByteArray('<' + m_config.fromAddress.toUtf8() + '>');
    const QByteArray user = m_config.username.toUtf8();
    QByteArray password = m_config.password.toUtf8();
    const QByteArray caFile = m_config.options.caFile.toLocal8Bit();
    curl_slist *rcpt = nullptr;
    for (const QString &r : to)
        rcpt = curl_slist_append(rcpt, QByteArray('<' + r.toUtf8() + '>').constData());
    char errbuf[CURL_ERROR_SIZE] = {};

    curl_easy_setopt(curl, CURLOPT_URL, url.constData());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_USE_SSL,
                     long(m_config.security == SmtpSecurity::None ? CURLUSESSL_NONE : CURLUSESSL_ALL));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!caFile.isEmpty())
        curl_easy_setopt(curl, CURLOPT_CAINFO, caFile.constData());
    if (!user.isEmpty()) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, user.constData());
        curl_easy_setopt(curl, CURLOPT_PASSWORD, password.constData());
    }
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.constData());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, readCallback);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE, long(t.upload.size()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, long(m_config.options.connectTimeoutMs));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, long(m_config.options.totalTimeoutMs));
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L); // feeds the debug callback, which keeps no credentials
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, debugCallback);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progressCallback);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);

    const CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    double connectTime = 0;
    curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME, &connectTime);
    curl_easy_cleanup(curl);
    curl_slist_free_all(rcpt);
    password.fill('\0');
    result.latencyMs = timer.elapsed();
    result.accepted = t.accepted;
    const QString reply = t.lastReply;
    const QString detail = QString::fromUtf8(errbuf).trimmed();

    if (rc == CURLE_OK) {
        result.ok = true;
        result.providerResponse = t.replyAfterData.isEmpty() ? reply : t.replyAfterData;
        qCInfo(lcNotify).noquote() << "email" << result.messageId << "accepted by" << where << "for"
                                   << t.accepted.size() << "of" << to.size() << "recipients";
        return result;
    }
    result.providerResponse = reply.isEmpty() ? detail : reply;
    const QString serverSaid = reply.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(reply);
    switch (rc) {
    case CURLE_LOGIN_DENIED:
        result.error = tr("The SMTP server %1 rejected the user name or password%2. Check the SMTP user name "
                          "and password.")
                           .arg(m_config.host, serverSaid);
        result.retryable = false;
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        result.error = tr("The certificate of %1 is not trusted (%2). Install the issuing CA on this "
                          "machine, or name its "
                          "file as the extra trusted CA in the notification settings.")
                           .arg(m_config.host, detail);
        result.retryable = false;
        break;
    case CURLE_USE_SSL_FAILED:
        result.error = tr("The SMTP server %1 does not offer STARTTLS. Choose implicit TLS (usually port "
                          "465) or check the port.")
                           .arg(where);
        result.retryable = false;
        break;
    case CURLE_SSL_CONNECT_ERROR:
        result.error = tr("The TLS handshake with %1 failed (%2). If the server expects STARTTLS (usually "
                          "port 587), choose "
                          "STARTTLS instead of implicit TLS.")
                           .arg(where, detail);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        result.error =
            tr("The SMTP server name %1 could not be resolved. Check the host name.").arg(m_config.host);
        break;
    case CURLE_COULDNT_CONNECT:
        result.error =
            tr("Could not connect to the SMTP server %1 (%2). Check the host, the port and the firewall.")
                .arg(where, detail);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        if (connectTime <= 0)
            result.error = tr("Could not connect to the SMTP server %1 within %2 s.")
                               .arg(where)
                               .arg(m_config.options.connectTimeoutMs / 1000.0);
        else
            result.error = tr("The SMTP server %1 accepted the connection but did not answer within %2 s%3.")
                               .arg(where)
                               .arg(m_config.options.totalTimeoutMs / 1000.0)
                               .arg(t.lastCommand.isEmpty() ? tr(" (no greeting)")
                                                            : tr(" (after %1)").arg(t.lastCommand));
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        result.error = tr("Sending the email was cancelled.");
        break;
    default:
        if (code == 530 || (code >= 500 && t.lastCommand == QLatin1String("MAIL") && user.isEmpty()))
            result.error = tr("The SMTP server %1 requires a login%2: set the SMTP user name and password.")
                               .arg(where, serverSaid);
        else if (t.lastCommand == QLatin1String("RCPT") ||
                 (t.accepted.isEmpty() && t.lastCommand == QLatin1String("DATA")))
            result.error = tr("The SMTP server %1 refused the recipients%2.").arg(where, serverSaid);
        else if (t.lastCommand == QLatin1String("MAIL"))
            result.error = tr("The SMTP server %1 refused the sender address %2%3.")
                               .arg(where, m_config.fromAddress, serverSaid);
        else if (t.dataSent)
            result.error = tr("The SMTP server %1 refused the message%2.").arg(where, serverSaid);
        else
            result.error =
                tr("Sending the email through %1 failed: %2%3.")
                    .arg(where, detail.isEmpty() ? QString::fromUtf8(curl_easy_strerror(rc)) : detail,
                         serverSaid);
        // 5xx replies are permanent (RFC 5321 4.2.1); 4xx and network errors are worth a retry.
        result.retryable = code < 500;
        break;
    }
    qCWarning(lcNotify).noquote() << "email to" << to.size() << "recipients through" << where
                                  << "failed:" << result.error;
    return result;
}

} // namespace hcm
