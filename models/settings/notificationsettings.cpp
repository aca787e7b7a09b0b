#include "notificationsettings.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTime>
#include <QTimeZone>
#include <QUrl>

namespace hcm {

namespace {

struct FieldInfo {
    const char *key;
    const char *label;
    // The longest value: characters of a text field, bytes (UTF-8) of a secret, characters of each entry
    // of a list. 0: not free text (a switch, a number, a choice).
    int maxLength;
};

// Form order. Labels are for people (error messages, hcmctl).
const FieldInfo kFields[] = {
    {"email_enabled", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Email alerts"), 0},
    {"smtp_host", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMTP server"), 253},
    {"smtp_port", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMTP port"), 0},
    {"smtp_security", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMTP security"), 0},
    {"smtp_username", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMTP user name"), 254},
    {"smtp_password", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMTP password"), 1024},
    {"email_from_address", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "From address"), 254},
    {"email_from_name", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "From name"), 200},
    {"email_reply_to", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Reply-to address"), 254},
    {"email_recipients", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Admin email recipients"), 254},
    {"sms_enabled", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMS alerts"), 0},
    {"sms_provider", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMS provider"), 32},
    {"twilio_account_sid", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Twilio account SID"), 34},
    {"twilio_auth_token", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Twilio auth token"), 256},
    {"sms_from_number", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMS sender number"), 16},
    {"sms_recipients", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "SMS recipients"), 16},
    {"twilio_base_url", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Twilio API address"), 2048},
    {"slack_enabled", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Slack alerts"), 0},
    {"slack_webhook_url", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Slack webhook URL"), 2048},
    {"slack_channel", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Slack channel"), 81},
    {"notify_job_failed",
     QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Alert when a job fails after its last retry"), 0},
    {"notify_job_succeeded", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Alert when a job succeeds"), 0},
    {"notify_job_retried", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Alert when a job is retried"), 0},
    {"notify_worker_lost", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Alert when a worker is lost"), 0},
    {"quiet_hours_enabled", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Quiet hours"), 0},
    {"quiet_hours_start", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Quiet hours start"), 5},
    {"quiet_hours_end", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Quiet hours end"), 5},
    {"quiet_hours_timezone", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Quiet hours time zone"), 64},
    {"digest_frequency", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Digest"), 0},
    {"tls_ca_file", QT_TRANSLATE_NOOP("hcm::NotificationSettings", "Extra trusted CA certificate file"),
     4096},
};

QString boolText(bool b)
{
    return b ? QStringLiteral("true") : QStringLiteral("false");
}

std::optional<bool> parseBool(const QString &text)
{
    const QString t = text.trimmed().toLower();
    if (t == QLatin1String("true") || t == QLatin1String("yes") || t == QLatin1String("on") ||
        t == QLatin1String("1"))
        return true;
    if (t == QLatin1String("false") || t == QLatin1String("no") || t == QLatin1String("off") ||
        t == QLatin1String("0"))
        return false;
    return std::nullopt;
}

QStringList parseList(const QString &text)
{
    QStringList out;
    const QStringList parts = text.split(QRegularExpression(QStringLiteral("[,;\\s]+")), Qt::SkipEmptyParts);
    for (const QString &p : parts)
        out.append(p.trimmed());
    return out;
}

bool isEmail(const QString &s)
{
    static const QRegularExpression re(
        QStringLiteral("^[^@\\s<>\"(),;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                       "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"));
    return re.match(s).hasMatch();
}

bool isE164(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^\\+[1-9][0-9]{1,14}$"));
    return re.match(s).hasMatch();
}

bool isHttpsUrl(const QString &s)
{
    const QUrl url(s, QUrl::StrictMode);
    return url.isValid() && url.scheme() == QLatin1String("https") && !url.host().isEmpty() &&
           url.userInfo().isEmpty();
}

bool isHostName(const QString &s)
{
    if (s.size() > 253)
        return false;
    // An IPv6 address, with or without brackets: QUrl checks its groups (":::" or "1:2:3" are none).
    if (s.contains(QLatin1Char(':'))) {
        const bool bracketed = s.startsWith(QLatin1Char('[')) && s.endsWith(QLatin1Char(']'));
        QUrl url;
        url.setHost(bracketed ? s.mid(1, s.size() - 2) : s, QUrl::StrictMode);
        return url.isValid() && !url.host().isEmpty();
    }
    // A name or an IPv4 address.
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$"));
    return re.match(s).hasMatch();
}

std::optional<QTime> parseHhMm(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^([01][0-9]|2[0-3]):[0-5][0-9]$"));
    if (!re.match(s).hasMatch())
        return std::nullopt;
    return QTime::fromString(s, QStringLiteral("HH:mm"));
}

// A value quoted in an error message, cut so that a pasted megabyte does not become the message.
QString quoted(const QString &value)
{
    constexpr int kShown = 80;
    return value.size() <= kShown ? value : value.left(kShown) + QChar(0x2026);
}

bool isUnder(const QString &host, const QString &domain)
{
    const QString h = host.toLower();
    return h == domain || h.endsWith(QLatin1Char('.') + domain);
}

} // namespace

QString toString(SmtpSecurity security)
{
    switch (security) {
    case SmtpSecurity::None:
        return QStringLiteral("none");
    case SmtpSecurity::StartTls:
        return QStringLiteral("starttls");
    case SmtpSecurity::Tls:
        return QStringLiteral("tls");
    }
    return {};
}

std::optional<SmtpSecurity> smtpSecurityFromString(const QString &text)
{
    for (auto s : {SmtpSecurity::None, SmtpSecurity::StartTls, SmtpSecurity::Tls})
        if (toString(s) == text.trimmed().toLower())
            return s;
    return std::nullopt;
}

QString toString(DigestFrequency digest)
{
    switch (digest) {
    case DigestFrequency::Immediate:
        return QStringLiteral("immediate");
    case DigestFrequency::Hourly:
        return QStringLiteral("hourly");
    case DigestFrequency::Daily:
        return QStringLiteral("daily");
    }
    return {};
}

std::optional<DigestFrequency> digestFromString(const QString &text)
{
    for (auto d : {DigestFrequency::Immediate, DigestFrequency::Hourly, DigestFrequency::Daily})
        if (toString(d) == text.trimmed().toLower())
            return d;
    return std::nullopt;
}

QString toString(NotifyChannel channel)
{
    switch (channel) {
    case NotifyChannel::Email:
        return QStringLiteral("email");
    case NotifyChannel::Sms:
        return QStringLiteral("sms");
    case NotifyChannel::Slack:
        return QStringLiteral("slack");
    }
    return {};
}

std::optional<NotifyChannel> notifyChannelFromString(const QString &text)
{
    for (auto c : {NotifyChannel::Email, NotifyChannel::Sms, NotifyChannel::Slack})
        if (toString(c) == text.trimmed().toLower())
            return c;
    return std::nullopt;
}

const QStringList &NotificationSettings::fieldKeys()
{
    static const QStringList keys = [] {
        QStringList out;
        for (const FieldInfo &f : kFields)
            out.append(QLatin1String(f.key));
        return out;
    }();
    return keys;
}

const QStringList &NotificationSettings::secretKeys()
{
    static const QStringList keys{QStringLiteral("smtp_password"), QStringLiteral("twilio_auth_token"),
                                  QStringLiteral("slack_webhook_url")};
    return keys;
}

bool NotificationSettings::isSecretKey(const QString &key)
{
    return secretKeys().contains(key);
}

bool NotificationSettings::isKnownKey(const QString &key)
{
    return fieldKeys().contains(key);
}

QString NotificationSettings::fieldLabel(const QString &key)
{
    for (const FieldInfo &f : kFields)
        if (key == QLatin1String(f.key))
            return tr(f.label);
    return key;
}

int NotificationSettings::maxLength(const QString &key)
{
    for (const FieldInfo &f : kFields)
        if (key == QLatin1String(f.key))
            return f.maxLength;
    return 0;
}

bool NotificationSettings::customProviderUrlsAllowed()
{
    return qEnvironmentVariable("HCM_ALLOW_CUSTOM_PROVIDER_URL") == QLatin1String("1");
}

QString NotificationSettings::twilioBaseUrlProblem(const QString &url)
{
    if (!isHttpsUrl(url))
        return tr("The Twilio API address must be an https:// URL.");
    const QString host = QUrl(url, QUrl::StrictMode).host();
    if (!customProviderUrlsAllowed() && !isUnder(host, QStringLiteral("twilio.com")))
        return tr("The Twilio API address must be on a host under twilio.com (https://api.twilio.com), not "
                  "%1: the auth token is sent there. To use another address (a proxy of your own), set "
                  "HCM_ALLOW_CUSTOM_PROVIDER_URL=1 in the environment of the programs that save the "
                  "settings and of every worker.")
            .arg(quoted(host));
    return {};
}

QString NotificationSettings::slackWebhookUrlProblem(const QString &url)
{
    if (!isHttpsUrl(url))
        return tr("The Slack webhook URL must be an https:// URL.");
    const QString host = QUrl(url, QUrl::StrictMode).host().toLower();
    if (!customProviderUrlsAllowed() && host != QLatin1String("hooks.slack.com"))
        return tr(
            "The Slack webhook URL must be a Slack incoming webhook (https://hooks.slack.com/…). To use "
            "another address (a proxy of your own), set HCM_ALLOW_CUSTOM_PROVIDER_URL=1 in the "
            "environment of the programs that save the settings and of every worker.");
    return {};
}

QString NotificationSettings::caFileProblem(const QString &path)
{
    if (!QDir::isAbsolutePath(path))
        return tr("The CA certificate file must be given as an absolute path.");
    const QString shown = QDir::toNativeSeparators(path);
    const QFileInfo info(path);
    if (!info.exists())
        return tr("The CA certificate file %1 does not exist.").arg(shown);
    if (!info.isFile())
        return tr("%1 is not a file: give the PEM file of the CA certificate.").arg(shown);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return tr("Cannot read the CA certificate file %1: %2.").arg(shown, file.errorString());
    const QByteArray data = file.read(kMaxCaFileBytes + 1);
    if (data.size() > kMaxCaFileBytes)
        return tr("The CA certificate file %1 is larger than %2 KiB; a file of PEM certificates is a few "
                  "KiB.")
            .arg(shown)
            .arg(kMaxCaFileBytes / 1024);
    // The first certificate block must be base64 of a DER SEQUENCE: enough to tell a PEM certificate
    // from a DER file, a private key or some other file; the TLS libraries check the rest.
    static const QByteArray begin("-----BEGIN CERTIFICATE-----");
    static const QByteArray end("-----END CERTIFICATE-----");
    const qsizetype from = data.indexOf(begin);
    const qsizetype to = from < 0 ? -1 : data.indexOf(end, from);
    bool ok = to > from;
    if (ok) {
        QByteArray body = data.mid(from + begin.size(), to - from - begin.size());
        body.replace('\r', "").replace('\n', "").replace(' ', "").replace('\t', "");
        const auto der = QByteArray::fromBase64Encoding(body, QByteArray::AbortOnBase64DecodingErrors);
        ok = der && der.decoded.size() > 16 && der.decoded.at(0) == char(0x30);
    }
    if (!ok)
        return tr("The CA certificate file %1 holds no PEM certificate (a block from \"%2\" to \"%3\").")
            .arg(shown, QString::fromLatin1(begin), QString::fromLatin1(end));
    return {};
}

SecretField *NotificationSettings::secret(const QString &key)
{
    if (key == QLatin1String("smtp_password"))
        return &smtpPassword;
    if (key == QLatin1String("twilio_auth_token"))
        return &twilioAuthToken;
    if (key == QLatin1String("slack_webhook_url"))
        return &slackWebhookUrl;
    return nullptr;
}

const SecretField *NotificationSettings::secret(const QString &key) const
{
    return const_cast<NotificationSettings *>(this)->secret(key);
}

QString NotificationSettings::text(const QString &key) const
{
    if (const SecretField *s = secret(key))
        return s->willBeSet() ? QStringLiteral("set") : QStringLiteral("unset");
    const QHash<QString, QString> all = fingerprints();
    return all.value(key);
}

QHash<QString, QString> NotificationSettings::fingerprints() const
{
    const QLatin1Char comma(',');
    return {
        {QStringLiteral("email_enabled"), boolText(emailEnabled)},
        {QStringLiteral("smtp_host"), smtpHost},
        {QStringLiteral("smtp_port"), QString::number(smtpPort)},
        {QStringLiteral("smtp_security"), toString(smtpSecurity)},
        {QStringLiteral("smtp_username"), smtpUsername},
        {QStringLiteral("email_from_address"), emailFromAddress},
        {QStringLiteral("email_from_name"), emailFromName},
        {QStringLiteral("email_reply_to"), emailReplyTo},
        {QStringLiteral("email_recipients"), emailRecipients.join(comma)},
        {QStringLiteral("sms_enabled"), boolText(smsEnabled)},
        {QStringLiteral("sms_provider"), smsProvider},
        {QStringLiteral("twilio_account_sid"), twilioAccountSid},
        {QStringLiteral("sms_from_number"), smsFromNumber},
        {QStringLiteral("sms_recipients"), smsRecipients.join(comma)},
        {QStringLiteral("twilio_base_url"), twilioBaseUrl},
        {QStringLiteral("slack_enabled"), boolText(slackEnabled)},
        {QStringLiteral("slack_channel"), slackChannel},
        {QStringLiteral("notify_job_failed"), boolText(notifyJobFailed)},
        {QStringLiteral("notify_job_succeeded"), boolText(notifyJobSucceeded)},
        {QStringLiteral("notify_job_retried"), boolText(notifyJobRetried)},
        {QStringLiteral("notify_worker_lost"), boolText(notifyWorkerLost)},
        {QStringLiteral("quiet_hours_enabled"), boolText(quietHoursEnabled)},
        {QStringLiteral("quiet_hours_start"), quietHoursStart},
        {QStringLiteral("quiet_hours_end"), quietHoursEnd},
        {QStringLiteral("quiet_hours_timezone"), quietHoursTimeZone},
        {QStringLiteral("digest_frequency"), toString(digestFrequency)},
        {QStringLiteral("tls_ca_file"), tlsCaFile},
    };
}

QString NotificationSettings::setText(const QString &key, const QString &value)
{
    if (isSecretKey(key))
        return tr("%1 is a secret: it cannot be set from text here.").arg(fieldLabel(key));
    const QString v = value.trimmed();
    auto setBool = [&](bool &field) {
        const auto b = parseBool(v);
        if (!b)
            return tr("%1 must be true or false, not \"%2\".").arg(fieldLabel(key), quoted(v));
        field = *b;
        return QString();
    };
    const QHash<QString, bool *> bools{
        {QStringLiteral("email_enabled"), &emailEnabled},
        {QStringLiteral("sms_enabled"), &smsEnabled},
        {QStringLiteral("slack_enabled"), &slackEnabled},
        {QStringLiteral("notify_job_failed"), &notifyJobFailed},
        {QStringLiteral("notify_job_succeeded"), &notifyJobSucceeded},
        {QStringLiteral("notify_job_retried"), &notifyJobRetried},
        {QStringLiteral("notify_worker_lost"), &notifyWorkerLost},
        {QStringLiteral("quiet_hours_enabled"), &quietHoursEnabled},
    };
    if (bool *b = bools.value(key))
        return setBool(*b);
    const QHash<QString, QString *> texts{
        {QStringLiteral("smtp_host"), &smtpHost},
        {QStringLiteral("smtp_username"), &smtpUsername},
        {QStringLiteral("email_from_address"), &emailFromAddress},
        {QStringLiteral("email_from_name"), &emailFromName},
        {QStringLiteral("email_reply_to"), &emailReplyTo},
        {QStringLiteral("sms_provider"), &smsProvider},
        {QStringLiteral("twilio_account_sid"), &twilioAccountSid},
        {QStringLiteral("sms_from_number"), &smsFromNumber},
        {QStringLiteral("twilio_base_url"), &twilioBaseUrl},
        {QStringLiteral("slack_channel"), &slackChannel},
        {QStringLiteral("quiet_hours_start"), &quietHoursStart},
        {QStringLiteral("quiet_hours_end"), &quietHoursEnd},
        {QStringLiteral("quiet_hours_timezone"), &quietHoursTimeZone},
        {QStringLiteral("tls_ca_file"), &tlsCaFile},
    };
    if (QString *t = texts.value(key)) {
        *t = v;
        return {};
    }
    if (key == QLatin1String("smtp_port")) {
        bool ok = false;
        const int port = v.toInt(&ok);
        if (!ok)
            return tr("%1 must be a whole number from 1 to 65535, not \"%2\".")
                .arg(fieldLabel(key), quoted(v));
        smtpPort = port;
        return {};
    }
    if (key == QLatin1String("smtp_security")) {
        const auto s = smtpSecurityFromString(v);
        if (!s)
            return tr("%1 must be none, starttls or tls, not \"%2\".").arg(fieldLabel(key), quoted(v));
        smtpSecurity = *s;
        return {};
    }
    if (key == QLatin1String("digest_frequency")) {
        const auto d = digestFromString(v);
        if (!d)
            return tr("%1 must be immediate, hourly or daily, not \"%2\".").arg(fieldLabel(key), quoted(v));
        digestFrequency = *d;
        return {};
    }
    if (key == QLatin1String("email_recipients")) {
        emailRecipients = parseList(v);
        return {};
    }
    if (key == QLatin1String("sms_recipients")) {
        smsRecipients = parseList(v);
        return {};
    }
    return tr("Unknown setting \"%1\".").arg(quoted(key));
}

QMap<QString, QString> NotificationSettings::validate() const
{
    QMap<QString, QString> e;
    auto add = [&](const char *key, const QString &message) {
        if (!e.contains(QLatin1String(key)))
            e.insert(QLatin1String(key), message);
    };

    // Lengths first: a value beyond its limit gets that error alone and is never quoted back.
    const auto limitOf = [](const char *key) { return maxLength(QLatin1String(key)); };
    const QHash<QString, QString> texts = fingerprints();
    for (const QString &key : fieldKeys()) {
        const int limit = maxLength(key);
        const QString value = texts.value(key);
        if (limit > 0 && !isSecretKey(key) && !key.endsWith(QLatin1String("_recipients")) &&
            value.size() > limit)
            add(qPrintable(key), tr("%1 is %2 characters long; the limit is %3.")
                                     .arg(fieldLabel(key))
                                     .arg(value.size())
                                     .arg(limit));
    }
    for (const auto &[key, list] :
         {qMakePair("email_recipients", &emailRecipients), qMakePair("sms_recipients", &smsRecipients)}) {
        if (list->size() > kMaxListEntries)
            add(key, tr("%1 has %2 entries; the limit is %3.")
                         .arg(fieldLabel(QLatin1String(key)))
                         .arg(list->size())
                         .arg(kMaxListEntries));
        for (const QString &entry : *list)
            if (entry.size() > limitOf(key))
                add(key, tr("An entry of %1 is %2 characters long; the limit is %3.")
                             .arg(fieldLabel(QLatin1String(key)))
                             .arg(entry.size())
                             .arg(limitOf(key)));
    }
    for (const QString &key : secretKeys()) {
        const SecretField *f = secret(key);
        const qsizetype bytes =
            f->change == SecretField::Change::Replace ? f->replacement.toUtf8().size() : 0;
        if (bytes > maxLength(key))
            add(qPrintable(key), tr("%1 is %2 bytes long; the limit is %3 bytes.")
                                     .arg(fieldLabel(key))
                                     .arg(bytes)
                                     .arg(maxLength(key)));
    }

    // Email
    if (smtpPort < 1 || smtpPort > 65535)
        add("smtp_port", tr("The SMTP port must be from 1 to 65535."));
    if (!smtpHost.isEmpty() && !isHostName(smtpHost))
        add("smtp_host", tr("\"%1\" is not a host name or IP address.").arg(smtpHost));
    if (!emailFromAddress.isEmpty() && !isEmail(emailFromAddress))
        add("email_from_address", tr("\"%1\" is not an email address.").arg(emailFromAddress));
    if (!emailReplyTo.isEmpty() && !isEmail(emailReplyTo))
        add("email_reply_to", tr("\"%1\" is not an email address.").arg(emailReplyTo));
    if (emailFromName.contains(QLatin1Char('\n')) || emailFromName.contains(QLatin1Char('\r')))
        add("email_from_name", tr("The sender name must be on one line."));
    for (const QString &r : emailRecipients)
        if (!isEmail(r))
            add("email_recipients", tr("\"%1\" is not an email address.").arg(r));
    if (!smtpUsername.isEmpty() && !smtpPassword.willBeSet())
        add("smtp_password", tr("A password is needed with the SMTP user name."));
    // Without TLS, AUTH PLAIN/LOGIN puts the password on the wire as base64: readable by anyone on the
    // path. Only a relay on this machine is exempt (the password never leaves it).
    if (smtpSecurity == SmtpSecurity::None && (!smtpUsername.isEmpty() || smtpPassword.willBeSet()) &&
        !isLoopbackHost(smtpHost)) {
        add("smtp_security",
            smtpHost.isEmpty()
                ? tr("Without encryption the SMTP user name and password would cross the network "
                     "readable by anyone on the way. Choose STARTTLS or TLS, or clear the user name and "
                     "password.")
                : tr("Without encryption the SMTP user name and password would travel to %1 readable by "
                     "anyone on the way. Choose STARTTLS or TLS, or clear the user name and password "
                     "(only a relay on this machine, such as localhost, may be used unencrypted).")
                      .arg(smtpHost));
    }
    if (emailEnabled) {
        if (smtpHost.isEmpty())
            add("smtp_host", tr("Email alerts need an SMTP server."));
        if (emailFromAddress.isEmpty())
            add("email_from_address", tr("Email alerts need a from address."));
        if (emailRecipients.isEmpty())
            add("email_recipients", tr("Email alerts need at least one recipient."));
    }

    // SMS
    if (smsProvider != QLatin1String("twilio"))
        add("sms_provider", tr("The only SMS provider supported is twilio."));
    static const QRegularExpression sidRe(QStringLiteral("^AC[0-9a-fA-F]{32}$"));
    if (!twilioAccountSid.isEmpty() && !sidRe.match(twilioAccountSid).hasMatch())
        add("twilio_account_sid", tr("A Twilio account SID is \"AC\" followed by 32 hexadecimal digits."));
    if (!smsFromNumber.isEmpty() && !isE164(smsFromNumber))
        add("sms_from_number",
            tr("\"%1\" is not a phone number in E.164 form (+14155550123).").arg(smsFromNumber));
    for (const QString &r : smsRecipients)
        if (!isE164(r))
            add("sms_recipients", tr("\"%1\" is not a phone number in E.164 form (+14155550123).").arg(r));
    if (const QString why = twilioBaseUrlProblem(twilioBaseUrl); !why.isEmpty())
        add("twilio_base_url", why);
    if (smsEnabled) {
        if (twilioAccountSid.isEmpty())
            add("twilio_account_sid", tr("SMS alerts need the Twilio account SID."));
        if (!twilioAuthToken.willBeSet())
            add("twilio_auth_token", tr("SMS alerts need the Twilio auth token."));
        if (smsFromNumber.isEmpty())
            add("sms_from_number", tr("SMS alerts need a sender number."));
        if (smsRecipients.isEmpty())
            add("sms_recipients", tr("SMS alerts need at least one recipient."));
    }

    // Slack
    if (slackWebhookUrl.change == SecretField::Change::Replace) {
        if (const QString why = slackWebhookUrlProblem(slackWebhookUrl.replacement); !why.isEmpty())
            add("slack_webhook_url", why);
    }
    static const QRegularExpression channelRe(QStringLiteral("^[#@]?[A-Za-z0-9._-]{1,80}$"));
    if (!slackChannel.isEmpty() && !channelRe.match(slackChannel).hasMatch())
        add("slack_channel", tr("\"%1\" is not a Slack channel name (#alerts).").arg(slackChannel));
    if (slackEnabled && !slackWebhookUrl.willBeSet())
        add("slack_webhook_url", tr("Slack alerts need a webhook URL."));

    // Quiet hours
    const auto start = parseHhMm(quietHoursStart);
    const auto end = parseHhMm(quietHoursEnd);
    if (!start)
        add("quiet_hours_start", tr("\"%1\" is not a time of day as HH:mm (22:00).").arg(quietHoursStart));
    if (!end)
        add("quiet_hours_end", tr("\"%1\" is not a time of day as HH:mm (07:00).").arg(quietHoursEnd));
    if (quietHoursEnabled && start && end && *start == *end)
        add("quiet_hours_end", tr("Quiet hours must end at a different time than they start."));
    if (!QTimeZone::isTimeZoneIdAvailable(quietHoursTimeZone.toUtf8()) ||
        !QTimeZone(quietHoursTimeZone.toUtf8()).isValid())
        add("quiet_hours_timezone",
            tr("\"%1\" is not a known time zone; use an IANA name such as Europe/Berlin.")
                .arg(quietHoursTimeZone));

    // The file is read where the value is set or changed; a stored value is not checked again at every
    // save (an admin's machine may lack a file that only the workers have), the channels check it
    // before they use it.
    const bool caChanged =
        loadedFingerprints.isEmpty() || loadedFingerprints.value(QStringLiteral("tls_ca_file")) != tlsCaFile;
    if (!tlsCaFile.isEmpty() && caChanged) {
        if (const QString why = caFileProblem(tlsCaFile); !why.isEmpty())
            add("tls_ca_file", why);
    }

    // No channel can work without anything to send to: nothing more to check.
    return e;
}

QJsonObject NotificationSettings::toJson() const
{
    QJsonObject o;
    const QHash<QString, QString> all = fingerprints();
    for (const QString &key : fieldKeys()) {
        if (isSecretKey(key)) {
            o.insert(key, text(key));
            continue;
        }
        const QString v = all.value(key);
        if (key.endsWith(QLatin1String("_enabled")) || key.startsWith(QLatin1String("notify_")))
            o.insert(key, v == QLatin1String("true"));
        else if (key == QLatin1String("smtp_port"))
            o.insert(key, smtpPort);
        else if (key == QLatin1String("email_recipients"))
            o.insert(key, QJsonArray::fromStringList(emailRecipients));
        else if (key == QLatin1String("sms_recipients"))
            o.insert(key, QJsonArray::fromStringList(smsRecipients));
        else
            o.insert(key, v);
    }
    o.insert(QStringLiteral("version"), version);
    o.insert(QStringLiteral("updated_by"), updatedBy);
    o.insert(QStringLiteral("updated_at"),
             updatedAt > 0 ? QDateTime::fromMSecsSinceEpoch(updatedAt, Qt::UTC).toString(Qt::ISODateWithMs)
                           : QString());
    return o;
}

qint64 NotificationSettings::quietUntil(qint64 utcMs) const
{
    if (!quietHoursEnabled)
        return 0;
    const auto start = parseHhMm(quietHoursStart);
    const auto end = parseHhMm(quietHoursEnd);
    const QTimeZone zone(quietHoursTimeZone.toUtf8());
    if (!start || !end || !zone.isValid() || *start == *end)
        return 0;
    const QDateTime local = QDateTime::fromMSecsSinceEpoch(utcMs, zone);
    const QDate today = local.date();
    const QTime now = local.time();
    auto at = [&](const QDate &d, const QTime &t) { return QDateTime(d, t, zone).toMSecsSinceEpoch(); };
    if (*start < *end) {
        if (now >= *start && now < *end)
            return at(today, *end);
        return 0;
    }
    // The quiet period spans midnight (22:00–07:00).
    if (now >= *start)
        return at(today.addDays(1), *end);
    if (now < *end)
        return at(today, *end);
    return 0;
}

QTimeZone NotificationSettings::timeZone() const
{
    const QTimeZone zone(quietHoursTimeZone.toUtf8());
    return zone.isValid() ? zone : QTimeZone::utc();
}

qint64 NotificationSettings::nextDigestAt(qint64 utcMs) const
{
    const QTimeZone zone = timeZone();
    qint64 due = 0;
    switch (digestFrequency) {
    case DigestFrequency::Immediate:
        return 0;
    case DigestFrequency::Hourly: {
        // The first moment after `utcMs` at which the local clock shows a full hour. Offsets in use are
        // whole quarter hours, so it is one of the next quarter hours of UTC, each checked with the offset
        // in force at that moment: Asia/Kolkata (+05:30) gets :30 UTC, Asia/Kathmandu (+05:45) :15, and
        // across a change of offset (daylight saving time, by an hour or, on Lord Howe Island, by half an
        // hour) the clock still shows a full hour, which the offset in force now would miss.
        constexpr qint64 kHour = 3'600'000;
        constexpr qint64 kQuarter = kHour / 4;
        const auto localAt = [&zone](qint64 t) {
            return t + qint64(zone.offsetFromUtc(QDateTime::fromMSecsSinceEpoch(t, Qt::UTC))) * 1000;
        };
        qint64 t = utcMs - (utcMs % kQuarter + kQuarter) % kQuarter + kQuarter;
        for (int i = 0; i < 12 && due == 0; ++i, t += kQuarter) {
            if ((localAt(t) % kHour + kHour) % kHour == 0)
                due = t;
        }
        if (due == 0) {
            // An offset that is no whole quarter hour (local mean time, before 1972): the next full hour
            // with the offset in force now.
            const qint64 offset = localAt(utcMs) - utcMs;
            const qint64 local = utcMs + offset;
            due = local - (local % kHour + kHour) % kHour + kHour - offset;
        }
        break;
    }
    case DigestFrequency::Daily: {
        const QDateTime local = QDateTime::fromMSecsSinceEpoch(utcMs, zone);
        const QTime at(kDailyDigestHour, 0);
        QDateTime candidate(local.date(), at, zone);
        if (candidate.toMSecsSinceEpoch() <= utcMs)
            candidate = QDateTime(local.date().addDays(1), at, zone);
        due = candidate.toMSecsSinceEpoch();
        break;
    }
    }
    // A digest due in quiet hours waits for their end, as single alerts do.
    if (const qint64 until = quietUntil(due); until > 0)
        return until;
    return due;
}

bool NotificationSettings::isLoopbackHost(const QString &host)
{
    QString h = host.trimmed().toLower();
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']')))
        h = h.mid(1, h.size() - 2);
    if (h.endsWith(QLatin1Char('.')))
        h.chop(1);
    if (h == QLatin1String("localhost"))
        return true;
    // 127.0.0.0/8, written as four decimal numbers of at most 255.
    static const QRegularExpression v4(QStringLiteral("^127\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$"));
    if (const auto m = v4.match(h); m.hasMatch())
        return m.captured(1).toInt() <= 255 && m.captured(2).toInt() <= 255 && m.captured(3).toInt() <= 255;
    // ::1 in any spelling (0:0:0:0:0:0:0:1, ::0001), or 127.0.0.0/8 mapped into IPv6.
    static const QRegularExpression v6(QStringLiteral("^(0{0,4}:){2,7}0{0,3}1$"));
    if (v6.match(h).hasMatch())
        return true;
    static const QRegularExpression mapped(QStringLiteral("^(0{0,4}:){2,5}ffff:(127\\.[0-9.]+)$"));
    if (const auto m = mapped.match(h); m.hasMatch())
        return isLoopbackHost(m.captured(2));
    return false;
}

bool NotificationSettings::isChannelEnabled(NotifyChannel channel) const
{
    switch (channel) {
    case NotifyChannel::Email:
        return emailEnabled;
    case NotifyChannel::Sms:
        return smsEnabled;
    case NotifyChannel::Slack:
        return slackEnabled;
    }
    return false;
}

} // namespace hcm
